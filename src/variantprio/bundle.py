"""Where the workflow files (Snakefile, rules/, pipeline/) live: the source checkout, or the copy
an installed wheel carries in `variantprio/_workflow/` (see setup.py)."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError


def workflow_dir() -> Path:
    """Directory holding the Snakefile: the source checkout, else the copy inside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1], here / "_workflow"):
        if (candidate / "Snakefile").is_file() and (candidate / "rules").is_dir():
            return candidate
    raise InputError("the workflow files (Snakefile, rules/) are not installed",
                     hint="reinstall variantprio with pip")
