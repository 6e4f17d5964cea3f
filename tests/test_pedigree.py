"""PED members without a VCF column (issue #16), plausible ID suggestions and proband status (#15)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from variantprio.core.pedigree import check_samples, ped_individuals, proband_status_warnings, read_ped
from variantprio.core.samples import choose_samples, close_matches, edit_distance
from variantprio.errors import InputError
from variantprio.inheritance import InheritanceInputs, InheritanceOutputs
from variantprio.inheritance import run as inheritance_run
from variantprio.inheritance.modes import male_to_male_transmission
from variantprio.inheritance.synthetic import (
    annotations_table,
    parse_genotypes,
    variants_table,
    write_tables,
)
from variantprio.tables import read_table

# Exomiser's example quartet shape: the affected sister (…016) has no DNA, her grandfather
# (named only as a parent) neither. Read as hom-ref, she would veto every fit below.
QUARTET_PED = ("ISDBM322 ISDBM322017 ISDBM322015 ISDBM322018 1 2\n"
               "ISDBM322 ISDBM322015 GRANDPA 0 1 1\n"
               "ISDBM322 ISDBM322018 0 0 2 1\n"
               "ISDBM322 ISDBM322016 ISDBM322015 ISDBM322018 2 2\n")
QUARTET_VCF = ["ISDBM322015", "ISDBM322017", "ISDBM322018"]
PROBAND = "ISDBM322017"


def _ped(tmp_path: Path, text: str = QUARTET_PED, name: str = "family.ped") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _segregate(tmp_path: Path, samples: list[str], calls: list[list[str]], ped: Path, proband: str = PROBAND):
    """One chr1 variant per row of `calls` (a GT per sample); SEGREGATION rows by variant_idx."""
    geno = parse_genotypes(calls)
    chrom = np.array(["chr1"] * len(calls), dtype=object)
    pos = np.arange(1, len(calls) + 1) * 100
    variants = variants_table(chrom, pos, geno.zygosity, gq=np.full(geno.zygosity.shape, 60))
    genes = np.array([f"G{i}" for i in range(len(calls))], dtype=object)
    v, a = write_tables(tmp_path, samples, variants, annotations_table(np.arange(len(calls)), chrom, pos, genes))
    out = tmp_path / "segregation.parquet"
    inheritance_run(InheritanceInputs(v, a, proband, ped), InheritanceOutputs(out))
    return read_table(out, "segregation")[0].to_pandas().set_index("variant_idx")


# --- close_matches ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, candidates, expected", [
    ("P1", ["p1", "P_1", "p-1", "P2", "P10"], ["p1", "P_1", "p-1"]),      # case and separators only
    ("NA12892_1", ["NA12892", "NA12893_1_x"], ["NA12892"]),              # sequencer/lab suffix
    ("NA12878", ["LAB-NA12878", "NA12878-S12", "NA12878_replicate"], ["LAB-NA12878", "NA12878-S12"]),
    ("NA12879", ["NA12878", "XX"], ["NA12878"]),                         # one typo in a 7-character ID
    ("ISDBM322016", ["ISDBM322017"], ["ISDBM322017"]),                   # ... unless it is someone else (below)
    ("SAMPLE-000123", ["SAMPLE-000213", "SAMPLE-001132"], ["SAMPLE-000213"]),  # swapped digits; 2 edits: no
    ("sib1", ["sib2", "Sib3"], []),                                      # short IDs in a series: no typos
    ("kid", ["kid_sister", "kids"], []),                                 # too short for an affix
    ("abc", ["abc"], []),                                                # never itself
])
def test_close_matches_only_plausible(name, candidates, expected):
    assert close_matches(name, candidates) == expected


def test_close_matches_never_names_a_person_already_accounted_for():
    assert close_matches("ISDBM322016", ["ISDBM322017", "ISDBM322019"], taken={"ISDBM322017"}) == ["ISDBM322019"]
    assert close_matches("p1", ["P1"], taken={"P1"}) == []
    # Without typos (used before refusing a PED), only same-ID forms count.
    assert close_matches("ISDBM322016", ["ISDBM322019", "isdbm322016"], typos=False) == ["isdbm322016"]


def test_edit_distance_counts_an_adjacent_swap_as_one_edit():
    assert [edit_distance(a, b) for a, b in [("abc", "abc"), ("abcd", "abdc"), ("kitten", "sitting"), ("", "ab")]] \
        == [0, 1, 3, 2]


# --- check_samples ---------------------------------------------------------------------------

def test_check_samples_accepts_ungenotyped_members(tmp_path, caplog):
    pedigree = read_ped(_ped(tmp_path))
    with caplog.at_level(logging.INFO, logger="variantprio"):
        check_samples(pedigree, QUARTET_VCF, [PROBAND])
    assert "family ISDBM322: ISDBM322016, GRANDPA not genotyped" in caplog.text
    # Issue #16: this was "ISDBM322016 not in the VCF (did you mean ISDBM322017?)".
    check_samples(pedigree, QUARTET_VCF + ["unrelated"], [PROBAND])


def test_check_samples_rejects_a_proband_missing_from_the_vcf_with_plausible_hints_only(tmp_path):
    pedigree = read_ped(_ped(tmp_path))
    with pytest.raises(InputError) as err:
        check_samples(pedigree, ["ISDBM322015", "ISDBM322018", "ISDBM322016"], [PROBAND])
    text = err.value.one_line()
    # ISDBM322016 is the sister (in the PED): a distinct person, never suggested.
    assert "ISDBM322017 not in the VCF" in text and "did you mean" not in text
    with pytest.raises(InputError, match=r"ISDBM322017 not in the VCF \(did you mean isdbm322017\?\)"):
        check_samples(pedigree, ["ISDBM322015", "ISDBM322018", "isdbm322017"], [PROBAND])


def test_check_samples_suggests_a_ped_id_for_a_proband_outside_the_ped(tmp_path):
    """A sample-sheet typo of the proband: the PED's own spelling is the plausible one on both sides."""
    pedigree = read_ped(_ped(tmp_path))
    with pytest.raises(InputError) as err:
        check_samples(pedigree, QUARTET_VCF, ["isdbm322017"])
    text = err.value.one_line()
    assert "isdbm322017 not in the PED (did you mean ISDBM322017?)" in text
    assert "isdbm322017 not in the VCF (did you mean ISDBM322017?)" in text


