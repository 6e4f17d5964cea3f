"""Batch summary page across samples: one row per sample with its status, top candidate and report link.

With the sample sheet every sample is listed, also those whose run failed (with the one-line error
from its log) or never ran, so a missing row can no longer pass for a sample without candidates.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..i18n import N_, datetime_text, gettext_for
from ..rulelogs import newest_error
from ..schemas import col
from ..sheet import load_sample_sheet, vcf_ids
from ..tables import atomic_path, read_table
from .cells import neutralise_frame
from .html import environment, template_records

log = logging.getLogger(__name__)

# The build comes right after the status: in a batch mixing GRCh37 and GRCh38 archives it is what
# a reader must see first (liftover: "from GRCh37 (<chain file>)" when the VCF was lifted on ingest).
SUMMARY_COLUMNS = ["sample", "status", "genome_build", "liftover", "error", "top_gene", col.posterior,
                   col.combined_score, col.phenotype_score, col.variant_score, col.mode, col.best_variant,
                   col.disease_id, col.disease_name, "candidate_genes", "variants_read", "candidate_variants",
                   "versions", "tool_version", "report"]
# taken from the top row of genes.parquet
_TOP_COLUMNS = ["top_gene", col.posterior, col.combined_score, col.phenotype_score, col.variant_score, col.mode,
                col.best_variant, col.disease_id, col.disease_name]
STATUS_OK, STATUS_FAILED, STATUS_NOT_RUN = N_("ok"), N_("failed"), N_("not run")
# summary.tsv headers people read (English: the column names), like the candidates table's.
SUMMARY_TITLES = {
    "sample": N_("sample"), "status": N_("status"), "error": N_("error"), "top_gene": N_("top_gene"),
    col.posterior: N_("posterior"), col.combined_score: N_("combined_score"), col.phenotype_score: N_("phenotype_score"),
    col.variant_score: N_("variant_score"), col.mode: N_("mode"), col.best_variant: N_("best_variant"),
    col.disease_id: N_("disease_id"), col.disease_name: N_("disease_name"), "candidate_genes": N_("candidate_genes"),
    "variants_read": N_("variants_read"), "candidate_variants": N_("candidate_variants"),
    "genome_build": N_("genome_build"), "liftover": N_("liftover"), "versions": N_("versions"), "tool_version": N_("tool_version"),
    "report": N_("report"),
}
# What can go wrong reading one sample's genes.parquet; any of these fails that sample only.
_SAMPLE_ERRORS = (InputError, OSError, pa.ArrowException, ValueError, KeyError, IndexError)


def _safe_name(sample: str) -> bool:
    """A sample ID usable as results/<sample>/ (no path separators, not '.' or '..')."""
    return bool(sample) and sample not in (".", "..") and "/" not in sample and "\\" not in sample


def sample_row(genes_path: Path, link_base: Path, sample: str | None = None) -> dict:
    """Summary of one sample's genes.parquet (sample = its directory name, as in results/<sample>/).
    Raises what reading a broken table raises; `summary_row` turns that into a failed row."""
    table, prov = read_table(genes_path, "genes")
    genes = table.to_pandas().sort_values([col.rank, col.gene_symbol], kind="stable")
    report = genes_path.parent / "report.html"
    row = {"sample": sample or genes_path.parent.name, "status": STATUS_OK, "error": None,
           "candidate_genes": len(genes), "variants_read": prov.extra.get("ingest_counts", {}).get("records"),
           "candidate_variants": prov.extra.get("variant_rows"), "genome_build": prov.genome_build,
           "liftover": _liftover_text(prov.extra.get("liftover")),
           "versions": "; ".join(f"{k} {v}" for k, v in sorted(prov.sources.items()) if k != "rank_model"),
           "tool_version": prov.tool_version,
           "report": os.path.relpath(report, link_base) if report.exists() else None}
    first = genes.iloc[0] if len(genes) else None
    for name in _TOP_COLUMNS:
        source = col.gene_symbol if name == "top_gene" else name
        row[name] = None if first is None else first[source]
    return row


def _liftover_text(lift: dict | None) -> str | None:
    return f"from {lift.get('from')} ({lift.get('chain_file')})" if lift else None


def summary_row(results: Path, sample: str, link_base: Path, logs: Path | None,
                log_names: list[str] | None = None) -> dict:
    """One sample's row whatever state it is in: ok, failed (with the reason) or not run. Never raises
    for a broken sample, so one bad table cannot hide the rest of the batch. A genes.parquet older
    than an error in the sample's logs is an earlier run's result, not this run's: failed."""
    blank = {"sample": sample, "status": STATUS_NOT_RUN, "error": None}
    if not _safe_name(sample):
        return dict(blank, status=STATUS_FAILED, error="sample_id is not usable as a directory name")
    genes_path = results / sample / "genes.parquet"
    names = log_names or [sample]
    newer_error = newest_error(logs, names, genes_path.stat().st_mtime) if genes_path.exists() else None
    if newer_error:
        return dict(blank, status=STATUS_FAILED, error=newer_error)
    if genes_path.exists():
        try:
            return sample_row(genes_path, link_base, sample)
        except _SAMPLE_ERRORS as err:
            reason = err.one_line() if isinstance(err, InputError) else f"{genes_path}: {type(err).__name__}: {err}"
            log.warning("batch summary: %s failed: %s", sample, reason)
            return dict(blank, status=STATUS_FAILED, error=" ".join(reason.split()))
    error = newest_error(logs, names)
    return dict(blank, status=STATUS_FAILED, error=error) if error else blank


