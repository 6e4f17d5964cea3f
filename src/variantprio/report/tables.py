"""candidates.tsv and candidates.xlsx: one row per top gene with its best variant(s)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..core.modes import MODE_ORDER
from ..i18n import N_, gettext_for
from ..rank.acmg import AUTOMATIC_LABEL, classify_tags
from ..schemas import col
from ..tables import atomic_path
from .cells import append_row, comment_line, neutralise_frame
from .data import ReportData

CANDIDATE_COLUMNS = [
    col.rank, col.gene_symbol, col.posterior, col.combined_score, col.phenotype_score, col.variant_score, col.mode,
    col.segregates, col.de_novo, col.best_variant, col.hgvs_c, col.hgvs_p, col.consequence, col.gnomad_popmax_af,
    "inhouse_ac_an", "clinvar", col.genotypes, col.disease_id, col.disease_name, "matched_hpo", "acmg_class",
    col.acmg_tags, col.n_variants,
]
_SCORE_COLUMNS = (col.posterior, col.combined_score, col.phenotype_score, col.variant_score)
# Candidate columns that are genes.parquet's own, copied as they are.
_COPIED_FROM_GENES = {col.rank, col.gene_symbol, col.posterior, col.combined_score, col.phenotype_score,
                      col.variant_score, col.mode, col.segregates, col.de_novo, col.best_variant, col.disease_id,
                      col.disease_name, col.n_variants}
# The header people read above each column: the column name itself in English, a translation from
# the catalog otherwise (Parquet keeps the English names: they are the contract).
COLUMN_TITLES = {
    col.rank: N_("rank"), col.gene_symbol: N_("gene_symbol"), col.posterior: N_("posterior"),
    col.combined_score: N_("combined_score"), col.phenotype_score: N_("phenotype_score"),
    col.variant_score: N_("variant_score"), col.mode: N_("mode"), col.segregates: N_("segregates"),
    col.de_novo: N_("de_novo"), col.best_variant: N_("best_variant"), col.hgvs_c: N_("hgvs_c"),
    col.hgvs_p: N_("hgvs_p"),
    col.consequence: N_("consequence"), col.gnomad_popmax_af: N_("gnomad_popmax_af"), "clinvar": N_("clinvar"),
    col.genotypes: N_("genotypes"), col.disease_id: N_("disease_id"), col.disease_name: N_("disease_name"),
    "matched_hpo": N_("matched_hpo"), "acmg_class": N_("acmg_class"), col.acmg_tags: N_("acmg_tags"),
    col.n_variants: N_("n_variants"),
}


def column_titles(columns: list[str], lang: str | None) -> list[str]:
    """Headers of `columns` in `lang` (a column without a declared title keeps its name)."""
    _ = gettext_for(lang)
    return [_(COLUMN_TITLES[c]) if c in COLUMN_TITLES else c for c in columns]


def _join(values) -> str:
    return " + ".join("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values)


def _genotype_text(genotypes) -> str:
    """'P1:0/1 (DP 30, GQ 99); FATHER:0/0 ...' for one variant."""
    if genotypes is None:
        return ""
    parts = []
    for g in genotypes:
        depth = [f"{k.upper()} {g[k]}" for k in ("dp", "gq") if g.get(k) is not None]
        parts.append(f"{g['sample']}:{g['gt']}" + (f" ({', '.join(depth)})" if depth else ""))
    return "; ".join(parts)


def _clinvar_text(row: pd.Series) -> str:
    sig = row.get(col.clinvar_significance)
    if sig is None or (isinstance(sig, float) and np.isnan(sig)):
        return ""
    stars = row.get(col.clinvar_stars)
    return f"{sig} ({int(stars)}*)" if stars is not None and not pd.isna(stars) else str(sig)


def matched_hpo_text(matched_terms) -> str:
    """Patient terms that matched the gene's disease: the phenotype stage lists every scored term
    per gene, with no disease term where the disease lacks it."""
    if matched_terms is None:
        return ""
    return ", ".join(m["patient_term"] for m in matched_terms if m["patient_term"] and m["disease_term"])


def acmg_class_text(tag_lists, gettext=str) -> str:
    """Automatic class of the best variant(s), '; '-joined for a compound-het pair (`gettext`: the
    reader's language)."""
    return "; ".join(f"{gettext(call.classification)} ({call.points:+d})" for call in map(classify_tags, tag_lists))


def settings_rows(data: ReportData) -> list[tuple[str, str]]:
    """(setting, value) pairs of the analysis: versions of the tool and every source, the HPO terms
    scored, the evidence the run had, and the counts the tables and metadata record."""
    prov = data.provenance
    _ = gettext_for(data.lang)
    rows = [(_("tool"), f"variantprio {prov.tool_version}"), (_("genome build"), prov.genome_build or _("unknown")),
            (_("proband"), data.proband), (_("samples"), ", ".join(data.samples))]
    lift = prov.extra.get("liftover")
    if lift:
        from ..core.genome import liftover_counts_text

        rows += [(_("liftover on ingest"), f"{lift.get('from')} -> {lift.get('to')}"),
                 (_("liftover chain"), str(lift.get("chain"))),
                 (_("liftover records"), liftover_counts_text(lift.get("counts") or {})),
                 (_("liftover: records left out, listed in"), str(lift.get("rejected_table")))]
    rows += [(_("source: %(name)s") % {"name": name}, str(version)) for name, version in sorted(prov.sources.items())]
    if data.hpo_release:
        rows.append((_("HPO release of labels and diseases"), data.hpo_release))
    rows.append((_("HPO terms scored"), f"{len(data.hpo_terms)}: {', '.join(data.hpo_terms)}".rstrip(": ")))
    if data.skipped_terms:
        rows.append((_("HPO terms given but not scored"), ", ".join(data.skipped_terms)))
    if data.typed_terms:
        rows.append((_("HPO terms as entered"), "; ".join(f"{typed} = {term}" for typed, term in data.typed_terms)))
    for status in data.evidence:
        value = (_("yes (%(sources)s; %(rows)s variant rows with data)")
                 % {"sources": ", ".join(status.sources) or _("from the annotations"),
                    "rows": status.variants_with_data} if status.present else _("NO DATA"))
        rows.append((_("evidence: %(kind)s") % {"kind": _(status.kind.label)}, value))
    rows += [(_("candidate genes"), str(data.total_genes)), (_("genes in this table"), str(len(data.genes))),
             (_("candidate variants"), str(data.candidate_variants))]
    for key, value in sorted(prov.extra.items()):  # counts other stages record (rank: genes, variant_rows)
        if isinstance(value, dict) and "count" in key:
            rows += [(f"{key}: {k}", str(v)) for k, v in sorted(value.items())]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((f"rank: {key.replace('_', ' ')}", str(value)))
    rows.append((column_titles(["acmg_class"], data.lang)[0], _(AUTOMATIC_LABEL)))
    return rows


def candidate_table(data: ReportData) -> pd.DataFrame:
    """The top genes as flat text/number columns (CANDIDATE_COLUMNS), in rank order."""
    best = data.best_rows().copy()
    best["clinvar"] = best.apply(_clinvar_text, axis=1) if len(best) else []
    best["genotypes_text"] = best[col.genotypes].map(_genotype_text)
    best["inhouse_ac_an"] = [f"{int(ac)}/{int(an)}" if pd.notna(an) else "" for ac, an in
                             zip(best[col.inhouse_ac].fillna(0), best[col.inhouse_an])] if len(best) else []
    by_gene = best.groupby(col.gene_symbol, sort=False).agg({
        col.hgvs_c: _join, col.hgvs_p: _join, col.consequence: _join, col.gnomad_popmax_af: _join,
        "inhouse_ac_an": _join, "clinvar": _join, "genotypes_text": lambda v: " | ".join(v)})
    genes = data.genes
    out = genes[[c for c in CANDIDATE_COLUMNS if c in _COPIED_FROM_GENES]].copy()
    out["matched_hpo"] = genes[col.matched_terms].map(matched_hpo_text)
    out[col.acmg_tags] = genes[col.acmg_tags].map(
        lambda ts: ", ".join(t.split(":")[0] for t in ts) if ts is not None else "")
    details = by_gene.reindex(out[col.gene_symbol]).reset_index(drop=True)
    for name in (col.hgvs_c, col.hgvs_p, col.consequence, col.gnomad_popmax_af, "inhouse_ac_an", "clinvar"):
        out[name] = details[name].to_numpy()
    out[col.genotypes] = details["genotypes_text"].to_numpy()
    tag_lists = best.groupby(col.gene_symbol, sort=False)[col.acmg_tags].agg(list)
    _ = gettext_for(data.lang)
    out["acmg_class"] = out[col.gene_symbol].map(tag_lists).map(
        lambda lists: acmg_class_text(lists, _) if isinstance(lists, list) else "")
    return out[CANDIDATE_COLUMNS]


def write_tsv(data: ReportData, path) -> None:
    """Tab-separated top genes with a comment header naming the proband and tool version."""
    table = candidate_table(data)
    _ = gettext_for(data.lang)
    table.columns = column_titles(list(table.columns), data.lang)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(comment_line(_("variantprio %(version)s candidates for %(proband)s; top %(shown)s of "
                                    "%(total)s genes") % {"version": data.provenance.tool_version,
                                                          "proband": data.proband, "shown": len(table),
                                                          "total": data.total_genes}))
            for name, value in settings_rows(data):
                fh.write(comment_line(f"{name}: {value}"))
            neutralise_frame(table).to_csv(fh, sep="\t", index=False, float_format="%.4g", na_rep="")


# One sheet with every top gene, then one per mode of inheritance (always present, maybe empty),
# then the analysis settings.
# Sheet names are translated when the workbook is written (mode codes are the same in every language).
SHEETS = (N_("All candidates"),) + MODE_ORDER
SETTINGS_SHEET = N_("Settings")
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_WIDTHS = {"acmg_class": 26, col.gene_symbol: 12, col.best_variant: 34, col.hgvs_c: 22, col.hgvs_p: 22,
           col.genotypes: 50, col.disease_name: 36, "matched_hpo": 30, col.acmg_tags: 30, col.consequence: 24,
           "clinvar": 22}


def _fill_sheet(ws, table: pd.DataFrame, lang: str | None) -> None:
    append_row(ws, column_titles(CANDIDATE_COLUMNS, lang))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    for row in table.itertuples(index=False):  # top N genes only
        append_row(ws, row)
    for idx, name in enumerate(CANDIDATE_COLUMNS, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = _WIDTHS.get(name, 11)
        if name in _SCORE_COLUMNS:
            for cell in ws[letter][1:]:
                cell.number_format = "0.000"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(CANDIDATE_COLUMNS))}{max(ws.max_row, 1)}"


def _fill_settings(ws, rows: list[tuple[str, str]], lang: str | None) -> None:
    _ = gettext_for(lang)
    append_row(ws, [_("setting"), _("value")])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
    for row in rows:
        append_row(ws, row)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 90
    ws.freeze_panes = "A2"


def write_xlsx(data: ReportData, path) -> None:
    """Workbook with SHEETS: frozen header row and autofilter on every sheet."""
    table = candidate_table(data)
    _ = gettext_for(data.lang)
    wb = Workbook()
    wb.remove(wb.active)
    for name in SHEETS:
        subset = table if name == SHEETS[0] else table[table[col.mode] == name]
        _fill_sheet(wb.create_sheet(_(name)), subset, data.lang)
    _fill_settings(wb.create_sheet(_(SETTINGS_SHEET)), settings_rows(data), data.lang)
    wb.properties.title = _("variantprio candidates: %(proband)s") % {"proband": data.proband}
    wb.properties.creator = f"variantprio {data.provenance.tool_version}"
    with atomic_path(path) as tmp:
        wb.save(tmp)
