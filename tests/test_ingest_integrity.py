"""Issues #15 and #16: input that would give a wrong answer looking right is dropped with a counted
warning (REF==ALT, exact duplicates), normalised (lowercase bases) or refused with one clear line
(invalid bases, no GT, duplicate sample names, corrupt bgzip) -- on the serial and parallel paths."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from click.testing import CliRunner
from conftest import GT_HEADER, write_vcf
from conftest import run_cli as run_cli_process  # a real process: the console a user sees
from test_ingest_cli import assert_clean_failure

import variantprio.ingest as ingest_pkg
from variantprio.cli import main
from variantprio.errors import InputError
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs, parallel
from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table

SRC = Path(__file__).resolve().parents[1] / "src"
# vcf: columnar reader; cyvcf2: the reference parser; vcf.gz: bgzip, serial; parallel: bgzip read
# in BGZF chunks by 2 worker processes (thresholds lowered so that tiny files take that path).
FORMS = ("vcf", "cyvcf2", "vcf.gz", "parallel")


@pytest.fixture(params=FORMS)
def form(request, monkeypatch):
    if request.param == "parallel":
        monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
        monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
    if request.param == "cyvcf2":
        monkeypatch.setattr(ingest_pkg, "IngestOptions", functools.partial(IngestOptions, reader="cyvcf2"))
    return request.param


def make_input(tmp_path: Path, form: str, records: list[str], name: str = "in.vcf", **kwargs) -> tuple[Path, list[str]]:
    """The VCF in the form under test and the extra CLI options that select its path."""
    if form in ("vcf", "cyvcf2"):
        return write_vcf(tmp_path / name, records, **kwargs), []
    packed = write_vcf(tmp_path / (name + ".gz"), records, **kwargs)
    return packed, (["--threads", "3"] if form == "parallel" else [])


def run_cli(tmp_path: Path, vcf: Path, *extra: str):
    out = tmp_path / "out" / "variants.parquet"
    result = CliRunner().invoke(main, ["ingest", "--vcf", str(vcf), "--out", str(out), *extra])
    return result, out


def ingested(result, out: Path):
    assert result.exit_code == 0, result.stderr
    table, provenance = read_table(out, "variants")
    return table, provenance.extra["counts"]


def alleles(table) -> list[tuple]:
    return [(r["pos"], r["ref"], r["alt"]) for r in table.select(["pos", "ref", "alt"]).to_pylist()]


# --- REF == ALT (#15) ---

def test_ref_equal_alt_rows_are_dropped_counted_and_warned(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, [
        "chr1 100 . A A 50 PASS . GT 0/1 0/1",
        "chr1 200 . acg ACG 50 PASS . GT 0/1 0/1",  # equal only after upper-casing
        "chr1 300 . C c,T 50 PASS . GT 1/2 0/1",  # one ALT of a multi-allelic record
        "chr1 400 . G T 50 PASS . GT 0/1 0/0",
    ])
    result, out = run_cli(tmp_path, vcf, *extra)
    table, counts = ingested(result, out)
    assert alleles(table) == [(300, "C", "T"), (400, "G", "T")]
    assert table.column("gt").to_pylist() == [[1, 0], [1, 0]]  # 1/2 is het for T; 0/1 carries only 'c'
    assert counts["dropped_ref_equals_alt"] == 3
    assert "WARNING" in result.stderr and "dropped 3 ALT rows equal to their REF" in result.stderr


# --- lowercase bases (#15) ---

def test_lowercase_alleles_are_stored_uppercase(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, [
        "chr1 100 . a g 50 PASS . GT 0/1 0/1",
        "chr1 200 . gAT gt,gcT 50 PASS . GT 1/2 0/1",  # trimmed after upper-casing: GA>G and A>C
        "chr1 300 . c <DEL> 50 PASS END=400;SVTYPE=DEL GT 0/1 0/0",
        "chr1 500 . t tNa 50 PASS . GT 0/1 0/1",
    ])
    result, out = run_cli(tmp_path, vcf, *extra)
    table, counts = ingested(result, out)
    assert alleles(table) == [(100, "A", "G"), (200, "GA", "G"), (201, "A", "C"), (300, "C", "<DEL>"),
                              (500, "T", "TNA")]
    assert counts["uppercased_alleles"] == 8  # 4 REFs, 4 sequence ALTs


# --- exact duplicates (#15) ---

def test_exact_duplicates_keep_the_first_copy(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, [
        "chr1 100 . A G 50 PASS . GT 0/1 0/0",
        "chr1 100 . A G 50 PASS . GT 1/1 0/1",  # a second call of the same variant
        "chr1 100 . a g 50 PASS . GT 0/1 0/1",  # the same after upper-casing
        "chr1 100 . A G,T 50 PASS . GT 1/2 0/1",  # its G row copies; T is new
        "chr1 100 . AC A 50 PASS . GT 0/1 0/1",
        "chr1 100 . ACC AC 50 PASS . GT 0/1 0/1",  # trims to AC>A
        "chr1 500 . N <DEL> 50 PASS END=600 GT 0/1 0/1",
        "chr1 500 . N <DEL> 50 PASS END=700 GT 0/1 0/1",  # another END: another deletion
        "chrX 100 . A G 50 PASS . GT 0/1 0/1",  # same POS/REF/ALT, other contig
    ])
    result, out = run_cli(tmp_path, vcf, *extra)
    table, counts = ingested(result, out)
    assert alleles(table) == [(100, "A", "G"), (100, "A", "T"), (100, "AC", "A"), (500, "N", "<DEL>"),
                              (500, "N", "<DEL>"), (100, "A", "G")]
    assert table.column("gt").to_pylist()[0] == [1, 0]  # the first copy's genotypes
    assert table.column("sv_end").to_pylist()[3:5] == [600, 700]
    assert table.column("variant_idx").to_pylist() == list(range(6))
    assert counts["dropped_duplicate"] == 4
    assert "dropped 4 later copies" in result.stderr


def test_a_filtered_first_copy_does_not_hide_a_passing_second(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, ["chr1 100 . A G 50 LowQual . GT 0/1 0/1",
                                             "chr1 100 . A G 50 PASS . GT 0/1 0/1"])
    result, out = run_cli(tmp_path, vcf, *extra)
    table, counts = ingested(result, out)
    assert alleles(table) == [(100, "A", "G")] and counts["dropped_duplicate"] == 0


def duplicated_records(n: int) -> list[str]:
    """Every variant twice (the second copy hom-alt), so copies straddle batch and chunk boundaries."""
    records = []
    for i in range(n):
        records += [f"chr1 {1000 + 3 * i} . A G 50 PASS . GT:AD:DP:GQ 0/1:5,5:10:50 0/0:9,0:9:50",
                    f"chr1 {1000 + 3 * i} . A G 50 PASS . GT:AD:DP:GQ 1/1:0,9:9:50 0/1:4,5:9:50"]
    return records


@pytest.mark.parametrize("how", ["arrow", "cyvcf2", "parallel"])
def test_duplicates_across_batch_and_chunk_boundaries(tmp_path, monkeypatch, how):
    vcf, _ = make_input(tmp_path, "vcf.gz", duplicated_records(3000))
    if how == "parallel":
        monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
        monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
        chunks = parallel.plan_chunks(parallel.bgzf_block_offsets(str(vcf)), chunk_bytes=1)
        texts = [parallel._owned_text(str(vcf), c).splitlines() for c in chunks]
        straddling = [a[-1].split(b"\t")[:5] == b[0].split(b"\t")[:5] for a, b in zip(texts, texts[1:]) if a and b]
        assert len(chunks) > 3 and any(straddling)  # the case under test does occur
    options = IngestOptions(reader="cyvcf2" if how == "cyvcf2" else "auto", batch_size=7,
                            threads=3 if how == "parallel" else 1)
    summary = ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), options)
    table, provenance = read_table(tmp_path / "o.parquet", "variants")
    assert table.column("pos").to_pylist() == [1000 + 3 * i for i in range(3000)]
    assert table.column("gt").to_pylist() == [[1, 0]] * 3000
    assert table.column("variant_idx").to_pylist() == list(range(3000))
    assert summary.counts["dropped_duplicate"] == provenance.extra["counts"]["dropped_duplicate"] == 3000
    serial = ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "s.parquet"))
    assert read_table(tmp_path / "s.parquet", "variants")[0].equals(table)
    assert {k: v for k, v in serial.counts.items() if v} == {k: v for k, v in summary.counts.items() if v}


def test_duplicates_left_aligned_onto_each_other(tmp_path):
    """With --fasta, copies written at different places of a repeat meet after left-alignment."""
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "G" * 99 + "CAAAAAT" + "G" * 400 + "\n")
    pysam.faidx(str(fasta))
    vcf = write_vcf(tmp_path / "in.vcf", ["chr1 100 . CA C 50 PASS . GT 0/1 0/1",
                                          "chr1 103 . AA A 50 PASS . GT 0/1 0/1"])
    summary = ingest_run(IngestInputs(vcf, fasta=str(fasta)), IngestOutputs(tmp_path / "o.parquet"))
    table, _ = read_table(tmp_path / "o.parquet", "variants")
    assert alleles(table) == [(100, "CA", "C")] and summary.counts["dropped_duplicate"] == 1


# --- invalid bases (#16) ---

@pytest.mark.parametrize("record,fragment", [
    ("chr1 300 . R G 50 PASS . GT 0/1 0/1", "invalid REF 'R' at chr1:300"),
    ("chr1 300 . x G 50 PASS . GT 0/1 0/1", "invalid REF 'x' at chr1:300"),
    ("chr1 300 . 1 G 50 PASS . GT 0/1 0/1", "invalid REF '1' at chr1:300"),
    ("chr1 300 . A X 50 PASS . GT 0/1 0/1", "invalid ALT 'X' at chr1:300"),
    ("chr1 300 . A G,y 50 PASS . GT 0/1 0/1", "invalid ALT 'y' at chr1:300"),
])
def test_invalid_bases_are_one_line_errors(tmp_path, form, record, fragment):
    good = ["chr1 100 . A G 50 PASS . GT 0/1 0/1", "chr1 200 . C T 50 PASS . GT 0/1 0/1"]
    vcf, extra = make_input(tmp_path, form, good + [record])
    result, out = run_cli(tmp_path, vcf, *extra)
    assert_clean_failure(result, out, vcf, fragment, "record 3", "bases must be A, C, G, T or N")


def test_star_symbolic_and_breakend_alts_still_pass(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, [
        "chr1 100 . A G,* 50 PASS . GT 1/2 0/1",
        "chr1 200 . N <DUP> 50 PASS END=300;SVTYPE=DUP GT 0/1 0/0",
        "chr1 400 . G G]chr1:900] 50 PASS SVTYPE=BND GT 0/1 0/0",
        "chr1 500 . T .T 50 PASS SVTYPE=BND GT 0/1 0/0",
        "chr1 600 . A <NON_REF> 50 PASS . GT 0/0 0/0",
    ])
    result, out = run_cli(tmp_path, vcf, *extra)
    table, counts = ingested(result, out)
    assert [a for _, _, a in alleles(table)] == ["G", "<DUP>", "G]chr1:900]", ".T"]
    assert counts["dropped_spanning_deletion"] == 1 and counts["dropped_gvcf_ref_block"] == 1


# --- no GT (#16) ---

def test_samples_without_gt_field_are_refused(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, ["chr1 100 . A G 50 PASS . DP:GQ 10:50 12:40",
                                             "chr1 200 . C T 50 PASS . DP:GQ 10:50 12:40"])
    result, out = run_cli(tmp_path, vcf, *extra)
    assert_clean_failure(result, out, vcf, "no GT field: genotypes are needed", "FORMAT is 'DP:GQ'")


def test_gt_undeclared_in_the_header(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", [])
    vcf.write_text(vcf.read_text().replace(GT_HEADER, ""))
    result, out = run_cli(tmp_path, vcf)
    assert_clean_failure(result, out, vcf, "no GT field", "the header declares no FORMAT/GT")
    used = tmp_path / "used.vcf"  # GT written but not declared: htslib copes, so do we
    used.write_text(vcf.read_text() + "chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\t0/0\n")
    result, out = run_cli(tmp_path, used)
    assert ingested(result, out)[0].num_rows == 1


def test_sites_only_vcf_still_ingests(tmp_path, form):
    vcf, extra = make_input(tmp_path, form, ["chr1 100 . A G 50 PASS .", "chr1 200 . c t 50 PASS ."], samples=())
    result, out = run_cli(tmp_path, vcf, *extra)
    table, _ = ingested(result, out)
    assert alleles(table) == [(100, "A", "G"), (200, "C", "T")]


# --- duplicate sample names (#16) ---

@pytest.mark.parametrize("samples,fragment", [
    (("S1", "S2", "S1"), "duplicate sample name in the #CHROM line: S1"),
    (("A", "B", "A", "B"), "duplicate sample names in the #CHROM line: A, B"),
])
def test_duplicate_sample_names_are_named(tmp_path, form, samples, fragment):
    gts = " ".join("0/1" for _ in samples)
    vcf, extra = make_input(tmp_path, form, [f"chr1 100 . A G 50 PASS . GT {gts}"], samples=samples)
    result, out = run_cli(tmp_path, vcf, *extra)
    header_lines = vcf.read_text().count("\n") if vcf.suffix == ".vcf" else None
    assert_clean_failure(result, out, vcf, fragment, "bcftools reheader",
                         f"header line {header_lines - 1}" if header_lines else "header line")


# --- corrupt bgzip (#16) ---

def damaged(tmp_path: Path, how: str) -> Path:
    """A multi-block bgzipped VCF damaged in the middle of a middle block's deflate data."""
    vcf, _ = make_input(tmp_path, "vcf.gz", [f"chr1 {100 + i} . A G 50 PASS . GT:AD:DP:GQ 0/1:5,5:10:50 0/0:9,0:9:50"
                                             for i in range(20000)])
    offsets = parallel.bgzf_block_offsets(str(vcf))
    assert len(offsets) > 6
    middle = len(offsets) // 2
    start, end = offsets[middle], offsets[middle + 1]
    data = bytearray(vcf.read_bytes())
    at = start + 18 + (end - start - 26) // 2
    if how == "flip1":
        data[at] ^= 0x01
    elif how == "flip4":
        for i in range(at, at + 4):
            data[i] ^= 0xFF
    elif how == "zero500":
        data[at - 250: at + 250] = bytes(500)
    elif how == "crc":  # the text inflates cleanly; only the block's CRC tells
        data[end - 8] ^= 0xFF
    elif how in _SEEN_IN_THE_WILD:  # patterns that gave a zlib.error traceback / a made-up "bad line"
        block, offset, masks = _SEEN_IN_THE_WILD[how]
        for i, mask in enumerate(masks):
            data[offsets[block] + offset + i] ^= mask
    elif how == "cut":  # cut mid-block, end-of-file marker re-appended (passes the EOF check)
        data = data[:at] + data[-28:]
    out = tmp_path / f"{how}.vcf.gz"
    out.write_bytes(bytes(data))
    return out


