"""`variantprio bench phenotype`: phenotype-only ranking of every gene for each solved case.

Each case's observed and excluded terms go through the same validation and scoring as the
pipeline's phenotype stage; the causal gene's tie-aware rank among all scored genes is recorded.
A case whose gene has no annotated disease in this HPO release cannot be ranked: it is a miss.

By default each case is scored as a new patient would be: the annotation rows curated only from
the case's own publication(s) are withheld (`phenotype.withhold`), since most phenopacket-store
cases were also the source of their disease's HPO annotations. The same case is also scored on
the full knowledge base, and both are reported, split by whether the case's paper is cited.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import InputError
from ...phenotype import LRParameters, Ontology, load_ontology, patient_terms
from ...phenotype.genes import gene_phenotype_table, gene_scores
from ...phenotype.stage import disease_scores
from ...phenotype.terms import PatientTerms
from ...phenotype.withhold import cites, withhold_publications
from ...phenotype.xspecies import CrossSpecies, add_cross_species, load_cross_species
from ...rank.model import RankModel, load_model
from ...schemas import col
from ...progress import progress_bar
from ...tables import atomic_path
from ..analyse.metrics import percent, rank_metrics, tie_aware_rank_of
from ..prepare.phenopackets import Case, read_cases, sample_cases
from .vcf import unannotated

log = logging.getLogger(__name__)

# Softmax temperatures tried when fitting the calibration (see phenotype.genes.CALIBRATION).
TEMPERATURES = np.round(np.geomspace(0.05, 20, 60), 4)


@dataclass
class CaseRank:
    case_id: str
    gene_symbol: str
    disease_id: str | None
    n_observed: int
    n_excluded: int
    n_unknown_terms: int
    gene_scored: bool
    diagnosis_in_release: bool  # the HPO release links the case's disease to its gene
    rank: float  # headline: with the case's publications withheld (unless switched off)
    rank_full_knowledge: float = float("nan")
    self_cited: bool = False  # an annotation row of the diagnosis cites the case's paper
    withheld_rows: int = 0
    error: str | None = None
    unannotated_gene: bool = False  # no disease of the gene keeps an annotation once the case's papers are withheld
    # With --xspecies, `rank` and `rank_full_knowledge` combine every component; these are the
    # (withheld) ranks with fewer of them, and the time one scoring took.
    rank_human: float = float("nan")
    rank_human_mouse: float = float("nan")
    rank_human_network: float = float("nan")
    rank_mouse_only: float = float("nan")  # among the genes with a mouse profile, by mouse score alone
    rank_network_only: float = float("nan")  # among the genes the network scores, by network score alone
    scoring_ms: float = float("nan")


# Phenotype-only rankings reported with --xspecies: CaseRank column -> (mouse, network) used.
COMPONENT_RANKS = {"rank_human_mouse": (True, False), "rank_human_network": (False, True), "rank": (True, True)}
COMPONENT_NAMES = {"rank_human": "human", "rank_human_mouse": "human+mouse", "rank_human_network": "human+network",
                   "rank": "human+mouse+network", "rank_mouse_only": "mouse alone",
                   "rank_network_only": "network alone"}
# Diagnostic rankings by one cross-species score alone (CaseRank columns): mouse, then network.
SINGLE_COMPONENT_RANKS = ("rank_mouse_only", "rank_network_only")


_STATE: dict[str, Any] = {}


def _quiet_worker() -> None:
    logging.getLogger("variantprio.phenotype.terms").setLevel(logging.ERROR)  # per-case notes: too many


def _rank(ontology: Ontology, terms: PatientTerms, gene: str) -> tuple[dict[str, float], np.ndarray | None]:
    """Tie-aware ranks of the gene (`rank_human`, and with cross-species evidence the COMPONENT_RANKS
    combinations) and the human gene scores; NaN where the gene is not scored at all."""
    started = time.perf_counter()
    method = _STATE["method"]
    scores, contribution = disease_scores(ontology, terms, method, _STATE["params"])
    per_gene, best = gene_scores(ontology, scores, method)
    index = ontology.annotations.gene_index.get(gene)
    known = index is not None and best[index] >= 0
    ranks = {"rank_human": tie_aware_rank_of(per_gene, index) if known else float("nan")}
    evidence: CrossSpecies | None = _STATE["evidence"]
    if evidence is not None:
        observed = terms.indices(ontology)[0]
        table = add_cross_species(gene_phenotype_table(ontology, observed, scores, contribution, method),
                                  ontology, observed, evidence)
        ranks.update(component_ranks(table, gene, _STATE["model"]))
    ranks["scoring_ms"] = (time.perf_counter() - started) * 1000
    return ranks, per_gene if known else None


def component_ranks(table: pa.Table, gene: str, model: RankModel) -> dict[str, float]:
    """The gene's tie-aware rank among the genes a phenotype-only ranking orders by the rank model's
    phenotype terms, for each COMPONENT_RANKS combination, and by the mouse or network score alone
    (SINGLE_COMPONENT_RANKS); a gene no used component scores is a miss."""
    def values(name: str) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False).astype(float)

    human, mouse, network = values(col.phenotype_score), values(col.mouse_score), values(col.network_score)
    is_gene = table.column(col.gene_symbol).to_numpy(zero_copy_only=False) == gene

    def rank_among(rows: np.ndarray, score: np.ndarray) -> float:
        """The gene's rank by `score` (one value per row kept), NaN when the gene is not among them."""
        hit = np.flatnonzero(is_gene[rows])
        return tie_aware_rank_of(score, int(hit[0])) if len(hit) else float("nan")

    out = {}
    for name, (use_mouse, use_network) in COMPONENT_RANKS.items():
        rows = ~np.isnan(human) | (use_mouse & ~np.isnan(mouse)) | (use_network & ~np.isnan(network))
        out[name] = rank_among(rows, model.phenotype_logit(human[rows], mouse[rows] if use_mouse else None,
                                                            network[rows] if use_network else None))
    # How much each cross-species score says on its own, among the genes it scores.
    for name, score in zip(SINGLE_COMPONENT_RANKS, (mouse, network)):
        out[name] = rank_among(~np.isnan(score), score[~np.isnan(score)])
    return out


