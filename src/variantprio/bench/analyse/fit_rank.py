"""`variantprio bench fit-rank`: fit the gene-combination model on kept `bench vcf` runs.

Each kept case directory holds the genes.parquet the pipeline produced; the case's solved gene is
the positive label, every other ranked gene a negative. Only development cases may be used: the
fitted weights are shipped in `variantprio/data/rank_model.json` with the data version they came from.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ...errors import InputError
from ...rank import RankModel, fit_conditional, load_model, model_features, save_model
from ...rank.model import conditional_weights, xspecies_features
from ...schemas import col
from .metrics import rank_metrics, tie_aware_rank_of
from ..run.vcf import case_dir_name

log = logging.getLogger(__name__)

MISSING_PHENOTYPE_GRID = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3)
_COLUMNS = [col.gene_symbol, col.phenotype_score, col.variant_score, col.de_novo, col.segregates]
_XSPECIES_COLUMNS = [col.mouse_score, col.network_score]  # absent from runs without --xspecies


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
        present = set(pq.read_schema(path).names)
        genes = pq.read_table(path, columns=_COLUMNS + [c for c in _XSPECIES_COLUMNS if c in present]).to_pandas()
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


def _xspecies(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Mouse and network scores (NaN: none, as for a run without the components)."""
    return tuple(frame[name].to_numpy(float, na_value=np.nan) if name in frame else np.full(len(frame), np.nan)
                 for name in _XSPECIES_COLUMNS)


def _logit_of(frame: pd.DataFrame, model: RankModel) -> np.ndarray:
    return model.logit(frame[col.phenotype_score].to_numpy(float, na_value=np.nan),
                       frame[col.variant_score].to_numpy(float, na_value=0.0),
                       frame[col.de_novo].fillna(False).to_numpy(bool),
                       frame[col.segregates].fillna(False).to_numpy(bool), *_xspecies(frame))


def case_ranks(candidates: Candidates, model: RankModel) -> pd.Series:
    """Tie-aware rank of the causal gene per case under `model` (NaN: gene not ranked)."""
    frame = candidates.frame
    logit = _logit_of(frame, model)
    ranks = {}
    for case, rows in frame.groupby("case", sort=False).indices.items():
        hit = np.flatnonzero(frame["causal"].to_numpy()[rows])
        ranks[case] = tie_aware_rank_of(logit[rows], int(hit[0])) if hit.size else float("nan")
    return pd.Series(ranks)


# Fitting sees each case's solved gene and its strongest rivals under the current model: the
# thousands of genes far below them carry almost no likelihood and would only slow the fit.
RIVALS_PER_CASE = 300


def _hard_rivals(frame: pd.DataFrame, base: RankModel) -> pd.DataFrame:
    logit = _logit_of(frame, base)
    order = pd.Series(-logit, index=frame.index).groupby(frame["case"]).rank(method="first")
    return frame[(order <= RIVALS_PER_CASE) | frame["causal"]]


def _fit(frame: pd.DataFrame, missing: float, base: RankModel, data_version: str, cross_species: str = "off"
         ) -> RankModel:
    """Weights fitted on these cases. `cross_species`: "off" fits the four base weights (mouse and
    network kept as shipped), "all" all six, "held" only mouse and network with the base weights
    held, so annotated genes keep their order as far as the new evidence allows."""
    frame = _hard_rivals(frame, base)
    case_number = pd.factorize(frame["case"])[0]
    causal = frame["causal"].to_numpy(bool)
    kept = dict(epsilon=base.epsilon, missing_phenotype_score=missing, pair_score=base.pair_score,
                possible_phase_factor=base.possible_phase_factor)
    if cross_species == "held":
        base = replace(base, **kept)
        weights = conditional_weights(xspecies_features(*_xspecies(frame)), causal, case_number,
                                      _logit_of(frame, replace(base, w_mouse=0.0, w_network=0.0)))
        return replace(base, name="variantprio-rank", data_version=data_version, w_mouse=float(weights[0]),
                       w_network=float(weights[1]))
    features = _features(frame, missing, base.epsilon)
    if cross_species == "all":
        features = np.column_stack([features, xspecies_features(*_xspecies(frame))])
    fitted = fit_conditional(features, causal, case_number, name="variantprio-rank", data_version=data_version)
    if cross_species == "off":
        kept.update(w_mouse=base.w_mouse, w_network=base.w_network)
    return replace(fitted, **kept)


def _folds(cases: pd.Series, k: int) -> pd.Series:
    """A fixed fold per case id (its SHA-256), so a refit sees the same split."""
    fold = {c: int(hashlib.sha256(str(c).encode()).hexdigest(), 16) % k for c in cases.unique()}
    return cases.map(fold)


def cross_validated(candidates: Candidates, missing: float, base: RankModel, k: int, cross_species: str = "off"
                    ) -> pd.Series:
    """Each case's rank under weights fitted on the other folds' cases only."""
    frame = candidates.frame
    fold = _folds(frame["case"], k)
    ranks = []
    for f in range(k):
        held = fold == f
        if not held.any() or held.all():
            continue
        model = _fit(frame[~held], missing, base, "cross-validation", cross_species)
        ranks.append(case_ranks(Candidates(frame[held].reset_index(drop=True)), model))
    return pd.concat(ranks) if ranks else pd.Series(dtype=float)


def fit_rank_model(candidates: Candidates, data_version: str, folds: int = 5, cross_species: str = "off"
                   ) -> tuple[RankModel, dict[str, dict]]:
    """Conditional logistic regression per candidate missing-phenotype prior; the prior with the
    best cross-validated MRR wins (each case ranked by weights fitted without it), then the
    weights are refitted on all cases."""
    base = load_model()
    report: dict[str, dict] = {"current": rank_metrics(case_ranks(candidates, base))}
    best: tuple[float, float] | None = None
    for missing in MISSING_PHENOTYPE_GRID:
        metrics = rank_metrics(cross_validated(candidates, missing, base, folds, cross_species))
        report[f"missing={missing:g} ({folds}-fold cross-validated)"] = metrics
        log.info("missing phenotype prior %g: held-out top1 %.3f MRR %.3f", missing, metrics["top1"], metrics["mrr"])
        if best is None or metrics["mrr"] > best[0]:
            best = (metrics["mrr"], missing)
    assert best is not None
    model = _fit(candidates.frame, best[1], base, data_version, cross_species)
    report["fitted, in sample"] = rank_metrics(case_ranks(candidates, model))
    return model, report


def run_fit_rank(keep_dir: Path, cases_table: Path, out: Path, data_version: str, folds: int = 5,
                 cross_species: str = "off") -> dict[str, dict]:
    candidates = collect_candidates(keep_dir, cases_table)
    log.info("fitting on %d genes of %d cases", len(candidates.frame), candidates.n_cases)
    model, report = fit_rank_model(candidates, data_version, folds, cross_species)
    save_model(model, out)
    report["chosen"] = {"intercept": model.intercept, "w_phenotype": model.w_phenotype,
                        "w_variant": model.w_variant, "w_de_novo": model.w_de_novo, "w_no_fit": model.w_no_fit,
                        "missing_phenotype_score": model.missing_phenotype_score,
                        "w_mouse": model.w_mouse, "w_network": model.w_network, "cross_species": cross_species}
    return report
