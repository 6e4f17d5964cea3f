"""Per-sample FORMAT values (GT, AD, DP, GQ, PS) of a batch of text VCF records, decoded for all
samples at once.

Why: in a cohort VCF the sample cells are most of the text (50 samples: 50 cells per record), and
decoding them column by column cost 4x `bcftools view`. Here every cell is a byte range of one
buffer; fields are located from the positions of ':' and ',', and plain integers are read eight
digits at a time from 8-byte words. Python loops run over keys and the rare long values, never
over samples or records. Anything but plain digits (floats, signs, '.', empty) is decoded by
Arrow's casts, and GT beyond single-digit haploid/diploid calls by a per-value slow path, as the
column-wise decoder did, so the values are the ones it gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .byteranges import POSITION, TextBuffer

_DOT, _SLASH, _PIPE, _ZERO = ord("."), ord("/"), ord("|"), ord("0")
_COLON, _COMMA = ord(":"), ord(",")
_WORD = 8  # most digits read at once (an 8-byte word)
_MAX_DIGITS = 2 * _WORD  # longer integers go through Arrow's cast


class _Swar:
    """Constants to read up to `size` ASCII digits held in one unsigned word ("SIMD within a
    register"): XOR with '0' in every byte turns digits into their values without carries, a
    check with two masks proves every byte was '0'-'9', then neighbouring digits are merged
    pairwise (x * 10 + next), then pairs of pairs (x * 100 + next), ..."""

    def __init__(self, size: int) -> None:
        self.size, self.type = size, {4: np.uint32, 8: np.uint64}[size]
        repeat = int.from_bytes(bytes([1]) * size, "little")
        self.zeros, self.high, self.sixes = (self.type(b * repeat) for b in (0x30, 0xF0, 0x06))
        self.merges = []
        lane = 1  # digits per lane before this merge
        while lane < size:
            lane_mask = (1 << (16 * lane)) - 1 >> (8 * lane)  # low half of a 2 * lane-byte lane
            mask = int.from_bytes(lane_mask.to_bytes(2 * lane, "little") * (size // (2 * lane)), "little")
            self.merges.append((self.type(10 ** lane), self.type(8 * lane), self.type(mask)))
            lane *= 2


_SWAR4, _SWAR8 = _Swar(4), _Swar(8)


@dataclass(frozen=True)
class Field:
    """Where one FORMAT key's value lies in each cell: bytes [start, end) of the text buffer."""

    start: np.ndarray  # POSITION per cell (0 where absent)
    end: np.ndarray  # POSITION per cell (0 where absent)
    present: np.ndarray  # bool per cell: the record's FORMAT has the key and the cell reaches it
    word: np.ndarray | None = None  # uint64 per cell: the 8 bytes from `start`, when already read


class SampleCells:
    """The sample cells of a batch as byte ranges, record-major (cell c is record c // n_samples,
    sample c % n_samples).

    Fields are found by walking every cell from ':' to ':': the 8 bytes where a field starts are
    read as one word, its first ':' found with a zero-byte mask, and the word kept for the value
    decoders, which need no other read for values of up to 8 bytes. Only the cells whose field runs
    past its first word (long AD, PL, PID...) read further words. This replaced a search for every
    ':' of the text, a fifth of the decoding time, and the decoders' own reads of the same bytes."""

    def __init__(self, text: TextBuffer, start: np.ndarray, end: np.ndarray, n_samples: int) -> None:
        self.text = text
        self.start, self.end = start, end
        self.n_samples = n_samples
        self._fields: list[Field] = []  # fields 0, 1, ... of every cell, as far as walked
        self._next = start  # where the next field starts (the cell end once a cell has no more)
        self._more = np.ones(len(start), bool)  # the cell has a next field

    def _walk_to(self, k: int) -> None:
        """Locate fields up to k (0-based) of every cell."""
        while len(self._fields) <= k:
            begin, present = self._next, self._more
            word = self.text.words(begin)
            offset = _lowest_byte(_first_zero_bytes(word ^ _COLONS8))  # 8: no ':' in the word
            stop = np.minimum(begin + offset, self.end)
            longer = np.flatnonzero((offset == _WORD) & (begin + _WORD < self.end) & present)
            at = begin[longer] + _WORD
            while len(longer):  # the field goes on past this word: read the next one
                offset = _lowest_byte(_first_zero_bytes(self.text.words(at) ^ _COLONS8))
                ends = self.end[longer]
                done = (offset < _WORD) | (at + _WORD >= ends)
                stop[longer[done]] = np.minimum(at + offset, ends)[done]
                longer, at = longer[~done], at[~done] + _WORD
            self._more = present & (stop < self.end)  # a ':' before the cell end: another field follows
            self._next = np.minimum(stop + 1, self.end)
            if present.all():
                self._fields.append(Field(begin, stop, present, word))
            else:
                self._fields.append(Field(np.where(present, begin, 0), np.where(present, stop, 0), present, word))

    def field(self, key_index: np.ndarray) -> Field:
        """Bounds of the value at FORMAT position `key_index` (per record; -1: not in its FORMAT)."""
        n = len(self.start)
        uniform = len(key_index) > 0 and bool((key_index == key_index[0]).all())
        if uniform and key_index[0] < 0 or not len(key_index):
            return Field(np.zeros(n, POSITION), np.zeros(n, POSITION), np.zeros(n, bool))
        if uniform:  # one FORMAT for the whole batch (the usual case)
            self._walk_to(int(key_index[0]))
            return self._fields[int(key_index[0])]
        per_cell = np.repeat(key_index, self.n_samples)
        out = Field(np.zeros(n, POSITION), np.zeros(n, POSITION), np.zeros(n, bool), np.zeros(n, np.uint64))
        for k in np.unique(key_index[key_index >= 0]).tolist():
            self._walk_to(k)
            cells = per_cell == k
            for name in ("start", "end", "present", "word"):
                getattr(out, name)[cells] = getattr(self._fields[k], name)[cells]
        return out

    def by_record(self, values: np.ndarray) -> np.ndarray:
        """Per-cell values (cells, ...) as (records, samples, ...)."""
        return values.reshape(-1, self.n_samples, *values.shape[1:])


def _clipped(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[index] with indexes clipped into range (callers mask the clipped ones); zeros when
    there are no values at all."""
    if not len(values):
        return np.zeros(len(index), values.dtype)
    return values.take(index, mode="clip")


def integers(cells: SampleCells, field: Field, dtype) -> np.ndarray:
    """One integer FORMAT value per cell, -1 where absent or '.'; Float-typed values (some callers'
    GQ) are rounded."""
    return read_integers(cells.text, field.start, field.end, field.present, dtype, field.word)


def read_integers(text: TextBuffer, start: np.ndarray, end: np.ndarray, present: np.ndarray, dtype,
                  words: np.ndarray | None = None) -> np.ndarray:
    """Integers in byte ranges: plain digits here, anything else through Arrow's casts (`_ints`).
    `words`: the 8 bytes at each start, when the caller has read them already."""
    if not present.any():
        return np.full(len(start), -1, dtype)
    length = end - start
    value, plain, longest = _short_digits(text, start, length, words)
    if longest > _WORD:  # e.g. PS beyond 99,999,999: the high digits, then the last eight
        long = np.flatnonzero((length > _WORD) & (length <= _MAX_DIGITS))
        high, high_ok, _ = _short_digits(text, start[long], length[long] - _WORD)
        low, low_ok, _ = _short_digits(text, end[long] - _WORD, np.full(len(long), _WORD, length.dtype))
        value = value.astype(np.uint64)
        value[long] = high * np.uint64(10 ** _WORD) + low
        plain[long] = high_ok & low_ok
    out = value.astype(dtype)
    plain &= present
    if plain.all():
        return out
    out = np.where(plain, out, dtype(-1))
    missing = (length == 0) | ((length == 1) & (text.data[start] == _DOT))
    other = np.flatnonzero(present & ~plain & ~missing)
    if len(other):
        out[other] = _ints(text.strings(start[other], end[other]), dtype)
    return out


def _short_digits(text: TextBuffer, start: np.ndarray, length: np.ndarray,
                  words: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(value, ok, longest length) of ranges of up to 8 bytes: ok where they are 1-8 ASCII digits.

    The range's bytes, as digit values, are shifted to the top of a word and zeros come in below,
    so every value is read as a full word of digits ('42' as '00000042'); the first byte is the
    most significant digit. 4-byte words when no range is longer (DP, GQ, AD: half the work).
    """
    longest = int(length.max()) if len(length) else 0
    swar = _SWAR4 if longest <= 4 else _SWAR8
    ok = length > 0
    if longest > swar.size:
        ok &= length <= swar.size
    digits = np.minimum(length, swar.size)
    word = text.words(start, swar.size) if words is None else words.astype(swar.type, copy=False)  # low bytes first
    x = (word ^ swar.zeros) << ((swar.size - digits).astype(swar.type) << swar.type(3))  # bytes past the range drop out
    ok &= ((x & swar.high) == 0) & (((x + swar.sixes) & swar.high) == 0)  # each byte 0-9 (where ok)
    for scale, shift, mask in swar.merges:
        x = (x * scale + (x >> shift)) & mask
    return x, ok, longest


def allele_depths(cells: SampleCells, field: Field) -> np.ndarray:
    """AD (Number=R: one depth per allele, REF first) as (cells, alleles), -1 missing; as wide as
    the longest AD in the batch (at least 1)."""
    n = len(field.start)
    if not field.present.any():
        return np.full((n, 1), -1, np.int32)
    commas = _Commas(cells.text, field)
    width = max(1, int(commas.count.max()) + 1)
    out = np.full((n, width), -1, np.int32)
    # depth j runs from after comma j-1 (the field start for j = 0) to comma j (or the field end);
    # depths 0 and 1 over all cells, later ones over the cells of multi-allelic records only
    begin, live = field.start, field.present
    for j in range(min(width, 2)):
        stop = np.where(commas.count > j, commas.position(j), field.end)
        out[:, j] = read_integers(cells.text, begin, stop, live, np.int32, _words_from(cells.text, commas, begin, stop))
        begin, live = stop + 1, live & (commas.count > j)
    rows = np.flatnonzero(live)
    begin = begin[rows]
    for j in range(2, width):
        more = commas.count[rows] > j
        stop = field.end[rows]
        stop[more] = commas.position(j, rows[more])
        out[rows, j] = read_integers(cells.text, begin, stop, np.ones(len(rows), bool), np.int32)
        rows, begin = rows[more], stop[more] + 1
    return out


def _words_from(text: TextBuffer, commas: "_Commas", begin: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The 8 bytes at each `begin` inside the field: the field's word shifted down where the value
    [begin, stop) lies within it, read from the text elsewhere (values past a field's 8th byte)."""
    words = commas.word >> ((begin - commas.start).astype(np.uint64) << np.uint64(3))
    outside = np.flatnonzero(stop - commas.start > _WORD)
    if len(outside):
        words[outside] = text.words(begin[outside])
    return words


class _Commas:
    """The ',' positions inside one field of each cell (`count` per cell, 0 where absent).

    A field of up to 8 bytes (AD of a biallelic or triallelic site) is one word: its commas are
    the zero bytes of word XOR ',,,,,,,,', flagged in a bit mask, counted with a popcount and
    taken lowest first. Longer fields are searched in the text."""

    def __init__(self, text: TextBuffer, field: Field) -> None:
        self.start = field.start
        length = np.where(field.present, field.end - field.start, 0)
        short = length <= _WORD
        self.word = text.words(field.start) if field.word is None else field.word  # the field's first 8 bytes
        self._flags = _zero_bytes((self.word & _LOW_BYTES[np.where(short, length, 0)]) ^ _COMMAS8)
        self.count = np.bitwise_count(self._flags).astype(POSITION)
        self._long = np.flatnonzero(~short)
        if len(self._long):
            starts, ends = field.start[self._long], field.end[self._long]
            lo = int(starts.min())
            self._positions = (np.flatnonzero(text.data[lo: int(ends.max())] == _COMMA) + lo).astype(POSITION)
            self._first = np.searchsorted(self._positions, starts).astype(POSITION)
            self.count[self._long] = np.searchsorted(self._positions, ends) - self._first

    def position(self, j: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Position of comma j of every cell (or of `rows`); meaningless where there are j or fewer."""
        flags = self._flags if rows is None else self._flags[rows]
        for _ in range(j):
            flags = flags & (flags - np.uint64(1))  # drop the lowest comma
        start = self.start if rows is None else self.start[rows]
        out = start + _lowest_byte(flags)
        if len(self._long):
            cells = np.arange(len(self.start), dtype=np.int64) if rows is None else rows
            at = np.searchsorted(self._long, cells)
            long = (at < len(self._long)) & (_clipped(self._long, at) == cells)
            out[long] = _clipped(self._positions, self._first[at[long]] + j)
        return out


_COMMAS8 = np.uint64(int.from_bytes(b"," * 8, "little"))
_COLONS8 = np.uint64(int.from_bytes(b":" * 8, "little"))
_ONES8, _HIGH8 = np.uint64(0x0101010101010101), np.uint64(0x8080808080808080)
_SEVENS = np.uint64(0x7F7F7F7F7F7F7F7F)
# by length d: a mask keeping the low d bytes of a word
_LOW_BYTES = np.array([(1 << (8 * d)) - 1 for d in range(_WORD + 1)], np.uint64)


def _lowest_byte(flags: np.ndarray) -> np.ndarray:
    """Index (0-7) of the lowest byte whose high bit is set in `flags` (high bits only), 8 where
    none is (uint8: adds to POSITIONs without a cast)."""
    below = (flags - np.uint64(1)) & ~flags  # the bits below the lowest flag (all 64 when none)
    return np.bitwise_count(below) >> np.uint8(3)


def _first_zero_bytes(x: np.ndarray) -> np.ndarray:
    """High bits flagging the zero bytes of x: exact for the lowest one, which is all the field
    walk needs (a borrow may flag bytes above it; `_zero_bytes` is exact everywhere, and dearer)."""
    return (x - _ONES8) & ~x & _HIGH8


def _zero_bytes(x: np.ndarray) -> np.ndarray:
    """The high bit of every byte of x that is zero, and no other bit (no false positives, unlike
    the shorter (x - 0x01..) & ~x trick)."""
    return ~(((x & _SEVENS) + _SEVENS) | x | _SEVENS)


def genotypes(cells: SampleCells, field: Field) -> tuple[np.ndarray, np.ndarray]:
    """GT -> (allele indices (cells, ploidy) with -1 missing / -2 absent, phased flags); a cell
    without GT reads as '.'.

    Single-digit haploid and diploid calls ('1', '0/1', '1|0', './.') are decoded from the first
    three bytes; anything else (allele 10+, polyploid, empty) goes through the slow path.
    """
    word = cells.text.words(field.start, 4) if field.word is None else field.word.astype(np.uint32)
    c0 = np.where(field.present, (word & np.uint32(0xFF)).astype(np.uint8), _DOT)
    c1 = (word >> np.uint32(8)).astype(np.uint8)  # the cast keeps the low byte
    c2 = (word >> np.uint32(16)).astype(np.uint8)
    length = np.where(field.present, field.end - field.start, 1)
    allele0 = c0.astype(np.int16) - _ZERO
    allele2 = c2.astype(np.int16) - _ZERO
    first_ok = ((allele0 >= 0) & (allele0 <= 9)) | (c0 == _DOT)
    haploid = (length == 1) & first_ok
    diploid = ((length == 3) & first_ok & ((c1 == _SLASH) | (c1 == _PIPE))
               & (((allele2 >= 0) & (allele2 <= 9)) | (c2 == _DOT)))
    alleles = np.empty((len(c0), 2), np.int16)
    alleles[:, 0] = np.where(c0 == _DOT, np.int16(-1), allele0)
    alleles[:, 1] = np.where(diploid, np.where(c2 == _DOT, np.int16(-1), allele2), np.int16(-2))
    phased = diploid & (c1 == _PIPE)
    slow = np.flatnonzero(~(haploid | diploid))
    if len(slow):
        texts = cells.text.strings(field.start[slow], field.end[slow]).to_pylist()
        alleles, phased = _slow_genotypes(texts, slow, alleles, phased)
    return alleles, phased


_GT_SPLIT = re.compile(r"[/|]")


def _slow_genotypes(texts: list[str], rows: np.ndarray, alleles: np.ndarray, phased: np.ndarray):
    try:
        parsed = [[-1 if a in (".", "") else int(a) for a in _GT_SPLIT.split(t)] for t in texts]
    except ValueError:  # a parse error of the record, diagnosed by the reader
        bad = next(t for t in texts if not all(a in (".", "") or a.isdigit() for a in _GT_SPLIT.split(t)))
        raise pa.ArrowInvalid(f"invalid GT {bad!r}") from None
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
