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


# --- issue 22: FORMAT fields of all samples decoded at once (ingest.formatfields) ---
FORMAT_META = ('##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum depth">\n'
               '##FORMAT=<ID=SB,Number=4,Type=Integer,Description="Strand bias">\n'
               '##ALT=<ID=NON_REF,Description="Any other allele">\n')
TRIO_TRICKY = [
    # AD longer than a word, depths of 4+ digits, PS beyond eight digits, all-missing cell
    "chr1 100 rs1 A C,G,T 50 PASS . GT:AD:DP:GQ:PS 1|2:1234,5678,9,0:6921:99:123456789 "
    "0/3:1,0,0,22:23:45:. ./.:.:.:.:.",
    "chr1 200 . G A 30 PASS . GT:AD:DP:GQ 0/1:5,6:.:12 1/1::11:99 0/0:7,0:7:",  # '.', empty values
    "chr1 300 . T TA . PASS . GT 0/1 ./. 1/1",                                    # GT only
    "chr1 400 . A G 10 PASS . . . . .",                                           # no FORMAT at all
    "chr1 600 . A G 50 PASS . GT:AD:DP:GQ:PL ./. 0/1:4,5:9:50:90,0,80 0/0:9,0:9:27:0,27,300",  # short cell
    "chr1 700 . A <NON_REF> . . END=750 GT:DP:GQ:MIN_DP:PL 0/0:12:30:10:0,30,450 0/0:11:27:9:0,27,400 "
    "0/0:15:33:12:0,33,500",                                                      # gVCF reference block
    "chr1 800 . A G,<NON_REF> 60 . . GT:AD:DP:GQ:PL:SB 0/1:5,7,0:12:60:80,0,70,95,91,186:2,3,4,3 "
    "0/0:10,0,0:10:30:0,30,450,30,450,450:5,5,0,0 1/1:0,9,0:9:27:300,27,0,300,27,300:0,0,5,4",
    f"chr1 900 . A {ALTS_12[:-4]} 20 PASS . GT:AD 0/1/1:2,4,0,0,0,0,0,0,0,0,0,0 "
    "10/11:0,0,0,0,0,0,0,0,0,0,3,4 ./.:.",                                       # triploid, alleles 10+
    "chr1 1000 . C G 50 PASS . DP:GT:GQ:PL:PS 14:0|1:40:50,0,40:1000 15:1|0:41:50,0,41:1000 .:./.:.:.:.",
    "chrX 2000 . C T 40 PASS . GT:AD:DP 1:0,8:8 .:.:. 0|1:3,4:7",               # haploid, phased
]


def _trio(tmp_path, name="trio.vcf", records=TRIO_TRICKY):
    return write_vcf(tmp_path / name, records, samples=("C", "M", "F"), extra_header=FORMAT_META)


@pytest.mark.parametrize("threads", [1, 2])
def test_tricky_trio_records_decode_as_cyvcf2_does(tmp_path, threads):
    vcf = _trio(tmp_path)
    arrow = _ingest(tmp_path, vcf, "arrow", threads=threads)
    assert arrow.equals(_ingest(tmp_path, vcf, "cyvcf2"))
    rows = {(r["pos"], r["alt"]): r for r in arrow.to_pylist()}
    assert rows[(100, "C")]["ad_ref"] == [1234, 1, None] and rows[(100, "G")]["ad_alt"] == [9, 0, None]
    assert rows[(100, "C")]["ps"] == [123456789, None, None] and rows[(100, "C")]["dp"] == [6921, 23, None]
    assert rows[(200, "A")]["dp"] == [None, 11, 7] and rows[(200, "A")]["gq"] == [12, 99, None]
    assert rows[(600, "G")]["gt"] == [-1, 1, 0] and rows[(600, "G")]["ad_alt"] == [None, 5, 0]
    assert rows[(900, "CGA")]["gt"] == [0, 1, -1] and rows[(900, "C")]["gt"] == [2, 0, -1]
    assert rows[(1000, "G")]["phased"] == [True, True, False] and rows[(2000, "T")]["zygosity"] == [3, -1, 1]
    assert (400, "G") not in rows and (700, "<NON_REF>") not in rows


def test_tricky_records_subset_crlf_and_bgzip(tmp_path):
    """Samples picked out of file order, Windows line ends and bgzip take the same fast path."""
    vcf = _trio(tmp_path)
    crlf = tmp_path / "crlf.vcf"
    crlf.write_bytes(vcf.read_bytes().replace(b"\n", b"\r\n"))
    packed = _trio(tmp_path, "trio.vcf.gz")
    reference = _ingest(tmp_path, vcf, "cyvcf2", samples=("F", "C"))
    for path in (vcf, crlf, packed):
        assert _ingest(tmp_path, path, "arrow", samples=("F", "C"), threads=2).equals(reference), path.name


def test_fifty_samples_in_many_blocks_match_cyvcf2(tmp_path):
    """A 50-sample cohort cut into many small blocks decoded on two threads: same table, in order."""
    from variantprio.bench.run.ingest import write_synthetic_vcf
    vcf = write_synthetic_vcf(tmp_path / "cohort.vcf.gz", 1500, 50, seed=11)
    arrow = _ingest(tmp_path, vcf, "arrow", threads=2, batch_size=20)
    assert arrow.num_rows > 1450 and arrow.equals(_ingest(tmp_path, vcf, "cyvcf2"))
    assert arrow.column("variant_idx").to_pylist() == list(range(arrow.num_rows))


def test_a_bad_genotype_is_a_one_line_error(tmp_path):
    """It used to escape as a ValueError traceback."""
    from variantprio.errors import InputError
    vcf = _trio(tmp_path, records=TRIO_TRICKY[:2] + ["chr1 250 . G A 30 PASS . GT:DP 0/x:5 0/0:4 0/1:6"])
    with pytest.raises(InputError, match="invalid GT '0/x'") as err:
        _ingest(tmp_path, vcf, "arrow")
    assert str(vcf) in err.value.one_line() and "\n" not in err.value.one_line()
    assert not list(tmp_path.glob("arrow.parquet*"))
