"""Per-sample FORMAT values (GT, AD, DP, GQ, PS) of a batch of text VCF records, decoded for all
samples at once.

Why: in a cohort VCF the sample columns are most of the text (50 samples: 50 cells per record),
and decoding them column by column cost 4x `bcftools view`. Here the cells of every sample lie end
to end in one byte buffer; fields are located from the positions of ':' and ',' and plain
integers are read digit by digit over whole arrays. Python loops run over keys and digit
positions, never over samples or records. Anything but plain digits (floats, signs, '.', empty)
is decoded by the same Arrow casts as before, and GT beyond single-digit haploid/diploid calls by
the same slow path, so the values are the ones the column-wise decoding gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DOT, _SLASH, _PIPE, _ZERO = ord("."), ord("/"), ord("|"), ord("0")
_COLON, _COMMA = ord(":"), ord(",")
_MAX_DIGITS = 18  # longest plain integer read digit by digit (fits int64); longer ones go to Arrow


@dataclass(frozen=True)
class Field:
    """Where one FORMAT key's value lies in each cell: bytes [start, end) of `SampleCells.data`."""

    start: np.ndarray  # int64 per cell
    end: np.ndarray  # int64 per cell
    present: np.ndarray  # bool per cell: the row's FORMAT has the key and the cell reaches it

    @property
    def length(self) -> np.ndarray:
        return self.end - self.start


