"""The columnar text reader against cyvcf2 (the reference parser) on awkward but valid VCFs."""

from __future__ import annotations

import gzip
import shutil

import pytest

from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs

from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table
from conftest import shared_data, write_vcf

ALTS_12 = ",".join(["C", "G", "T", "CA", "CG", "CT", "CAA", "CAG", "CAT", "CGA", "CGG", "CGT"])

AWKWARD = [
    f"chr1 100 . A {ALTS_12} 50 PASS . GT:AD 10/12:1,0,0,0,0,0,0,0,0,0,4,0,5 0/11:3,0,0,0,0,0,0,0,0,0,0,2,0",
    "chr1 200 . A G . . . GT:AD:DP 0/1/1:2,4:6 ./.:.,.:.",          # triploid, missing values
    "chr1 300 . A G 7.5 q10 . DP:GT 12:1|0 .:.",                      # GT not first in FORMAT
    "chr1 400 . A G 30 PASS . GQ:DP 20:5 30:6",                       # no GT at all
    "chr1 500 . A G 30 PASS . GT:GQ:DP:AD 0/1:99:20 1/1",             # trailing fields dropped
    "chr1 600 . A G 30 PASS . GT:AD:PS 0|1:3,4:599 1|0:5,6:599",
    "chr1 700 . A . 30 PASS . GT 0/0 0/0",                             # ALT '.': no variant
    "chr1 800 . A G 30 PASS . GT . 1",
    "chrX 900 . A G,T 30 PASS . GT:AD 2:0,0,7 1/2:0,3,3",
]


def _ingest(tmp_path, vcf, reader: str, **kw):
    out = tmp_path / f"{reader}.parquet"
    ingest_run(IngestInputs(vcf), IngestOutputs(out), IngestOptions(reader=reader, pass_only=False, **kw))
    return read_table(out, "variants")[0]


def test_awkward_records_parse_the_same_in_both_readers(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", AWKWARD)
    arrow, reference = _ingest(tmp_path, vcf, "arrow"), _ingest(tmp_path, vcf, "cyvcf2")
    assert arrow.to_pylist() == reference.to_pylist()
    rows = {(r["pos"], r["alt"]): r for r in arrow.to_pylist()}
    assert rows[(100, "CGA")]["gt"] == [1, 0] and rows[(100, "CGT")]["gt"] == [1, 0]
    assert rows[(100, "CGG")]["gt"] == [0, 1] and rows[(100, "CGT")]["ad_alt"] == [5, 0]
    assert rows[(200, "G")]["gt"] == [2, -1] and rows[(200, "G")]["zygosity"] == [1, -1]
    assert rows[(300, "G")]["phased"] == [True, False] and rows[(300, "G")]["dp"] == [12, None]
    assert rows[(500, "G")]["gq"] == [99, None] and rows[(500, "G")]["ad_ref"] == [None, None]
    assert rows[(600, "G")]["ps"] == [599, 599]
    assert (400, "G") not in rows and (700, ".") not in rows  # nobody carries it / no ALT
    assert rows[(900, "T")]["zygosity"] == [3, 1]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")
def test_bcf_through_bcftools_matches_cyvcf2(tmp_path):
    import subprocess
    plain = write_vcf(tmp_path / "in.vcf", [r.replace("q10", "LowQual") for r in AWKWARD])  # BCF needs defined FILTERs
    bcf = tmp_path / "in.bcf"
    subprocess.run(["bcftools", "view", "-Ob", "-o", str(bcf), str(plain)], check=True)
    assert _ingest(tmp_path, bcf, "arrow").equals(_ingest(tmp_path, bcf, "cyvcf2"))
    assert _ingest(tmp_path, bcf, "arrow", samples=("S2",)).equals(_ingest(tmp_path, plain, "cyvcf2", samples=("S2",)))


@pytest.mark.parametrize("compression", ["gzip", "bgzip"])
def test_compressed_text_inputs(tmp_path, compression):
    plain = write_vcf(tmp_path / "in.vcf", AWKWARD)
    packed = tmp_path / "in.vcf.gz"
    if compression == "gzip":
        packed.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        import pysam
        pysam.tabix_compress(str(plain), str(packed))
    assert _ingest(tmp_path, packed, "arrow").equals(_ingest(tmp_path, plain, "cyvcf2"))


def test_sites_only_and_sample_subset(tmp_path):
    sites = write_vcf(tmp_path / "sites.vcf", ["chr1 5 rs9 C T,G . . X=1"], samples=(), contigs=("chr1",), meta="")
    a, r = _ingest(tmp_path, sites, "arrow"), _ingest(tmp_path, sites, "cyvcf2")
    assert a.equals(r) and a.column("gt").to_pylist() == [[], []] and a.column("id").to_pylist() == ["rs9"] * 2
    vcf = write_vcf(tmp_path / "trio.vcf", ["chr1 100 . A G 50 PASS . GT:DP 0/1:5 0/0:6 1/1:7"],
                    samples=("C", "M", "F"))
    a = _ingest(tmp_path, vcf, "arrow", samples=("F", "C"))
    assert a.equals(_ingest(tmp_path, vcf, "cyvcf2", samples=("F", "C")))
    assert a.column("dp").to_pylist() == [[5, 7]]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")
def test_gatk_like_synthetic_file_matches(tmp_path):
    from variantprio.bench.run.ingest import write_synthetic_vcf
    vcf = write_synthetic_vcf(tmp_path / "syn.vcf.gz", 3000, 3, seed=5)
    a, r = _ingest(tmp_path, vcf, "arrow", batch_size=700), _ingest(tmp_path, vcf, "cyvcf2", batch_size=900)
    assert a.num_rows > 2900 and a.equals(r)


def test_real_exome_reads_the_same_in_both_readers(tmp_path):
    """A real GATK exome (Float GQ, no contig lengths): skip when the shared bench data is absent."""
    vcf = shared_data("bench/background/pfeiffer-exome.grch38.vcf.gz")
    arrow = _ingest(tmp_path, vcf, "arrow", build="GRCh38")
    assert arrow.num_rows > 30_000 and arrow.equals(_ingest(tmp_path, vcf, "cyvcf2", build="GRCh38"))
