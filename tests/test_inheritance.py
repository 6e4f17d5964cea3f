"""Inheritance stage: PED parsing, the basic modes, the CLI (tiny tables written in each test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from variantprio.cli import main
from variantprio.errors import InputError
from variantprio.inheritance import InheritanceInputs, InheritanceOptions, InheritanceOutputs, check_samples, read_ped
from variantprio.inheritance import run as inheritance_run
from variantprio.inheritance.synthetic import annotations_table, parse_genotypes, variants_table, write_tables
from variantprio.tables import read_table

TRIO_PED = "FAM1 kid dad mum 1 2\nFAM1 dad 0 0 1 1\nFAM1 mum 0 0 2 1\n"


def run_family(tmp_path: Path, samples: list[str], rows: list[tuple], ped: str | None = None,
               proband: str = "kid", gq: list[list[int]] | None = None, ps: list[list[int]] | None = None,
               options: InheritanceOptions | None = None, with_hap: bool = True) -> pd.DataFrame:
    """rows: (chrom, pos, gene, af or None, [GT per sample]); returns segregation rows by variant_idx."""
    geno = parse_genotypes([list(r[4]) for r in rows])
    chrom = np.array([r[0] for r in rows], dtype=object)
    pos = np.array([r[1] for r in rows])
    variants = variants_table(chrom, pos, geno.zygosity, phased=geno.phased,
                              gq=None if gq is None else np.array(gq),
                              ps=None if ps is None else np.array(ps),
                              alt_hap=geno.alt_hap if with_hap else None)
    af = np.array([np.nan if r[3] is None else r[3] for r in rows])
    annotations = annotations_table(np.arange(len(rows)), chrom, pos, np.array([r[2] for r in rows], dtype=object), af)
    v, a = write_tables(tmp_path, samples, variants, annotations)
    ped_path = None
    if ped is not None:
        ped_path = tmp_path / "family.ped"
        ped_path.write_text(ped)
    out = tmp_path / "segregation.parquet"
    inheritance_run(InheritanceInputs(v, a, proband, ped_path), InheritanceOutputs(out), options or InheritanceOptions())
    table, _ = read_table(out, "segregation")
    return table.to_pandas().set_index("variant_idx")


# --- PED -------------------------------------------------------------------------------------

def test_read_ped_families_header_and_implicit_parents(tmp_path):
    ped = tmp_path / "x.ped"
    ped.write_text("#FID\tIID\tPAT\tMAT\tSEX\tPHENO\n"
                   "F1\tkid\tdad\tmum\t2\t2\nF1 dad 0 0 1 1\nF1 mum 0 0 2 -9\n"
                   "F2 solo 0 0 0 0\nF3 c1 f3dad GRANDMA 1 2\n")
    pedigree = read_ped(ped)
    assert list(pedigree.families) == ["F1", "F2", "F3"]
    fam = pedigree.family_of("kid")
    assert fam.family_id == "F1" and fam["kid"].father == "dad" and fam["kid"].sex == 2
    assert fam["kid"].affected is True and fam["dad"].affected is False and fam["mum"].affected is None
    assert pedigree.member("solo").sex == 0 and pedigree.member("solo").affected is None
    f3 = pedigree.family_of("c1")
    assert f3["GRANDMA"].sex == 2 and f3["GRANDMA"].line is None and f3["f3dad"].sex == 1
    with pytest.raises(InputError, match="KID not in the PED .*did you mean kid"):
        pedigree.family_of("KID")


@pytest.mark.parametrize("text, message", [
    ("F1 kid dad mum 1\n", r"line 1: PED line has 5 columns, expected 6"),
    ("F1 kid dad mum 1 2 extra\n", r"line 1: PED line has 7 columns"),
    ("F1 kid 0 0 1 2\nF1 kid 0 0 1 2\n", r"line 2: duplicate individual ID kid \(also on line 1"),
    ("F1 kid 0 0 1 2\nF2 kid 0 0 1 2\n", r"line 2: duplicate individual ID kid"),
    ("F1 kid dad mum 1 2\nF1 dad 0 0 2 1\nF1 mum 0 0 2 1\n", r"line 1: dad is the father of kid but is female"),
    ("F1 kid dad mum 1 2\nF1 dad 0 0 1 1\nF1 mum 0 0 1 1\n", r"mum is the mother of kid but is male"),
    ("F1 a b 0 1 2\nF1 b a 0 1 1\n", r"pedigree cycle: .*a -> b -> a|pedigree cycle: .*b -> a -> b"),
    ("F1 a a 0 1 2\n", r"pedigree cycle"),
    ("F1 kid 0 0 3 2\n", r"line 1: sex '3' not understood"),
    ("F1 kid 0 0 1 0.7\n", r"phenotype '0.7' not understood"),
    ("F1 kid p p 1 2\n", r"p as both father and mother"),
    ("F1 kid dad 0 1 2\nF2 dad 0 0 1 1\n", r"parent dad of kid is in family F2"),
    ("# only a comment\n", r"no individuals"),
])
def test_ped_errors_name_file_and_line(tmp_path, text, message):
    ped = tmp_path / "bad.ped"
    ped.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_ped(ped)
    assert str(ped) in err.value.one_line()


def test_check_samples_lists_every_mismatch_with_suggestions(tmp_path):
    ped = tmp_path / "f.ped"
    ped.write_text("F1 NA12878 NA12891 NA12892_1 2 2\nF1 NA12891 0 0 1 1\nF1 NA12892_1 0 0 2 1\n"
                   "F2 other 0 0 1 2\n")
    pedigree = read_ped(ped)
    check_samples(pedigree, ["NA12878", "NA12891", "NA12892_1", "zz"], ["NA12878"])  # all present
    with pytest.raises(InputError) as err:
        check_samples(pedigree, ["na12878", "NA12891", "NA12892"], ["NA12878", "P9"])
    text = err.value.one_line()
    assert "NA12878 not in the VCF (did you mean na12878?)" in text
    assert "NA12892_1 not in the VCF (did you mean NA12892?)" in text
    assert "P9 not in the PED" in text and "other" not in text
    # A parent named only in a child's line is an ungenotyped founder, never required.
    ped.write_text("F1 kid dad granny_only_named 1 2\nF1 dad 0 0 1 1\n")
    check_samples(read_ped(ped), ["kid", "dad"], ["kid"])
    ped.write_text("F1 NA12878 NA12891 NA12892_1 2 2\nF1 NA12891 0 0 1 1\nF1 NA12892_1 0 0 2 1\n")
    pedigree = read_ped(ped)
    # Ungenotyped relatives are allowed when asked, unless a VCF sample looks like their misspelling.
    check_samples(pedigree, ["NA12878", "NA12891"], ["NA12878"], allow_ungenotyped=True)
    with pytest.raises(InputError, match="NA12892_1 not in the VCF .*NA12892"):
        check_samples(pedigree, ["NA12878", "NA12891", "NA12892"], ["NA12878"], allow_ungenotyped=True)


# --- modes -----------------------------------------------------------------------------------

def test_trio_modes_de_novo_recessive_comphet(tmp_path):
    s = ["kid", "dad", "mum"]
    rows = [
        ("chr1", 100, "DN", None, ["0/1", "0/0", "0/0"]),      # 0 de novo
        ("chr1", 200, "INH", 0.0001, ["0/1", "0/1", "0/0"]),   # 1 from unaffected dad: not AD
        ("chr2", 300, "HOM", 0.0005, ["1/1", "0/1", "0/1"]),   # 2 AR hom
        ("chr3", 400, "CH", 0.01, ["0/1", "0/1", "0/0"]),      # 3 comphet from dad
        ("chr3", 500, "CH", 0.005, ["0/1", "0/0", "0/1"]),     # 4 comphet from mum
        ("chr4", 600, "CIS", 0.01, ["0/1", "0/1", "0/0"]),     # 5 both from dad: cis
        ("chr4", 700, "CIS", 0.01, ["0/1", "0/1", "0/0"]),     # 6
        ("chr5", 800, "COMMON", 0.2, ["0/1", "0/0", "0/0"]),   # 7 too common for any mode
        ("chr6", 900, "NOTCARRIED", None, ["0/0", "0/1", "0/0"]),  # 8 proband hom-ref: no row
    ]
    seg = run_family(tmp_path, s, rows, TRIO_PED)
    assert 8 not in seg.index
    assert seg.loc[0, "fits_ad"] and seg.loc[0, "de_novo"]
    assert not seg.loc[1, "fits_ad"] and not seg.loc[1, "de_novo"]
    assert seg.loc[2, "fits_ar_hom"] and not seg.loc[2, "fits_ad"]
    assert seg.loc[3, "fits_ar_comphet"] and seg.loc[3, "comphet_partner_idx"] == 4
    assert seg.loc[4, "comphet_partner_idx"] == 3 and seg.loc[4, "comphet_phase"] == "trans"
    assert not seg.loc[5, "fits_ar_comphet"] and not seg.loc[6, "fits_ar_comphet"]
    assert not seg.loc[7, ["fits_ad", "de_novo", "fits_ar_hom", "fits_ar_comphet"]].any()


def test_singleton_without_ped(tmp_path):
    rows = [("chr1", 100, "G1", None, ["0/1"]), ("chr1", 200, "G1", 0.001, ["0/1"]),
            ("chrX", 5_000_000, "XG", None, ["1"]), ("chrM", 3243, "MT-TL1", None, ["1"])]
    seg = run_family(tmp_path, ["kid"], rows, None)
    assert seg.loc[0, "fits_ad"] and not seg.loc[0, "de_novo"]
    assert seg.loc[0, "comphet_phase"] == "possible" and seg.loc[1, "comphet_partner_idx"] == 0
    assert seg.loc[2, "fits_xr"] and seg.loc[2, "fits_xd"] and not seg.loc[2, "fits_ad"]
    assert seg.loc[3, "fits_mt"] and not seg.loc[3, "fits_ad"]


def test_de_novo_needs_confident_parents(tmp_path):
    rows = [("chr1", 100, "G1", None, ["0/1", "0/0", "0/0"])]
    seg = run_family(tmp_path, ["kid", "dad", "mum"], rows, TRIO_PED, gq=[[60, 60, 10]])
    assert seg.loc[0, "fits_ad"] and not seg.loc[0, "de_novo"]


def test_multi_family_vcf_uses_only_the_probands_family(tmp_path):
    ped = TRIO_PED + "FAM2 other 0 0 2 1\n"
    # "other" (another family, unaffected) carries the variant: irrelevant for kid.
    rows = [("chr1", 100, "G1", None, ["0/1", "0/0", "0/0", "0/1"])]
    seg = run_family(tmp_path, ["kid", "dad", "mum", "other"], rows, ped)
    assert seg.loc[0, "de_novo"] and seg.loc[0, "fits_ad"]


def test_cli_runs_and_reports_input_errors(tmp_path):
    geno = parse_genotypes([["0/1", "0/0", "0/0"]])
    chrom, pos = np.array(["chr1"], dtype=object), np.array([100])
    v, a = write_tables(tmp_path, ["kid", "dad", "mum"], variants_table(chrom, pos, geno.zygosity),
                        annotations_table(np.array([0]), chrom, pos, np.array(["G1"], dtype=object)))
    ped = tmp_path / "f.ped"
    ped.write_text(TRIO_PED)
    out = tmp_path / "seg.parquet"
    runner = CliRunner()
    result = runner.invoke(main, ["inheritance", "--variants", str(v), "--annotations", str(a), "--proband", "kid",
                                  "--ped", str(ped), "--max-af-ad", "0.0001", "--max-af-ar-hom", "0.0001",
                                  "--max-af-comphet", "0.01", "--max-af-mt", "0.001", "--min-parent-gq", "30",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    table, prov = read_table(out, "segregation")
    assert table.column("de_novo").to_pylist() == [True] and prov.extra["options"]["min_parent_gq"] == 30
    bad = runner.invoke(main, ["inheritance", "--variants", str(v), "--annotations", str(a), "--proband", "KID",
                               "--ped", str(ped), "--out", str(tmp_path / "bad.parquet")])
    assert bad.exit_code == 2 and "KID not in the PED (did you mean kid?)" in bad.output
    assert not (tmp_path / "bad.parquet").exists()
    swapped = runner.invoke(main, ["inheritance", "--variants", str(a), "--annotations", str(v), "--proband", "kid",
                                   "--out", str(tmp_path / "bad.parquet")])
    assert swapped.exit_code == 2 and "expected a 'variants' table" in swapped.output


def test_input_errors_leave_no_output(tmp_path):
    geno = parse_genotypes([["0/1", "0/0", "0/0"], ["1/1", "0/1", "0/1"]])
    chrom, pos = np.array(["chr1", "chr2"], dtype=object), np.array([100, 200])
    variants = variants_table(chrom, pos, geno.zygosity)
    v, a = write_tables(tmp_path, ["kid", "dad", "mum"], variants,
                        annotations_table(np.array([0, 1]), chrom, np.array([100, 999]), np.array(["G", "H"], dtype=object)))
    out = tmp_path / "seg.parquet"
    with pytest.raises(InputError, match=r"1 annotation rows do not match .*chr2:999 vs chr2:200"):
        inheritance_run(InheritanceInputs(v, a, "kid"), InheritanceOutputs(out))
    a2 = write_tables(tmp_path / "b", ["kid", "dad", "mum"], variants,
                      annotations_table(np.array([0, 1]), chrom, pos, np.array(["G", "H"], dtype=object)))[1]
    with pytest.raises(InputError, match="Kid not in the VCF samples .*did you mean kid"):
        inheritance_run(InheritanceInputs(v, a2, "Kid"), InheritanceOutputs(out))
    ped = tmp_path / "typo.ped"
    ped.write_text("FAM1 kid dad MUM 1 2\nFAM1 dad 0 0 1 1\nFAM1 MUM 0 0 2 1\n")
    with pytest.raises(InputError, match="MUM not in the VCF .*did you mean mum"):
        inheritance_run(InheritanceInputs(v, a2, "kid", ped), InheritanceOutputs(out))
    with pytest.raises(InputError, match="max-af-ad 2.0 is not a frequency"):
        inheritance_run(InheritanceInputs(v, a2, "kid"), InheritanceOutputs(out), InheritanceOptions(max_af_ad=2.0))
    assert not out.exists()
    # An ungenotyped grandparent is fine: missing genotypes never exclude.
    ped.write_text(TRIO_PED + "FAM1 granny 0 0 2 2\n")
    inheritance_run(InheritanceInputs(v, a2, "kid", ped), InheritanceOutputs(out))
    assert read_table(out, "segregation")[0].column("de_novo").to_pylist() == [True, False]


def test_bench_command_reports_time_and_memory(tmp_path):
    result = CliRunner().invoke(main, ["bench", "inheritance", "--variants", "3000", "--keep", str(tmp_path),
                                       "--alt-haplotypes"])
    assert result.exit_code == 0, result.output
    assert "segregation of a 3,000-variant trio" in result.output and "peak RSS" in result.output
    table, prov = read_table(tmp_path / "segregation.parquet", "segregation")
    assert prov.samples == ["kid", "dad", "mum"] and table.num_rows > 1000
    assert 0 < sum(table.column("fits_ar_comphet").to_pylist()) < table.num_rows


@pytest.mark.parametrize("background, pair_fits", [("0/1", True), ("1", False)])
def test_sex_of_a_singleton_without_ped_is_told_from_chrx(tmp_path, background, pair_fits, caplog):
    """25 non-PAR chrX calls: hets make the proband female (X compound hets count), hemizygous
    calls male (two X hets are then no pair)."""
    rows = [("chrX", 10_000_000 + i, f"BG{i}", 0.5, [background]) for i in range(25)]
    rows += [("chrX", 5_000_000, "XG", 0.01, ["0/1"]), ("chrX", 5_000_100, "XG", 0.01, ["0/1"])]
    with caplog.at_level("INFO", logger="variantprio.inheritance"):
        seg = run_family(tmp_path, ["kid"], rows, None)
    assert bool(seg.loc[25, "fits_ar_comphet"]) is pair_fits
    assert ("female" if pair_fits else "male") + " from non-PAR chrX" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="variantprio.inheritance"):
        run_family(tmp_path, ["kid"], rows, "F kid 0 0 2 2\n" if background == "1" else "F kid 0 0 1 2\n")
    assert "PED sex is contradicted by non-PAR chrX genotypes" in caplog.text


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_gene_rows_streamed_in_batches_equal_the_whole_table(batch_rows):
    """The stage streams a genome's annotations: whatever the batches, the gene codes keep the order
    of first appearance and each variant x gene keeps its highest frequency (popmax, else AF)."""
    from variantprio.inheritance.segregate import collect_gene_rows, gene_rows

    af = np.array([np.nan, 1e-4, 0.02, np.nan, 0.3, 1e-5, np.nan, 0.001])
    table = annotations_table(np.array([3, 0, 3, 1, 0, 2, 2, 5]), np.array(["chrX", "chr2", "chrX", "chr2", "chr2",
                                                                              "chr1", "chr1", "chr1"]),
                              np.array([30, 10, 30, 11, 10, 20, 20, 50]),
                              np.array(["B", "A", "B", None, "C", "B", "B", None], dtype=object), af)
    whole = gene_rows(table)
    streamed, gene_less = collect_gene_rows(table.to_batches(max_chunksize=batch_rows), table.num_rows)
    assert gene_less == 2
    assert list(whole.names) == list(streamed.names) == ["B", "A", "C"]
    assert list(streamed.chrom_names) == ["chrX", "chr2", "chr1"]
    for field in ("variant_idx", "chrom", "pos", "gene", "freq"):
        np.testing.assert_array_equal(getattr(streamed, field), getattr(whole, field))
    rows = [(int(i), str(streamed.names[g]), None if np.isnan(f) else float(f))
            for i, g, f in zip(streamed.variant_idx, streamed.gene, streamed.freq)]
    assert rows == [(0, "A", 1e-4), (0, "C", 0.3), (2, "B", 1e-5), (3, "B", 0.02)]
