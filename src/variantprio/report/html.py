"""report.html: one self-contained page (inline CSS/JS/SVG, no network) per proband."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from ..rank.acmg import AUTOMATIC_LABEL, classify_tags
from ..tables import atomic_path
from ..units import percent_text
from .data import ReportData
from .evidence import EvidenceStatus, has_evidence
from .links import disease_url, hpo_url, variant_links

VISIBLE_VARIANTS = 5  # rows of a gene's variant table shown before the rest collapse
VISIBLE_DISEASES = 4  # diseases of a gene shown before the rest collapse

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
    env.globals.update(disease_url=disease_url, hpo_url=hpo_url, automatic_label=AUTOMATIC_LABEL)
    return env


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _percent(value) -> str:
    return "–" if _missing(value) else percent_text(value)


def _freq(value) -> str:
    """A known allele frequency; missing ones are worded by `frequency_text`, which knows the sources."""
    if _missing(value):
        return "no data"
    return "0" if value == 0 else f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"


def frequency_text(value, frequency_source: str | None) -> str:
    """'absent from gnomAD' only when a frequency source was used; without one a missing
    frequency is 'no data' (silence is not rarity)."""
    if not _missing(value):
        return _freq(value)
    return f"absent from {frequency_source}" if frequency_source else "no data"


def clinvar_text(significance, clinvar_used: bool) -> str:
    if significance:
        return str(significance).replace("_", " ")
    return "not in ClinVar" if clinvar_used else "no data"


def protein_text(variant: dict) -> str:
    """p. notation when known; a FASTA-less coding SNV says plainly that its effect is unknown."""
    if variant.get("hgvs_p"):
        return variant["hgvs_p"]
    if variant.get("consequence") == "coding_sequence_variant":
        return "missense or synonymous: not determined (no reference FASTA)"
    return ""


def consequence_text(variant: dict) -> str:
    """The SO term in words; the FASTA-less placeholder 'coding_sequence_variant MODIFIER' is
    shown as what it is: a change in the coding sequence of unknown effect."""
    consequence = (variant.get("consequence") or "").replace("&", ", ")
    if consequence == "coding_sequence_variant" and not variant.get("hgvs_p"):
        return "coding change"
    return consequence.replace("_", " ")


def inhouse_text(variant: dict) -> str:
    """In-house 'AC/AN' (and homozygotes) beside gnomAD; empty without an in-house source."""
    an = variant.get("inhouse_an")
    if an is None:
        return ""
    text = f"{int(variant.get('inhouse_ac') or 0)}/{int(an)}"
    hom = variant.get("inhouse_hom")
    return text + (f", {int(hom)} hom" if hom else "")


def frequency_source_name(evidence: list[EvidenceStatus]) -> str | None:
    """How to name the frequency source in 'absent from ...'; None when there was none."""
    if not has_evidence(evidence, "frequency"):
        return None
    status = next(s for s in evidence if s.kind.key == "frequency")
    return "gnomAD" if not status.sources or any("gnomad" in s.lower() for s in status.sources) \
        else status.sources[0].split(" ")[0]


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


def acmg_call(tags) -> dict:
    call = classify_tags(tags)
    return {"classification": call.classification, "points": call.points, "criteria": call.criteria,
            "slug": call.classification.lower().replace(" ", "-")}


def variant_view(row: dict, data: ReportData, frequency_source: str | None, clinvar_used: bool) -> dict:
    """One ranked-variant row plus what the page shows for it: links, protein effect, evidence words."""
    return dict(row, links=variant_links(row["chrom"], row["pos"], row["ref"], row["alt"],
                                         data.provenance.genome_build, row.get("vcf_id")),
                protein=protein_text(row), consequence_text=consequence_text(row),
                frequency=frequency_text(row.get("gnomad_popmax_af"), frequency_source),
                inhouse=inhouse_text(row),
                decisions=data.decisions.get((row["chrom"], row["pos"], row["ref"], row["alt"]), []),
                clinvar=clinvar_text(row.get("clinvar_significance"), clinvar_used),
                acmg=acmg_call(row.get("acmg_tags")))


def gene_disease_list(data: ReportData, gene: dict) -> list[dict]:
    """Every disease of the gene with its modes (from the HPO release), the best-matching one of the
    phenotype stage first under the name it was scored with; without the release its modes are unknown."""
    linked = data.gene_diseases.get(gene["gene_symbol"], [])
    best_id, best_name = gene.get("disease_id"), gene.get("disease_name")
    in_release = next((d for d in linked if d["id"] == best_id), {})
    head = [{"id": best_id, "name": best_name or in_release.get("name"), "modes": in_release.get("modes", [])}] \
        if best_id or best_name else []
    return head + [d for d in linked if d["id"] != best_id]


def gene_panels(data: ReportData) -> list[dict]:
    """Per top gene: its row, variants (best first), diseases, matched terms, ACMG calls and chart bars."""
    frequency_source = frequency_source_name(data.evidence)
    clinvar_used = has_evidence(data.evidence, "clinvar")
    variants_by_gene = {g: [variant_view(r, data, frequency_source, clinvar_used) for r in template_records(rows)]
                        for g, rows in data.variants.groupby("gene_symbol", sort=False)}
    panels = []
    for gene in template_records(data.genes):
        rows = variants_by_gene.get(gene["gene_symbol"], [])
        best = next((r for r in rows if r["is_best"]), rows[0] if rows else None)
        matched = [m for m in (gene.get("matched_terms") or []) if m.get("disease_term")]
        panels.append({"gene": gene, "variants": rows, "best": best, "bars": chart_bars(gene, best),
                       "best_rows": [r for r in rows if r["is_best"]], "diseases": gene_disease_list(data, gene),
                       "matched": matched,
                       "anchor": "gene-" + "".join(c if c.isalnum() else "-" for c in gene["gene_symbol"])})
    return panels


def liftover_view(lift: dict | None) -> dict | None:
    """What the page says about a liftover on ingest: builds, chain file and counts."""
    if not lift:
        return None
    from ..core.genome import liftover_counts_text

    return {"from": lift.get("from"), "to": lift.get("to"), "chain": lift.get("chain"),
            "chain_file": lift.get("chain_file"), "counts": liftover_counts_text(lift.get("counts") or {}),
            "rejected_table": lift.get("rejected_table")}


def render_html(data: ReportData) -> str:
    from .tables import settings_rows

    prov = data.provenance
    panels = gene_panels(data)
    modes = sorted({m for m in data.genes["mode"].dropna()})
    return environment().get_template("report.html.j2").render(
        title=data.title or f"variantprio report: {data.proband}",
        proband=data.proband, samples=data.samples, build=prov.genome_build or "unknown",
        liftover=liftover_view(prov.extra.get("liftover")),
        tool_version=prov.tool_version, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        settings=settings_rows(data), model=prov.extra.get("model", ""),
        hpo_terms=[{"id": t, "label": data.hpo_labels.get(t)} for t in data.hpo_terms],
        skipped_terms=[{"id": t, "label": data.hpo_labels.get(t)} for t in data.skipped_terms],
        labels=data.hpo_labels, panels=panels, total_genes=data.total_genes,
        top=panels[0] if panels else None, modes=modes, evidence=data.evidence,
        missing=[s for s in data.evidence if not s.present],
        no_frequency=not has_evidence(data.evidence, "frequency"),
        visible_variants=VISIBLE_VARIANTS, visible_diseases=VISIBLE_DISEASES,
        n_variants=int(data.variants["variant_idx"].nunique()) if len(data.variants) else 0,
        candidate_variants=data.candidate_variants,
    )


def write_html(data: ReportData, path: Path) -> Path:
    html = render_html(data)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
