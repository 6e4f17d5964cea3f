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
from ...phenotype.genes import gene_scores
from ...phenotype.stage import disease_scores
from ...phenotype.terms import PatientTerms
from ...phenotype.withhold import cites, withhold_publications
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


_STATE: dict[str, Any] = {}


def _quiet_worker() -> None:
    logging.getLogger("variantprio.phenotype.terms").setLevel(logging.ERROR)  # per-case notes: too many


def _rank(ontology: Ontology, terms: PatientTerms, gene: str) -> tuple[float, np.ndarray | None]:
    """Tie-aware rank of the gene and all gene scores; NaN when the gene has no known disease."""
    scores, _ = disease_scores(ontology, terms, _STATE["method"], _STATE["params"])
    per_gene, best = gene_scores(ontology, scores, _STATE["method"])
    index = ontology.annotations.gene_index.get(gene)
    if index is None or best[index] < 0:
        return float("nan"), None
    return tie_aware_rank_of(per_gene, index), per_gene


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
    rank, scores = (full, full_scores) if view is ontology else _rank(view, terms, case.gene_symbol)
    index = ann.gene_index.get(case.gene_symbol)
    nll = _nll_by_temperature(scores, index) if _STATE["fit"] and scores is not None else None
    unknown = sum(int(n.split()[1]) for n in terms.notes if n.startswith("skipped") and "unknown" in n)
    withheld = len(ann.row_disease) - len(view.annotations.ann_row) - len(view.annotations.not_row) \
        - len(view.annotations.inh_row) if view is not ontology else 0
    return CaseRank(case.case_id, case.gene_symbol, case.disease_id, len(terms.observed),
                    len(terms.excluded), unknown, index is not None, known, rank, full, self_cited,
                    withheld, unannotated_gene=unannotated(view, case.gene_symbol)), nll


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
                f"{r['seconds']:.0f} s")


def _metrics(ranks: pd.Series) -> dict[str, Any]:
    """n_cases, top-k and MRR (misses count) of one group of cases."""
    metrics = rank_metrics(ranks)
    return {"n_cases": metrics.pop("n"), **metrics}


def _split(frame: pd.DataFrame, rows: pd.Series) -> dict[str, Any]:
    return {**_metrics(frame.loc[rows, "rank"]),
            "full_knowledge": _metrics(frame.loc[rows, "rank_full_knowledge"])}


def run_bench_phenotype(cases_path: Path | str, out: Path | str, *, limit: int | None = None, seed: int = 1,
                        method: str = "lr", hpo_dir: str | None = None, jobs: int = 2,
                        params: LRParameters = LRParameters(), fit_calibration: bool = False,
                        withhold_publication: bool = True) -> BenchPhenotypeResult:
    started = time.perf_counter()
    out = Path(out)
    cases = sample_cases(read_cases(cases_path), limit, seed, spikeable_only=False)
    if not cases:
        raise InputError("no cases to benchmark", path=str(cases_path))
    ontology = load_ontology(hpo_dir)
    # Workers are forked: they share this knowledge base instead of each loading it.
    _STATE.update(ontology=ontology, method=method, params=params, fit=fit_calibration,
                  withhold=withhold_publication)
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
        "data_sources": ontology.data_sources,
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
