"""The word-at-a-time FORMAT decoders against Arrow's casts and a plain Python reading."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from variantprio.ingest.byteranges import TextBuffer
from variantprio.ingest.formatfields import Field, SampleCells, _Commas, _ints, read_integers


def _ranges(tokens: list[str], sep: str = ":") -> tuple[TextBuffer, np.ndarray, np.ndarray]:
    text = sep.join(tokens).encode()
    lengths = np.array([len(t) for t in tokens])
    start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int32)
    return TextBuffer(np.frombuffer(text, np.uint8)), start, (start + lengths).astype(np.int32)


def test_plain_integers_of_1_to_16_digits_read_exactly():
    rng = np.random.default_rng(22)
    values = [int(v) for v in rng.integers(0, 10 ** rng.integers(1, 17, 400), dtype=np.int64)]
    tokens = [str(v) for v in values] + ["0", "007", "99999999", "100000000", "1234567890123456"]
    text, start, end = _ranges(tokens)
    got = read_integers(text, start, end, np.ones(len(tokens), bool), np.int64)
    assert got.tolist() == [int(t) for t in tokens]
    small = [t for t in tokens if int(t) < 2 ** 31]
    text, start, end = _ranges(small)
    assert read_integers(text, start, end, np.ones(len(small), bool), np.int32).tolist() == [int(t) for t in small]


def test_other_tokens_go_through_arrow_as_before():
    """Missing, signed, decimal (Float-typed GQ) and over-long values: the column-wise decoder's
    results (`_ints`), mixed with plain ones."""
    tokens = ["12", ".", "", "-5", "+3", "12.6", "99.5", "1e3", "3", "12345678901234567", "8" * 9]
    text, start, end = _ranges(tokens)
    got = read_integers(text, start, end, np.ones(len(tokens), bool), np.int64)
    expected = _ints(pa.array([t if t not in (".", "") else None for t in tokens], pa.string()), np.int64)
    assert got.tolist() == expected.tolist() and got.tolist()[:4] == [12, -1, -1, -5]


def test_absent_values_are_minus_one():
    text, start, end = _ranges(["12", "34"])
    assert read_integers(text, start, end, np.array([True, False]), np.int32).tolist() == [12, -1]


def test_commas_inside_short_and_long_fields():
    tokens = ["5,7", "0", "1,2,3", "1234,5678,9,0", ".", "10,0,0,0,0,0,0,0,0,0,3,4"]
    text, start, end = _ranges(tokens)
    commas = _Commas(text, Field(start, end, np.ones(len(tokens), bool)))
    assert commas.count.tolist() == [t.count(",") for t in tokens]
    for j in range(3):
        rows = np.flatnonzero(commas.count > j)
        found = commas.position(j, rows)
        expected = [start[r] + [i for i, c in enumerate(tokens[r]) if c == ","][j] for r in rows]
        assert found.tolist() == expected


def _cells(rows: list[list[str]]) -> tuple[SampleCells, list[str]]:
    """Tab-separated cells, one line per record, as SampleCells (record-major)."""
    text = "\n".join("\t".join(r) for r in rows).encode()
    flat = [c for r in rows for c in r]
    lengths = np.array([len(c) for c in flat])
    start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int32)
    return SampleCells(TextBuffer(np.frombuffer(text, np.uint8)), start, (start + lengths).astype(np.int32),
                       len(rows[0])), flat


def test_walked_fields_match_a_plain_split():
    """Fields of any length (past one or several 8-byte words), cells cut short ('./.'), empty
    values and cells, and a ':' in the next cell right after a short one."""
    rng = np.random.default_rng(5)
    pieces = ["0/1", "./.", "", ".", "12,7", "1234,5678,91011", "0,30,600", "123456789012_A_G", "7",
              "x" * 17, "1|0"]
    rows = [[":".join(rng.choice(pieces, rng.integers(1, 7)).tolist()) for _ in range(4)] for _ in range(300)]
    rows.append(["1:2", "", "0/1:3,4:5", "::"])
    cells, flat = _cells(rows)
    for k in range(7):
        field = cells.field(np.full(len(rows), k))
        parts = [c.split(":") for c in flat]
        assert field.present.tolist() == [len(p) > k for p in parts]
        text = cells.text.data.tobytes()
        got = [text[s:e].decode() for s, e, p in zip(field.start, field.end, field.present) if p]
        assert got == [p[k] for p in parts if len(p) > k]


def test_walked_fields_per_record_key_positions():
    """Records with different FORMATs in one batch: each record's key position, -1 for none."""
    rows = [["0/1:5", "1/1:6"], ["9:0|1", "8:1|0"], ["./.", "0/0"]]
    cells, _ = _cells(rows)
    field = cells.field(np.array([0, 1, -1]))
    text = cells.text.data.tobytes()
    assert field.present.tolist() == [True, True, True, True, False, False]
    assert [text[s:e].decode() for s, e in zip(field.start[:4], field.end[:4])] == ["0/1", "1/1", "0|1", "1|0"]
