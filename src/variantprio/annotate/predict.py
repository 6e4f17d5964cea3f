"""Consequences of variants on gene-model transcripts, vectorised over (variant, transcript) pairs.

Pairs come from one DuckDB range join on genome-wide coordinates (contig code * 2^32 + position),
exons are found with numpy searchsorted on (transcript << 32 | position) keys. Each pair gets the
most severe SO term; per variant and gene the most severe pair wins (MANE on ties).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from ..core.genemodel import ModelArrays
from .consequences import RANK, UNKNOWN_RANK

FLANK = 5000  # upstream/downstream_gene_variant distance, as in VEP
_SHIFT = np.int64(32)
_NONE = np.int32(UNKNOWN_RANK + 1)


@dataclass
class VariantSpans:
    """Reference interval [s, e] each variant touches (1-based). Insertions are empty, s = e + 1:
    the new bases sit between e and s, so a window holds one only if it holds both flanks."""

    s: np.ndarray
    e: np.ndarray
    delta: np.ndarray  # len(alt) - len(ref): indel size
    is_sv: np.ndarray
    sv_kind: np.ndarray  # 0 none, 1 deletion-like, 2 duplication-like, 3 other


def variant_spans(pos: np.ndarray, ref: pa.Array, alt: pa.Array, is_sv: np.ndarray,
                  sv_end: np.ndarray) -> VariantSpans:
    """Affected reference interval of each variant from VCF-style (anchored) alleles."""
    import pyarrow.compute as pc

    rlen = pc.utf8_length(ref).to_numpy().astype(np.int64)
    alen = pc.utf8_length(alt).to_numpy().astype(np.int64)
    anchored = (pc.equal(pc.utf8_slice_codeunits(ref, 0, 1), pc.utf8_slice_codeunits(alt, 0, 1))
                .to_numpy(zero_copy_only=False) & (rlen != alen))
    pos = pos.astype(np.int64)
    s = pos.copy()
    e = pos + rlen - 1
    s[anchored] += np.minimum(rlen, alen)[anchored]  # bases after the shared anchor
    alt_s = alt.to_numpy(zero_copy_only=False).astype(str)
    kind = np.zeros(len(pos), np.int8)
    if is_sv.any():
        sv = np.flatnonzero(is_sv)
        tags = alt_s[sv]
        kind[sv] = np.where(np.char.startswith(tags, "<DEL") | np.char.startswith(tags, "<CN0"), 1,
                            np.where(np.char.startswith(tags, "<DUP") | np.char.startswith(tags, "<INS")
                                     | np.char.startswith(tags, "<CNV"), 2, 3))
        end = np.where(np.isnan(sv_end[sv]), pos[sv], sv_end[sv]).astype(np.int64)
        s[sv] = pos[sv] + 1
        e[sv] = np.maximum(end, pos[sv] + 1)
    return VariantSpans(s, e, np.where(is_sv, 0, alen - rlen), is_sv, kind)


def overlapping_pairs(chrom_code: np.ndarray, spans: VariantSpans, model: ModelArrays,
                      threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(variant index, transcript index) of every transcript within FLANK of a variant."""
    ok = chrom_code >= 0
    vg = chrom_code.astype(np.int64) << _SHIFT
    tg = model.chrom_code << _SHIFT
    v = pa.table({"i": np.flatnonzero(ok), "lo": (vg + np.minimum(spans.s, spans.e))[ok],
                  "hi": (vg + np.maximum(spans.s, spans.e))[ok]})
    t = pa.table({"j": np.arange(len(tg)), "lo": tg + model.start - FLANK, "hi": tg + model.end + FLANK})
    con = duckdb.connect(config={"threads": max(1, threads)})
    con.register("v", v)
    con.register("t", t)
    res = con.execute("SELECT v.i, t.j FROM v JOIN t ON v.hi >= t.lo AND v.lo <= t.hi").fetchnumpy()
    return np.asarray(res["i"], np.int64), np.asarray(res["j"], np.int64)


def _ov(s, e, lo, hi):
    """Interval [s, e] overlaps [lo, hi]; for an insertion (s = e + 1) both flanks must lie inside."""
    return (e >= lo) & (s <= hi)


@dataclass
class PairConsequences:
    rank: np.ndarray  # severity rank of the worst term per pair
    inside: np.ndarray  # variant overlaps the transcript (else up/downstream)
    distance: np.ndarray  # to the transcript for flanking pairs, else 0
    exon: np.ndarray  # exon number on the transcript's strand (0 = none)
    intron: np.ndarray
    n_exons: np.ndarray
    coding: np.ndarray  # touches the coding sequence
    coding_snv: np.ndarray  # single-base substitution inside the CDS
    exon_index: np.ndarray  # global index of the last exon starting at or before the variant end


