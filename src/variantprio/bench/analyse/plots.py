"""The rank plot of `bench vcf`: where the causal gene ranked, full pipeline beside phenotype-only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...tables import atomic_path

_BINS = [(1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 5, "4-5"), (6, 10, "6-10"), (11, 20, "11-20"),
         (21, 50, "21-50"), (51, 100, "51-100"), (101, np.inf, ">100")]


def _binned(ranks: pd.Series) -> list[float]:
    r = pd.to_numeric(ranks, errors="coerce").to_numpy(float)
    counts = [float(np.mean((r >= lo - 0.5) & (r < hi + 0.5))) if r.size else 0.0 for lo, hi, _ in _BINS]
    return counts + [float(np.mean(np.isnan(r))) if r.size else 0.0]


def write_plot(results: pd.DataFrame, path: Path) -> Path:
    """Bar chart of rank bins, full pipeline beside phenotype-only (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [b[2] for b in _BINS] + ["not ranked"]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.bar(x - 0.2, _binned(results["rank"]), 0.4, label="VCF + phenotype (full pipeline)")
    ax.bar(x + 0.2, _binned(results["phenotype_rank"]), 0.4, label="phenotype only")
    ax.set_xticks(x, labels)
    ax.set_xlabel("rank of the causal gene (ties share the mean rank)")
    ax.set_ylabel("fraction of cases")
    ax.set_title(f"variantprio bench vcf: {len(results)} cases")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return path
