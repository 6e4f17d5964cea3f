"""The phenotype stage: a patient's terms in, the GENE_PHENOTYPE table out."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa

from ..errors import InputError
from ..schemas import col
from ..tables import Provenance, write_table
from .genes import gene_phenotype_table
from .knowledge import Ontology, load_ontology
from .scoring import METHODS, LRParameters, lr_scores, resnik_scores
from .terms import PatientTerms, patient_terms

log = logging.getLogger(__name__)


def disease_scores(ontology: Ontology, terms: PatientTerms, method: str = "lr",
                   params: LRParameters = LRParameters()) -> tuple[np.ndarray, np.ndarray]:
    """Score per disease and each observed term's contribution to it, by the chosen method."""
    if method not in METHODS:
        raise InputError(f"unknown phenotype method {method!r}", hint=f"choose one of {', '.join(METHODS)}")
    observed, excluded = terms.indices(ontology)
    if method == "lr":
        return lr_scores(ontology, observed, excluded, params)
    return resnik_scores(ontology, observed)


def score_patient(ontology: Ontology, terms: PatientTerms, method: str = "lr",
                  params: LRParameters = LRParameters()) -> pa.Table:
    """GENE_PHENOTYPE rows for every gene with an annotated disease, best first."""
    scores, contribution = disease_scores(ontology, terms, method, params)
    return gene_phenotype_table(ontology, terms.indices(ontology)[0], scores, contribution, method)


def score_genes(observed: str | Iterable[str] | PatientTerms | None, out: str | Path | None = None, *,
                excluded: str | Iterable[str] | None = None, ontology: Ontology | None = None,
                method: str = "lr", hpo_dir: str | Path | None = None,
                params: LRParameters = LRParameters(), genome_build: str | None = None,
                skip_unknown: bool = False) -> pa.Table:
    """Validate the terms, score every gene and (with `out`) write gene_phenotype.parquet."""
    ontology = ontology or load_ontology(hpo_dir)
    terms = observed if isinstance(observed, PatientTerms) else patient_terms(
        ontology, hpo=observed, exclude=excluded, skip_unknown=skip_unknown)
    table = score_patient(ontology, terms, method, params)
    if out is not None:
        provenance = Provenance(genome_build=genome_build, sources=ontology.data_sources, extra={
            "phenotype_method": method, "observed_terms": terms.observed, "excluded_terms": terms.excluded,
            "hpo_files": ontology.source, "parameters": asdict(params) if method == "lr" else {},
            **({"withheld_references": list(ontology.withheld)} if ontology.withheld else {})})
        write_table(table, out, "gene_phenotype", provenance)
        top = table.slice(0, 3).column(col.gene_symbol).to_pylist()
        log.info("scored %d genes from %d observed and %d excluded terms (%s, HPO %s); top: %s",
                 table.num_rows, len(terms.observed), len(terms.excluded), method, ontology.version,
                 ", ".join(top))
    return table