def test_check_samples_rejects_a_family_with_no_member_in_the_vcf(tmp_path):
    pedigree = read_ped(_ped(tmp_path))
    with pytest.raises(InputError, match=r"no member of family ISDBM322 .* is a sample of the VCF \(S1, S2\)"):
        check_samples(pedigree, ["S1", "S2"], [PROBAND])


def test_check_samples_still_catches_a_misspelt_member(tmp_path):
    """An unused VCF sample that is the member's ID up to case/separators/affix is a typo, not a
    missing relative; a mere one-edit neighbour is not enough to refuse the PED."""
    pedigree = read_ped(_ped(tmp_path))
    with pytest.raises(InputError, match=r"ISDBM322016 not in the VCF \(did you mean ISDBM322016_1\?\)"):
        check_samples(pedigree, QUARTET_VCF + ["ISDBM322016_1"], [PROBAND])
    check_samples(pedigree, QUARTET_VCF + ["ISDBM322019"], [PROBAND])
    # Strict mode (every member with a PED line genotyped) stays available.
    with pytest.raises(InputError, match="ISDBM322016 not in the VCF"):
        check_samples(pedigree, QUARTET_VCF, [PROBAND], allow_ungenotyped=False)


# --- proband status --------------------------------------------------------------------------

@pytest.mark.parametrize("code, expected", [("2", None), ("1", "coded unaffected (phenotype 1)"),
                                            ("0", "unknown affected status"), ("-9", "unknown affected status")])
def test_proband_status_warnings(tmp_path, code, expected):
    ped = _ped(tmp_path, f"F kid dad mum 1 {code}\nF dad 0 0 1 1\n")
    warnings = proband_status_warnings(read_ped(ped), "kid")
    if expected is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and expected in warnings[0] and f"{ped} line 1" in warnings[0]
    assert proband_status_warnings(read_ped(ped), "nobody") == []