def _rank_case(case: Case) -> tuple[CaseRank, np.ndarray | None]:
    ontology: Ontology = _STATE["ontology"]
    ann = ontology.annotations
    known = ann.links(case.disease_id, case.gene_symbol)
    self_cited = cites(ann, case.disease_id, case.pmids)
    try:
        terms = patient_terms(ontology, hpo=case.observed, exclude=case.excluded, skip_unknown=True)
    except InputError as err:
        return CaseRank(case.case_id, case.gene_symbol, case.disease_id, len(case.observed),
                        len(case.excluded), 0, case.gene_symbol in ann.gene_index, known, float("nan"),
                        self_cited=self_cited, error=err.one_line()), None
    full, full_scores = _rank(ontology, terms, case.gene_symbol)
    view = withhold_publications(ontology, case.pmids) if _STATE["withhold"] else ontology
    ranks, scores = (full, full_scores) if view is ontology else _rank(view, terms, case.gene_symbol)
    headline = "rank" if _STATE["evidence"] is not None else "rank_human"
    index = ann.gene_index.get(case.gene_symbol)
    nll = _nll_by_temperature(scores, index) if _STATE["fit"] and scores is not None else None
    unknown = sum(int(n.split()[1]) for n in terms.notes if n.startswith("skipped") and "unknown" in n)
    withheld = len(ann.row_disease) - len(view.annotations.ann_row) - len(view.annotations.not_row) \
        - len(view.annotations.inh_row) if view is not ontology else 0
    components = {name: ranks[name] for name in COMPONENT_NAMES if name in ranks and name != "rank"}
    return CaseRank(case.case_id, case.gene_symbol, case.disease_id, len(terms.observed),
                    len(terms.excluded), unknown, index is not None, known, ranks[headline], full[headline],
                    self_cited, withheld, unannotated_gene=unannotated(view, case.gene_symbol),
                    scoring_ms=ranks["scoring_ms"], **components), nll


