"""ANNOTATE stage: consequences per variant x gene (from the VCF's own VEP/SnpEff/bcftools
annotations or a gene model), with provenance of the gene model used.

Layout: `consequences` (SO terms, severity, impact) · `genemodel` (loading and caching the
`core.genemodel` transcript table) with builders `gtf` and `refdir` · `predict` (vectorised
interval join and consequence rules) · `model_rows` (worst consequence per gene) · `existing`
(CSQ/ANN/BCSQ parsing) · `pipeline` (the stage's `run(AnnotateInputs, AnnotateOutputs, AnnotateOptions)`).
"""

from ..core.genemodel import GeneModel
from .genemodel import load_gene_model, save_gene_model
from .pipeline import AnnotateInputs, AnnotateOptions, AnnotateOutputs, annotate_table, run

__all__ = ["AnnotateInputs", "AnnotateOptions", "AnnotateOutputs", "GeneModel", "annotate_table", "load_gene_model",
           "run", "save_gene_model"]
