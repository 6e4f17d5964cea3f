"""HPO term input as people and files give it: ID lists typed on a command line or in a sheet
cell, and phenotypic features of GA4GH phenopackets. Syntax only: whether a term exists in a
release is the phenotype stage's question."""

from __future__ import annotations

import re
from typing import Any, Iterable

_SEPARATORS = re.compile(r"[,;\s]+")


def split_terms(text: str | Iterable[str] | None) -> list[str]:
    """'HP:1,HP:2', 'HP:1; HP:2', 'HP:1 HP:2' or a list -> stripped, non-empty ids."""
    if text is None:
        return []
    parts = _SEPARATORS.split(text) if isinstance(text, str) else list(text)
    return [p.strip() for p in parts if p and p.strip()]


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
