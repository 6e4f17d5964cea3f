"""The background half of the serial ingest: prepare + write on a second thread, in order, with
errors raised in the calling thread (the writing side's first, as it concerns earlier records)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from variantprio.ingest.background import write_in_background


class _Tables:
    """Stands in for TableWriter: keeps what it is given."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.tables: list[pa.Table] = []
        self.fail_at = fail_at

    def write(self, table: pa.Table) -> None:
        if self.fail_at is not None and len(self.tables) == self.fail_at:
            raise OSError("disk full")
        self.tables.append(table)


def _batch(values: list[int]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"x": pa.array(values, pa.int64())})


def test_items_are_prepared_and_written_in_order_in_row_groups():
    writer = _Tables()
    items = [list(range(i * 3, i * 3 + 3)) for i in range(10)]
    write_in_background(writer, iter(items), _batch, row_group_rows=7)
    assert [t.num_rows for t in writer.tables] == [9, 9, 9, 3]
    assert pa.concat_tables(writer.tables).column("x").to_pylist() == list(range(30))


def test_empty_batches_are_skipped_and_prepared_batches_pass_through():
    writer = _Tables()
    write_in_background(writer, iter([_batch([]), _batch([1, 2]), _batch([])]))
    assert [t.num_rows for t in writer.tables] == [2]


def test_a_preparation_error_wins_over_a_later_reading_error():
    def items():
        yield [1]
        yield [2]
        raise ValueError("bad record 3")

    def prepare(values: list[int]) -> pa.RecordBatch:
        if values == [2]:
            raise RuntimeError("unsorted at record 2")
        return _batch(values)

    with pytest.raises(RuntimeError, match="unsorted at record 2"):
        write_in_background(_Tables(), items(), prepare)


def test_a_reading_error_is_raised_when_the_writing_side_is_fine():
    def items():
        yield [1]
        raise ValueError("bad record 2")

    writer = _Tables()
    with pytest.raises(ValueError, match="bad record 2"):
        write_in_background(writer, items(), _batch)
    assert [t.num_rows for t in writer.tables] == [1]  # what was read before the error was still written


def test_a_write_error_stops_reading_and_is_raised():
    read: list[int] = []

    def items():
        for i in range(1000):
            read.append(i)
            yield [i]

    with pytest.raises(OSError, match="disk full"):
        write_in_background(_Tables(fail_at=0), items(), _batch, depth=1, row_group_rows=1)
    assert len(read) < 1000
