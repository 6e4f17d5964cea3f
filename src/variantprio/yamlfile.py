"""YAML inputs (workflow config, sources config, download manifest): read once, fail in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


def read_yaml(path: str | Path, what: str) -> Any:
    """Parsed content ({} for an empty file); a missing file or broken YAML is an InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", path=str(path))
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML ({str(err).splitlines()[0]})", path=str(path)) from None
