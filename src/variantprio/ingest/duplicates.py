"""Exact duplicate variants: later copies of a (CHROM, POS, REF, ALT) already written are dropped.

A kept copy would pair with itself as a compound heterozygote. Copies share their normalised
position, so in a position-sorted VCF they fall in one batch or straddle a batch (or parallel
chunk) boundary: each batch is checked on its rows that share a position, and the keys written at
or after the last read position are carried into the next batch.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Left-alignment can move a later record this far left of its raw POS onto an earlier copy
# (a long tandem repeat); trimming only moves records right, so without a FASTA nothing is needed.
LEFT_ALIGN_WINDOW = 100_000

Key = tuple[str, int, str, str, int]


class DuplicateFilter:
    """Marks rows repeating an earlier row of the stream; symbolic ALTs also compare their END
    (two <DEL>s at one POS with different ENDs are different variants)."""

    def __init__(self, window: int = 0) -> None:
        self.window = window
        self.carry: set[Key] = set()

    def duplicates(self, chrom: pa.Array, pos: np.ndarray, ref: pa.Array, alt: pa.Array, sv_end: np.ndarray,
                   last_read: tuple[str, int] | None) -> np.ndarray:
        """Boolean mask of the batch's rows that copy an earlier row; then remember the rows a later
        batch could still copy. `last_read` is the (canonical chrom, raw POS) of the batch's last record."""
        dup = np.zeros(len(pos), dtype=bool)
        if len(pos):
            dup[_repeated_within(chrom, pos, ref, alt, sv_end)] = True
            self._mark_carried(dup, chrom, pos, ref, alt, sv_end)
        if last_read is not None:
            self._remember(~dup, chrom, pos, ref, alt, sv_end, last_read)
        return dup

    def _mark_carried(self, dup: np.ndarray, chrom, pos, ref, alt, sv_end) -> None:
        if not self.carry:
            return
        carried_pos = [k[1] for k in self.carry]
        rows = np.flatnonzero((pos >= min(carried_pos)) & (pos <= max(carried_pos)) & ~dup)
        for i, key in zip(rows, _keys(rows, chrom, pos, ref, alt, sv_end)):
            dup[i] = key in self.carry

    def _remember(self, kept: np.ndarray, chrom, pos, ref, alt, sv_end, last_read: tuple[str, int]) -> None:
        name, last_pos = last_read
        floor = last_pos - self.window
        same = pc.fill_null(pc.equal(chrom, name), False).to_numpy(zero_copy_only=False) if len(pos) else kept
        rows = np.flatnonzero(kept & same & (pos >= floor))
        self.carry = {k for k in self.carry if k[0] == name and k[1] >= floor}
        self.carry.update(_keys(rows, chrom, pos, ref, alt, sv_end))


def _keys(rows: np.ndarray, chrom, pos, ref, alt, sv_end) -> list[Key]:
    if not len(rows):
        return []
    take = pa.array(rows, pa.int64())
    return list(zip(chrom.take(take).to_pylist(), pos[rows].tolist(), ref.take(take).to_pylist(),
                    alt.take(take).to_pylist(), sv_end[rows].tolist()))


def _repeated_within(chrom: pa.Array, pos: np.ndarray, ref: pa.Array, alt: pa.Array,
                     sv_end: np.ndarray) -> np.ndarray:
    """Indices of rows equal to an earlier row of the same batch, comparing only rows that share a
    position with another (split multi-allelics, copies): most batches have few."""
    order = np.argsort(pos, kind="stable")
    equal_next = np.flatnonzero(pos[order][1:] == pos[order][:-1])
    if not len(equal_next):
        return equal_next
    rows = np.unique(np.concatenate([order[equal_next], order[equal_next + 1]]))
    take = pa.array(rows, pa.int64())
    keys = pa.table({"pos": pos[rows], "chrom": chrom.take(take), "ref": ref.take(take), "alt": alt.take(take),
                     "sv_end": sv_end[rows], "row": rows})
    ranked = keys.take(pc.sort_indices(keys, [(c, "ascending") for c in keys.column_names]))
    same = np.ones(len(rows) - 1, dtype=bool)
    for name in ("pos", "chrom", "ref", "alt", "sv_end"):
        column = ranked.column(name)
        same &= pc.fill_null(pc.equal(column.slice(1), column.slice(0, len(rows) - 1)),
                             False).to_numpy(zero_copy_only=False)
    return ranked.column("row").to_numpy()[1:][same]
