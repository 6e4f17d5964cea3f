"""Allele-level normalisation: multi-allelic splitting, genotype remapping, trimming, left-alignment.

Works on whole batches; Python loops only touch the rare rows that need string surgery
(multi-allelic annotation entries, untrimmed alleles, indels when a FASTA is given).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schemas import ZYG_HEMI, ZYG_HET, ZYG_HOM_ALT, ZYG_HOM_REF, ZYG_MISSING
from .reader import RawBatch

# gVCF reference blocks and spanning deletions: not variants of their own.
REF_BLOCK_ALTS = frozenset({"<NON_REF>", "<*>"})
SPANNING_DELETION = "*"


@dataclass
class SplitRows:
    """One row per kept ALT: the record it came from and the ALT's allele index (1-based)."""

    record: np.ndarray  # int64 index into the RawBatch
    allele: np.ndarray  # int16 allele index k of this ALT in the record
    alt: np.ndarray  # object (str)
    n_star: int
    n_ref_block: int
    n_no_alt: int


def split_multiallelic(raw: RawBatch) -> SplitRows:
    """Explode records into ALT rows, dropping '*', <NON_REF>/<*> and ALT '.'."""
    n_alt = raw.n_alt
    record = np.repeat(np.arange(len(n_alt)), n_alt)
    starts = np.repeat(np.cumsum(n_alt) - n_alt, n_alt)
    allele = (np.arange(len(record)) - starts + 1).astype(np.int16)
    alt = raw.alt_flat
    is_star = alt == SPANNING_DELETION
    is_block = np.isin(alt, list(REF_BLOCK_ALTS)) if len(alt) else np.zeros(0, bool)
    keep = ~(is_star | is_block)
    return SplitRows(record[keep], allele[keep], alt[keep], int(is_star.sum()), int(is_block.sum()),
                     int((n_alt == 0).sum()))


def is_symbolic(alt: np.ndarray) -> np.ndarray:
    """Symbolic (<DEL>), breakend (G]17:1], .G) alleles: structural variants, kept but flagged."""
    if not len(alt):
        return np.zeros(0, dtype=bool)
    found = pc.match_substring_regex(pa.array(alt, pa.string()), r"^<|[\[\]]|^\..|.\.$")
    return found.to_numpy(zero_copy_only=False)


def allele_lengths(alleles: np.ndarray) -> np.ndarray:
    """len() of each allele string, computed in Arrow rather than a Python loop."""
    if not len(alleles):
        return np.zeros(0, dtype=np.int64)
    return pc.utf8_length(pa.array(alleles, pa.string())).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class GenotypeColumns:
    """Per-row, per-sample arrays for one ALT (shape rows x samples)."""

    gt: np.ndarray  # int8 copies of this ALT, -1 missing
    zygosity: np.ndarray  # int8
    phased: np.ndarray  # bool
    ad_ref: np.ndarray  # int32, -1 missing
    ad_alt: np.ndarray  # int32, -1 missing
    ad_total: np.ndarray  # int32 sum of AD over all alleles, -1 missing
    dp: np.ndarray
    gq: np.ndarray
    ps: np.ndarray


def remap_genotypes(raw: RawBatch, rows: SplitRows) -> GenotypeColumns:
    """Genotypes and Number=R depths for each ALT row: the gt is the count of THIS alt.

    A 1/2 call becomes het on both rows; haploid calls carrying the ALT are hemizygous.
    """
    alleles = raw.gt[rows.record]  # (m, S, P)
    k = rows.allele[:, None, None]
    copies = (alleles == k).sum(axis=2)
    called = (alleles >= 0).sum(axis=2)
    ploidy = (alleles != -2).sum(axis=2)
    gt = np.where(called == 0, -1, copies).astype(np.int8)
    zyg = np.select(
        [called == 0, copies == 0, ploidy == 1, copies >= ploidy],
        [ZYG_MISSING, ZYG_HOM_REF, ZYG_HEMI, ZYG_HOM_ALT], default=ZYG_HET).astype(np.int8)
    ad = raw.ad[rows.record]  # (m, S, A): Number=R, index 0 is REF, index k this ALT
    width = ad.shape[2]
    ad_ref = ad[:, :, 0]
    safe_k = np.minimum(rows.allele.astype(np.int64), width - 1)
    ad_alt = np.take_along_axis(ad, safe_k[:, None, None].repeat(ad.shape[1], axis=1), axis=2)[:, :, 0]
    ad_alt = np.where((rows.allele[:, None] < width), ad_alt, -1)
    valid = ad >= 0
    ad_total = np.where(valid.any(axis=2), np.where(valid, ad, 0).sum(axis=2), -1).astype(np.int32)
    return GenotypeColumns(gt=gt, zygosity=zyg, phased=raw.phased[rows.record] & (called > 0),
                           ad_ref=ad_ref, ad_alt=ad_alt, ad_total=ad_total, dp=raw.dp[rows.record],
                           gq=raw.gq[rows.record], ps=raw.ps[rows.record])


def trim_alleles(pos: np.ndarray, ref: np.ndarray, alt: np.ndarray, skip: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Drop shared trailing then leading bases (keeping one), as left after splitting 'AT>A,ATT'."""
    lens_r, lens_a = allele_lengths(ref), allele_lengths(alt)
    candidates = np.flatnonzero((lens_r > 1) & (lens_a > 1) & ~skip)
    pos, ref, alt = pos.copy(), ref.copy(), alt.copy()
    changed = 0
    for i in candidates:
        p, r, a = _trim_one(int(pos[i]), ref[i], alt[i])
        if (p, r, a) != (pos[i], ref[i], alt[i]):
            pos[i], ref[i], alt[i] = p, r, a
            changed += 1
    return pos, ref, alt, changed


def _trim_one(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def left_align(chrom: np.ndarray, pos: np.ndarray, ref: np.ndarray, alt: np.ndarray, skip: np.ndarray,
               fetch) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Shift trimmed indels to their leftmost equivalent position (VCF/vt normalisation).

    `fetch(chrom, start0, end0)` returns reference bases (0-based, half-open, upper case).
    """
    lens_r, lens_a = allele_lengths(ref), allele_lengths(alt)
    indels = np.flatnonzero((lens_r != lens_a) & ~skip)
    pos, ref, alt = pos.copy(), ref.copy(), alt.copy()
    moved = 0
    for i in indels:
        p, r, a = _left_align_one(chrom[i], int(pos[i]), ref[i], alt[i], fetch)
        if p != pos[i]:
            pos[i], ref[i], alt[i] = p, r, a
            moved += 1
    return pos, ref, alt, moved


def _left_align_one(chrom: str, pos: int, ref: str, alt: str, fetch, window: int = 64
                    ) -> tuple[int, str, str]:
    upstream, up_start = "", pos - 1  # reference bases before `pos`, fetched in windows
    while True:
        if ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        elif not ref or not alt:
            if pos <= 1:
                break
            if not upstream:
                up_start = max(0, pos - 1 - window)
                upstream = fetch(chrom, up_start, pos - 1)
                if not upstream:
                    break
            base, upstream = upstream[-1], upstream[:-1]
            ref, alt, pos = base + ref, base + alt, pos - 1
        else:
            break
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt
