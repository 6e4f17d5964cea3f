"""Liftover on ingest (`--liftover-to --chain`): a hand-made chain with an ungapped block, a gap,
an inverted block and a block onto another chromosome; every record left out is listed."""

from __future__ import annotations

import random

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import write_vcf
from variantprio.cli import main
from variantprio.core.genome import CONTIG_LENGTHS
from variantprio.errors import InputError
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs, run as ingest_run
from variantprio.ingest.liftover import chain_builds
from variantprio.tables import read_table

B37, B38 = CONTIG_LENGTHS["GRCh37"], CONTIG_LENGTHS["GRCh38"]
# GRCh37 chr1 [0,1000) -> GRCh38 chr1 [1000,2000); 10 GRCh37 bases [1000,1010) are gone in GRCh38;
# [1010,3000) -> [2000,3990). [5000,6000) is inverted (GRCh38 minus strand, forward 248945422..).
# [7000,8000) moved onto GRCh38 chr5 [500,1500).
CHAIN = (f"chain 1000 chr1 {B37['chr1']} + 0 3000 chr1 {B38['chr1']} + 1000 3990 1\n1000\t10\t0\n1990\n\n"
         f"chain 500 chr1 {B37['chr1']} + 5000 6000 chr1 {B38['chr1']} - 10000 11000 2\n1000\n\n"
         f"chain 400 chr1 {B37['chr1']} + 7000 8000 chr5 {B38['chr5']} + 500 1500 3\n1000\n\n")
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def source_sequence() -> str:
    rng = random.Random(37)
    return "".join(rng.choice("ACGT") for _ in range(9000))


def target_fasta(path, seq37: str, changed_at: int | None = None) -> None:
    """The start of GRCh38 chr1 and chr5, written from the GRCh37 bases through CHAIN (so lifted REFs
    match), with the base at `changed_at` changed (as where the reference changed between builds)."""
    import pysam

    chr1 = list("N" * 12000)
    chr1[1000:2000] = seq37[0:1000]
    chr1[2000:3990] = seq37[1010:3000]
    chr5 = list("N" * 2000)
    chr5[500:1500] = seq37[7000:8000]
    if changed_at is not None:
        chr1[changed_at - 1] = "A" if chr1[changed_at - 1] != "A" else "C"
    with open(path, "w") as fh:
        fh.write(">chr1\n" + "".join(chr1) + "\n>chr5\n" + "".join(chr5) + "\n")
    pysam.faidx(str(path))


@pytest.fixture()
def chain(tmp_path):
    path = tmp_path / "hg19ToHg38.test.over.chain"
    path.write_text(CHAIN)
    return path


def records(seq: str) -> list[str]:
    """(name, VCF line) of every case, REF taken from the GRCh37 sequence."""
    def b(pos: int, n: int = 1) -> str:
        return seq[pos - 1: pos - 1 + n]
    return [
        f"chr1 100 kept_plus {b(100)} {'T' if b(100) != 'T' else 'G'} 50 PASS . GT 0/1",
        f"chr1 998 span_gap {b(998, 4)} {b(998)} 50 PASS . GT 0/1",
        f"chr1 1005 in_gap {b(1005)} {'T' if b(1005) != 'T' else 'G'} 50 PASS . GT 0/1",
        f"chr1 1500 kept_del {b(1500, 3)} {b(1500)} 50 PASS . GT 1/1",
        f"chr1 5100 flipped_snv {b(5100)} {'T' if b(5100) != 'T' else 'G'} 50 PASS . GT 0/1",
        f"chr1 5200 flipped_del {b(5200, 2)} {b(5200)} 50 PASS . GT 0/1",
        f"chr1 7100 moved {b(7100)} {'T' if b(7100) != 'T' else 'G'} 50 PASS . GT 0/1",
        "chr1 20000 nowhere A G 50 PASS . GT 0/1",
        "chrX 5000 no_chain A G 50 PASS . GT 0/1",
    ]


def lifted_ingest(tmp_path, chain, fasta=None, **extra):
    seq = source_sequence()
    vcf = write_vcf(tmp_path / "b37.vcf", records(seq), samples=("P1",), build="GRCh37",
                    contigs=("chr1", "chrX"))
    out = tmp_path / "variants.parquet"
    options = IngestOptions(liftover_to="GRCh38", chain=str(chain), **extra)
    return seq, ingest_run(IngestInputs(vcf, fasta=fasta), IngestOutputs(out), options), out


def test_chain_builds_are_told_by_the_chromosome_sizes(chain, tmp_path):
    assert chain_builds(chain) == ("GRCh37", "GRCh38")
    bad = tmp_path / "bad.chain"
    bad.write_text("not a chain\n")
    with pytest.raises(InputError, match="no `chain` line"):
        chain_builds(bad)


