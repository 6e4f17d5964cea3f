"""Outputs people read, from genes.parquet + ranked variants: HTML report, TSV/XLSX, VCF.

`run(ReportInputs, ReportOutputs, ReportOptions)` is the stage, the CLI's `variantprio report`;
`write_batch_summary` its `report-batch`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..settings import ReportSettings
from ..summary import Summary
from .data import ReportData, hpo_labels, load_report_data

__all__ = ["ReportData", "ReportInputs", "ReportOptions", "ReportOutputs", "hpo_labels", "load_report_data", "run",
           "write_batch_summary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportInputs:
    """genes.parquet and ranked variants of a proband; the HPO release that scored the case (labels,
    diseases); ingest's variants.parquet (rsIDs); the patient's terms when the phenotype stage matched none."""

    genes: str | Path
    variants: str | Path
    proband: str
    hpo_dir: str | Path | None = None
    input_variants: str | Path | None = None
    hpo_terms: tuple[str, ...] | None = None
    cohort_db: str | None = None  # the cohort database whose earlier decisions on these variants are shown


@dataclass(frozen=True)
class ReportOutputs:
    directory: str | Path  # report.html, candidates.tsv, candidates.xlsx, candidates.vcf.gz (+ .tbi)

    def paths(self) -> tuple[Path, ...]:
        out = Path(self.directory)
        return (out / "report.html", out / "candidates.tsv", out / "candidates.xlsx", out / "candidates.vcf.gz",
                out / "candidates.vcf.gz.tbi")


@dataclass(frozen=True)
class ReportOptions:
    """How the report reads: how many genes it shows, its title and its language."""

    top: int = ReportSettings.top  # genes in the report, the tables and the VCF
    title: str | None = None  # default: 'variantprio report: <proband>'
    lang: str = ReportSettings.lang  # the language people read them in (`i18n.LANGUAGES`)


def run(inputs: ReportInputs, outputs: ReportOutputs, options: ReportOptions = ReportOptions()) -> Summary:
    """Write report.html, candidates.tsv, candidates.xlsx and candidates.vcf.gz (+ .tbi) atomically."""
    from .html import write_html
    from .tables import write_tsv, write_xlsx
    from .vcf import write_vcf

    data = load_report_data(inputs.genes, inputs.variants, inputs.proband, options.top,
                            list(inputs.hpo_terms) if inputs.hpo_terms is not None else None, options.title,
                            inputs.hpo_dir, inputs.input_variants, options.lang)
    if inputs.cohort_db:
        from ..cohort.history import decisions_by_variant

        data.decisions = decisions_by_variant(inputs.cohort_db, data.variants)
    html, tsv, xlsx, vcf, _ = outputs.paths()
    Path(outputs.directory).mkdir(parents=True, exist_ok=True)
    write_tsv(data, tsv)
    write_xlsx(data, xlsx)
    vcf, index = write_vcf(data, vcf)
    write_html(data, html)
    log.info("report for %s: %d of %d genes, %d variant rows -> %s", inputs.proband, len(data.genes),
             data.total_genes, len(data.variants), outputs.directory)
    return Summary("report", f"report for {inputs.proband} -> {html}", (html, tsv, xlsx, vcf, index),
                   {"genes": len(data.genes), "variant_rows": len(data.variants)},
                   {f"ranked genes below the top {options.top} (--top)": data.total_genes - len(data.genes)})


def write_batch_summary(results_dir: Path | str, out: Path | str, samples: Path | str | None = None,
                        logs: Path | str | None = None, lang: str = "en") -> tuple[Path, Path]:
    """summary.html + summary.tsv: one row per sample with its status, top candidate and report link.
    With the sample sheet (`samples`) failed and not-run samples are listed too, with the one-line
    error found in `logs` (the run's logs/ directory)."""
    from .batch import write_batch

    return write_batch(Path(results_dir), Path(out), None if samples is None else Path(samples),
                       None if logs is None else Path(logs), lang)