# (BGZF block, byte offset in it, XOR masks) found by random flips of this very file
_SEEN_IN_THE_WILD = {"traceback": (9, 133, (148, 17, 12, 77)), "garbage_line": (6, 1282, (66,))}
DAMAGE = ("flip1", "flip4", "zero500", "crc", "cut", *_SEEN_IN_THE_WILD)


@pytest.mark.parametrize("how", DAMAGE)
def test_corrupt_bgzip_through_the_cli_process(tmp_path, how):
    vcf = damaged(tmp_path, how)
    out = tmp_path / "out" / "variants.parquet"
    paths = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths + [str(SRC)])}  # the caller's code first
    proc = subprocess.run([sys.executable, "-m", "variantprio", "ingest", "--vcf", str(vcf), "--out", str(out)],
                          check=False, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith("variantprio: error:")]
    assert len(errors) == 1 and str(vcf) in errors[0], proc.stderr
    assert "truncated or corrupt compressed file" in errors[0], errors[0]
    assert not out.exists() and not (out.parent.exists() and list(out.parent.iterdir()))


@pytest.mark.parametrize("how", DAMAGE)
@pytest.mark.parametrize("path", ["cyvcf2", "parallel"])
def test_corrupt_bgzip_other_readers(tmp_path, monkeypatch, how, path):
    vcf = damaged(tmp_path, how)
    if path == "parallel":
        monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
        monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
    options = IngestOptions(threads=3) if path == "parallel" else IngestOptions(reader="cyvcf2")
    with pytest.raises(InputError, match="truncated or corrupt compressed file"):
        ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "o.parquet"), options)
    assert not list(tmp_path.glob("o.parquet*")) and not list(tmp_path.glob(".o.parquet*"))


