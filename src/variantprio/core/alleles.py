"""Alleles and variant keys, the same in every stage: symbolic ALTs, trimming to the minimal
representation, left-alignment, and the `chrom:pos:ref>alt` label.

Works on whole Arrow arrays; Python loops only touch the rare rows that need string surgery
(untrimmed alleles, indels when a FASTA is given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schemas import col

if TYPE_CHECKING:
    import pandas as pd

# gVCF reference blocks and spanning deletions: not variants of their own.
REF_BLOCK_ALTS = frozenset({"<NON_REF>", "<*>"})
SPANNING_DELETION = "*"


def is_symbolic(alt: pa.Array) -> np.ndarray:
    """Symbolic (<DEL>), breakend (G]17:1], .G) alleles: structural variants, kept but flagged."""
    return pc.match_substring_regex(alt, r"^<|[\[\]]|^\..|.\.$").to_numpy(zero_copy_only=False)


def allele_lengths(alleles: pa.Array) -> np.ndarray:
    return pc.utf8_length(alleles).to_numpy(zero_copy_only=False).astype(np.int64)


def _patched(array: pa.Array, rows: np.ndarray, values: list[str]) -> pa.Array:
    """`array` with the strings at `rows` (ascending) replaced by `values`."""
    if not len(rows):
        return array
    mask = np.zeros(len(array), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(array, pa.array(mask), pa.array(values, array.type))


def trim_alleles(pos: np.ndarray, ref: pa.Array, alt: pa.Array, skip: np.ndarray
                 ) -> tuple[np.ndarray, pa.Array, pa.Array, int]:
    """Drop shared trailing then leading bases (keeping one), as left after splitting 'AT>A,ATT'."""
    lens_r, lens_a = allele_lengths(ref), allele_lengths(alt)
    candidates = np.flatnonzero((lens_r > 1) & (lens_a > 1) & ~skip)
    return _rewrite(candidates, pos, ref, alt, lambda i, p, r, a: _trim_one(p, r, a))


def _rewrite(rows: np.ndarray, pos: np.ndarray, ref: pa.Array, alt: pa.Array, change
             ) -> tuple[np.ndarray, pa.Array, pa.Array, int]:
    """Apply change(i, pos, ref, alt) -> (pos, ref, alt) to a few rows; count the rows it altered."""
    pos = pos.copy()
    refs = ref.take(pa.array(rows, pa.int64())).to_pylist()
    alts = alt.take(pa.array(rows, pa.int64())).to_pylist()
    changed_rows, new_refs, new_alts = [], [], []
    for i, r, a in zip(rows, refs, alts):
        p2, r2, a2 = change(i, int(pos[i]), r, a)
        if (p2, r2, a2) != (pos[i], r, a):
            pos[i] = p2
            changed_rows.append(i)
            new_refs.append(r2)
            new_alts.append(a2)
    changed = np.array(changed_rows, dtype=np.int64)
    return pos, _patched(ref, changed, new_refs), _patched(alt, changed, new_alts), len(changed)


def _trim_one(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def left_align(chrom: np.ndarray, pos: np.ndarray, ref: pa.Array, alt: pa.Array, skip: np.ndarray,
               fetch) -> tuple[np.ndarray, pa.Array, pa.Array, int]:
    """Shift trimmed indels to their leftmost equivalent position (VCF/vt normalisation).

    `fetch(chrom, start0, end0)` returns reference bases (0-based, half-open, upper case).
    """
    lens_r, lens_a = allele_lengths(ref), allele_lengths(alt)
    indels = np.flatnonzero((lens_r != lens_a) & ~skip)
    return _rewrite(indels, pos, ref, alt, lambda i, p, r, a: _left_align_one(chrom[i], p, r, a, fetch))


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


def variant_key(df: pd.DataFrame) -> pd.Series:
    """chrom:pos:ref>alt, the variant label used in every output."""
    return df[col.chrom].astype(str) + ":" + df[col.pos].astype(str) + ":" + df[col.ref].astype(str) + ">" \
        + df[col.alt].astype(str)
