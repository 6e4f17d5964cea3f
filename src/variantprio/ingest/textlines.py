"""Blocks of whole VCF data lines from a byte stream, cut into columns at their tabs.

Why: the columnar reader needs every column of a block as byte ranges of one buffer, found with
a single pass over the text, instead of one Arrow string array per sample column. Line breaks
are '\\n', '\\r\\n' or a lone '\\r', and empty lines are skipped, as Arrow's CSV reader (which
this replaces) did; a line with the wrong number of columns raises `pa.ArrowInvalid`, which the
reader turns into a diagnosis naming the line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa

from .byteranges import POSITION, TextBuffer

_TAB, _LF, _CR = 9, 10, 13
_HEADER_LINE = re.compile(rb"(?:^|[\r\n])#CHROM[^\r\n]*(?:\r\n|\r|\n|$)")


@contextmanager
def text_stream(path: str, threads: int = 1):
    """The text of a VCF as a readable stream. gzip/BGZF goes through `bgzip -d` when installed
    (htslib's decoder: libdeflate, CRC-checked blocks, threads - 1 threads, in its own process, so
    decompressing overlaps parsing); at the end of its output its exit status is checked, so a
    damaged file raises OSError before the last lines are used. Otherwise Arrow's gzip reader."""
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    bgzip = shutil.which("bgzip") if gzipped else None
    if bgzip is None:
        with pa.input_stream(path, compression="gzip" if gzipped else None) as stream:
            yield stream
        return
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([bgzip, "-d", "-c", "-@", str(max(1, threads - 1)), path], stdout=subprocess.PIPE,
                                stderr=errors)
        try:
            yield _CheckedOutput(proc, errors)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.wait()


class _CheckedOutput:
    """A decoding process's stdout that raises OSError at its end if the process failed."""

    def __init__(self, proc: subprocess.Popen, errors) -> None:
        self.proc, self.errors = proc, errors

    def read(self, size: int) -> bytes:
        data = self.proc.stdout.read(size)
        if not data and self.proc.wait() != 0:
            self.errors.seek(0)
            lines = [l for l in self.errors.read().decode("utf-8", "replace").splitlines() if l.strip()]
            raise OSError(f"bgzip: {lines[-1] if lines else f'exit status {self.proc.returncode}'}")
        return data


def line_blocks(stream, block_bytes: int, skip_header: bool) -> Iterator[bytes]:
    """Text of about `block_bytes` per block, cut after a line break (the last line of the
    stream may lack one). With `skip_header`, everything through the '#CHROM' line is dropped."""
    carry = b""
    header_done = not skip_header
    while True:
        chunk = stream.read(block_bytes)
        if not chunk:
            break
        text = carry + chunk if carry else chunk
        if not header_done:
            found = _HEADER_LINE.search(text)
            if found is None or (found.end() == len(text) and not text.endswith((b"\n", b"\r"))):
                carry = text  # the #CHROM line is not complete yet
                continue
            text, header_done = text[found.end():], True
        cut = max(text.rfind(b"\n"), text.rfind(b"\r")) + 1
        carry = text[cut:]
        if cut:
            yield text[:cut]
    if carry and header_done:
        yield carry


@dataclass(frozen=True)
class Lines:
    """Non-empty lines of a block: [start, end) in `text`, and the positions of all tabs."""

    text: TextBuffer
    start: np.ndarray  # POSITION (blocks are far below 2 GiB)
    end: np.ndarray  # int32
    tabs: np.ndarray  # int32, sorted
    ascii: bool  # no byte above 127: nothing to check for UTF-8


def line_layout(block: bytes) -> Lines:
    """Lines and tabs of a block, from one pass over its bytes."""
    text = TextBuffer(np.frombuffer(block, np.uint8))
    body = text.data[: text.size]
    marks = np.flatnonzero(body <= _CR)  # tab, LF and CR (and other control bytes, left in place)
    kind = body[marks]
    breaks = marks[(kind == _LF) | (kind == _CR)]
    start = np.concatenate([[0], breaks + 1]).astype(POSITION)
    end = np.concatenate([breaks, [text.size]]).astype(POSITION)
    keep = end > start
    return Lines(text, start[keep], end[keep], marks[kind == _TAB].astype(POSITION), block.isascii())


def column_bounds(lines: Lines, n_columns: int) -> np.ndarray:
    """(lines, n_columns + 1) array B: column j of line i is bytes [B[i, j] + 1, B[i, j + 1]).

    Every line must have exactly n_columns - 1 tabs (the #CHROM line's column count)."""
    n = len(lines.start)
    first = np.searchsorted(lines.tabs, lines.start)
    count = np.searchsorted(lines.tabs, lines.end) - first
    bad = np.flatnonzero(count != n_columns - 1)
    if len(bad):
        raise pa.ArrowInvalid(f"Expected {n_columns} columns, got {int(count[bad[0]]) + 1}")
    bounds = np.empty((n, n_columns + 1), POSITION)
    bounds[:, 0] = lines.start - 1
    bounds[:, 1:n_columns] = lines.tabs.reshape(n, n_columns - 1)
    bounds[:, n_columns] = lines.end
    return bounds


class ColumnText:
    """Columns of a block by name: fixed columns as Arrow strings, sample cells as byte ranges."""

    def __init__(self, lines: Lines, names: list[str]) -> None:
        self.text = lines.text
        self.bounds = column_bounds(lines, len(names))
        self.index = {name: i for i, name in enumerate(names)}
        self.ascii = lines.ascii

    def strings(self, name: str) -> pa.Array:
        """One column as Arrow strings (checked to be UTF-8, as a string column must be)."""
        j = self.index[name]
        out = self.text.strings(self.bounds[:, j] + 1, self.bounds[:, j + 1])
        if not self.ascii:
            _check_utf8(out, name)
        return out

    def cells(self, samples: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) of the cells of `samples`, record-major: record i's cells are
        i * len(samples) ... (i + 1) * len(samples) - 1, in the order given."""
        columns = np.array([self.index[s] for s in samples])
        first = int(columns[0])
        if (columns == np.arange(first, first + len(columns))).all():  # all samples, file order
            start = self.bounds[:, first: first + len(columns)] + 1
            end = self.bounds[:, first + 1: first + 1 + len(columns)]
        else:
            start, end = self.bounds[:, columns] + 1, self.bounds[:, columns + 1]
        start, end = start.reshape(-1), end.reshape(-1)
        if not self.ascii:
            _check_utf8(self.text.strings(start, end), "sample")
        return start, end


def _check_utf8(values: pa.Array, name: str) -> None:
    try:
        values.validate(full=True)
    except pa.ArrowInvalid:
        raise pa.ArrowInvalid(f"{name} column: invalid UTF8 data") from None
