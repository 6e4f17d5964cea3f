"""Outputs people read, from genes.parquet + ranked variants: HTML report, TSV/XLSX, VCF.

`write_report` is the CLI's `variantprio report`; `write_batch_summary` its `report-batch`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .data import ReportData, hpo_labels, load_report_data

__all__ = ["ReportData", "load_report_data", "write_report", "write_batch_summary", "ReportPaths", "hpo_labels"]

log = logging.getLogger(__name__)


@dataclass
class ReportPaths:
    html: Path
    tsv: Path
    xlsx: Path
    vcf: Path
    index: Path


def write_report(genes_path: Path | str, variants_path: Path | str, proband: str, out_dir: Path | str,
                 top: int = 50, hpo_terms: list[str] | None = None, title: str | None = None,
                 hpo_dir: Path | str | None = None, input_variants: Path | str | None = None,
                 cohort_db: str | None = None, lang: str = "en") -> ReportPaths:
    """Write report.html, candidates.tsv, candidates.xlsx and candidates.vcf.gz (+ .tbi) atomically.
    `hpo_dir`: the HPO release that scored the case; `input_variants`: ingest's variants.parquet (rsIDs);
    `cohort_db`: the cohort database whose earlier decisions on these variants the report shows;
    `lang`: the language people read them in (`i18n.LANGUAGES`)."""
    from .html import write_html
    from .tables import write_tsv, write_xlsx
    from .vcf import write_vcf

    data = load_report_data(genes_path, variants_path, proband, top, hpo_terms, title, hpo_dir, input_variants, lang)
    if cohort_db:
        from ..cohort.history import decisions_by_variant

        data.decisions = decisions_by_variant(cohort_db, data.variants)
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
                        logs: Path | str | None = None, lang: str = "en") -> tuple[Path, Path]:
    """summary.html + summary.tsv: one row per sample with its status, top candidate and report link.
    With the sample sheet (`samples`) failed and not-run samples are listed too, with the one-line
    error found in `logs` (the run's logs/ directory)."""
    from .batch import write_batch

    return write_batch(Path(results_dir), Path(out), None if samples is None else Path(samples),
                       None if logs is None else Path(logs), lang)
