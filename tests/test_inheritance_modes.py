"""Table-driven: each mode x family shape with the expected fits, plus property tests.

Every case lists variants as (chrom, pos, gene, AF, GT per sample); `expect` gives, per variant,
the flags that must be set (all others must be unset): AD, DN (de novo), ARH (AR homozygous),
CH (compound het, with its phase after ':'), XR, XD, MT.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variantprio.core.pedigree import read_ped, singleton
from variantprio.inheritance import InheritanceOptions
from variantprio.inheritance.segregate import gene_rows, segregation_table
from variantprio.inheritance.synthetic import annotations_table, parse_genotypes, variants_table

_FLAGS = {"AD": "fits_ad", "DN": "de_novo", "ARH": "fits_ar_hom", "CH": "fits_ar_comphet",
          "XR": "fits_xr", "XD": "fits_xd", "MT": "fits_mt"}

# Family shapes: PED text (kid's sex filled in) and the VCF sample order.
SHAPES = {
    "singleton": (None, ["kid"]),
    "duo": ("F kid 0 mum {sex} 2\nF mum 0 0 2 1\n", ["kid", "mum"]),
    "trio": ("F kid dad mum {sex} 2\nF dad 0 0 1 1\nF mum 0 0 2 1\n", ["kid", "dad", "mum"]),
    "quartet_affected_sib": ("F kid dad mum {sex} 2\nF dad 0 0 1 1\nF mum 0 0 2 1\nF sib dad mum 2 2\n",
                             ["kid", "dad", "mum", "sib"]),
    "quartet_unaffected_sib": ("F kid dad mum {sex} 2\nF dad 0 0 1 1\nF mum 0 0 2 1\nF sib dad mum 1 1\n",
                               ["kid", "dad", "mum", "sib"]),
    "affected_mother": ("F kid dad mum {sex} 2\nF dad 0 0 1 1\nF mum 0 0 2 2\n", ["kid", "dad", "mum"]),
    "affected_father_son": ("F kid dad mum {sex} 2\nF dad 0 0 1 2\nF mum 0 0 2 1\n", ["kid", "dad", "mum"]),
    "affected_father_sister": ("F kid dad mum {sex} 2\nF dad 0 0 1 2\nF mum 0 0 2 1\nF sis dad mum 2 1\n",
                               ["kid", "dad", "mum", "sis"]),
    # Issue #16: PED members without a VCF column (not in the sample list) have unknown genotypes.
    "trio_ungenotyped_sib_grandma": ("F kid dad mum {sex} 2\nF dad 0 gma 1 1\nF mum 0 0 2 1\n"
                                     "F sib dad mum 1 1\nF gma 0 0 2 1\n", ["kid", "dad", "mum"]),
    "ungenotyped_affected_father": ("F kid dad mum {sex} 2\nF dad 0 0 1 2\nF mum 0 0 2 1\n", ["kid", "mum"]),
    "ungenotyped_unaffected_father": ("F kid dad mum {sex} 2\nF dad 0 0 1 1\nF mum 0 0 2 1\n", ["kid", "mum"]),
    "ungenotyped_affected_sib": ("F kid dad mum {sex} 2\nF dad 0 0 1 1\nF mum 0 0 2 1\nF sib dad mum 2 2\n",
                                 ["kid", "dad", "mum"]),
}

X = "chrX"
X_NONPAR = 5_000_000
X_PAR1 = 100_000  # GRCh38 PAR1 is chrX:10,001-2,781,479

CASES = [
    # --- autosomal dominant and de novo ------------------------------------------------------
    ("AD singleton het", "singleton", 1, [("chr1", 1, "G", None, ["0/1"])], ["AD"]),
    ("AD singleton too common", "singleton", 1, [("chr1", 1, "G", 0.01, ["0/1"])], [""]),
    ("AD singleton hom is not dominant", "singleton", 1, [("chr1", 1, "G", None, ["1/1"])], ["ARH"]),
    ("AD duo, absent from unaffected mother", "duo", 1, [("chr1", 1, "G", None, ["0/1", "0/0"])], ["AD"]),
    ("AD duo, unaffected mother carries", "duo", 1, [("chr1", 1, "G", None, ["0/1", "0/1"])], [""]),
    ("de novo trio", "trio", 1, [("chr1", 1, "G", None, ["0/1", "0/0", "0/0"])], ["AD DN"]),
    ("de novo needs both parents called", "trio", 1, [("chr1", 1, "G", None, ["0/1", "./.", "0/0"])], ["AD"]),
    ("AD trio, inherited from unaffected father", "trio", 1,
     [("chr1", 1, "G", None, ["0/1", "0/1", "0/0"])], [""]),
    ("AD affected sibling carries", "quartet_affected_sib", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0", "0/1"])], ["AD DN"]),
    ("AD affected sibling lacks it", "quartet_affected_sib", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0", "0/0"])], [""]),
    ("AD affected sibling missing call", "quartet_affected_sib", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0", "./."])], ["AD DN"]),
    ("AD unaffected sibling carries", "quartet_unaffected_sib", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0", "0/1"])], [""]),
    ("AD unaffected sibling clean", "quartet_unaffected_sib", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0", "0/0"])], ["AD DN"]),
    ("AD inherited from the affected mother", "affected_mother", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/1"])], ["AD"]),
    ("AD affected mother lacks it", "affected_mother", 1, [("chr1", 1, "G", None, ["0/1", "0/0", "0/0"])], [""]),
    # --- autosomal recessive, homozygous ----------------------------------------------------
    ("ARH trio, carrier parents", "trio", 1, [("chr2", 1, "G", 0.0005, ["1/1", "0/1", "0/1"])], ["ARH"]),
    ("ARH unaffected father homozygous", "trio", 1, [("chr2", 1, "G", None, ["1/1", "1/1", "0/1"])], [""]),
    ("ARH too common", "singleton", 1, [("chr2", 1, "G", 0.005, ["1/1"])], [""]),
    ("ARH affected sibling only het", "quartet_affected_sib", 1,
     [("chr2", 1, "G", None, ["1/1", "0/1", "0/1", "0/1"])], [""]),
    ("ARH affected sibling hom", "quartet_affected_sib", 1,
     [("chr2", 1, "G", None, ["1/1", "0/1", "0/1", "1/1"])], ["ARH"]),
    ("ARH unaffected sibling hom", "quartet_unaffected_sib", 1,
     [("chr2", 1, "G", None, ["1/1", "0/1", "0/1", "1/1"])], [""]),
    ("ARH unaffected sibling carrier", "quartet_unaffected_sib", 1,
     [("chr2", 1, "G", None, ["1/1", "0/1", "0/1", "0/1"])], ["ARH"]),
    # --- compound heterozygous ----------------------------------------------------------------
    ("CH trio in trans", "trio", 1, [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0"]),
                                     ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1"])], ["CH:trans", "CH:trans"]),
    ("CH trio both from father (cis)", "trio", 1, [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0"]),
                                                   ("chr3", 2, "G", 0.01, ["0/1", "0/1", "0/0"])], ["", ""]),
    ("CH trio one de novo: phase unknown", "trio", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0"]), ("chr3", 2, "G", None, ["0/1", "0/0", "0/0"])],
     ["CH:possible", "AD DN CH:possible"]),
    ("CH different genes never pair", "trio", 1, [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0"]),
                                                  ("chr3", 2, "H", 0.01, ["0/1", "0/0", "0/1"])], ["", ""]),
    ("CH too common", "trio", 1, [("chr3", 1, "G", 0.05, ["0/1", "0/1", "0/0"]),
                                  ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1"])], ["", ""]),
    ("CH singleton unphased", "singleton", 1, [("chr3", 1, "G", 0.01, ["0/1"]), ("chr3", 2, "G", 0.01, ["0/1"])],
     ["CH:possible", "CH:possible"]),
    ("CH singleton phased in trans", "singleton", 1,
     [("chr3", 1, "G", 0.01, ["0|1"]), ("chr3", 2, "G", 0.01, ["1|0"])], ["CH:trans", "CH:trans"]),
    ("CH singleton phased in cis", "singleton", 1,
     [("chr3", 1, "G", 0.01, ["0|1"]), ("chr3", 2, "G", 0.01, ["0|1"])], ["", ""]),
    ("CH phase beats parents", "trio", 1,
     [("chr3", 1, "G", 0.01, ["0|1", "0/1", "0/0"]), ("chr3", 2, "G", 0.01, ["0|1", "0/0", "0/1"])], ["", ""]),
    ("CH duo, one allele from the mother", "duo", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/0"])], ["CH:trans", "CH:trans"]),
    ("CH unaffected sibling has both", "quartet_unaffected_sib", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1", "0/1"])],
     ["", ""]),
    ("CH unaffected sibling has one", "quartet_unaffected_sib", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1", "0/0"])],
     ["CH:trans", "CH:trans"]),
    ("CH affected sibling has both", "quartet_affected_sib", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1", "0/1"])],
     ["CH:trans", "CH:trans"]),
    ("CH affected sibling lacks one", "quartet_affected_sib", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1", "0/0"])],
     ["", ""]),
    # --- X-linked -------------------------------------------------------------------------------
    ("XR hemizygous son of carrier mother", "trio", 1, [(X, X_NONPAR, "G", None, ["1", "0", "0/1"])], ["XR"]),
    ("XR son called 1/1 counts as hemizygous", "trio", 1, [(X, X_NONPAR, "G", None, ["1/1", "0", "0/1"])], ["XR"]),
    ("X de novo in a son", "trio", 1, [(X, X_NONPAR, "G", None, ["1", "0", "0/0"])], ["DN XR XD"]),
    ("X unaffected father hemizygous", "trio", 1, [(X, X_NONPAR, "G", None, ["1", "1", "0/0"])], [""]),
    ("XD daughter het, de novo", "trio", 2, [(X, X_NONPAR, "G", None, ["0/1", "0", "0/0"])], ["DN XD"]),
    ("XR daughter hom, carrier mother", "trio", 2, [(X, X_NONPAR, "G", None, ["1/1", "0", "0/1"])], ["XR"]),
    ("XR daughter hom, unaffected hemizygous father", "trio", 2,
     [(X, X_NONPAR, "G", None, ["1/1", "1", "0/1"])], [""]),
    ("XR comphet in a daughter (singleton)", "singleton", 2,
     [(X, X_NONPAR, "G", 0.01, ["0/1"]), (X, X_NONPAR + 10, "G", 0.01, ["0/1"])], ["CH:possible", "CH:possible"]),
    ("X het in a son is no comphet", "singleton", 1,
     [(X, X_NONPAR, "G", 0.01, ["0/1"]), (X, X_NONPAR + 10, "G", 0.01, ["0/1"])], ["", ""]),
    ("PAR1 in a male is autosomal (AD)", "trio", 1, [(X, X_PAR1, "G", None, ["0/1", "0/0", "0/0"])], ["AD DN"]),
    ("PAR1 hom in a male is AR", "trio", 1, [(X, X_PAR1, "G", None, ["1/1", "0/1", "0/1"])], ["ARH"]),
    ("XD son of an affected carrier mother", "affected_mother", 1,
     [(X, X_NONPAR, "G", None, ["1", "0", "0/1"])], ["XD"]),  # a het mother is not XR-affected
    ("male-to-male transmission rules out X", "affected_father_son", 1,
     [(X, X_NONPAR, "G", None, ["1", "1", "0/1"])], [""]),
    ("XD carrier father's daughter must carry", "affected_father_sister", 2,
     [(X, X_NONPAR, "G", None, ["0/1", "1", "0/0", "0/0"])], [""]),
    ("XD carrier father, carrier daughters", "affected_father_sister", 2,
     [(X, X_NONPAR, "G", None, ["0/1", "1", "0/0", "./."])], ["XD"]),
    # --- ungenotyped relatives (issue #16): unknown genotype, never hom-ref ------------------
    ("DN with an ungenotyped sibling and grandmother", "trio_ungenotyped_sib_grandma", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0"])], ["AD DN"]),
    ("AD from the father, ungenotyped relatives", "trio_ungenotyped_sib_grandma", 1,
     [("chr1", 1, "G", None, ["0/1", "0/1", "0/0"])], [""]),
    ("ARH with an ungenotyped unaffected sibling", "trio_ungenotyped_sib_grandma", 1,
     [("chr2", 1, "G", None, ["1/1", "0/1", "0/1"])], ["ARH"]),
    ("affected ungenotyped father does not veto AD", "ungenotyped_affected_father", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0"])], ["AD"]),
    ("affected ungenotyped father, unaffected mother carries", "ungenotyped_affected_father", 1,
     [("chr1", 1, "G", None, ["0/1", "0/1"])], [""]),
    ("ungenotyped unaffected father: AD but no de novo", "ungenotyped_unaffected_father", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0"])], ["AD"]),
    ("ungenotyped father: X de novo not called", "ungenotyped_unaffected_father", 2,
     [(X, X_NONPAR, "G", None, ["0/1", "0/0"])], ["XD"]),
    ("CH phased by the genotyped mother only", "ungenotyped_unaffected_father", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/0"])], ["CH:trans", "CH:trans"]),
    ("CH both from the genotyped mother (cis)", "ungenotyped_unaffected_father", 1,
     [("chr3", 1, "G", 0.01, ["0/1", "0/1"]), ("chr3", 2, "G", 0.01, ["0/1", "0/1"])], ["", ""]),
    ("male-to-male via an ungenotyped affected father rules out X", "ungenotyped_affected_father", 1,
     [(X, X_NONPAR, "G", None, ["1", "0/1"])], [""]),
    ("ungenotyped affected sibling does not veto", "ungenotyped_affected_sib", 1,
     [("chr1", 1, "G", None, ["0/1", "0/0", "0/0"])], ["AD DN"]),
    # --- mitochondrial and chrY ---------------------------------------------------------------
    ("MT singleton", "singleton", 1, [("chrM", 3243, "MT-TL1", None, ["1"])], ["MT"]),
    ("MT trio, unaffected relatives do not exclude", "trio", 1,
     [("chrM", 3243, "MT-TL1", 0.001, ["1", "0", "1"])], ["MT"]),
    ("MT too common", "singleton", 1, [("chrM", 3243, "MT-TL1", 0.005, ["1"])], [""]),
    ("chrY fits nothing", "singleton", 1, [("chrY", 3_000_000, "G", None, ["1"])], [""]),
]


def family_for(shape: str, sex: int, directory: Path):
    ped_text, samples = SHAPES[shape]
    if ped_text is None:
        return singleton("kid", sex), samples
    path = directory / f"{shape}_{sex}.ped"
    path.write_text(ped_text.format(sex=sex))
    return read_ped(path).family_of("kid"), samples


def segregation(rows, family, samples, options=None, with_hap=True) -> pd.DataFrame:
    geno = parse_genotypes([list(r[4]) for r in rows])
    chrom = np.array([r[0] for r in rows], dtype=object)
    pos = np.array([r[1] for r in rows])
    variants = variants_table(chrom, pos, geno.zygosity, phased=geno.phased, alt_hap=geno.alt_hap if with_hap else None,
                              gq=np.full(geno.zygosity.shape, 60))
    af = np.array([np.nan if r[3] is None else r[3] for r in rows])
    ann = annotations_table(np.arange(len(rows)), chrom, pos, np.array([r[2] for r in rows], dtype=object), af)
    table, _ = segregation_table(variants, samples, gene_rows(ann), family, "kid",
                                 options or InheritanceOptions(), "GRCh38")
    return table.to_pandas().set_index("variant_idx")


def observed(seg: pd.DataFrame, i: int) -> str:
    if i not in seg.index:
        return ""
    row = seg.loc[i]
    flags = [short for short, col in _FLAGS.items() if row[col]]
    return " ".join(f"CH:{row['comphet_phase']}" if f == "CH" else f for f in flags)


@pytest.mark.parametrize("name, shape, sex, rows, expect", CASES, ids=[c[0] for c in CASES])
def test_mode_by_family_shape(tmp_path, name, shape, sex, rows, expect):
    family, samples = family_for(shape, sex, tmp_path)
    seg = segregation(rows, family, samples)
    assert [observed(seg, i) for i in range(len(rows))] == expect


def test_phase_sets_without_the_alt_haplotype_fall_back_to_parents(tmp_path):
    family, samples = family_for("singleton", 1, tmp_path)
    rows = [("chr3", 1, "G", 0.01, ["0|1"]), ("chr3", 2, "G", 0.01, ["1|0"])]
    seg = segregation(rows, family, samples, with_hap=False)
    assert [observed(seg, i) for i in range(2)] == ["CH:possible", "CH:possible"]


def test_comphet_partner_is_the_rarest_in_trans(tmp_path):
    family, samples = family_for("trio", 1, tmp_path)
    rows = [("chr3", 1, "G", 0.01, ["0/1", "0/1", "0/0"]),     # from dad
            ("chr3", 2, "G", 0.01, ["0/1", "0/0", "0/1"]),     # from mum
            ("chr3", 3, "G", 0.0001, ["0/1", "0/0", "0/1"]),   # from mum, rarer
            ("chr3", 4, "G", 0.001, ["0/1", "./.", "./."])]    # unknown origin: only 'possible'
    seg = segregation(rows, family, samples)
    assert seg["comphet_partner_idx"].to_dict() == {0: 2, 1: 0, 2: 0, 3: 2}
    assert seg["comphet_phase"].to_dict() == {0: "trans", 1: "trans", 2: "trans", 3: "possible"}


# --- properties ------------------------------------------------------------------------------

_GTS = st.sampled_from(["./.", "0/0", "0/1", "1/1"])
_AF = st.sampled_from([None, 0.0005, 0.01, 0.3])
_TMP = Path(tempfile.mkdtemp(prefix="vp_inheritance_"))


@st.composite
def trio_rows(draw):
    n = draw(st.integers(1, 6))
    return [("chr%d" % draw(st.integers(1, 2)), 100 + i, draw(st.sampled_from(["G", "H"])), draw(_AF),
             [draw(st.sampled_from(["0/1", "1/1"])), draw(_GTS), draw(_GTS)]) for i in range(n)]


def _calls(seg: pd.DataFrame) -> pd.DataFrame:
    cols = list(_FLAGS.values()) + ["comphet_phase"]
    return seg.reset_index().set_index(["variant_idx", "gene_symbol"])[cols].sort_index()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=trio_rows())
def test_swapping_parents_never_changes_an_autosomal_call(rows):
    family, samples = family_for("trio", 1, _TMP)
    swapped = [(c, p, g, af, [gts[0], gts[2], gts[1]]) for c, p, g, af, gts in rows]
    before, after = _calls(segregation(rows, family, samples)), _calls(segregation(swapped, family, samples))
    pd.testing.assert_frame_equal(before, after)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=trio_rows(), sib=st.lists(_GTS, min_size=6, max_size=6))
def test_an_unaffected_sibling_never_makes_a_variant_pass(rows, sib):
    trio, trio_samples = family_for("trio", 1, _TMP)
    quartet, quartet_samples = family_for("quartet_unaffected_sib", 1, _TMP)
    with_sib = [(c, p, g, af, gts + [sib[i]]) for i, (c, p, g, af, gts) in enumerate(rows)]
    before = _calls(segregation(rows, trio, trio_samples))
    after = _calls(segregation(with_sib, quartet, quartet_samples))
    for col in _FLAGS.values():
        assert not (after[col] & ~before[col]).any(), col
    trans_after = after["comphet_phase"] == "trans"
    assert not (trans_after & (before["comphet_phase"] != "trans")).any()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=trio_rows(), hide=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 2)), max_size=4))
def test_missing_relative_calls_never_exclude(rows, hide):
    """Replacing a parent's call by ./. keeps every fit (de novo aside: it needs both parents called)."""
    family, samples = family_for("trio", 1, _TMP)
    masked = [list(r[4]) for r in rows]
    for i, member in hide:
        if i < len(masked):
            masked[i][member] = "./."
    before = _calls(segregation(rows, family, samples))
    after = _calls(segregation([(c, p, g, af, m) for (c, p, g, af, _), m in zip(rows, masked)], family, samples))
    for col in set(_FLAGS.values()) - {"de_novo"}:
        assert not (before[col] & ~after[col]).any(), col


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=trio_rows())
def test_comphet_partners_are_compound_het_rows_of_the_same_gene(rows):
    family, samples = family_for("trio", 1, _TMP)
    seg = segregation(rows, family, samples).reset_index()
    fits = set(zip(seg.loc[seg["fits_ar_comphet"], "variant_idx"], seg.loc[seg["fits_ar_comphet"], "gene_symbol"]))
    for _, row in seg[seg["fits_ar_comphet"]].iterrows():
        assert row["comphet_partner_idx"] != row["variant_idx"]
        assert (row["comphet_partner_idx"], row["gene_symbol"]) in fits
    assert seg.loc[~seg["fits_ar_comphet"], "comphet_partner_idx"].isna().all()
