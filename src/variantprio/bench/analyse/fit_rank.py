"""`variantprio bench fit-rank`: fit the gene-combination model on kept `bench vcf` runs.

Each kept case directory holds the genes.parquet the pipeline produced; the case's solved gene is
the positive label, every other ranked gene a negative. Only development cases may be used: the
fitted weights are shipped in `variantprio/data/rank_model.json` with the data version they came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ...errors import InputError
from ...rank import RankModel, fit_model, load_model, model_features, save_model
from ...schemas import col
from .metrics import rank_metrics, tie_aware_rank_of
from ..run.vcf import case_dir_name

log = logging.getLogger(__name__)

MISSING_PHENOTYPE_GRID = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3)
_COLUMNS = [col.gene_symbol, col.phenotype_score, col.variant_score, col.de_novo, col.segregates]


@dataclass
class Candidates:
    """All ranked genes of all kept cases, with the case each row belongs to."""

    frame: pd.DataFrame  # _COLUMNS + case, causal

    @property
    def n_cases(self) -> int:
        return int(self.frame["case"].nunique())


def collect_candidates(keep_dir: Path, cases_table: Path) -> Candidates:
    """genes.parquet of every kept case named in the bench's per-case table."""
    cases = pd.read_parquet(cases_table, columns=["case_id", "gene_symbol"])
    parts = []
    for case_id, gene in zip(cases["case_id"], cases["gene_symbol"]):
        path = keep_dir / case_dir_name(case_id) / "genes.parquet"
        if not path.exists():
            continue
        genes = pq.read_table(path, columns=_COLUMNS).to_pandas()
        genes["case"] = case_id
        genes["causal"] = genes[col.gene_symbol] == gene
        parts.append(genes)
    if not parts:
        raise InputError("no kept case directories with genes.parquet", path=str(keep_dir),
                         hint="run `variantprio bench vcf ... --keep DIR` first")
    return Candidates(pd.concat(parts, ignore_index=True))


def _features(frame: pd.DataFrame, missing: float, epsilon: float) -> np.ndarray:
    pheno = frame[col.phenotype_score].to_numpy(float, na_value=np.nan)
    pheno = np.where(np.isnan(pheno), missing, pheno)
    variant = frame[col.variant_score].to_numpy(float, na_value=0.0)
    return model_features(pheno, variant, frame[col.de_novo].fillna(False).to_numpy(bool),
                          frame[col.segregates].fillna(False).to_numpy(bool), epsilon)


def case_ranks(candidates: Candidates, model: RankModel) -> pd.Series:
    """Tie-aware rank of the causal gene per case under `model` (NaN: gene not ranked)."""
    frame = candidates.frame
    x = _features(frame, model.missing_phenotype_score, model.epsilon)
    logit = model.intercept + x @ np.array([model.w_phenotype, model.w_variant, model.w_de_novo, model.w_no_fit])
    ranks = {}
    for case, rows in frame.groupby("case", sort=False).indices.items():
        hit = np.flatnonzero(frame["causal"].to_numpy()[rows])
        ranks[case] = tie_aware_rank_of(logit[rows], int(hit[0])) if hit.size else float("nan")
    return pd.Series(ranks)


def fit_rank_model(candidates: Candidates, data_version: str) -> tuple[RankModel, dict[str, dict]]:
    """Logistic regression per candidate missing-phenotype prior; keep the best MRR."""
    base = load_model()
    frame = candidates.frame
    causal = frame["causal"].to_numpy(bool)
    report: dict[str, dict] = {"current": rank_metrics(case_ranks(candidates, base))}
    best: tuple[float, RankModel] | None = None
    for missing in MISSING_PHENOTYPE_GRID:
        fitted = fit_model(_features(frame, missing, base.epsilon), causal, name="variantprio-rank",
                           data_version=data_version)
        fitted = replace(fitted, epsilon=base.epsilon, missing_phenotype_score=missing,
                         pair_score=base.pair_score, possible_phase_factor=base.possible_phase_factor)
        metrics = rank_metrics(case_ranks(candidates, fitted))
        report[f"missing={missing:g}"] = metrics
        log.info("missing phenotype prior %g: top1 %.3f MRR %.3f", missing, metrics["top1"], metrics["mrr"])
        if best is None or metrics["mrr"] > best[0]:
            best = (metrics["mrr"], fitted)
    assert best is not None
    return best[1], report


def run_fit_rank(keep_dir: Path, cases_table: Path, out: Path, data_version: str) -> dict[str, dict]:
    candidates = collect_candidates(keep_dir, cases_table)
    log.info("fitting on %d genes of %d cases", len(candidates.frame), candidates.n_cases)
    model, report = fit_rank_model(candidates, data_version)
    save_model(model, out)
    report["chosen"] = {"intercept": model.intercept, "w_phenotype": model.w_phenotype,
                        "w_variant": model.w_variant, "w_de_novo": model.w_de_novo, "w_no_fit": model.w_no_fit,
                        "missing_phenotype_score": model.missing_phenotype_score}
    return report
