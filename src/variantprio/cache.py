"""Where variantprio caches derived files (parsed HPO releases, gene models built from a GTF)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$VARIANTPRIO_CACHE if set, else $XDG_CACHE_HOME/variantprio (default ~/.cache/variantprio)."""
    explicit = os.environ.get("VARIANTPRIO_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "variantprio"


def cache_dir(kind: str) -> Path:
    """The cache subdirectory for one kind of file, e.g. `cache_dir("gene-models")`."""
    return cache_root() / kind