def _nll_by_temperature(scores: np.ndarray, index: int) -> np.ndarray:
    """-ln posterior of the true gene for each candidate softmax temperature."""
    shifted = scores - scores.max()
    out = np.empty(len(TEMPERATURES))
    for i, temperature in enumerate(TEMPERATURES):
        scaled = shifted / temperature
        out[i] = np.log(np.exp(scaled).sum()) - scaled[index]
    return out


@dataclass
class BenchPhenotypeResult:
    report: dict[str, Any]
    json_path: Path
    ranks_path: Path

    def summary_line(self) -> str:
        r = self.report
        full = r["full_knowledge"]
        mode = "publications withheld" if r["withhold_publication"] else "full knowledge"
        return (f"phenotype-only ({r['method']}, HPO {r['hpo_version']}, {mode}): {r['n_cases']} cases, "
                f"top1 {r['top1']:.1%} top3 {r['top3']:.1%} top5 {r['top5']:.1%} top10 {r['top10']:.1%} "
                f"MRR {r['mrr']:.3f}; full knowledge top1 {percent(full['top1'])} top10 "
                f"{percent(full['top10'])}; self-cited {r['self_cited']['n_cases']} cases top1 "
                f"{percent(r['self_cited']['top1'])}, not {r['not_self_cited']['n_cases']} top1 "
                f"{percent(r['not_self_cited']['top1'])}; {r['gene_not_scored']} cases' genes not in the "
                f"annotations (misses); {r['diagnosis_in_release']['n']} diagnoses in the release: top1 "
                f"{percent(r['diagnosis_in_release']['top1'])} top10 {percent(r['diagnosis_in_release']['top10'])}; "
                f"{self._components_text()}scoring {r['scoring_ms_per_case']['median']:.0f} ms per case (median); "
                f"{r['seconds']:.0f} s")

    def _components_text(self) -> str:
        """With --xspecies: top-1/top-10 of each combination, overall and on unannotated genes."""
        parts = [f"{label} top1 {percent(m['top1'])} top10 {percent(m['top10'])} (unannotated genes top10 "
                 f"{percent(m['unannotated_gene']['top10'])})"
                 for label, m in self.report.get("by_components", {}).items()]
        return "; ".join(parts) + "; " if parts else ""


def _metrics(ranks: pd.Series) -> dict[str, Any]:
    """n_cases, top-k and MRR (misses count) of one group of cases."""
    metrics = rank_metrics(ranks)
    return {"n_cases": metrics.pop("n"), **metrics}


def _split(frame: pd.DataFrame, rows: pd.Series) -> dict[str, Any]:
    return {**_metrics(frame.loc[rows, "rank"]),
            "full_knowledge": _metrics(frame.loc[rows, "rank_full_knowledge"])}


def _by_components(frame: pd.DataFrame) -> dict[str, Any]:
    """Withheld metrics of each phenotype-only ranking, overall and split by whether the gene keeps
    an HPO annotation."""
    unannotated_gene = frame["unannotated_gene"].astype(bool)
    return {label: {**_metrics(frame[name]), "unannotated_gene": _metrics(frame.loc[unannotated_gene, name]),
                    "annotated_gene": _metrics(frame.loc[~unannotated_gene, name])}
            for name, label in COMPONENT_NAMES.items()}


