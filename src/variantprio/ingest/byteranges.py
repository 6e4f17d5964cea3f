"""A batch of VCF text as one byte buffer, with fields addressed as [start, end) byte ranges.

Why: the columnar reader cuts records and sample cells out of the text with whole-array numpy
operations; values leave the buffer either as Arrow string views (no per-value Python objects,
no copy of long strings) or as 8-byte words for the digit and genotype decoders.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

_PAD = 16  # zero bytes after the text: 8-byte words and 12-byte inline views never read past it
_INLINE = 12  # Arrow string views hold strings up to 12 bytes inline, longer ones by reference


class TextBuffer:
    """Text bytes (`data`) with zero padding; positions index `data`."""

    def __init__(self, text: np.ndarray) -> None:
        self.size = len(text)
        self.data = np.concatenate([np.asarray(text, np.uint8), np.zeros(_PAD, np.uint8)])
        self._arrow = pa.py_buffer(self.data)

    @classmethod
    def of_strings(cls, lines: pa.Array) -> tuple["TextBuffer", np.ndarray]:
        """The buffer of an Arrow string array and the (n + 1) offsets of its strings."""
        offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset: lines.offset + len(lines) + 1]
        raw = lines.buffers()[2]
        text = np.frombuffer(raw, np.uint8) if raw is not None else np.zeros(0, np.uint8)
        base = int(offsets[0]) if len(offsets) else 0
        stop = int(offsets[-1]) if len(offsets) else 0
        return cls(text[base:stop]), offsets.astype(np.int64) - base

    def words(self, at: np.ndarray, size: int = 8) -> np.ndarray:
        """The `size` (4 or 8) bytes starting at each position as a little-endian unsigned word
        (first byte lowest)."""
        view = np.ndarray(shape=(self.size + _PAD - size + 1,), dtype=f"<u{size}", buffer=self.data, strides=(1,))
        return view[at]

    def bytes_at(self, at: np.ndarray, width: int) -> np.ndarray:
        """(len(at), width) bytes starting at each position (width <= 16)."""
        return sliding_window_view(self.data, width)[at]

    def strings(self, start: np.ndarray, end: np.ndarray) -> pa.Array:
        """The ranges as an Arrow string array (through string views: short ones are copied inline,
        long ones point into this buffer)."""
        n = len(start)
        length = (end - start).astype(np.int32)
        views = np.zeros((n, 16), np.uint8)
        views[:, :4] = length.view(np.uint8).reshape(n, 4)
        head = self.bytes_at(start, _INLINE) if n else np.zeros((0, _INLINE), np.uint8)
        short = length <= _INLINE
        views[short, 4:] = np.where(np.arange(_INLINE) < length[short, None], head[short], 0)
        if not short.all():
            long = ~short
            views[long, 4:8] = head[long, :4]  # prefix; buffer index 0 stays zero
            views[long, 12:] = start[long].astype(np.int32).view(np.uint8).reshape(-1, 4)
        array = pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), self._arrow])
        return array.cast(pa.string())
