"""Sorted runs on disk and their merge into one table.

Each chunk's ranked rows, put in final order, are one run (an Arrow IPC file). The final table
interleaves the runs; because every run is already in final order, each output block needs only
the next few rows of each run, so the merge reads every run once, front to back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

_RUN_BATCH_ROWS = 16384


def write_run(table: pa.Table, path: Path) -> Path:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=_RUN_BATCH_ROWS)
    return path


def read_run(path: Path) -> pa.Table:
    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_file(source).read_all()


class _RunReader:
    """The rows of one run, handed out front to back."""

    def __init__(self, path: Path) -> None:
        self._source = pa.OSFile(str(path), "rb")
        self._file = pa.ipc.open_file(self._source)
        self._next_batch = 0
        self._buffered = self._file.schema.empty_table()

    def next(self, n: int) -> pa.Table:
        while self._buffered.num_rows < n:
            batch = self._file.get_batch(self._next_batch)
            self._next_batch += 1
            self._buffered = pa.concat_tables([self._buffered, pa.Table.from_batches([batch])])
        out, self._buffered = self._buffered.slice(0, n), self._buffered.slice(n)
        return out

    def close(self) -> None:
        self._source.close()


def merged_blocks(runs: list[Path], run_of_row: np.ndarray, block_rows: int = 65536) -> Iterator[pa.Table]:
    """The final table in blocks. `run_of_row[j]` names the run of final row j; within a run, rows
    come in the run's own order."""
    readers = [_RunReader(path) for path in runs]
    try:
        for start in range(0, len(run_of_row), block_rows):
            block = run_of_row[start:start + block_rows]
            counts = np.bincount(block, minlength=len(runs))
            table = pa.concat_tables([readers[k].next(int(n)) for k, n in enumerate(counts) if n])
            by_run = np.argsort(block, kind="stable")  # the concatenation's order
            position = np.empty(len(block), dtype=np.int64)
            position[by_run] = np.arange(len(block))
            yield table.take(pa.array(position))
    finally:
        for reader in readers:
            reader.close()


def sort_run(path: Path, order: Callable[[pa.Table], tuple[np.ndarray, pa.Table]]) -> pa.Table:
    """Rewrite a run in the order `order(table)` gives (row positions, and the table with any
    columns it fills in), replacing the file; returns the sorted rows."""
    positions, table = order(read_run(path))
    table = table.take(pa.array(positions))
    sorted_path = path.with_suffix(".sorted")
    write_run(table, sorted_path)
    sorted_path.replace(path)
    return table
