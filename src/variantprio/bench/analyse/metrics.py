"""Benchmark rank and metric rules shared by every `variantprio bench` command.

Honesty rules live here once: tied scores share the mean rank (the true gene is never put ahead
of its ties) and a case whose gene was not ranked at all is a miss that stays in the denominator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TOP_K = (1, 3, 5, 10)


def tie_aware_rank(genes: pd.Series, scores: pd.Series, gene: str) -> float:
    """1-based rank of `gene` by descending score, ties sharing their mean rank; NaN if absent."""
    scores = pd.to_numeric(scores, errors="coerce").fillna(-np.inf).to_numpy(float)
    hit = np.flatnonzero(genes.to_numpy() == gene)
    if hit.size == 0:
        return float("nan")
    s = scores[hit].max()
    better = int((scores > s).sum())
    tied = int((scores == s).sum())
    return better + (tied + 1) / 2


def tie_aware_rank_of(scores: np.ndarray, index: int | None) -> float:
    """Rank of entry `index` of a score vector (ties share their mean rank); NaN for None."""
    if index is None:
        return float("nan")
    s = scores[index]
    return float((scores > s).sum() + ((scores == s).sum() + 1) / 2)


def rank_metrics(ranks: pd.Series) -> dict[str, Any]:
    """n, top-k fractions and MRR; a NaN rank (gene not ranked) is a miss with reciprocal rank 0."""
    r = pd.to_numeric(ranks, errors="coerce").to_numpy(float)
    out: dict[str, Any] = {"n": int(r.size)}
    for k in TOP_K:
        out[f"top{k}"] = round(float(np.mean(np.nan_to_num(r, nan=np.inf) <= k)), 4) if r.size else None
    out["mrr"] = round(float(np.mean(np.nan_to_num(1.0 / r, nan=0.0))), 4) if r.size else None
    out["missed"] = int(np.isnan(r).sum())
    return out


def percent(value: float | None) -> str:
    """A metric for a summary line: '61.1%', or 'n/a' for a metric of no cases."""
    return "n/a" if value is None else f"{value:.1%}"


# --- breakdowns of the per-case table of `bench vcf` ---------------------------------------------------


def _breakdown(frame: pd.DataFrame, by: str, column: str) -> dict[str, dict[str, Any]]:
    groups = frame.groupby(frame[by].fillna("unknown"), sort=True)[column]
    return {str(name): rank_metrics(ranks) for name, ranks in groups}


def summarise(results: pd.DataFrame, column: str) -> dict[str, Any]:
    """Overall metrics and breakdowns by mode, genotype, variant class and consequence."""
    summary = rank_metrics(results[column])
    summary["by_mode"] = _breakdown(results, "mode", column)
    summary["by_genotype"] = _breakdown(results, "genotype", column)
    summary["by_variant_class"] = _breakdown(results, "variant_class", column)
    summary["by_consequence"] = _breakdown(results, "consequence", column)
    return summary
