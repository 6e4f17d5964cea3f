"""A proband's candidate rows cut into gene chunks of bounded size.

A genome gives 2-3 million variant x gene candidate rows; as one pandas frame with every
annotation column they take several GB. Everything rank decides for a gene depends on that
gene's rows only, so each chunk holds whole genes: the genes of the annotation table, in file
order, cut once a chunk has `max_rows` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..schemas import col


@dataclass(frozen=True)
class Chunk:
    """The annotation rows (row numbers in annotations.parquet, ascending) of some whole genes."""

    ann_rows: np.ndarray

    def variant_idx(self, plan: ChunkPlan) -> np.ndarray:
        """Distinct variant_idx of the chunk's rows, ascending."""
        return np.unique(plan.row_variant_idx[np.searchsorted(plan.rows, self.ann_rows)])


@dataclass(frozen=True)
class ChunkPlan:
    chunks: list[Chunk]
    rows: np.ndarray  # every gene-bearing annotation row of a segregating variant (row numbers)
    row_variant_idx: np.ndarray  # their variant_idx
    intergenic: int  # annotation rows of segregating variants without a gene (nothing to rank)


def plan_chunks(annotations_path: Path | str, segregating: np.ndarray, max_rows: int) -> ChunkPlan:
    """Chunks of whole genes over the annotation rows whose variant is in `segregating`.

    Genes are taken in the order of their first row, so a chunk's rows sit close together in the
    file (a gene on two contigs, as in the pseudo-autosomal regions, still stays in one chunk)."""
    keys = pq.read_table(annotations_path, columns=[col.variant_idx, col.gene_symbol])
    idx = keys.column(col.variant_idx).to_numpy()
    wanted = np.isin(idx, segregating)
    genes = keys.column(col.gene_symbol).combine_chunks().dictionary_encode()
    codes = genes.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    del keys, genes
    intergenic = int((wanted & (codes < 0)).sum())
    rows = np.flatnonzero(wanted & (codes >= 0))
    codes = codes[rows]
    if not len(rows):
        return ChunkPlan([], rows, idx[rows], intergenic)
    distinct, first, inverse, size = np.unique(codes, return_index=True, return_inverse=True, return_counts=True)
    by_first = np.argsort(first, kind="stable")  # gene order: first appearance in the file
    chunk_of_gene = np.empty(len(distinct), dtype=np.int64)
    chunk_of_gene[by_first] = _cut(size[by_first], max_rows)
    chunk_of_row = chunk_of_gene[inverse]
    order = np.argsort(chunk_of_row, kind="stable")  # rows stay ascending within a chunk
    bounds = np.flatnonzero(np.diff(chunk_of_row[order])) + 1
    chunks = [Chunk(rows[part]) for part in np.split(order, bounds)]
    return ChunkPlan(chunks, rows, idx[rows], intergenic)


def _cut(sizes: np.ndarray, max_rows: int) -> np.ndarray:
    """Chunk number of each gene (in the given order): a new chunk once `max_rows` would be passed."""
    chunk = np.empty(len(sizes), dtype=np.int64)
    current, filled = 0, 0
    for i, size in enumerate(sizes.tolist()):
        if filled and filled + size > max_rows:
            current, filled = current + 1, 0
        chunk[i] = current
        filled += size
    return chunk


class RowReader:
    """Rows of a Parquet file by row number, decoding one row group at a time. The last group stays
    decoded: consecutive chunks share their boundary groups."""

    def __init__(self, path: Path | str, columns: list[str] | None = None) -> None:
        self._file = pq.ParquetFile(path)
        self._columns = columns
        sizes = [self._file.metadata.row_group(i).num_rows for i in range(self._file.metadata.num_row_groups)]
        self._starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._cached: tuple[int, pa.Table] | None = None
        self.num_rows = int(self._starts[-1])

    def take(self, rows: np.ndarray) -> pa.Table:
        """The rows at these ascending row numbers, in that order."""
        if not len(rows):
            return self._file.schema_arrow.empty_table().select(self._columns or self._file.schema_arrow.names)
        group_of = np.searchsorted(self._starts, rows, side="right") - 1
        starts = np.r_[0, np.flatnonzero(np.diff(group_of)) + 1]  # rows ascend: a group's rows are one run
        return pa.concat_tables([self._group(int(group_of[first])).take(pa.array(rows[first:end]
                                                                                  - self._starts[group_of[first]]))
                                 for first, end in zip(starts, np.r_[starts[1:], len(rows)])])

    def _group(self, group: int) -> pa.Table:
        if self._cached is None or self._cached[0] != group:
            self._cached = None  # free the previous group before decoding the next
            self._cached = (group, self._file.read_row_group(group, columns=self._columns))
        return self._cached[1]


def read_variant_rows(reader: RowReader, variant_idx: np.ndarray, path: Path | str) -> pa.Table:
    """Rows of ingest's variants table by variant_idx, which is its row number (checked)."""
    if len(variant_idx) and int(variant_idx.max()) >= reader.num_rows:
        raise InputError(f"annotations name variant_idx {int(variant_idx.max())}, but the variant table has "
                         f"{reader.num_rows} rows", path=str(path), hint="annotate this variants.parquet again")
    table = reader.take(variant_idx)
    if not np.array_equal(table.column(col.variant_idx).to_numpy(), variant_idx):
        raise InputError("variant_idx is not the row number of the variant table", path=str(path),
                         hint="re-run ingest to write it again")
    return table
