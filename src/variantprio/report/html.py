"""report.html: one self-contained page (inline CSS/JS/SVG, no network) per proband."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from ..tables import atomic_path
from . import ReportData

# Bars of the per-gene chart: (label, column, from genes or best variant).
CHART_BARS = (
    ("Posterior", "posterior", "gene"), ("Phenotype", "phenotype_score", "gene"),
    ("Variant", "variant_score", "gene"), ("Consequence", "score_consequence", "variant"),
    ("Rarity", "score_rarity", "variant"), ("ClinVar", "score_clinvar", "variant"),
    ("In silico", "score_insilico", "variant"), ("Splice", "score_splice", "variant"),
    ("Constraint", "score_constraint", "variant"),
)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("variantprio.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["score"] = lambda v: "–" if _missing(v) else "<0.001" if 0 < v < 5e-4 else f"{v:.3f}"
    env.filters["freq"] = _freq
    env.filters["pct"] = _percent
    env.filters["code"] = lambda tag: tag.split(":")[0]
    return env


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _percent(value) -> str:
    """A probability as a percentage that never rounds a near-certainty to 100% or a long shot to 0%."""
    if _missing(value):
        return "–"
    return ">99.9%" if value > 0.999 else "<0.1%" if value < 0.001 else f"{100 * value:.1f}%"


def _freq(value) -> str:
    if _missing(value):
        return "not found"
    return "0" if value == 0 else f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"


def _clean(value):
    """pandas/numpy scalars and arrays -> plain Python for the template (NaN -> None)."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def template_records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def chart_bars(gene: dict, best: dict | None) -> list[dict]:
    """Label, value in [0,1] or None, and kind for the SVG score chart of one gene."""
    bars = []
    for label, column, source in CHART_BARS:
        value = gene.get(column) if source == "gene" else (best or {}).get(column)
        bars.append({"label": label, "value": value, "kind": source})
    return bars


def gene_panels(data: ReportData) -> list[dict]:
    """Per top gene: its row, variants (best first), matched terms and chart bars."""
    variants_by_gene = {g: template_records(rows) for g, rows in data.variants.groupby("gene_symbol", sort=False)}
    panels = []
    for gene in template_records(data.genes):
        rows = variants_by_gene.get(gene["gene_symbol"], [])
        best = next((r for r in rows if r["is_best"]), rows[0] if rows else None)
        panels.append({"gene": gene, "variants": rows, "best": best, "bars": chart_bars(gene, best),
                       "anchor": "gene-" + "".join(c if c.isalnum() else "-" for c in gene["gene_symbol"])})
    return panels


def render_html(data: ReportData) -> str:
    prov = data.provenance
    top = data.genes.iloc[0] if len(data.genes) else None
    modes = sorted({m for m in data.genes["mode"].dropna()})
    return environment().get_template("report.html.j2").render(
        title=data.title or f"variantprio report: {data.proband}",
        proband=data.proband, samples=data.samples, build=prov.genome_build or "unknown",
        tool_version=prov.tool_version, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sources=sorted(prov.sources.items()), model=prov.extra.get("model", ""),
        hpo_terms=[{"id": t, "label": data.hpo_labels.get(t)} for t in data.hpo_terms],
        labels=data.hpo_labels, panels=gene_panels(data), total_genes=data.total_genes,
        top=_clean(top.to_dict()) if top is not None else None, modes=modes,
        n_variants=int(data.variants["variant_idx"].nunique()) if len(data.variants) else 0,
    )


def write_html(data: ReportData, path: Path) -> Path:
    html = render_html(data)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
