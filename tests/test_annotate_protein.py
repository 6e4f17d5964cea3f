"""FASTA-aware protein consequences of coding SNVs on both strands, codons split by an intron."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from test_annotate import annotate_records

CDS = "ATG" "GCT" "AAA" "TGG" "CAA" "GGA" "TCT" "CGT" "TTT" "CCC" "GAA" "CTT" "ACC" "GAT" "TAA"
_COMP = str.maketrans("ACGT", "TGCA")


def build_reference(tmp_path: Path) -> tuple[Path, Path, dict[int, str]]:
    """chr1 with PP (+; CDS c.1-19 at 103-121, c.20-45 at 200-225) and PM (-; c.1-18 at 517-500,
    c.19-45 at 430-404); returns FASTA, GTF and genomic position -> base."""
    seq = ["G"] * 1000
    plus = list(range(103, 122)) + list(range(200, 226))
    minus = list(range(517, 499, -1)) + list(range(430, 403, -1))
    for c, g in enumerate(plus):
        seq[g - 1] = CDS[c]
    for c, g in enumerate(minus):
        seq[g - 1] = CDS[c].translate(_COMP)
    fasta = tmp_path / "ref.fa"
    text = "".join(seq)
    fasta.write_text(">chr1\n" + "\n".join(text[i:i + 60] for i in range(0, len(text), 60)) + "\n")
    pysam.faidx(str(fasta))
    attrs = 'gene_id "{g}"; transcript_id "{t}"; gene_name "{g}"; tag "MANE_Select";'
    rows = []
    for feature, s, e in [("exon", 90, 121), ("exon", 200, 240), ("CDS", 103, 121), ("CDS", 200, 222),
                          ("stop_codon", 223, 225)]:
        rows.append(f"chr1\tT\t{feature}\t{s}\t{e}\t.\t+\t.\t" + attrs.format(g="PP", t="ENSTPP"))
    for feature, s, e in [("exon", 395, 430), ("exon", 500, 530), ("CDS", 407, 430), ("CDS", 500, 517),
                          ("stop_codon", 404, 406)]:
        rows.append(f"chr1\tT\t{feature}\t{s}\t{e}\t.\t-\t.\t" + attrs.format(g="PM", t="ENSTPM"))
    gtf = tmp_path / "pp.gtf"
    gtf.write_text("\n".join(rows) + "\n")
    return fasta, gtf, {i + 1: b for i, b in enumerate(text)}


def _comp(b: str) -> str:
    return b.translate(_COMP)


# (genomic position, ALT on the + strand, consequence, hgvs_c, hgvs_p)
CASES = [
    (106, "C", "missense_variant", "ENSTPP:c.4G>C", "p.Ala2Pro"),
    (108, "C", "synonymous_variant", "ENSTPP:c.6T>C", "p.Ala2="),
    (103, "G", "start_lost", "ENSTPP:c.1A>G", "p.Met1?"),
    (113, "A", "stop_gained", "ENSTPP:c.11G>A", "p.Trp4Ter"),
    (224, "C", "stop_lost", "ENSTPP:c.44A>C", "p.Ter15SerextTer?"),
    (200, "A", "missense_variant", "ENSTPP:c.20C>A", "p.Ser7Tyr"),  # codon 7 = c.19 (exon 1) + c.20-21
    (514, _comp("C"), "missense_variant", "ENSTPM:c.4G>C", "p.Ala2Pro"),
    (517, _comp("G"), "start_lost", "ENSTPM:c.1A>G", "p.Met1?"),
    (430, _comp("A"), "missense_variant", "ENSTPM:c.19T>A", "p.Ser7Thr"),  # minus strand, exon 2
]


@pytest.fixture()
def reference(tmp_path):
    return build_reference(tmp_path)


def test_protein_consequences_with_fasta(tmp_path, reference):
    fasta, gtf, base = reference
    records = [f"chr1 {p} . {base[p]} {alt} 50 PASS ." for p, alt, *_ in CASES]
    df, prov = annotate_records(tmp_path, gtf, records, fasta=str(fasta))
    got = {r.pos: (r.consequence, r.hgvs_c, r.hgvs_p) for r in df.itertuples()}
    for pos, _, term, c, p in CASES:
        assert got[pos] == (term, c, p), (pos, got[pos])
    assert prov.sources["reference_fasta"] == "ref.fa"


def test_without_fasta_coding_snvs_keep_hgvs_c_only(tmp_path, reference):
    _, gtf, base = reference
    df, _ = annotate_records(tmp_path, gtf, [f"chr1 106 . {base[106]} C 50 PASS ."])
    row = df.iloc[0]
    assert (row.consequence, row.hgvs_c) == ("coding_sequence_variant", "ENSTPP:c.4G>C")
    assert row.hgvs_p is None or row.hgvs_p != row.hgvs_p  # null (NaN in pandas)
