"""Reading benchmark cases from phenopackets (ZIP or directory)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from variantprio.bench.prepare.phenopackets import read_cases, sample_cases
from variantprio.errors import InputError


def _packet(case_id: str, variants: list[dict], sex: str = "MALE") -> dict:
    interpretations = []
    for v in variants:
        descriptor = {"geneContext": {"symbol": "GENE1"},
                      "allelicState": {"id": v.pop("state_id", "GENO:0000135"), "label": v.pop("state", "")}}
        if v:
            descriptor["vcfRecord"] = {"genomeAssembly": "hg38", **v}
        interpretations.append({"variantInterpretation": {"variationDescriptor": descriptor}})
    return {
        "id": case_id, "subject": {"id": "p", "sex": sex},
        "phenotypicFeatures": [{"type": {"id": "HP:0001250"}}, {"type": {"id": "HP:0001263"}, "excluded": True},
                               {"type": {"id": "HP:0001250"}}],
        "interpretations": [{"diagnosis": {"disease": {"id": "OMIM:1", "label": "D"},
                                           "genomicInterpretations": interpretations}}],
    }


def _write_dir(root: Path) -> Path:
    packets = {
        "G/het.json": _packet("het", [{"chrom": "11", "pos": 5, "ref": "A", "alt": "G"}]),
        "G/comphet.json": _packet("comphet", [{"chrom": "chr2", "pos": 5, "ref": "A", "alt": "G"},
                                              {"chrom": "chr2", "pos": 9, "ref": "AT", "alt": "A"}], "FEMALE"),
        "G/twice.json": _packet("twice", [{"chrom": "chr2", "pos": 5, "ref": "A", "alt": "G"},
                                          {"chrom": "chr2", "pos": 5, "ref": "A", "alt": "G"}]),
        "G/hemi.json": _packet("hemi", [{"chrom": "chrX", "pos": 5, "ref": "C", "alt": "CA",
                                         "state_id": "GENO:0000134"}], "UNKNOWN_SEX"),
        "G/hemi_f.json": _packet("hemi_f", [{"chrom": "chrX", "pos": 5, "ref": "C", "alt": "T",
                                             "state_id": "GENO:0000134"}], "FEMALE"),
        "G/sv.json": _packet("sv", [{}]),
        "G/half.json": _packet("half", [{"chrom": "chr2", "pos": 5, "ref": "A", "alt": "G"}, {}]),
    }
    for name, packet in packets.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(packet))
    return root


@pytest.mark.parametrize("form", ["dir", "zip"])
def test_cases_from_dir_and_zip(tmp_path, form):
    root = _write_dir(tmp_path / "packets")
    source = root
    if form == "zip":
        source = tmp_path / "packets.zip"
        with zipfile.ZipFile(source, "w") as archive:
            for file in root.rglob("*.json"):
                archive.write(file, file.relative_to(root))
    cases = {c.case_id: c for c in read_cases(source)}
    assert set(cases) == {"het", "comphet", "twice", "hemi", "hemi_f", "sv", "half"}
    assert cases["hemi_f"].sex == "FEMALE" and cases["hemi_f"].effective_sex == "MALE"
    het = cases["het"]
    assert het.variants[0].chrom == "chr11" and het.mode == "AD" and het.genotype == "het"
    assert het.observed == ("HP:0001250",) and het.excluded == ("HP:0001263",)
    assert het.gene_symbol == "GENE1" and het.disease_id == "OMIM:1" and het.sex == "MALE"
    assert cases["comphet"].genotype == "comphet" and cases["comphet"].mode == "AR"
    assert cases["comphet"].variant_class == "SNV+deletion"
    assert cases["twice"].genotype == "hom" and len(cases["twice"].variants) == 1
    hemi = cases["hemi"]
    assert hemi.mode == "XR" and hemi.sex == "UNKNOWN" and hemi.effective_sex == "MALE"
    assert hemi.variant_class == "insertion"
    assert not cases["sv"].spikeable and not cases["half"].spikeable
    assert cases["half"].n_without_vcf_record == 1


def test_sample_is_reproducible_and_only_spikeable(tmp_path):
    cases = read_cases(_write_dir(tmp_path))
    first = sample_cases(cases, 2, seed=7)
    assert first == sample_cases(cases, 2, seed=7)
    assert len(first) == 2 and all(c.spikeable for c in first)
    assert len(sample_cases(cases, None, seed=7)) == 5


def test_bad_json_names_the_file(tmp_path):
    _write_dir(tmp_path)
    (tmp_path / "G" / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match=r"broken\.json.*not valid JSON"):
        read_cases(tmp_path)


def test_missing_and_non_zip_inputs(tmp_path):
    with pytest.raises(InputError, match="cases not found"):
        read_cases(tmp_path / "absent.zip")
    junk = tmp_path / "junk.zip"
    junk.write_text("plain text")
    with pytest.raises(InputError, match="not a ZIP"):
        read_cases(junk)
