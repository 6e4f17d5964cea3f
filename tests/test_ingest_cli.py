"""Bad input through `variantprio ingest`: exit code 2, one line naming the file, no output left."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pysam
import pytest
from click.testing import CliRunner

from conftest import write_vcf
from variantprio.cli import main

GOOD = ["chr1 100 . A G 50 PASS . GT:AD:DP:GQ 0/1:5,5:10:50 0/0:9,0:9:50",
        "chr1 200 . C T 50 PASS . GT:AD:DP:GQ 0/1:5,5:10:50 0/1:9,3:12:50"]


def run_ingest(tmp_path: Path, vcf: Path, *extra: str):
    out = tmp_path / "out" / "variants.parquet"
    result = CliRunner().invoke(main, ["ingest", "--vcf", str(vcf), "--out", str(out), *extra])
    return result, out


def assert_clean_failure(result, out: Path, vcf: Path, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("variantprio: error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert vcf.name in errors[0]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert not out.exists()
    assert not list(out.parent.glob("*")) if out.parent.exists() else True  # no temp file left


def test_good_input_succeeds(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", GOOD)
    result, out = run_ingest(tmp_path, vcf, "--build", "GRCh38", "--min-gq", "20")
    assert result.exit_code == 0, result.stderr
    assert out.exists() and "2 variants from 2 records" in result.stdout


@pytest.mark.parametrize("form", ["vcf.gz", "bcf"])
def test_truncated_bgzip(tmp_path, form):
    vcf = write_vcf(tmp_path / "in.vcf", GOOD)
    packed = tmp_path / f"in.{form}"
    subprocess.run(["bcftools", "view", "-Ob" if form == "bcf" else "-Oz", "-o", str(packed), str(vcf)], check=True)
    data = packed.read_bytes()
    packed.write_bytes(data[: len(data) - 40])
    result, out = run_ingest(tmp_path, packed)
    assert_clean_failure(result, out, packed, "truncated bgzip")


def test_truncated_plain_gzip(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", [f"chr1 {100 + i} . A G 50 PASS . GT 0/1 0/1" for i in range(3000)])
    gz = tmp_path / "in.vcf.gz"
    data = gzip.compress(vcf.read_bytes())
    gz.write_bytes(data[: len(data) // 2])
    result, out = run_ingest(tmp_path, gz)
    assert_clean_failure(result, out, gz, "truncated or corrupt compressed file")


def test_missing_chrom_header(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", [], samples=("S1",))
    header = vcf.read_text().splitlines(keepends=True)
    vcf.write_text("".join(header[:-1]) + "chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n")  # no #CHROM line
    result, out = run_ingest(tmp_path, vcf)
    assert_clean_failure(result, out, vcf, "missing the #CHROM header line")


@pytest.mark.parametrize("record,fragment", [
    ("chr1 300 . A G 50 PASS . GT:AD 0/1:5,5", "wrong column count: 10"),
    ("chr1 300 . A G 50", "wrong column count: 6"),
    ("chr1 3e2 . A G 50 PASS . GT 0/1 0/1", "non-numeric POS '3e2'"),
])
def test_malformed_records(tmp_path, record, fragment):
    vcf = write_vcf(tmp_path / "in.vcf", GOOD + [record])
    result, out = run_ingest(tmp_path, vcf)
    assert_clean_failure(result, out, vcf, fragment, "line ")


def test_unsorted_input(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", GOOD + ["chr1 150 . A G 50 PASS . GT 0/1 0/1"])
    result, out = run_ingest(tmp_path, vcf)
    assert_clean_failure(result, out, vcf, "unsorted input: chr1:150 comes after chr1:200", "record 3")
    vcf = write_vcf(tmp_path / "in2.vcf", ["chr1 100 . A G 50 PASS . GT 0/1 0/1",
                                            "chrX 100 . A G 50 PASS . GT 0/1 0/1",
                                            "chr1 300 . A G 50 PASS . GT 0/1 0/1"])
    result, out = run_ingest(tmp_path, vcf)
    assert_clean_failure(result, out, vcf, "contig chr1 appears again")


def test_unsorted_across_batches(tmp_path):
    records = [f"chr1 {100 + i} . A G 50 PASS . GT 0/1 0/1" for i in range(30)] + \
              ["chr1 5 . A G 50 PASS . GT 0/1 0/1"]
    vcf = write_vcf(tmp_path / "in.vcf", records)
    from variantprio.errors import InputError
    from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs
    from variantprio.ingest import run as ingest_run
    with pytest.raises(InputError, match="record 31: unsorted"):
        ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), IngestOptions(batch_size=7))
    assert not (tmp_path / "o.parquet").exists()


def test_ref_mismatch_with_fasta(tmp_path):
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 100 + "\n")
    pysam.faidx(str(fasta))
    vcf = write_vcf(tmp_path / "in.vcf", GOOD)  # pos 100 is T in ACGT repeats, REF says A
    result, out = run_ingest(tmp_path, vcf, "--fasta", str(fasta))
    assert_clean_failure(result, out, vcf, "REF A at chr1:100 does not match the FASTA (T)", "record 1")


def test_build_mismatch(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", GOOD, build="GRCh37")
    result, out = run_ingest(tmp_path, vcf, "--build", "GRCh38")
    assert_clean_failure(result, out, vcf, "genome build mismatch", "--build GRCh37")


def test_sample_mismatch(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", GOOD)
    result, out = run_ingest(tmp_path, vcf, "--samples", "s1,S3")
    assert_clean_failure(result, out, vcf, "s1 not in the VCF (did you mean S1?)", "S3 not in the VCF")


def test_empty_vcf_is_valid(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", [])
    result, out = run_ingest(tmp_path, vcf)
    assert result.exit_code == 0 and out.exists()


def test_missing_file_and_not_a_vcf(tmp_path):
    result, out = run_ingest(tmp_path, tmp_path / "nope.vcf")
    assert_clean_failure(result, out, tmp_path / "nope.vcf", "not found")
    junk = tmp_path / "junk.vcf.gz"
    junk.write_bytes(gzip.compress(b"hello\nworld\n"))
    result, out = run_ingest(tmp_path, junk)
    assert_clean_failure(result, out, junk, "#CHROM")


def test_subprocess_stderr_is_one_line(tmp_path):
    """htslib's own C-level messages must not leak next to ours."""
    vcf = write_vcf(tmp_path / "in.vcf", GOOD + ["chr1 3e2 . A G 50 PASS . GT 0/1 0/1"])
    proc = subprocess.run(["variantprio", "ingest", "--vcf", str(vcf), "--out", str(tmp_path / "o.parquet")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    problem_lines = [l for l in proc.stderr.splitlines() if "INFO" not in l]
    bad_line = next(i for i, line in enumerate(vcf.read_text().splitlines(), 1) if "\t3e2\t" in line)
    assert problem_lines == [f"variantprio: error: {vcf}:line {bad_line}: non-numeric POS '3e2' "
                             "(fix: POS must be a positive integer (1-based position))"]


@pytest.mark.parametrize("reader", ["arrow", "cyvcf2"])
@pytest.mark.parametrize("record,fragment", [
    ("chr1 300 . A G 50 PASS . GT:AD 0/1:5,5", "line 21: wrong column count: 10"),
    ("chr1 3e2 . A G 50 PASS . GT 0/1 0/1", "line 21: non-numeric POS '3e2'"),
])
def test_both_readers_name_the_bad_line(tmp_path, reader, record, fragment):
    from variantprio.errors import InputError
    from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs
    from variantprio.ingest import run as ingest_run
    vcf = write_vcf(tmp_path / "in.vcf", GOOD + [record])
    with pytest.raises(InputError) as err:
        ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), IngestOptions(reader=reader))
    assert fragment in err.value.one_line()
    assert not (tmp_path / "o.parquet").exists()
