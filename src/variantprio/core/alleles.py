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



def _encoded(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(dense code per value, the distinct values in code order)."""
    enc = pc.dictionary_encode(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary


def _alleles(table: pa.Table) -> pa.Array:
    """REF and ALT as one string (a tab never occurs in either)."""
    joined = pc.binary_join_element_wise(table.column(col.ref).cast(pa.string()),
                                         table.column(col.alt).cast(pa.string()), "\t")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


class AlleleKeys:
    """One int64 per row of a (chrom, pos, ref, alt) table, equal exactly when the alleles are: its
    contigs and allele strings are coded once, so joining several sources onto the same rows hashes
    no strings twice and needs no four-column merge."""

    def __init__(self, keys: pa.Table) -> None:
        self.chrom, self.contigs = _encoded(keys.column(col.chrom))
        self.allele, self.alleles = _encoded(_alleles(keys))
        self.pos = keys.column(col.pos).to_numpy().astype(np.int64)
        self.widths = [max(int(v.max()) if len(v) else 0, 1).bit_length() for v in (self.chrom, self.pos, self.allele)]
        self.fits = sum(self.widths) <= 63  # else ranks of (chrom, pos, allele) stand in
        self.packed = self._pack(self.chrom, self.pos, self.allele) if self.fits else \
            _ranks(self.chrom, self.pos, self.allele)

    def _pack(self, chrom: np.ndarray, pos: np.ndarray, allele: np.ndarray) -> np.ndarray:
        return (chrom << (self.widths[1] + self.widths[2])) | (pos << self.widths[2]) | allele

    def first_rows(self) -> np.ndarray:
        """Index of the first row of each distinct allele."""
        order = np.argsort(self.packed, kind="stable")
        step = np.r_[True, self.packed[order][1:] != self.packed[order][:-1]] if len(order) else np.zeros(0, bool)
        return np.sort(order[step])

    def index_of(self, rows: pa.Table) -> np.ndarray:
        """For each key row, the index of the row of `rows` (each allele once) holding its allele;
        -1 when none does."""
        chrom = pc.index_in(rows.column(col.chrom).cast(pa.string()), value_set=self.contigs)
        allele = pc.index_in(_alleles(rows), value_set=self.alleles)
        chrom = pc.fill_null(chrom, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        allele = pc.fill_null(allele, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        pos = rows.column(col.pos).to_numpy().astype(np.int64)
        known = np.flatnonzero((chrom >= 0) & (allele >= 0) & (pos >= 0) & (pos < (1 << self.widths[1])))
        if self.fits:
            theirs = self._pack(chrom[known], pos[known], allele[known])
            ours = self.packed
        else:
            n = len(self.chrom)
            ranks = _ranks(np.r_[self.chrom, chrom[known]], np.r_[self.pos, pos[known]],
                           np.r_[self.allele, allele[known]])
            ours, theirs = ranks[:n], ranks[n:]
        order = np.argsort(theirs, kind="stable")
        if not len(order):
            return np.full(len(ours), -1, np.int64)
        at = np.minimum(np.searchsorted(theirs[order], ours), len(order) - 1)
        return np.where(theirs[order][at] == ours, known[order[at]], -1)


def _ranks(*columns: np.ndarray) -> np.ndarray:
    """Dense rank of each row's tuple of values (equal tuples, equal ranks)."""
    order = np.lexsort(columns[::-1])
    step = np.zeros(len(order), bool)
    step[:1] = True
    for c in columns:
        step[1:] |= c[order][1:] != c[order][:-1]
    ranks = np.empty(len(order), np.int64)
    ranks[order] = np.cumsum(step) - 1
    return ranks
