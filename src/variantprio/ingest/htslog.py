"""Catch htslib's C-level messages on stderr so that bad input yields one clean line, not noise.

htslib (inside cyvcf2) prints '[E::vcf_parse] ...' / '[W::...]' straight to file descriptor 2. While
a VCF is read, fd 2 is pointed at a pipe: htslib lines are kept (errors feed the InputError, warnings
are counted and logged once each), every other line (our own logging) is passed through unchanged.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger(__name__)
_HTS_LINE = re.compile(r"^\[([EWI])::(\w+)\] ?(.*)$")


class HtslibMessages:
    """htslib messages seen while the capture was active."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: Counter[str] = Counter()

    def last_error(self) -> str | None:
        return self.errors[-1] if self.errors else None

    def add(self, line: str) -> bool:
        """Record an htslib line; False when the line is not from htslib."""
        match = _HTS_LINE.match(line)
        if not match:
            return False
        level, func, text = match.groups()
        if level == "E":
            self.errors.append(f"{func}: {text}")
        else:
            # Positions vary per record; count by message shape so one warning kind logs once.
            self.warnings[re.sub(r"(\w):\d+", r"\1:N", f"{func}: {text}")] += 1
        return True


@contextmanager
def htslib_messages() -> Iterator[HtslibMessages]:
    """Capture htslib stderr output for the duration of the block (no-op without a real fd 2)."""
    messages = HtslibMessages()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield messages
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, saved, messages), daemon=True)
    pump.start()
    try:
        yield messages
    finally:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved, 2)  # closes the pipe's last write end, so the pump sees EOF
        pump.join(timeout=5)
        os.close(saved)
        for text, count in messages.warnings.items():
            log.warning("htslib: %s%s", text, f" ({count} times)" if count > 1 else "")


def _pump(read_end: int, passthrough: int, messages: HtslibMessages) -> None:
    with os.fdopen(read_end, "rb") as pipe:
        for raw in pipe:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if not messages.add(line):
                os.write(passthrough, raw)
