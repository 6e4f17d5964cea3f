"""`bench chain` and the GRCh37 benchmark's liftover of the background exome and the causal variants,
on tiny reference tables whose GRCh37 copy is shifted by known offsets."""

from __future__ import annotations

import gzip

import pytest

from conftest import write_vcf
from variantprio.bench.prepare.chain import check_chain, derive_chain
from variantprio.bench.prepare.phenopackets import Case, CausalVariant
from variantprio.bench.prepare.spike import Background, lift_case
from variantprio.ingest.liftover import Lifter, chain_builds

# GRCh38 exons -> GRCh37: two near exons at +5000 (merged into one block with the intron between),
# one far exon at +7000, and an exon that changed length (never a block).
EXONS = [("chr1", 100_000, 100_100, 5_000, "E1"), ("chr1", 103_000, 103_200, 5_000, "E2"),
         ("chr1", 200_000, 200_100, 7_000, "E3"), ("chr2", 50_000, 50_100, -1_000, "E4")]


def _gz(path, lines):
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    root = tmp_path_factory.mktemp("refs")
    dirs = {b: root / b for b in ("grch38", "grch37")}
    for build, d in dirs.items():
        d.mkdir()
        exons = ["#contig\tstart\tend\texon_id\tgene_name\texon_number\ttranscript_id"]
        for chrom, start, end, off, name in EXONS:
            shift = off if build == "grch37" else 0
            exons.append(f"{chrom}\t{start + shift}\t{end + shift}\t{name}\tG{name}\t1\tT{name}")
        exons.append("chr2\t90000\t90100\tE5\tG5\t1\tT5" if build == "grch38" else "chr2\t91000\t91150\tE5\tG5\t1\tT5")
        _gz(d / f"gencode44-mane-exons.{build}.bed.gz", exons)
        shift = 5_000 if build == "grch37" else 0
        _gz(d / f"gencode-cds.{build}.tsv.gz", ["chrom\tstart\tend\tgene_name\tstrand\tgene_type",
                                                 f"chr1\t{100_051 + shift}\t{100_100 + shift}\tGE1\t+\tprotein_coding"])
        _gz(d / f"gencode44-genes.{build}.tsv.gz", ["#contig\tstart\tend\tgene_name\tgene_id\tstrand\tgene_type",
                                                    f"chr1\t{100_010 + shift}\t{103_100 + shift}\tGE1\tENSG1\t+\tprotein_coding"])
    chain = root / "derived.chain.gz"
    stats = derive_chain(dirs["grch38"], dirs["grch37"], chain)
    return dirs, chain, stats


def test_derived_chain_maps_exons_exactly_and_merges_near_blocks(references):
    dirs, chain, stats = references
    assert chain_builds(chain) == ("GRCh38", "GRCh37")
    assert stats.exon_pairs == 5 and stats.blocks == 3  # E1+E2 merged, E3, E4; E5 changed length
    lifter = Lifter(chain)
    assert lifter.lift("chr1", 100_050) == [("chr1", 105_050, "+")]
    assert lifter.lift("chr1", 101_500) == [("chr1", 106_500, "+")]  # the intron between E1 and E2
    assert lifter.lift("chr1", 99_800) == [("chr1", 104_800, "+")]  # padded into the flank
    assert lifter.lift("chr1", 150_000) == [] and lifter.lift("chr2", 90_050) == []
    assert lifter.lift("chr2", 50_050) == [("chr2", 49_050, "+")]
    assert check_chain(chain, dirs["grch38"], dirs["grch37"]) == {"gene_ends": 2, "mapped": 2, "exact": 2,
                                                                  "exact_of_mapped": 1.0}


def test_background_and_causal_variants_are_lifted_or_left_out(references, tmp_path):
    _, chain, _ = references
    fmt = "GT:AD:DP:GQ:PL\t0/1:5,5:10:99:100,0,100"
    lines = [f"chr1\t100050\trs1\tA\tG\t50\tPASS\tDP=10\t{fmt}", f"chr1\t150000\trs2\tC\tT\t50\tPASS\tDP=10\t{fmt}",
             f"chr2\t50050\t.\tAT\tA\t50\tPASS\tDP=10\t{fmt}"]
    vcf = write_vcf(tmp_path / "bg.vcf.gz", lines, samples=("manuel",), contigs=("chr1", "chr2"), index=True,
                    meta='##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
                         '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
                         '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="AD">\n'
                         '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="DP">\n'
                         '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="GQ">\n'
                         '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="PL">\n')
    lifted, counts = Background.load(vcf).lifted(Lifter(chain))
    assert counts == {"rows_in": 3, "lifted": 2, "unmapped": 1} and lifted.build == "GRCh37"
    assert list(zip(lifted.table["chrom"], lifted.table["pos"])) == [("chr1", 105_050), ("chr2", 49_050)]
    assert "##contig=<ID=chr1,length=249250621>" in lifted.meta_lines
    matched = Background.load(vcf).liftable_only(Lifter(chain))  # the GRCh38 side of the comparison
    assert matched.build == "GRCh38" and matched.table["pos"].tolist() == [100_050, 50_050]

    def case(*variants):
        return Case("c1", "x.json", "FEMALE", ("HP:0001250",), (), "G", "OMIM:1", "d",
                    tuple(CausalVariant(c, p, r, a, "heterozygous") for c, p, r, a in variants), 0)

    moved = lift_case(case(("chr1", 103_100, "C", "T")), Lifter(chain))
    assert isinstance(moved, Case) and moved.variants[0].pos == 108_100
    assert lift_case(case(("chr1", 103_100, "C", "T"), ("chr1", 150_000, "G", "A")), Lifter(chain)) == \
        "chr1:150000:G>A: unmapped"