def run_bench_phenotype(cases_path: Path | str, out: Path | str, *, limit: int | None = None, seed: int = 1,
                        method: str = "lr", hpo_dir: str | None = None, jobs: int = 2,
                        params: LRParameters = LRParameters(), fit_calibration: bool = False,
                        withhold_publication: bool = True, xspecies: str | Path | None = None
                        ) -> BenchPhenotypeResult:
    started = time.perf_counter()
    out = Path(out)
    cases = sample_cases(read_cases(cases_path), limit, seed, spikeable_only=False)
    if not cases:
        raise InputError("no cases to benchmark", path=str(cases_path))
    ontology = load_ontology(hpo_dir)
    evidence = load_cross_species(xspecies) if xspecies else None
    model = load_model()
    # Workers are forked: they share this knowledge base instead of each loading it.
    _STATE.update(ontology=ontology, method=method, params=params, fit=fit_calibration,
                  withhold=withhold_publication, evidence=evidence, model=model)
    ranks: list[CaseRank] = []
    nll = np.zeros(len(TEMPERATURES))
    with progress_bar() as bar:
        task = bar.add_task("phenotype ranking", total=len(cases))
        advance = lambda n: bar.advance(task, n)  # noqa: E731
        if jobs > 1:
            context = multiprocessing.get_context("fork")
            with context.Pool(jobs, _quiet_worker) as pool:
                for rank, case_nll in pool.imap(_rank_case, cases, chunksize=16):
                    ranks.append(rank)
                    nll += case_nll if case_nll is not None else 0.0
                    advance(1)
        else:
            _quiet_worker()
            for case in cases:
                rank, case_nll = _rank_case(case)
                ranks.append(rank)
                nll += case_nll if case_nll is not None else 0.0
                advance(1)
    frame = pd.DataFrame([asdict(r) for r in ranks])
    report: dict[str, Any] = {
        **_metrics(frame["rank"]),
        "withhold_publication": withhold_publication,
        "full_knowledge": _metrics(frame["rank_full_knowledge"]),
        "self_cited": _split(frame, frame["self_cited"]),
        "not_self_cited": _split(frame, ~frame["self_cited"]),
        "unannotated_gene": _split(frame, frame["unannotated_gene"]),
        "annotated_gene": _split(frame, ~frame["unannotated_gene"]),
        "components": ["human", "mouse", "network"] if evidence is not None else ["human"],
        **({"by_components": _by_components(frame), "xspecies": str(xspecies),
            "rank_model": {"label": model.label, "w_phenotype": model.w_phenotype, "w_mouse": model.w_mouse,
                           "w_network": model.w_network, "missing_phenotype_score": model.missing_phenotype_score}}
           if evidence is not None else {}),
        "scoring_ms_per_case": {"median": round(float(frame["scoring_ms"].median()), 1),
                                "mean": round(float(frame["scoring_ms"].mean()), 1)},
        "gene_not_scored": int((~frame["gene_scored"]).sum()),
        "term_errors": int(frame["error"].notna().sum()),
        "cases_with_unknown_terms_skipped": int((frame["n_unknown_terms"] > 0).sum()),
        "cases_with_rows_withheld": int((frame["withheld_rows"] > 0).sum()),
        "scoreable_cases": rank_metrics(frame.loc[frame["gene_scored"], "rank"]),
        # The ceiling of any phenotype engine on this release: cases whose diagnosis it contains.
        "diagnosis_in_release": rank_metrics(frame.loc[frame["diagnosis_in_release"], "rank"]),
        "method": method,
        "parameters": asdict(params) if method == "lr" else {},
        "hpo_version": ontology.version,
        "hpo_release": ontology.release,
        "data_sources": {**ontology.data_sources, **(evidence.data_sources if evidence is not None else {})},
        "cases": str(cases_path), "limit": limit, "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if fit_calibration:
        best = int(np.argmin(nll))
        report["calibration"] = {"temperature": float(TEMPERATURES[best]),
                                 "mean_nll": float(nll[best] / max(frame["rank"].notna().sum(), 1))}
    ranks_path = out.with_suffix(".ranks.parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(ranks_path) as tmp:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    return BenchPhenotypeResult(report, out, ranks_path)