def test_parallel_blocks_are_crc_checked():
    """Raw inflate accepts a flipped literal byte; the footer's CRC32 does not."""
    import zlib
    text = b"chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n" * 10
    packed = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = packed.compress(text) + packed.flush()
    footer = zlib.crc32(text).to_bytes(4, "little") + len(text).to_bytes(4, "little")
    block = bytes(18) + deflated + footer
    assert parallel._inflate_block(block) == text
    with pytest.raises(zlib.error, match="CRC"):
        parallel._inflate_block(bytes(18) + deflated + bytes(4) + footer[4:])


# --- regression fixtures of issue 15 (tests/data/issue_15_*.vcf) ---
# Hand-written files as a user would have them, each carrying VEP CSQ genes, run through the CLI stages
# a run chains (ingest -> annotate -> inheritance) to check what reaches the gene level, where the
# generated inputs above stop at the variant table.

def issue_15(what: str) -> Path:
    return Path(__file__).parent / "data" / f"issue_15_{what}.vcf"


def cli_stages(tmp_path: Path, vcf: Path):
    """`variantprio ingest`, `annotate` (the VCF's CSQ) and `inheritance` (affected singleton P1): the
    ingest result (for its stderr), the variant table and the segregation rows."""
    variants, annotations, segregation = (tmp_path / f"{n}.parquet" for n in ("variants", "annotations", "seg"))
    ingest = CliRunner().invoke(main, ["ingest", "--vcf", str(vcf), "--out", str(variants)])
    assert ingest.exit_code == 0, ingest.output
    for args in (["annotate", "--variants", str(variants), "--out", str(annotations)],
                 ["inheritance", "--variants", str(variants), "--annotations", str(annotations), "--proband", "P1",
                  "--out", str(segregation)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    return ingest, read_table(variants, "variants")[0], read_table(segregation, "segregation")[0].to_pylist()


def test_issue_15_ref_equals_alt_never_reaches_a_gene(tmp_path):
    ingest, variants, segregation = cli_stages(tmp_path, issue_15("ref_equals_alt"))
    assert alleles(variants) == [(3000, "C", "T"), (4000, "G", "T")]
    assert "dropped 3 ALT rows equal to their REF" in ingest.stderr
    # REFEQ1/REFEQ2 only had a REF==ALT "variant"; MIXED keeps its real ALT T, not its copy of the REF.
    assert sorted(r["gene_symbol"] for r in segregation) == ["MIXED", "REAL"]
    assert {r["variant_idx"] for r in segregation} == {0, 1}


def test_issue_15_lowercase_alleles_match_their_uppercase_annotations(tmp_path):
    ingest, variants, segregation = cli_stages(tmp_path, issue_15("lowercase"))
    assert alleles(variants) == [(1000, "C", "T"), (2000, "GAT", "G"), (3000, "A", "G"), (3000, "A", "C")]
    # VEP writes CSQ alleles uppercase: each lowercase ALT still finds its own consequence and gene.
    assert [r["gene_symbol"] for r in segregation] == ["LOWA", "LOWB", "LOWC", "LOWC"]
    upper = tmp_path / "upper"
    upper.mkdir()
    text = issue_15("lowercase").read_text().splitlines(keepends=True)
    shouted = upper / "upper.vcf"  # the same file with REF and ALT upper-cased
    shouted.write_text("".join(line if line.startswith("#") else "\t".join(
        f.upper() if i in (3, 4) else f for i, f in enumerate(line.split("\t"))) for line in text))
    _, same_variants, same_segregation = cli_stages(upper, shouted)
    assert same_variants.equals(variants) and same_segregation == segregation


def test_issue_15_exact_duplicate_is_not_its_own_compound_het_partner(tmp_path):
    ingest, variants, segregation = cli_stages(tmp_path, issue_15("duplicates"))
    assert variants.num_rows == 3 and "dropped 3 later copies" in ingest.stderr
    by_gene = {}
    for row in segregation:
        by_gene.setdefault(row["gene_symbol"], []).append(row)
    # ALONE has one het variant (written twice): no partner, so no compound het.
    [alone] = by_gene["ALONE"]
    assert not alone["fits_ar_comphet"] and alone["comphet_partner_idx"] is None
    # PAIRED has two different hets (each written twice): each pairs with the other one, never itself.
    first, second = by_gene["PAIRED"]
    assert first["fits_ar_comphet"] and second["fits_ar_comphet"]
    assert (first["comphet_partner_idx"], second["comphet_partner_idx"]) == (second["variant_idx"], first["variant_idx"])


def test_issue_15_vcf_without_gt_is_refused_on_the_console(tmp_path):
    """The user's console, not a rule log: one error line and exit 2 rather than 'no candidate gene'."""
    vcf, out = issue_15("no_gt"), tmp_path / "out" / "variants.parquet"
    proc = run_cli_process("ingest", "--vcf", str(vcf), "--out", str(out), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith("variantprio: error:")]
    assert len(errors) == 1 and str(vcf) in errors[0], proc.stderr
    assert "no GT field" in errors[0] and "3 samples" in errors[0] and "FORMAT is 'DP:GQ'" in errors[0]
    assert not out.exists() and not (out.parent.exists() and list(out.parent.iterdir()))
