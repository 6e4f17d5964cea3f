"""The gene-combination model: weights in a JSON file shipped with the package, swappable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import InputError

_WEIGHTS = ("phenotype_logit", "variant_logit", "de_novo", "no_fitting_mode")
# Optional weights (0 when a model file predates them): mouse and network evidence (phenotype.xspecies).
_XSPECIES_WEIGHTS = ("mouse", "network")
NETWORK_FLOOR = 1e-6  # network_score below this (or none) counts as this: ln(network_score) enters the model


@dataclass(frozen=True)
class RankModel:
    """Logistic combination of phenotype and variant evidence (see data/rank_model.json)."""

    name: str
    version: str
    data_version: str
    intercept: float
    w_phenotype: float
    w_variant: float
    w_de_novo: float
    w_no_fit: float
    epsilon: float = 1e-3
    missing_phenotype_score: float = 0.01
    pair_score: str = "mean"  # how a compound-het pair's two variant scores combine: mean or min
    possible_phase_factor: float = 0.9  # unphased ("possible") pairs count a little less
    w_mouse: float = 0.0  # per unit of mouse_score (summed IC above the gene's average; none: 0)
    w_network: float = 0.0  # per unit of ln(network_score) (none: ln NETWORK_FLOOR)

    def logit(self, phenotype: np.ndarray, variant: np.ndarray, de_novo: np.ndarray,
              segregates: np.ndarray, mouse: np.ndarray | None = None, network: np.ndarray | None = None
              ) -> np.ndarray:
        """Linear predictor (log-odds of the combined score) per gene."""
        return (self.intercept + self.phenotype_logit(phenotype, mouse, network)
                + self.w_variant * _logit(variant, self.epsilon)
                + self.w_de_novo * de_novo.astype(float) + self.w_no_fit * (~segregates).astype(float))

    def phenotype_logit(self, phenotype: np.ndarray, mouse: np.ndarray | None = None,
                        network: np.ndarray | None = None) -> np.ndarray:
        """The phenotype terms of the linear predictor: human (a gene without one: the missing-
        phenotype prior), mouse and network; what a phenotype-only ranking orders genes by."""
        human = np.asarray(phenotype, float)
        human = np.where(np.isnan(human), self.missing_phenotype_score, human)
        return self.w_phenotype * _logit(human, self.epsilon) + self.xspecies_logit(mouse, network, len(human))

    def xspecies_logit(self, mouse: np.ndarray | None, network: np.ndarray | None, n: int) -> np.ndarray:
        """The mouse and network terms of the linear predictor (missing evidence: 0 and the floor)."""
        out = np.zeros(n)
        if mouse is not None and self.w_mouse:
            out += self.w_mouse * np.nan_to_num(np.asarray(mouse, float), nan=0.0)
        # All missing: the component was off for this patient, so it shifts no score (the same
        # combined scores as a model without it); some missing: those genes get the floor.
        if network is not None and self.w_network and not np.isnan(np.asarray(network, float)).all():
            out += self.w_network * network_feature(network)
        return out

    @staticmethod
    def combined(logit: np.ndarray) -> np.ndarray:
        """Probability-like combined score per gene, from `logit`."""
        return 1.0 / (1.0 + np.exp(-logit))

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version} ({self.data_version})"


def network_feature(network: np.ndarray) -> np.ndarray:
    """ln(network_score), floored (genes outside the network, or with no seeded partner, at the floor)."""
    return np.log(np.maximum(np.nan_to_num(np.asarray(network, float), nan=0.0), NETWORK_FLOOR))


def candidate_posterior(logit: np.ndarray) -> np.ndarray:
    """Combined-score odds normalised over the candidate genes: P(gene explains the case | one of
    them does). On 400 development cases the top genes' values matched their hit rates (0.99: 99%,
    0.80: 74%, 0.59: 55%, 0.39: 42%, 0.18: 22%)."""
    if not len(logit):
        return np.zeros(0)
    weights = np.exp(logit - logit.max())
    return weights / weights.sum()


def _logit(p: np.ndarray, eps: float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(p / (1 - p))


def load_model(path: Path | str | None = None) -> RankModel:
    """The shipped default model, or the JSON at `path` (same keys)."""
    if path is None:
        text = resources.files("variantprio").joinpath("data/rank_model.json").read_text()
        where = "variantprio/data/rank_model.json"
    else:
        if not Path(path).is_file():
            raise InputError("model file not found", path=str(path), hint="pass a rank_model.json")
        text, where = Path(path).read_text(), str(path)
    try:
        raw = json.loads(text)
        weights = raw["weights"]
        model = RankModel(
            name=str(raw["name"]), version=str(raw.get("version", "1")),
            data_version=str(raw["data_version"]), intercept=float(raw["intercept"]),
            w_phenotype=float(weights["phenotype_logit"]), w_variant=float(weights["variant_logit"]),
            w_de_novo=float(weights["de_novo"]), w_no_fit=float(weights["no_fitting_mode"]),
            epsilon=float(raw.get("epsilon", 1e-3)),
            missing_phenotype_score=float(raw.get("missing_phenotype_score", 0.01)),
            pair_score=str(raw.get("pair_score", "mean")),
            possible_phase_factor=float(raw.get("possible_phase_factor", 0.9)),
            w_mouse=float(weights.get("mouse", 0.0)), w_network=float(weights.get("network", 0.0)))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise InputError(f"invalid rank model ({type(err).__name__}: {err})", path=where,
                         hint=f"needs name, data_version, intercept and weights {', '.join(_WEIGHTS)}") from None
    if model.pair_score not in ("mean", "min"):
        raise InputError(f"pair_score must be 'mean' or 'min', not {model.pair_score!r}", path=where)
    return model


def model_features(phenotype: np.ndarray, variant: np.ndarray, de_novo: np.ndarray, segregates: np.ndarray,
                   epsilon: float = 1e-3) -> np.ndarray:
    """Design matrix of the rank model (columns in the order of the JSON weights)."""
    return np.column_stack([_logit(phenotype, epsilon), _logit(variant, epsilon),
                            np.asarray(de_novo, dtype=float), (~np.asarray(segregates, dtype=bool)).astype(float)])


def xspecies_features(mouse: np.ndarray, network: np.ndarray) -> np.ndarray:
    """The mouse and network columns of the design matrix (w_mouse, w_network), as `logit` uses them."""
    return np.column_stack([np.nan_to_num(np.asarray(mouse, float), nan=0.0), network_feature(network)])


def fit_conditional(features: np.ndarray, causal: np.ndarray, case: np.ndarray, name: str, data_version: str,
                    l2: float = 1e-2, iterations: int = 50) -> RankModel:
    """Conditional logistic regression: maximise each case's softmax probability of its solved
    gene among its own candidates, which is what ranking needs (a pooled per-gene logistic fit
    also spends its weights on telling easy cases from hard ones). The intercept does not change
    a ranking; it is set so that the combined scores sum to one causal gene per case.

    `features` has the columns of `model_features`, optionally followed by the mouse and network
    columns of `xspecies_features`; `case` holds each row's case number (0..n-1); rows of a case
    without its causal gene are ignored.
    """
    beta = conditional_weights(features, causal, case, np.zeros(len(causal)), l2, iterations)
    n_cases = int((np.bincount(case, weights=np.asarray(causal, float)) > 0).sum())  # cases with a solved gene
    extra = dict(zip(("w_mouse", "w_network"), map(float, beta[4:])))
    return RankModel(name=name, version="1", data_version=data_version,
                     intercept=_intercept_for(features @ beta, n_cases),
                     w_phenotype=float(beta[0]), w_variant=float(beta[1]), w_de_novo=float(beta[2]),
                     w_no_fit=float(beta[3]), **extra)


def conditional_weights(features: np.ndarray, causal: np.ndarray, case: np.ndarray, offset: np.ndarray,
                        l2: float = 1e-2, iterations: int = 50) -> np.ndarray:
    """The weights of `fit_conditional` for these feature columns, each row's linear predictor being
    `offset` (terms held fixed) plus features @ weights: Newton's method with step halving."""
    y = np.asarray(causal, dtype=float)
    case = np.asarray(case, dtype=np.int64)
    solved = np.bincount(case, weights=y) > 0
    keep = solved[case]
    x, y, offset = features[keep], y[keep], np.asarray(offset, float)[keep]
    case = np.unique(case[keep], return_inverse=True)[1]
    n_cases = int(case.max()) + 1 if len(case) else 0
    beta = np.zeros(x.shape[1])
    current = _conditional_loglik(x, y, case, n_cases, beta, l2, offset)
    for _ in range(iterations):
        p = _within_case_softmax(offset + x @ beta, case, n_cases)
        mean_x = np.column_stack([np.bincount(case, weights=p * x[:, j], minlength=n_cases)
                                  for j in range(x.shape[1])])
        centred = x - mean_x[case]
        gradient = (y[:, None] * centred).sum(axis=0) - l2 * beta
        hessian = (centred * p[:, None]).T @ centred + l2 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        for _halving in range(30):  # Newton with step halving: the likelihood never falls
            trial = _conditional_loglik(x, y, case, n_cases, beta + step, l2, offset)
            if trial >= current:
                break
            step /= 2
        beta, current = beta + step, max(trial, current)
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _within_case_softmax(eta: np.ndarray, case: np.ndarray, n_cases: int) -> np.ndarray:
    top = np.full(n_cases, -np.inf)
    np.maximum.at(top, case, eta)
    w = np.exp(eta - top[case])
    return w / np.bincount(case, weights=w, minlength=n_cases)[case]


