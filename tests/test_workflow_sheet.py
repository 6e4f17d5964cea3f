"""Sample sheets, result-path IDs and up-front validation helpers of the workflow driver."""

import pytest

from variantprio.errors import InputError
from variantprio.sheet import clean_terms, load_sample_sheet, vcf_ids


def test_sheet_fills_optional_columns_and_indexes_by_sample(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample_id\tfamily_id\tvcf\thpo\n# a comment\nP1\tF1\ta.vcf.gz\tHP:0001250\n")
    samples = load_sample_sheet(sheet)
    assert list(samples.index) == ["P1"]
    assert samples.loc["P1", "ped"] == "" and samples.loc["P1", "phenopacket"] == ""


@pytest.mark.parametrize("text, message", [
    ("sample_id\tvcf\nP1\ta.vcf\n", "missing column(s) family_id"),
    ("sample_id\tfamily_id\tvcf\nP1\tF\ta.vcf\nP1\tF\tb.vcf\n", "duplicate sample_id(s) P1"),
])
def test_bad_sheets_are_one_line_errors(tmp_path, text, message):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(text)
    with pytest.raises(InputError) as err:
        load_sample_sheet(sheet)
    assert message in err.value.one_line() and str(sheet) in err.value.one_line()
    assert "\n" not in err.value.one_line()


def test_vcf_ids_are_stems_and_disambiguated_on_collision():
    ids = vcf_ids(["/a/fam1.vcf.gz", "/b/fam1.vcf.gz", "/c/fam2.bcf", "/a/fam1.vcf.gz"])
    assert ids["/c/fam2.bcf"] == "fam2"
    assert ids["/a/fam1.vcf.gz"] != ids["/b/fam1.vcf.gz"]
    assert all(i.startswith("fam1-") for p, i in ids.items() if "fam1" in p)
    assert vcf_ids(["/a/fam1.vcf.gz", "/b/fam1.vcf.gz"]) == {k: v for k, v in ids.items() if "fam1" in k}


def test_clean_terms_accepts_commas_semicolons_and_spaces():
    assert clean_terms(" HP:0001250; HP:0001263 ,HP:0000252 ") == "HP:0001250,HP:0001263,HP:0000252"
    assert clean_terms("") == ""


def test_schema_fingerprint_changes_with_the_contract(monkeypatch):
    """The workflow passes it as a rule parameter: a new column must change it (Snakemake re-runs)."""
    import pyarrow as pa

    from variantprio import schemas

    before = {name: schemas.schema_fingerprint(name) for name in schemas.SCHEMAS}
    assert len(set(before.values())) == len(before)  # one per table
    monkeypatch.setitem(schemas.SCHEMAS, "annotations", schemas.ANNOTATIONS.append(pa.field("new", pa.int8())))
    assert schemas.schema_fingerprint("annotations") != before["annotations"]
    assert schemas.schema_fingerprint("variants") == before["variants"]