def pair_consequences(vi: np.ndarray, ti: np.ndarray, spans: VariantSpans, m: ModelArrays) -> PairConsequences:
    """Worst consequence of each (variant, transcript) pair."""
    s, e = spans.s[vi], spans.e[vi]
    ts, te, strand = m.start[ti], m.end[ti], m.strand[ti]
    plus = strand > 0
    inside = _ov(s, e, ts, te) | ((s == e + 1) & (e >= ts) & (e <= te))
    rank = np.full(len(vi), _NONE, np.int32)

    def hit(mask, term):
        np.minimum(rank, np.where(mask, np.int32(RANK[term]), _NONE), out=rank)

    before = e < ts
    upstream = ~inside & (before == plus)
    hit(~inside & upstream, "upstream_gene_variant")
    hit(~inside & ~upstream, "downstream_gene_variant")
    distance = np.where(inside, 0, np.where(before, ts - e, s - te))

    off_lo, off_hi = m.exon_offsets[ti], m.exon_offsets[ti + 1]
    n_ex = off_hi - off_lo
    key_t = ti.astype(np.int64) << _SHIFT
    start_key = (np.repeat(np.arange(len(m.start), dtype=np.int64), np.diff(m.exon_offsets)) << _SHIFT)
    end_key = start_key + m.exon_end
    start_key = start_key + m.exon_start

    def last_start_le(x):  # last exon of the transcript starting at or before x (-1: none)
        j = np.searchsorted(start_key, key_t + x, side="right") - 1
        return np.where(j >= off_lo, j, -1)

    def first_end_ge(x):  # first exon ending at or after x (-1: none)
        j = np.searchsorted(end_key, key_t + x, side="left")
        return np.where(j < off_hi, j, -1)

    a, b = first_end_ge(s), last_start_le(e)
    exonic = inside & (a >= 0) & (b >= 0) & (a <= b)
    spans_intron = exonic & (b > a)

    # Splice windows of the exon boundaries near either end of the variant.
    site_lo = spans_intron.copy()  # intronic 1-2 bases before an exon start (+: acceptor, -: donor)
    site_hi = spans_intron.copy()  # intronic 1-2 bases after an exon end (+: donor, -: acceptor)
    region = np.zeros(len(vi), bool)
    safe = lambda j: np.clip(j, 0, len(m.exon_start) - 1)  # noqa: E731
    for x in (s, e):
        j = last_start_le(x + 8)
        has = j >= 0
        S, E = m.exon_start[safe(j)], m.exon_end[safe(j)]
        not_first, not_last = has & (j > off_lo), has & (j < off_hi - 1)
        site_lo |= not_first & _ov(s, e, S - 2, S - 1)
        region |= not_first & (_ov(s, e, S - 8, S - 3) | _ov(s, e, S, S + 2))
        site_hi |= not_last & _ov(s, e, E + 1, E + 2)
        region |= not_last & (_ov(s, e, E + 3, E + 8) | _ov(s, e, E - 2, E))
        prev = has & (j - 1 >= off_lo)
        Ep = m.exon_end[safe(j - 1)]
        site_hi |= prev & _ov(s, e, Ep + 1, Ep + 2)
        region |= prev & (_ov(s, e, Ep + 3, Ep + 8) | _ov(s, e, Ep - 2, Ep))
    small = inside & ~spans.is_sv[vi]
    hit(small & ((site_lo & plus) | (site_hi & ~plus)), "splice_acceptor_variant")
    hit(small & ((site_hi & plus) | (site_lo & ~plus)), "splice_donor_variant")
    hit(small & region, "splice_region_variant")

    # Coding sequence: the variant clipped to the CDS span still overlaps an exon.
    cs_lo, cs_hi = m.cds_start[ti], m.cds_end[ti]
    has_cds = cs_lo > 0
    cs, ce = np.maximum(s, cs_lo), np.minimum(e, cs_hi)
    clipped_ok = (cs <= ce) | ((s == e + 1) & (cs == s) & (ce == e))
    a2, b2 = first_end_ge(cs), last_start_le(ce)
    coding = exonic & has_cds & clipped_ok & (a2 >= 0) & (b2 >= 0) & (a2 <= b2)
    delta = spans.delta[vi]
    hit(small & coding & (delta % 3 != 0), "frameshift_variant")
    hit(small & coding & (delta != 0) & (delta % 3 == 0) & (delta > 0), "inframe_insertion")
    hit(small & coding & (delta != 0) & (delta % 3 == 0) & (delta < 0), "inframe_deletion")
    hit(small & coding & (delta == 0), "coding_sequence_variant")
    utr_low = exonic & has_cds & ~coding & (s < cs_lo)  # genomic left of the CDS
    utr_high = exonic & has_cds & ~coding & ~(s < cs_lo)
    hit(small & ((utr_low & plus) | (utr_high & ~plus)), "5_prime_UTR_variant")
    hit(small & ((utr_high & plus) | (utr_low & ~plus)), "3_prime_UTR_variant")
    # Pseudo-transcripts (no transcript ID: genes without MANE in the reference tables) have no
    # real exon structure: report only that the variant lies in the non-coding gene.
    real = m.has_structure[ti]
    hit(small & exonic & ~has_cds & real, "non_coding_transcript_exon_variant")
    hit(small & exonic & ~has_cds & ~real, "non_coding_transcript_variant")
    hit(inside & ~exonic, "intron_variant")

    # Structural variants: whole-transcript loss/gain, else truncation/elongation of exons.
    kind = spans.sv_kind[vi]
    sv = inside & spans.is_sv[vi]
    covers = (s <= ts) & (e >= te)
    hit(sv & covers & (kind == 1), "transcript_ablation")
    hit(sv & covers & (kind == 2), "transcript_amplification")
    hit(sv & ~covers & exonic & ((kind == 1) | (kind == 3)), "feature_truncation")
    hit(sv & ~covers & exonic & (kind == 2), "feature_elongation")

    idx_exon = np.where(exonic & real, np.where(plus, a - off_lo + 1, off_hi - a), 0)
    idx_intron = np.where(inside & ~exonic & (b >= 0) & real, np.where(plus, b - off_lo + 1, off_hi - 1 - b), 0)
    coding_snv = small & coding & (delta == 0) & (e == s)
    return PairConsequences(rank, inside, distance, idx_exon, idx_intron, n_ex, coding, coding_snv, b)