def _conditional_loglik(x: np.ndarray, y: np.ndarray, case: np.ndarray, n_cases: int, beta: np.ndarray,
                        l2: float, offset: np.ndarray) -> float:
    p = _within_case_softmax(offset + x @ beta, case, n_cases)
    return float(np.sum(y * np.log(np.maximum(p, 1e-300))) - 0.5 * l2 * beta @ beta)


def _intercept_for(linear: np.ndarray, n_causal: int) -> float:
    """The intercept at which the combined scores (sigmoids) add up to `n_causal` (bisection)."""
    low, high = -50.0, 50.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        total = np.sum(1.0 / (1.0 + np.exp(-np.clip(linear + mid, -700, 700))))
        low, high = (mid, high) if total < n_causal else (low, mid)
    return float(0.5 * (low + high))


def save_model(model: RankModel, path: Path | str) -> Path:
    """Write a model in the JSON layout `load_model` reads."""
    from ..tables import atomic_path

    raw = {"name": model.name, "version": model.version, "data_version": model.data_version,
           "intercept": model.intercept,
           "weights": {**dict(zip(_WEIGHTS, (model.w_phenotype, model.w_variant, model.w_de_novo, model.w_no_fit))),
                       **dict(zip(_XSPECIES_WEIGHTS, (model.w_mouse, model.w_network)))},
           "epsilon": model.epsilon, "missing_phenotype_score": model.missing_phenotype_score,
           "pair_score": model.pair_score, "possible_phase_factor": model.possible_phase_factor}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(raw, indent=2) + "\n")
    return Path(path)