def batch_samples(results: Path, samples: Path | None) -> dict[str, list[str]]:
    """Samples of the sheet in sheet order, then result directories the sheet does not list; each
    with the log names that can hold its error (its own, and its VCF's for ingest and annotate)."""
    found = sorted(p.parent.name for p in results.glob("*/genes.parquet"))
    if samples is None:
        if not found:
            raise InputError("no <sample>/genes.parquet under the results directory", path=str(results),
                             hint="run the rank stage first, or pass the sample sheet to list failed samples")
        return {s: [s] for s in found}
    sheet = load_sample_sheet(samples)
    ids = vcf_ids(sheet["vcf"])
    listed = {s: [s, ids[vcf]] for s, vcf in zip(sheet["sample_id"], sheet["vcf"])}
    return listed | {s: [s] for s in found if s not in listed}


def write_summary_tsv(rows: pd.DataFrame, path: Path, lang: str | None = None) -> Path:
    """summary.tsv: text cells neutralised so no sample ID or disease name becomes a formula; headers
    and statuses in `lang`."""
    _ = gettext_for(lang)
    shown = rows.assign(status=rows["status"].map(_)).rename(columns={c: _(t) for c, t in SUMMARY_TITLES.items()})
    with atomic_path(path) as tmp:
        neutralise_frame(shown).to_csv(tmp, sep="\t", index=False, float_format="%.4g", na_rep="")
    return path


def write_batch(results: Path, out: Path, samples: Path | None = None, logs: Path | None = None,
                lang: str | None = None) -> tuple[Path, Path]:
    """summary.html (sortable, filterable) and summary.tsv beside it. With `samples` (the sample sheet)
    every sample gets a row; `logs` (the run's logs/ directory) supplies the errors of failed ones;
    `lang` is the language of both."""
    if not results.is_dir() and samples is None:
        raise InputError("results directory not found", path=str(results), hint="pass --results of a run")
    link_base = out.parent.resolve()
    rows = pd.DataFrame([summary_row(results, s, link_base, logs, names)
                         for s, names in batch_samples(results, samples).items()], columns=SUMMARY_COLUMNS)
    counts = rows["status"].value_counts()
    log.info("batch summary: %d samples (%d ok, %d failed, %d not run)", len(rows), counts.get(STATUS_OK, 0),
             counts.get(STATUS_FAILED, 0), counts.get(STATUS_NOT_RUN, 0))
    tsv = write_summary_tsv(rows, out.with_suffix(".tsv"), lang)
    html = environment(lang).get_template("summary.html.j2").render(
        rows=template_records(rows), generated=datetime_text(datetime.now(timezone.utc), lang),
        modes=sorted(rows[col.mode].dropna().unique()), results=str(results),
        counts={s: int(counts.get(s, 0)) for s in (STATUS_OK, STATUS_FAILED, STATUS_NOT_RUN)})
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out, tsv


def write_summary_after_failure(out: Path | str, samples: Path | str, logs: Path | str,
                                lang: str | None = None) -> None:
    """The workflow's `onerror`: the summary with every sample's status. Never raises: the run has
    already failed, and its own error must stay the one the user sees."""
    out = Path(out)
    try:
        write_batch(out.parent, out, Path(samples), Path(logs), lang)
        print(f"batch summary with every sample's status: {out}", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - report, never mask the workflow's failure
        print(f"could not write the batch summary ({err})", file=sys.stderr)
