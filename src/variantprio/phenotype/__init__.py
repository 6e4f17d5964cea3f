"""Phenotype stage: score every disease and gene against a patient's HPO terms.

Public entry points: `load_ontology` (cached HPO knowledge base), `patient_terms` (validated
terms from ids, a file or a phenopacket), `score_genes` (in memory), `run` (the stage:
`run(PhenotypeInputs, PhenotypeOutputs, PhenotypeOptions)`, the CLI's `variantprio phenotype`),
`withhold_publications` (the knowledge base without the rows curated only from a benchmark
case's own papers, for honest benchmarks).
"""

from .knowledge import Ontology, load_ontology
from .scoring import METHODS, LRParameters
from .stage import PhenotypeInputs, PhenotypeOptions, PhenotypeOutputs, run, score_genes, score_patient
from .terms import PatientTerms, patient_terms, read_phenopacket
from .withhold import withhold_publications

__all__ = ["Ontology", "load_ontology", "METHODS", "LRParameters", "PhenotypeInputs", "PhenotypeOptions",
           "PhenotypeOutputs", "run", "score_genes", "score_patient",
           "PatientTerms", "patient_terms", "read_phenopacket", "withhold_publications"]