def test_liftover_keeps_what_maps_and_lists_every_record_left_out(tmp_path, chain):
    seq, summary, out = lifted_ingest(tmp_path, chain)
    table, prov = read_table(out, "variants")
    rows = table.to_pandas()
    assert prov.genome_build == "GRCh38" and "liftover to GRCh38" in summary.done
    assert summary.skipped["not lifted: unmapped"] == 2
    kept = dict(zip(rows["lifted_from"], zip(rows["chrom"], rows["pos"], rows["ref"], rows["alt"])))
    plus = f"chr1:100:{seq[99]}>{'T' if seq[99] != 'T' else 'G'}"
    assert kept[plus] == ("chr1", 1100, seq[99], "T" if seq[99] != "T" else "G")
    deletion = f"chr1:1500:{seq[1499:1502]}>{seq[1499]}"
    assert kept[deletion][:2] == ("chr1", 1500 - 1010 + 2000)  # after the 10-base gap
    # The inverted block: forward position size-1-(10000 + (5099 - 5000)), alleles reverse-complemented.
    flipped = [k for k in kept if k.startswith("chr1:5100:")][0]
    chrom, pos, ref, alt = kept[flipped]
    assert (chrom, pos) == ("chr1", B38["chr1"] - 1 - (10000 + 99) + 1)
    assert ref == seq[5099].translate(COMPLEMENT) and alt == flipped[-1].translate(COMPLEMENT)
    assert rows["variant_idx"].tolist() == list(range(len(rows))) and rows["pos"].is_monotonic_increasing
    rejected = pd.read_csv(tmp_path / "variants.liftover-rejected.tsv", sep="\t")
    reasons = dict(zip(rejected["pos"], rejected["reason"]))
    assert reasons == {998: "span_changed", 1005: "unmapped", 5200: "strand_flipped_indel",
                       7100: "contig_changed", 20000: "unmapped", 5000: "contig_not_in_chain"}
    assert rejected.loc[rejected["pos"] == 7100, "lifted_to"].item() == "chr5:600:+"
    lift = prov.extra["liftover"]
    assert lift["from"] == "GRCh37" and lift["to"] == "GRCh38" and lift["chain_file"] == chain.name
    assert lift["counts"]["rows_in"] == 9 and lift["counts"]["lifted"] == 3
    assert lift["counts"]["strand_flipped_kept"] == 1 and lift["counts"]["unmapped"] == 2


def test_with_a_fasta_ref_is_checked_after_lifting(tmp_path, chain):
    seq = source_sequence()
    fasta = tmp_path / "grch38.fa"
    target_fasta(fasta, seq, changed_at=1100)  # the GRCh38 base under chr1:100 differs
    _, _, out = lifted_ingest(tmp_path, chain, fasta=str(fasta))
    rows = pq.read_table(out).to_pandas()
    rejected = pd.read_csv(tmp_path / "variants.liftover-rejected.tsv", sep="\t")
    assert rejected.set_index("pos").loc[100, "reason"] == "ref_mismatch"
    # The kept deletion's REF matches the target FASTA; the flipped SNV lies off the short test contig
    # (its REF cannot be confirmed there), so it is listed as a mismatch rather than trusted.
    assert rows["lifted_from"].str.startswith("chr1:1500:").tolist() == [True]


def test_cli_liftover_names_counts_and_refuses_a_chain_of_other_builds(tmp_path, chain):
    seq = source_sequence()
    vcf = write_vcf(tmp_path / "b37.vcf", records(seq), samples=("P1",), build="GRCh37", contigs=("chr1", "chrX"))
    out = tmp_path / "v.parquet"
    result = CliRunner().invoke(main, ["ingest", "--vcf", str(vcf), "--out", str(out), "--liftover-to", "GRCh38",
                                       "--chain", str(chain)])
    assert result.exit_code == 0, result.output
    assert "3 of 9 lifted; left out: contig_not_in_chain 1, unmapped 2" in result.output
    grch38 = write_vcf(tmp_path / "b38.vcf", ["chr1 100 . A G 50 PASS . GT 0/1"], samples=("P1",))
    out2 = tmp_path / "v2.parquet"
    result = CliRunner().invoke(main, ["ingest", "--vcf", str(grch38), "--out", str(out2), "--build", "GRCh38",
                                       "--liftover-to", "GRCh37", "--chain", str(chain)])
    assert result.exit_code == 2 and "the VCF is GRCh38" in result.stderr and "lifts from GRCh37" in result.stderr
    assert "Traceback" not in result.stderr and not out2.exists()
    assert not (tmp_path / "v2.liftover-rejected.tsv").exists()
    broken = tmp_path / "broken.chain"
    broken.write_text(CHAIN.replace("1990\n", "1990 7\n"))
    result = CliRunner().invoke(main, ["ingest", "--vcf", str(vcf), "--out", str(out2), "--liftover-to", "GRCh38",
                                       "--chain", str(broken)])
    assert result.exit_code == 2 and "malformed chain file" in result.stderr and not out2.exists()
