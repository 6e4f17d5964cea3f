"""Content checks of HPO release files: a file is installed only if its header says it is one.

Why: GitHub, proxies and captive portals answer a wrong URL with an HTML page and HTTP 200; a
checksum cannot catch that when none is known yet. Each check reads only the first 64 KiB and
returns the version the header names (or None when that file type has none).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError

_HEAD_BYTES = 1 << 16
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SOURCE_HINT = "the server sent something else (an error or login page?): check --release and --base-url"


def head_text(path: Path, n_bytes: int = _HEAD_BYTES) -> str:
    with open(path, "rb") as fh:
        return fh.read(n_bytes).decode("utf-8", errors="replace")


def _refuse(text: str, name: str, source: str) -> None:
    """HTML and empty bodies are never data, whatever the file is meant to be."""
    start = text.lstrip().lower()
    if not start:
        raise InputError(f"{name} is empty", path=source, hint=_SOURCE_HINT)
    if start.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")) or "<html" in start[:1024]:
        raise InputError(f"an HTML page, not {name}", path=source, hint=_SOURCE_HINT)


def hpoa_version(text: str, source: str) -> str:
    """The `#version: YYYY-MM-DD` of phenotype.hpoa's leading '#' lines (the annotations' release)."""
    _refuse(text, "phenotype.hpoa", source)
    lines = text.splitlines()
    if not lines[0].startswith("#"):
        raise InputError("not an HPO annotation file: phenotype.hpoa starts with '#' header lines",
                         path=source, hint=_SOURCE_HINT)
    for line in lines:
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        if key.strip() == "version":
            match = _DATE.search(value)
            if match:
                return match.group(0)
    raise InputError("phenotype.hpoa has no '#version: YYYY-MM-DD' header line", path=source, hint=_SOURCE_HINT)


def obo_version(text: str, source: str) -> str | None:
    """hp.obo's `data-version` date (e.g. hp/releases/2026-06-06 -> 2026-06-06); must open with format-version."""
    _refuse(text, "hp.obo", source)
    lines = text.splitlines()
    if not lines[0].startswith("format-version:"):
        raise InputError("not an OBO ontology: hp.obo starts with 'format-version:'", path=source,
                         hint=_SOURCE_HINT)
    for line in lines:
        if not line.strip() or line.startswith("["):  # the header ends at the first blank line / stanza
            break
        if line.startswith("data-version:"):
            value = line.partition(":")[2].strip()
            match = _DATE.search(value)
            return match.group(0) if match else value
    return None


def genes_to_disease_ok(text: str, source: str) -> None:
    """Columns ncbi_gene_id, gene_symbol, association_type, disease_id, source (header optional)."""
    _refuse(text, "genes_to_disease.txt", source)
    fields = text.splitlines()[0].split("\t")
    if len(fields) < 5 or not (fields[0] == "ncbi_gene_id" or fields[0].startswith("NCBIGene:")):
        raise InputError("not an HPO genes_to_disease.txt: expected 5 tab-separated columns starting "
                         "with ncbi_gene_id / NCBIGene:", path=source, hint=_SOURCE_HINT)


def babelon_ok(text: str, source: str) -> None:
    """A Babelon translation table: tab-separated with subject_id ... translation_value columns."""
    _refuse(text, "translation table", source)
    columns = text.splitlines()[0].split("\t")
    if "subject_id" not in columns or "translation_value" not in columns:
        raise InputError("not a Babelon translation table (no subject_id / translation_value columns)",
                         path=source, hint=_SOURCE_HINT)


# File name (or kind) -> check(text, source) returning the header's version or None.
Check = Callable[[str, str], str | None]
CHECKS: dict[str, Check] = {
    "phenotype.hpoa": hpoa_version,
    "hp.obo": obo_version,
    "genes_to_disease.txt": genes_to_disease_ok,
    "babelon": babelon_ok,
}


def check_file(path: Path, kind: str, source: str) -> str | None:
    """Run the check for `kind` on the head of `path`; errors name `source` (the URL or the file)."""
    return CHECKS[kind](head_text(path), source)
