"""HPO term input as people and files give it: ID lists or labels typed on a command line or in a
sheet cell, and phenotypic features of GA4GH phenopackets. Syntax only: whether a term exists in a
release, and which term a label names (`hpolabels`), is the phenotype stage's question."""

from __future__ import annotations

import re
from typing import Any, Iterable

# An entry written as an ID (HP:0001250, or a malformed HP:123 the phenotype stage reports as such).
_ID = re.compile(r"^[A-Za-z]+:\S+$")
_ENTRY_SEPARATORS = re.compile(r"[;\n\r]+")
_ID_SEPARATORS = re.compile(r"[,\s]+")


def is_term_id(entry: str) -> bool:
    """Written as an ID (HP:0001250), not as a label; whether it exists is the phenotype stage's question."""
    return bool(_ID.match(entry.strip()))


def split_terms(text: str | Iterable[str] | None) -> list[str]:
    """Entries as typed: ';' or line breaks separate labels; a part holding only IDs may also
    separate them with commas or spaces ('HP:1,HP:2'), as before labels were accepted."""
    if text is None:
        return []
    parts = _ENTRY_SEPARATORS.split(text) if isinstance(text, str) else list(text)
    out: list[str] = []
    for part in (" ".join(p.split()) for p in parts):
        tokens = [t for t in _ID_SEPARATORS.split(part) if t]
        if tokens and all(is_term_id(t) for t in tokens):
            out += tokens
        elif part:
            out.append(part.strip(" ,"))
    return [e for e in out if e]


def has_labels(text: str | Iterable[str] | None) -> bool:
    """Whether any entry is a label or synonym rather than an ID."""
    return any(not is_term_id(e) for e in split_terms(text))


def feature_terms(features: list[Any]) -> tuple[list[str], list[str], list[int]]:
    """(observed, excluded, positions of features without a term id) of a phenotypicFeatures list.

    v2 marks an absent feature `excluded: true`, v1 `negated: true`: both mean the same."""
    observed: list[str] = []
    excluded: list[str] = []
    missing: list[int] = []
    for number, feature in enumerate(features, 1):
        term = (feature.get("type") or {}).get("id") if isinstance(feature, dict) else None
        if not term:
            missing.append(number)
            continue
        (excluded if feature.get("excluded") or feature.get("negated") else observed).append(term)
    return observed, excluded, missing