class SampleCells:
    """The cells of `n_samples` sample columns of one batch, sample-major in one buffer
    (cell c is sample c // n_rows, record c % n_rows), with the ':' separators located once."""

    def __init__(self, columns: list[pa.Array]) -> None:
        self.n_samples = len(columns)
        self.n_rows = len(columns[0]) if columns else 0
        joined = pa.concat_arrays(columns) if columns else pa.array([], pa.string())
        offsets = np.frombuffer(joined.buffers()[1], np.int32)[joined.offset: joined.offset + len(joined) + 1]
        offsets = offsets.astype(np.int64)
        raw = joined.buffers()[2]
        used = int(offsets[-1]) if len(offsets) else 0
        text = np.frombuffer(raw, np.uint8)[:used] if raw is not None else np.zeros(0, np.uint8)
        # three zero bytes past the end: GT decoding peeks at c0..c2 of even an empty last cell
        self.data = np.concatenate([text, np.zeros(3, np.uint8)])
        self.start = offsets[:-1]
        self.end = offsets[1:]
        colons = np.flatnonzero(text == _COLON)
        in_cell = np.searchsorted(colons, offsets)
        self._first_colon = in_cell[:-1]
        self._n_colons = np.diff(in_cell)
        self._colons = np.append(colons, used)  # one past the last: gathers never go out of bounds

    def field(self, key_index: np.ndarray) -> Field:
        """Bounds of the value at FORMAT position `key_index` (per record, -1: not in the FORMAT)."""
        k = np.tile(key_index, self.n_samples)
        present = (k >= 0) & (k <= self._n_colons)
        top = len(self._colons) - 1
        after = self._colons[np.clip(self._first_colon + k - 1, 0, top)] + 1
        start = np.where(k <= 0, self.start, after)
        end = np.where(k < self._n_colons, self._colons[np.clip(self._first_colon + k, 0, top)], self.end)
        start = np.where(present, start, 0)
        return Field(start, np.where(present, end, 0), present)

    def by_record(self, values: np.ndarray) -> np.ndarray:
        """Per-cell values (cells, ...) as (records, samples, ...)."""
        shaped = values.reshape(self.n_samples, self.n_rows, *values.shape[1:])
        return np.swapaxes(shaped, 0, 1)

    def strings(self, start: np.ndarray, end: np.ndarray) -> pa.Array:
        """The byte ranges [start, end) as an Arrow string array (for the rare values that Arrow decodes)."""
        lengths = end - start
        offsets = np.zeros(len(start) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.arange(offsets[-1]) - np.repeat(offsets[:-1] - start, lengths)
        text = self.data[index]
        return pa.LargeStringArray.from_buffers(len(start), pa.py_buffer(offsets), pa.py_buffer(text)).cast(pa.string())


def integers(cells: SampleCells, field: Field, dtype) -> np.ndarray:
    """One integer FORMAT value per cell, -1 where absent or '.'; Float-typed values (some callers'
    GQ) are rounded."""
    return read_integers(cells, field.start, field.end, field.present, dtype)


def read_integers(cells: SampleCells, start: np.ndarray, end: np.ndarray, present: np.ndarray, dtype) -> np.ndarray:
    """Integers in byte ranges: plain digits here, anything else through Arrow's casts (`_ints`)."""
    out = np.full(len(start), -1, dtype)
    if not present.any():
        return out
    length = np.where(present, end - start, 0)
    value, plain = _plain_digits(cells.data, start, length)
    plain &= present
    out[plain] = value[plain].astype(dtype)
    first = cells.data[start]
    missing = (length == 0) | ((length == 1) & (first == _DOT))
    other = np.flatnonzero(present & ~plain & ~missing)
    if len(other):
        out[other] = _ints(cells.strings(start[other], end[other]), dtype)
    return out


def _plain_digits(data: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value, ok): ok where the range is 1 to 18 ASCII digits, value its integer."""
    ok = (length > 0) & (length <= _MAX_DIGITS)
    width = int(length[ok].max()) if ok.any() else 0
    value = np.zeros(len(start), np.int64)
    for i in range(width):
        active = i < length
        digit = data[np.where(active, start + i, 0)] - np.uint8(_ZERO)  # wraps: non-digits become >= 10
        ok &= ~active | (digit < 10)
        value = np.where(active, value * 10 + digit, value)
    return value, ok


def allele_depths(cells: SampleCells, field: Field) -> np.ndarray:
    """AD (Number=R: one depth per allele, REF first) as (cells, alleles), -1 missing; as wide as
    the longest AD in the batch (at least 1)."""
    n = len(field.start)
    if not field.present.any():
        return np.full((n, 1), -1, np.int32)
    commas = np.flatnonzero(cells.data[:-3] == _COMMA)
    first = np.searchsorted(commas, field.start)
    n_values = np.where(field.present, np.searchsorted(commas, field.end) - first + 1, 0)
    width = max(1, int(n_values.max()))
    total = int(n_values.sum())
    cell = np.repeat(np.arange(n), n_values)
    offsets = np.cumsum(n_values) - n_values
    j = np.arange(total) - np.repeat(offsets, n_values)  # value index within its cell
    commas = np.append(commas, len(cells.data))
    top = len(commas) - 1
    k = first[cell] + j
    start = np.where(j == 0, field.start[cell], commas[np.clip(k - 1, 0, top)] + 1)
    end = np.where(j == n_values[cell] - 1, field.end[cell], commas[np.clip(k, 0, top)])
    out = np.full((n, width), -1, np.int32)
    out.reshape(-1)[cell * width + j] = read_integers(cells, start, end, np.ones(total, bool), np.int32)
    return out


def genotypes(cells: SampleCells, field: Field) -> tuple[np.ndarray, np.ndarray]:
    """GT -> (allele indices (cells, ploidy) with -1 missing / -2 absent, phased flags); a cell
    without GT reads as '.'.

    Single-digit haploid and diploid calls ('1', '0/1', '1|0', './.') are decoded from the raw
    bytes; anything else (allele 10+, polyploid, empty) goes through the slow path.
    """
    data = cells.data
    start, length = field.start, np.where(field.present, field.length, 1)
    c0 = np.where(field.present, data[start], _DOT)
    c1, c2 = data[start + 1], data[start + 2]
    digit0 = (c0 >= _ZERO) & (c0 <= _ZERO + 9)
    digit2 = (c2 >= _ZERO) & (c2 <= _ZERO + 9)
    haploid = (length == 1) & (digit0 | (c0 == _DOT))
    diploid = (length == 3) & (digit0 | (c0 == _DOT)) & ((c1 == _SLASH) | (c1 == _PIPE)) & (digit2 | (c2 == _DOT))
    alleles = np.full((len(start), 2), -2, np.int16)
    alleles[:, 0] = np.where(c0 == _DOT, -1, c0.astype(np.int16) - _ZERO)
    alleles[:, 1] = np.where(diploid, np.where(c2 == _DOT, -1, c2.astype(np.int16) - _ZERO), -2)
    phased = diploid & (c1 == _PIPE)
    slow = np.flatnonzero(~(haploid | diploid))
    if len(slow):
        texts = cells.strings(start[slow], field.end[slow]).to_pylist()
        alleles, phased = _slow_genotypes(texts, slow, alleles, phased)
    return alleles, phased


_GT_SPLIT = re.compile(r"[/|]")


def _slow_genotypes(texts: list[str], rows: np.ndarray, alleles: np.ndarray, phased: np.ndarray):
    parsed = [[-1 if a in (".", "") else int(a) for a in _GT_SPLIT.split(t)] for t in texts]
    ploidy = max(alleles.shape[1], max(len(p) for p in parsed))
    if ploidy > alleles.shape[1]:
        wider = np.full((len(alleles), ploidy), -2, np.int16)
        wider[:, : alleles.shape[1]] = alleles
        alleles = wider
    for i, values in zip(rows, parsed):
        alleles[i] = -2
        alleles[i, : len(values)] = values
    phased[rows] = [("|" in t) and len(p) > 1 for t, p in zip(texts, parsed)]
    return alleles, phased


def missing_to_null(column: pa.Array) -> pa.Array:
    """'.' and empty strings as nulls (VCF's missing value)."""
    return pc.if_else(pc.or_kleene(pc.equal(column, "."), pc.equal(column, "")),
                      pa.scalar(None, pa.string()), column)


def _ints(column: pa.Array, dtype) -> np.ndarray:
    """Integer FORMAT values ('.' missing -> -1); Float-typed ones (some callers' GQ) are rounded."""
    try:  # the common case: plain integers and nulls only
        return pc.cast(column, pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False).astype(dtype)
    except pa.ArrowInvalid:
        pass
    values = pc.cast(missing_to_null(column), pa.float64())
    out = np.rint(values.fill_null(-1).to_numpy(zero_copy_only=False))
    return out.astype(dtype)
