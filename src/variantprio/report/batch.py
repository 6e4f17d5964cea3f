"""Batch summary page across samples: one row per sample with its top candidate and report link."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..tables import atomic_path, read_table
from .html import environment, template_records

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ["sample", "top_gene", "posterior", "combined_score", "phenotype_score", "variant_score", "mode",
                   "best_variant", "disease_id", "disease_name", "candidate_genes", "report"]


def sample_row(genes_path: Path, link_base: Path) -> dict:
    """Summary of one sample's genes.parquet (sample = its directory name, as in results/<sample>/)."""
    table, _ = read_table(genes_path, "genes")
    genes = table.to_pandas().sort_values(["rank", "gene_symbol"], kind="stable")
    report = genes_path.parent / "report.html"
    row = {"sample": genes_path.parent.name, "candidate_genes": len(genes),
           "report": os.path.relpath(report, link_base) if report.exists() else None}
    first = genes.iloc[0] if len(genes) else None
    for col in SUMMARY_COLUMNS[1:10]:
        source = "gene_symbol" if col == "top_gene" else col
        row[col] = None if first is None else first[source]
    return row


def write_batch(results: Path, out: Path) -> tuple[Path, Path]:
    """summary.html (sortable, filterable) and summary.tsv beside it."""
    if not results.is_dir():
        raise InputError("results directory not found", path=str(results), hint="pass --results of a run")
    found = sorted(results.glob("*/genes.parquet"))
    if not found:
        raise InputError("no <sample>/genes.parquet under the results directory", path=str(results),
                         hint="run the rank stage first")
    rows = pd.DataFrame([sample_row(p, out.parent.resolve()) for p in found], columns=SUMMARY_COLUMNS)
    log.info("batch summary: %d samples (%d with a report)", len(rows), int(rows["report"].notna().sum()))
    tsv = out.with_suffix(".tsv")
    with atomic_path(tsv) as tmp:
        rows.to_csv(tmp, sep="\t", index=False, float_format="%.4g", na_rep="")
    html = environment().get_template("summary.html.j2").render(
        rows=template_records(rows), generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        modes=sorted(rows["mode"].dropna().unique()), results=str(results))
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out, tsv
