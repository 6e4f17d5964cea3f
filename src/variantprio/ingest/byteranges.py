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
POSITION = np.int32  # dtype of byte positions: blocks stay far below 2 GiB, and half-width arrays are faster


class TextBuffer:
    """Text bytes (`data`) with zero padding; positions index `data`."""

    def __init__(self, text: np.ndarray) -> None:
        if len(text) >= 1 << 31:
            raise ValueError("text blocks are addressed with POSITION (int32) positions: keep them below 2 GiB")
        self.size = len(text)
        self.data = np.concatenate([np.asarray(text, np.uint8), np.zeros(_PAD, np.uint8)])
        self._arrow = pa.py_buffer(self.data)

    def words(self, at: np.ndarray, size: int = 8) -> np.ndarray:
        """The `size` (4 or 8) bytes starting at each position as a little-endian unsigned word
        (first byte lowest)."""
        view = np.ndarray(shape=(self.size + _PAD - size + 1,), dtype=f"<u{size}", buffer=self.data, strides=(1,))
        return view[at]

    def bytes_at(self, at: np.ndarray, width: int) -> np.ndarray:
        """(len(at), width) bytes starting at each position (width <= 16)."""
        return sliding_window_view(self.data, width)[at]

    def strings(self, start: np.ndarray, end: np.ndarray) -> pa.Array:
        """The ranges as an Arrow string array, built as string views (16 bytes each: the length,
        then up to 12 bytes inline, or a 4-byte prefix, buffer 0 and the offset into this buffer)
        and cast to plain strings."""
        n = len(start)
        length = (end - start).astype(np.int32)
        views = np.empty((n, 4), np.int32)
        views[:, 0] = length
        head = self.bytes_at(start, _INLINE) if n else np.zeros((0, _INLINE), np.uint8)
        # inline bytes past the string's end must be zero
        views[:, 1:] = np.where(np.arange(_INLINE) < length[:, None], head, np.uint8(0)).view(np.int32)
        long = np.flatnonzero(length > _INLINE)
        if len(long):  # the prefix is already in place
            views[long, 2] = 0
            views[long, 3] = start[long]
        array = pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), self._arrow])
        return array.cast(pa.string())