def test_segregation_warns_when_the_proband_is_not_coded_affected(tmp_path, caplog):
    ped = _ped(tmp_path, "F kid dad mum 1 1\nF dad 0 0 1 1\nF mum 0 0 2 1\n")
    with caplog.at_level(logging.INFO, logger="variantprio"):
        seg = _segregate(tmp_path, ["kid", "dad", "mum"], [["0/1", "0/0", "0/0"]], ped, proband="kid")
    assert any(r.levelno == logging.WARNING and "coded unaffected" in r.getMessage() for r in caplog.records)
    assert seg.loc[0, "de_novo"]  # analysed as affected all the same


def test_male_to_male_transmission_counts_the_proband_as_affected(tmp_path):
    family = read_ped(_ped(tmp_path, "F kid dad 0 1 0\nF dad 0 0 1 2\n")).family_of("kid")
    assert not male_to_male_transmission(family)
    assert male_to_male_transmission(family, "kid")


# --- segregation with ungenotyped relatives ------------------------------------------------------

def test_quartet_with_ungenotyped_sister_and_grandfather_segregates(tmp_path, caplog):
    # VCF order: father, proband, mother; the sister's and grandfather's genotypes are unknown.
    calls = [["0/0", "0/1", "0/0"],   # 0 de novo in the proband: both parents genotyped hom-ref
             ["0/1", "0/1", "0/0"],   # 1 from the unaffected father: no AD
             ["0/1", "1/1", "0/1"]]   # 2 AR hom 
    with caplog.at_level(logging.INFO, logger="variantprio"):
        seg = _segregate(tmp_path, QUARTET_VCF, calls, _ped(tmp_path))
    assert seg.loc[0, "de_novo"] and seg.loc[0, "fits_ad"]
    assert not seg.loc[1, "fits_ad"] and not seg.loc[1, "de_novo"]
    assert seg.loc[2, "fits_ar_hom"]
    assert "ISDBM322016, GRANDPA not genotyped" in caplog.text and "5 members, 3 genotyped" in caplog.text


def test_ungenotyped_parent_blocks_de_novo_but_not_dominant(tmp_path):
    """Unaffected father without DNA: not a hom-ref parent, so no de novo call; AD still fits."""
    ped = _ped(tmp_path, "F kid dad mum 1 2\nF dad 0 0 1 1\nF mum 0 0 2 1\n")
    seg = _segregate(tmp_path, ["kid", "mum"], [["0/1", "0/0"]], ped, proband="kid")
    assert seg.loc[0, "fits_ad"] and not seg.loc[0, "de_novo"]


def test_affected_ungenotyped_father_does_not_veto_dominant(tmp_path):
    ped = _ped(tmp_path, "F kid dad mum 2 2\nF dad 0 0 1 2\nF mum 0 0 2 1\n")
    seg = _segregate(tmp_path, ["kid", "mum"], [["0/1", "0/0"], ["0/1", "0/1"]], ped, proband="kid")
    assert seg.loc[0, "fits_ad"] and not seg.loc[0, "de_novo"]
    assert not seg.loc[1, "fits_ad"]  # the unaffected, genotyped mother carries it


# --- ingest's sample choice ------------------------------------------------------------------

def test_ingest_keeps_parents_named_only_in_the_childs_line(tmp_path):
    """'F kid dad mum 1 2' alone: dad's and mum's VCF columns are the parents (de novo needs them)."""
    ped = _ped(tmp_path, "F kid dad mum 1 2\n")
    members = ped_individuals(ped)
    assert choose_samples(["mum", "kid", "dad", "x"], None, members, "in.vcf", str(ped)) == ["mum", "kid", "dad"]
    # Without their columns they are ungenotyped: fine; a case-variant of one is a typo.
    assert choose_samples(["kid", "x"], None, members, "in.vcf", str(ped)) == ["kid"]
    with pytest.raises(InputError, match=r"dad not in the VCF \(did you mean DAD\?\)"):
        choose_samples(["kid", "DAD"], None, members, "in.vcf", str(ped))


def test_ingest_never_refuses_an_ungenotyped_member_for_a_one_edit_neighbour(tmp_path):
    ped = _ped(tmp_path)
    chosen = choose_samples(QUARTET_VCF + ["ISDBM322019"], None, ped_individuals(ped), "in.vcf", str(ped))
    assert chosen == QUARTET_VCF
