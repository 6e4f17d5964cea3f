"""VCF ingestion: hand-made VCF snippets for each normalisation case, through the real cyvcf2/htslib."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pysam
import pytest

from conftest import write_vcf
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs, vcf_build, vcf_sample_names
from variantprio.ingest import run as ingest_run
from variantprio.errors import InputError
from variantprio.tables import Provenance, read_table

READERS = ("arrow", "cyvcf2")  # the columnar reader, and cyvcf2 as the reference parser
_reader = {"name": "auto"}


@pytest.fixture(autouse=True, params=READERS)
def reader(request):
    """Every test in this module runs through both readers."""
    _reader["name"] = request.param
    yield request.param
    _reader["name"] = "auto"


def opts(**kwargs) -> IngestOptions:
    return IngestOptions(reader=_reader["name"], **kwargs)


def _samples(variants: Path) -> list[str]:
    return read_table(variants, "variants", columns=[])[1].samples


def ingest(tmp_path: Path, records: list[str], fasta: str | None = None, **options):
    vcf = write_vcf(tmp_path / "in.vcf", records)
    out = tmp_path / "out.parquet"
    summary = ingest_run(IngestInputs(vcf, fasta=fasta), IngestOutputs(out), opts(**options))
    table, _ = read_table(out, "variants")
    return table.to_pylist(), summary


def rows_by_alt(rows):
    return {(r["chrom"], r["pos"], r["ref"], r["alt"]): r for r in rows}


def test_multiallelic_split_remaps_genotypes_depths_and_annotations(tmp_path):
    rows, summary = ingest(tmp_path, [
        "chr1 100 rs1 A G,T 50 PASS CSQ=G|missense_variant|X,T|stop_gained|X;ANN=G|missense|X,T|stop|X "
        "GT:AD:DP:GQ 1/2:1,5,6:12:30 0/2:7,0,3:10:40",
    ])
    by = rows_by_alt(rows)
    g, t = by[("chr1", 100, "A", "G")], by[("chr1", 100, "A", "T")]
    assert g["gt"] == [1, 0] and g["zygosity"] == [1, 0]
    assert t["gt"] == [1, 1] and t["zygosity"] == [1, 1]
    assert g["ad_ref"] == [1, 7] and g["ad_alt"] == [5, 0] and t["ad_alt"] == [6, 3]
    assert g["info_csq"] == "G|missense_variant|X" and t["info_csq"] == "T|stop_gained|X"
    assert g["info_ann"] == "G|missense|X" and t["info_ann"] == "T|stop|X"
    assert [r["variant_idx"] for r in rows] == [0, 1]
    assert summary.counts["split_records"] == 1


def test_vep_allele_spelling_for_multiallelic_indels(tmp_path):
    rows, _ = ingest(tmp_path, [
        "chr1 100 . AT A,ATT 50 PASS CSQ=-|frameshift_variant|X,TT|frameshift_variant|Y GT 1/2 0/1",
    ])
    by = rows_by_alt(rows)
    assert by[("chr1", 100, "AT", "A")]["info_csq"] == "-|frameshift_variant|X"
    # 'AT>ATT' is trimmed to the inserted T after splitting
    assert by[("chr1", 100, "A", "AT")]["info_csq"] == "TT|frameshift_variant|Y"  # VEP drops the shared first base: ATT -> TT


def test_spanning_deletions_and_gvcf_blocks_are_dropped(tmp_path):
    rows, summary = ingest(tmp_path, [
        "chr1 100 . A <NON_REF> . . END=150 GT:AD 0/0:10,0 0/0:12,0",
        "chr1 200 . C T,<NON_REF> 30 . . GT:AD 0/1:5,5,0 0/0:9,0,0",
        "chr1 201 . G *,A 30 . . GT:AD 1/2:0,4,4 0/2:5,0,5",
        "chr1 300 . T <*> . . . GT 0/0 0/0",
    ])
    assert [(r["pos"], r["alt"]) for r in rows] == [(200, "T"), (201, "A")]
    assert rows[1]["gt"] == [1, 1] and rows[1]["ad_alt"] == [4, 5]
    assert summary.counts["dropped_spanning_deletion"] == 1
    assert summary.counts["dropped_gvcf_ref_block"] == 3


def test_symbolic_svs_are_kept_and_flagged(tmp_path):
    rows, summary = ingest(tmp_path, [
        "chr1 1000 sv1 N <DEL> 60 PASS SVTYPE=DEL;END=5000 GT 0/1 0/0",
        "chr1 6000 bnd1 G G]chrX:1000] 60 PASS SVTYPE=BND GT 0/1 0/0",
        "chr1 7000 . C A 60 PASS . GT 0/1 0/0",
    ])
    assert [(r["is_sv"], r["sv_end"]) for r in rows] == [(True, 5000), (True, 6000), (False, None)]
    assert summary.counts["sv_rows"] == 2


def test_haploid_calls_are_hemizygous_not_missing(tmp_path):
    rows, _ = ingest(tmp_path, [
        "chrX 5000000 . C T 50 PASS . GT:GQ 1:40 0/1:30",
        "chrY 3000000 . G A 50 PASS . GT 1 .",
        "chrM 100 . A G 50 PASS . GT 1 0",
    ])
    assert rows[0]["zygosity"] == [3, 1] and rows[0]["gt"] == [1, 1]
    assert rows[1]["zygosity"] == [3, -1] and rows[1]["gt"] == [1, -1]
    assert rows[2]["zygosity"] == [3, 0] and rows[2]["phased"] == [False, False]


def test_phase_and_missing_values(tmp_path):
    rows, _ = ingest(tmp_path, [
        "chr1 100 . A G 50 PASS . GT:DP:GQ:PS 0|1:20:50:95 ./.:.:.:.",
        "chr1 200 . A G 50 PASS . GT:DP 1|1:7 0/1",
    ])
    assert rows[0]["phased"] == [True, False] and rows[0]["ps"] == [95, None]
    assert rows[0]["zygosity"] == [1, -1] and rows[0]["dp"] == [20, None] and rows[0]["gq"] == [50, None]
    assert rows[1]["zygosity"] == [2, 1] and rows[1]["dp"] == [7, None]
    assert rows[0]["id"] is None and rows[0]["qual"] == 50.0 and rows[0]["filter"] == "PASS"


def test_trimming_without_fasta(tmp_path):
    rows, summary = ingest(tmp_path, [
        "chr1 100 . ATTT ATT,ATTTT,GTTT 50 PASS . GT 1/2 0/3",
    ])
    assert [(r["pos"], r["ref"], r["alt"]) for r in rows] == [
        (100, "AT", "A"), (100, "A", "AT"), (100, "A", "G")]
    assert summary.counts["trimmed"] == 3


def _fasta(tmp_path: Path, seq: str, name: str = "chr1") -> Path:
    path = tmp_path / "ref.fa"
    path.write_text(f">{name}\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    pysam.faidx(str(path))
    return path


REF_SEQ = "GATTACA" * 3 + "CCAAAAAAG" + "TGCATGCA" * 20  # poly-A run at positions 24..29


def test_left_alignment_with_fasta(tmp_path):
    fasta = _fasta(tmp_path, REF_SEQ)
    assert REF_SEQ[23:29] == "AAAAAA"
    rows, summary = ingest(tmp_path, [
        "chr1 28 . AA A 50 PASS . GT 0/1 0/0",  # deletes one A of the run: leftmost is pos 23 (C)
        "chr1 29 . A AA 50 PASS . GT 0/1 0/0",  # insertion of A: same shift
        "chr1 31 . T C 50 PASS . GT 0/1 0/0",   # SNV: untouched
    ], fasta=str(fasta), build="GRCh38")
    assert [(r["pos"], r["ref"], r["alt"]) for r in rows] == [(23, "CA", "C"), (23, "C", "CA"), (31, "T", "C")]
    assert summary.counts["left_aligned"] == 2


def test_ref_mismatch_against_fasta(tmp_path):
    fasta = _fasta(tmp_path, REF_SEQ)
    with pytest.raises(InputError, match=r"REF T at chr1:2 does not match the FASTA \(A\)"):
        ingest(tmp_path, ["chr1 1 . G A 50 PASS . GT 0/1 0/0", "chr1 2 . T C 50 PASS . GT 0/1 0/0"],
               fasta=str(fasta))
    assert not (tmp_path / "out.parquet").exists()


def test_quality_filters_are_counted(tmp_path):
    records = [
        "chr1 100 . A G 50 LowQual . GT:AD:DP:GQ 0/1:5,5:10:50 0/0:9,0:9:50",   # FILTER
        "chr1 200 . A G 50 PASS . GT:AD:DP:GQ 0/1:5,5:10:10 0/0:9,0:9:50",      # GQ 10 < 20
        "chr1 300 . A G 50 PASS . GT:AD:DP:GQ 0/1:2,2:4:50 0/0:9,0:9:50",       # DP 4 < 8
        "chr1 400 . A G 50 PASS . GT:AD:DP:GQ 0/1:18,2:20:50 0/0:9,0:9:50",     # AB 0.1 < 0.25
        "chr1 500 . A G 50 PASS . GT:AD:DP:GQ 0/0:10,0:10:50 ./.:.:.:.",        # nobody carries G
        "chr1 600 . A G 50 . . GT:AD:DP:GQ 1/1:0,20:20:50 0/1:10,10:20:10",     # kept (S1 passes)
    ]
    rows, summary = ingest(tmp_path, records, min_gq=20, min_dp=8, min_ab=0.25)
    assert [r["pos"] for r in rows] == [600]
    c = summary.counts
    assert (c["dropped_filter"], c["dropped_low_gq"], c["dropped_low_dp"], c["dropped_low_allele_balance"],
            c["dropped_no_alt_call"]) == (1, 1, 1, 1, 1)
    rows, _ = ingest(tmp_path, records, pass_only=False)
    assert [r["pos"] for r in rows] == [100, 200, 300, 400, 600]


def test_chromosome_names_are_harmonised(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", ["1 100 . A G 50 PASS . GT 0/1", "MT 50 . C T 50 PASS . GT 1"],
                    samples=("S1",), contigs={"1": 249250621, "MT": 16569})
    ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), opts())
    table, prov = read_table(tmp_path / "o.parquet", "variants")
    assert table.column("chrom").to_pylist() == ["chr1", "chrM"]
    assert prov.genome_build == "GRCh37"


def test_provenance_records_samples_build_formats_and_counts(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", ["chr1 100 . A G 50 PASS . GT 0/1 0/1 1/1"], samples=("P", "M", "F"))
    out = tmp_path / "o.parquet"
    ingest_run(IngestInputs(vcf), IngestOutputs(out), opts(samples=("F", "P")))
    table, prov = read_table(out, "variants")
    assert prov.samples == ["P", "F"] and table.column("gt").to_pylist() == [[1, 2]]
    assert prov.genome_build == "GRCh38"
    assert prov.extra["info_formats"] == {"CSQ": "Allele|Consequence|SYMBOL", "ANN": "Allele|Annotation|Gene_Name"}
    final = Provenance.from_metadata(pq.read_metadata(out).metadata)  # counts are known at close
    assert final.extra["counts"]["records"] == 1


def test_sample_checks_report_every_mismatch_with_suggestions(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", ["chr1 100 . A G 50 PASS . GT 0/1 0/1 1/1"],
                    samples=("NA12878", "NA12891", "NA12892"))
    ped = tmp_path / "fam.ped"
    ped.write_text("F1 na12878 NA12891 NA12892_1 2 2\nF1 NA12891 0 0 1 1\nF1 NA12892_1 0 0 2 1\n")
    with pytest.raises(InputError) as err:
        ingest_run(IngestInputs(vcf, ped=str(ped)), IngestOutputs(tmp_path / "o.parquet"), opts())
    message = err.value.one_line()
    assert "na12878 not in the VCF (did you mean NA12878?)" in message
    assert "NA12892_1 not in the VCF (did you mean NA12892?)" in message
    with pytest.raises(InputError, match="NA12879 not in the VCF .*NA12878"):
        ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), opts(samples=("NA12879",)))
    ped.write_text("F1 NA12878 NA12891 GRANDMA 2 2\nF1 NA12891 0 0 1 1\n")
    ingest_run(IngestInputs(vcf, ped=str(ped)), IngestOutputs(tmp_path / "o.parquet"), opts())
    assert _samples(tmp_path / "o.parquet") == ["NA12878", "NA12891"]  # PED restricts; ungenotyped GRANDMA is fine


def test_multi_family_ped_selects_this_vcfs_family(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", ["chr1 100 . A G 50 PASS . GT 0/1 0/1 1/1"],
                    samples=("F1-mother", "F1-father", "F1-child"))
    ped = tmp_path / "all.ped"
    ped.write_text("#family\tindividual\tfather\tmother\tsex\tphenotype\n"
                   "F1 F1-child F1-father F1-mother 1 2\nF1 F1-father 0 0 1 1\nF1 F1-mother 0 0 2 1\n"
                   "F2 F2-child F2-father F2-mother 2 2\nF2 F2-father 0 0 1 1\nF2 F2-mother 0 0 2 1\n")
    ingest_run(IngestInputs(vcf, ped=str(ped)), IngestOutputs(tmp_path / "o.parquet"), opts())
    assert _samples(tmp_path / "o.parquet") == ["F1-mother", "F1-father", "F1-child"]
    ped.write_text("F1 f1-child F1-FATHER F1-MOTHER 1 2\nF1 F1-FATHER 0 0 1 1\nF1 F1-MOTHER 0 0 2 1\n")
    with pytest.raises(InputError) as err:
        ingest_run(IngestInputs(vcf, ped=str(ped)), IngestOutputs(tmp_path / "o.parquet"), opts())
    assert all(f"{a} not in the VCF (did you mean {b}?)" in err.value.one_line() for a, b in
               [("f1-child", "F1-child"), ("F1-FATHER", "F1-father"), ("F1-MOTHER", "F1-mother")])


def test_build_checks_and_inference(tmp_path, caplog):
    grch37 = write_vcf(tmp_path / "b37.vcf", ["chr1 100 . A G 50 PASS . GT 0/1 0/1"], build="GRCh37")
    assert vcf_build(grch37) == "GRCh37"
    with pytest.raises(InputError, match="genome build mismatch: chr1 has length 249250621"):
        ingest_run(IngestInputs(grch37), IngestOutputs(tmp_path / "o.parquet"), opts(build="GRCh38"))
    bare = write_vcf(tmp_path / "bare.vcf", ["1 100 . A G . . ."], samples=(), contigs=(),
                     meta="##reference=file:///refs/hg19.fasta")
    assert vcf_build(bare) == "GRCh37" and vcf_sample_names(bare) == []
    lifted = write_vcf(tmp_path / "lifted.vcf", [], samples=(), contigs={"chr1": None},
                       meta="##reference=GRCh38 (lifted from GRCh37 by chain)")
    assert vcf_build(lifted) == "GRCh38"
    with pytest.raises(InputError, match="the header names GRCh37"):
        ingest_run(IngestInputs(bare), IngestOutputs(tmp_path / "o.parquet"), opts(build="GRCh38"))
    write_vcf(bare, ["1 100 . A G . . ."], samples=(), contigs=(), meta="")
    with caplog.at_level(logging.WARNING):
        summary = ingest_run(IngestInputs(bare), IngestOutputs(tmp_path / "o.parquet"), opts())
    assert read_table(tmp_path / "o.parquet", "variants")[1].genome_build == "GRCh38"
    assert "assuming GRCh38" in caplog.text
    assert summary.counts["rows"] == 1  # sites-only VCF: no samples, the variant is kept


def test_empty_vcf_gives_a_valid_empty_table(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", [])
    summary = ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), opts())
    table, prov = read_table(tmp_path / "o.parquet", "variants")
    assert table.num_rows == 0 and summary.counts["rows"] == 0 and prov.samples == ["S1", "S2"]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")
@pytest.mark.parametrize("form", ["vcf", "vcf.gz", "bcf", "vcf.gz+csi"])
def test_input_forms_give_identical_tables(tmp_path, form):
    records = ["chr1 100 rs1 A G,T 50 PASS CSQ=G|a|X,T|b|X GT:AD:DP:GQ 1/2:1,5,6:12:30 0|1:5,5,0:10:20",
               "chrX 200 . AT A 40 PASS . GT:AD:DP:GQ 1:0,3:3:9 0/1:4,4:8:30"]
    plain = write_vcf(tmp_path / "in.vcf", records)
    path = plain
    if form != "vcf":
        path = tmp_path / ("in.bcf" if form == "bcf" else "in.vcf.gz")
        fmt = "b" if form == "bcf" else "z"
        subprocess.run(["bcftools", "view", f"-O{fmt}", "-o", str(path), str(plain)], check=True)
        subprocess.run(["bcftools", "index", "-f"] + ([] if form.endswith("csi") else ["--tbi"] * (form == "vcf.gz"))
                       + [str(path)], check=True)
    ingest_run(IngestInputs(plain), IngestOutputs(tmp_path / "a.parquet"), opts())
    # BCF: through `bcftools view` or cyvcf2
    ingest_run(IngestInputs(path), IngestOutputs(tmp_path / "b.parquet"), opts())
    a, _ = read_table(tmp_path / "a.parquet", "variants")
    b, _ = read_table(tmp_path / "b.parquet", "variants")
    assert a.num_rows == 3 and a.equals(b)
    assert vcf_sample_names(path) == ["S1", "S2"]
