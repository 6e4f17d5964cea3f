"""Phenotype stage: score every disease and gene against a patient's HPO terms.

Public entry points: `load_ontology` (cached HPO knowledge base), `patient_terms` (validated
terms from ids, a file or a phenopacket), `score_genes` (the CLI's `variantprio phenotype`).
"""

from .knowledge import Ontology, load_ontology
from .scoring import METHODS, LRParameters
from .stage import score_genes, score_patient
from .terms import PatientTerms, patient_terms, read_phenopacket

__all__ = ["Ontology", "load_ontology", "METHODS", "LRParameters", "score_genes", "score_patient",
           "PatientTerms", "patient_terms", "read_phenopacket"]
