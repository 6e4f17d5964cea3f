"""Numbers as people read them: probabilities as percentages, sizes in B/KB/MB/GB."""

from __future__ import annotations

import math

from .i18n import percent_number


def percent_text(value: float | None, lang: str | None = None) -> str:
    """A probability as a percentage that never rounds a near-certainty to 100% or a long shot to 0%;
    in the locale's format (`lang`): 12.5% in English, 12,5 % in French."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value > 0.999:
        return ">" + percent_number(0.999, lang)
    return "<" + percent_number(0.001, lang) if value < 0.001 else percent_number(value, lang)


def size_text(n_bytes: float) -> str:
    """1536 -> '1.5 KB'; never '0.0 GB' for a small but non-zero size."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n_bytes) < 1000 or unit == "TB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    return f"{n_bytes:.1f} TB"
