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


def test_without_fasta_codon_position_priors_follow_the_genetic_code(tmp_path, reference):
    """The priors must agree with what the FASTA run calls: 3rd-base transitions synonymous, 2nd-base
    changes never; the start codon and the FASTA run itself get no prior."""
    fasta, gtf, base = reference
    records = [f"chr1 {p} . {base[p]} {alt} 50 PASS ." for p, alt, *_ in CASES]
    df, _ = annotate_records(_dir(tmp_path / "nofasta"), gtf, records)
    got = df.set_index("pos")
    assert got.loc[106, "p_synonymous"] == 0  # c.4G>C: a first-base G change is never synonymous
    assert got.loc[108, "p_synonymous"] == pytest.approx(1.0)  # c.6T>C: third-base T>C always is
    assert got.loc[113, "p_synonymous"] == 0 and got.loc[113, "p_stop_gained"] > 0  # c.11G>A (TGG>TAG)
    assert got.loc[430, "p_synonymous"] == 0  # minus strand, c.19T>A read on the coding strand
    assert got.loc[[103, 517], "p_synonymous"].isna().all()  # start codon: start_lost, not a prior
    with_fasta, _ = annotate_records(_dir(tmp_path / "fasta"), gtf, records, fasta=str(fasta))
    assert with_fasta["p_synonymous"].isna().all() and with_fasta["p_stop_gained"].isna().all()


def test_codon_position_priors_match_exhaustive_codon_enumeration():
    import itertools

    import numpy as np

    from variantprio.annotate.protein import CODON_TABLE, codon_position_priors

    sense = [c for c, aa in CODON_TABLE.items() if aa != "*"]
    for position, ref, alt in itertools.product(range(3), "ACGT", "ACGT"):
        if ref == alt:
            continue
        codons = [c for c in sense if c[position] == ref]
        new = [CODON_TABLE[c[:position] + alt + c[position + 1:]] for c in codons]
        syn, stop = codon_position_priors(np.array([position]), np.array([ref]), np.array([alt]))
        assert syn[0] == pytest.approx(sum(n == CODON_TABLE[c] for c, n in zip(codons, new)) / len(codons))
        assert stop[0] == pytest.approx(sum(n == "*" for n in new) / len(codons))
    syn, _ = codon_position_priors(np.array([2, 2]), np.array(["N", "A"]), np.array(["A", "AT"]))
    assert np.isnan(syn).all()  # unknown base, multi-base allele


def _dir(path: Path) -> Path:
    path.mkdir()
    return path
