"""report.html: one self-contained page (inline CSS/JS/SVG, no network) per proband."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from .. import __version__
from ..cache import cache_dir
from ..i18n import N_, datetime_text, decimal_text, gettext_for, percent_number, scientific_text
from ..rank.acmg import AUTOMATIC_LABEL, classify_tags
from ..schemas import col
from ..tables import atomic_path
from ..units import percent_text
from .data import ReportData
from .evidence import EvidenceStatus, has_evidence
from .links import disease_url, hpo_url, variant_links

VISIBLE_VARIANTS = 5  # rows of a gene's variant table shown before the rest collapse
VISIBLE_DISEASES = 4  # diseases of a gene shown before the rest collapse

# Bars of the per-gene chart: (label, column, from genes or best variant).
CHART_BARS = (
    (N_("Posterior"), col.posterior, "gene"), (N_("Phenotype"), col.phenotype_score, "gene"),
    (N_("Variant"), col.variant_score, "gene"), (N_("Consequence"), col.score_consequence, "variant"),
    (N_("Rarity"), col.score_rarity, "variant"), ("ClinVar", col.score_clinvar, "variant"),
    (N_("In silico"), col.score_insilico, "variant"), (N_("Splice"), col.score_splice, "variant"),
    (N_("Constraint"), col.score_constraint, "variant"),
)
# Phases of a compound-heterozygous pair as the segregation table writes them.
COMPHET_PHASES = (N_("trans"), N_("possible"))


def _compiled_templates() -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the cache (compiling them took a report a third of a second).
    Jinja keys each by the template's source; the folder is per version of variantprio, whose
    environment options the compiled code also depends on."""
    folder = cache_dir("report-templates") / __version__
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def environment(lang: str | None = None) -> jinja2.Environment:
    """The report templates in language `lang`: literal text through `_()`/`ngettext()` (gettext
    catalogs), text computed in Python through the `tr` filter (a plain string, so it is escaped)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("variantprio.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.i18n"], bytecode_cache=_compiled_templates())
    translations = gettext_for(lang).__self__
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    tr = translations.gettext
    env.filters["score"] = lambda v: "–" if _missing(v) else "<" + decimal_text(0.001, 3, lang) if 0 < v < 5e-4 \
        else decimal_text(v, 3, lang)
    env.filters["freq"] = lambda v: _freq(v, lang)
    env.filters["pct"] = lambda v: "–" if _missing(v) else percent_text(v, lang)
    env.filters["whole_pct"] = lambda v: percent_number(v, lang, digits=0)
    env.filters["decimal"] = lambda v, digits: decimal_text(v, digits, lang)
    env.filters["code"] = lambda tag: tag.split(":")[0]
    env.filters["tr"] = lambda text: tr(text) if text else text
    env.filters["explanation"] = lambda tag: acmg_explanation(tag, tr)
    env.globals.update(disease_url=disease_url, hpo_url=hpo_url, automatic_label=AUTOMATIC_LABEL, lang=lang or "en")
    return env


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _freq(value, lang: str | None = None) -> str:
    """A known allele frequency; missing ones are worded by `frequency_text`, which knows the sources."""
    if _missing(value):
        _ = gettext_for(lang)
        return _("no data")
    return "0" if value == 0 else scientific_text(value, lang) if value < 1e-3 else decimal_text(value, 4, lang)


def frequency_text(value, frequency_source: str | None, lang: str | None = None) -> str:
    """'absent from gnomAD' only when a frequency source was used; without one a missing
    frequency is 'no data' (silence is not rarity)."""
    _ = gettext_for(lang)
    if not _missing(value):
        return _freq(value, lang)
    return _("absent from %(source)s") % {"source": frequency_source} if frequency_source else _("no data")


def clinvar_text(significance, clinvar_used: bool, lang: str | None = None) -> str:
    """ClinVar's significance in words; its ACMG terms (Pathogenic, Likely benign, ...) in the reader's
    language, any other term as ClinVar writes it."""
    _ = gettext_for(lang)
    if significance:
        return "/".join(_(part) for part in str(significance).replace("_", " ").split("/"))
    return _("not in ClinVar") if clinvar_used else _("no data")


def protein_text(variant: dict, lang: str | None = None) -> str:
    """p. notation when known; a FASTA-less coding SNV says plainly that its effect is unknown."""
    if variant.get(col.hgvs_p):
        return variant[col.hgvs_p]
    if variant.get(col.consequence) == "coding_sequence_variant":
        _ = gettext_for(lang)
        return _("missense or synonymous: not determined (no reference FASTA)")
    return ""


def is_coding_change(variant: dict) -> bool:
    """The FASTA-less placeholder 'coding_sequence_variant MODIFIER': a coding change of unknown effect."""
    return variant.get(col.consequence) == "coding_sequence_variant" and not variant.get(col.hgvs_p)


def consequence_text(variant: dict, lang: str | None = None) -> str:
    """The SO term in words; the FASTA-less placeholder 'coding_sequence_variant MODIFIER' is
    shown as what it is: a change in the coding sequence of unknown effect."""
    if is_coding_change(variant):
        _ = gettext_for(lang)
        return _("coding change")
    return (variant.get(col.consequence) or "").replace("&", ", ").replace("_", " ")


def acmg_explanation(tag: str, gettext) -> str:
    """The explanation of an ACMG tag ('PVS1: predicted loss of function') in the report's language:
    the whole tag is the catalog entry (rank/acmg.py marks them), so a code keeps its meaning."""
    text = gettext(tag)
    return text.split(":", 1)[1].strip() if ":" in text else ""


def inhouse_text(variant: dict) -> str:
    """In-house 'AC/AN' (and homozygotes) beside gnomAD; empty without an in-house source."""
    an = variant.get(col.inhouse_an)
    if an is None:
        return ""
    text = f"{int(variant.get('inhouse_ac') or 0)}/{int(an)}"
    hom = variant.get(col.inhouse_hom)
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
        bars.append({"label": label, "value": value, "kind": source, "column": column})
    return bars


def acmg_call(tags) -> dict:
    call = classify_tags(tags)
    return {"classification": call.classification, "points": call.points, "criteria": call.criteria,
            "slug": call.classification.lower().replace(" ", "-")}


def variant_view(row: dict, data: ReportData, frequency_source: str | None, clinvar_used: bool) -> dict:
    """One ranked-variant row plus what the page shows for it: links, protein effect, evidence words."""
    lang = data.lang
    return dict(row, links=variant_links(row[col.chrom], row[col.pos], row[col.ref], row[col.alt],
                                         data.provenance.genome_build, row.get("vcf_id")),
                protein=protein_text(row, lang), consequence_text=consequence_text(row, lang),
                coding_change=is_coding_change(row),
                frequency=frequency_text(row.get(col.gnomad_popmax_af), frequency_source, lang),
                frequency_missing=_missing(row.get(col.gnomad_popmax_af)) and not frequency_source,
                clinvar=clinvar_text(row.get(col.clinvar_significance), clinvar_used, lang),
                clinvar_missing=not row.get(col.clinvar_significance) and not clinvar_used,
                inhouse=inhouse_text(row),
                decisions=data.decisions.get((row[col.chrom], row[col.pos], row[col.ref], row[col.alt]), []),
                acmg=acmg_call(row.get(col.acmg_tags)))


def gene_disease_list(data: ReportData, gene: dict) -> list[dict]:
    """Every disease of the gene with its modes (from the HPO release), the best-matching one of the
    phenotype stage first under the name it was scored with; without the release its modes are unknown."""
    linked = data.gene_diseases.get(gene[col.gene_symbol], [])
    best_id, best_name = gene.get(col.disease_id), gene.get(col.disease_name)
    in_release = next((d for d in linked if d["id"] == best_id), {})
    head = [{"id": best_id, "name": best_name or in_release.get("name"), "modes": in_release.get("modes", [])}] \
        if best_id or best_name else []
    return head + [d for d in linked if d["id"] != best_id]


def network_neighbour(gene: dict) -> dict | None:
    """The interaction partner whose phenotype score gave the gene its network evidence, if any."""
    name = gene.get(col.network_neighbour)
    if not name or (gene.get(col.network_score) or 0) <= 0:
        return None
    return {"gene": name, "score": gene.get(col.network_neighbour_score)}


def gene_panels(data: ReportData) -> list[dict]:
    """Per top gene: its row, variants (best first), diseases, matched terms, ACMG calls and chart bars."""
    frequency_source = frequency_source_name(data.evidence)
    clinvar_used = has_evidence(data.evidence, "clinvar")
    # One records pass over the whole table: per-group to_dict costs a column extraction per column and group.
    variants_by_gene: dict[str, list[dict]] = {}
    for row in template_records(data.variants):
        if row.get(col.gene_symbol) is not None:
            variants_by_gene.setdefault(row[col.gene_symbol], []).append(
                variant_view(row, data, frequency_source, clinvar_used))
    panels = []
    for gene in template_records(data.genes):
        rows = variants_by_gene.get(gene[col.gene_symbol], [])
        best = next((r for r in rows if r[col.is_best]), rows[0] if rows else None)
        matched = [m for m in (gene.get(col.matched_terms) or []) if m.get("disease_term")]
        panels.append({"gene": gene, "variants": rows, "best": best, "bars": chart_bars(gene, best),
                       "best_rows": [r for r in rows if r[col.is_best]], "diseases": gene_disease_list(data, gene),
                       "matched": matched, "mouse": list(gene.get(col.mouse_matches) or []),
                       "neighbour": network_neighbour(gene),
                       "anchor": "gene-" + "".join(c if c.isalnum() else "-" for c in gene[col.gene_symbol])})
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
    modes = sorted({m for m in data.genes[col.mode].dropna()})
    _ = gettext_for(data.lang)
    return environment(data.lang).get_template("report.html.j2").render(
        title=data.title or _("variantprio report: %(proband)s") % {"proband": data.proband},
        proband=data.proband, samples=data.samples, build=prov.genome_build or _("unknown"),
        liftover=liftover_view(prov.extra.get("liftover")),
        tool_version=prov.tool_version, generated=datetime_text(datetime.now(timezone.utc), data.lang),
        settings=settings_rows(data), model=prov.extra.get("model", ""),
        hpo_terms=[{"id": t, "label": data.hpo_labels.get(t)} for t in data.hpo_terms],
        skipped_terms=[{"id": t, "label": data.hpo_labels.get(t)} for t in data.skipped_terms],
        labels=data.hpo_labels, label_notes=data.hpo_label_notes, typed_terms=data.typed_terms, panels=panels, total_genes=data.total_genes,
        top=panels[0] if panels else None, modes=modes, evidence=data.evidence,
        missing=[s for s in data.evidence if not s.present],
        no_frequency=not has_evidence(data.evidence, "frequency"),
        visible_variants=VISIBLE_VARIANTS, visible_diseases=VISIBLE_DISEASES,
        n_variants=int(data.variants[col.variant_idx].nunique()) if len(data.variants) else 0,
        candidate_variants=data.candidate_variants,
    )


def write_html(data: ReportData, path: Path) -> Path:
    html = render_html(data)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
