"""candidates.tsv and candidates.xlsx: one row per top gene with its best variant(s)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..rank.acmg import AUTOMATIC_LABEL, classify_tags
from ..core.modes import MODE_ORDER
from ..tables import atomic_path
from .cells import append_row, comment_line, neutralise_frame
from .data import ReportData

CANDIDATE_COLUMNS = [
    "rank", "gene_symbol", "posterior", "combined_score", "phenotype_score", "variant_score", "mode", "segregates",
    "de_novo", "best_variant", "hgvs_c", "hgvs_p", "consequence", "gnomad_popmax_af", "inhouse_ac_an",
    "clinvar", "genotypes", "disease_id", "disease_name", "matched_hpo", "acmg_class", "acmg_tags", "n_variants",
]
_SCORE_COLUMNS = ("posterior", "combined_score", "phenotype_score", "variant_score")


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
    sig = row.get("clinvar_significance")
    if sig is None or (isinstance(sig, float) and np.isnan(sig)):
        return ""
    stars = row.get("clinvar_stars")
    return f"{sig} ({int(stars)}*)" if stars is not None and not pd.isna(stars) else str(sig)


def matched_hpo_text(matched_terms) -> str:
    """Patient terms that matched the gene's disease: the phenotype stage lists every scored term
    per gene, with no disease term where the disease lacks it."""
    if matched_terms is None:
        return ""
    return ", ".join(m["patient_term"] for m in matched_terms if m["patient_term"] and m["disease_term"])


def acmg_class_text(tag_lists) -> str:
    """Automatic class of the best variant(s), '; '-joined for a compound-het pair."""
    return "; ".join(f"{call.classification} ({call.points:+d})" for call in map(classify_tags, tag_lists))


def settings_rows(data: ReportData) -> list[tuple[str, str]]:
    """(setting, value) pairs of the analysis: versions of the tool and every source, the HPO terms
    scored, the evidence the run had, and the counts the tables and metadata record."""
    prov = data.provenance
    rows = [("tool", f"variantprio {prov.tool_version}"), ("genome build", prov.genome_build or "unknown"),
            ("proband", data.proband), ("samples", ", ".join(data.samples))]
    lift = prov.extra.get("liftover")
    if lift:
        from ..core.genome import liftover_counts_text

        rows += [("liftover", f"{lift.get('from')} -> {lift.get('to')} on ingest"),
                 ("liftover chain", str(lift.get("chain"))),
                 ("liftover records", liftover_counts_text(lift.get("counts") or {})),
                 ("liftover left-out records listed in", str(lift.get("rejected_table")))]
    rows += [(f"source: {name}", str(version)) for name, version in sorted(prov.sources.items())]
    if data.hpo_release:
        rows.append(("HPO release of labels and diseases", data.hpo_release))
    rows.append(("HPO terms scored", f"{len(data.hpo_terms)}: {', '.join(data.hpo_terms)}".rstrip(": ")))
    if data.skipped_terms:
        rows.append(("HPO terms given but not scored", ", ".join(data.skipped_terms)))
    for status in data.evidence:
        value = (f"yes ({', '.join(status.sources) or 'from the annotations'}; "
                 f"{status.variants_with_data} variant rows with data)" if status.present else "NO DATA")
        rows.append((f"evidence: {status.kind.label}", value))
    rows += [("candidate genes", str(data.total_genes)), ("genes in this table", str(len(data.genes))),
             ("candidate variants", str(data.candidate_variants))]
    for key, value in sorted(prov.extra.items()):  # counts other stages record (rank: genes, variant_rows)
        if isinstance(value, dict) and "count" in key:
            rows += [(f"{key}: {k}", str(v)) for k, v in sorted(value.items())]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((f"rank: {key.replace('_', ' ')}", str(value)))
    rows.append(("acmg_class", AUTOMATIC_LABEL))
    return rows


def candidate_table(data: ReportData) -> pd.DataFrame:
    """The top genes as flat text/number columns (CANDIDATE_COLUMNS), in rank order."""
    best = data.best_rows().copy()
    best["clinvar"] = best.apply(_clinvar_text, axis=1) if len(best) else []
    best["genotypes_text"] = best["genotypes"].map(_genotype_text)
    best["inhouse_ac_an"] = [f"{int(ac)}/{int(an)}" if pd.notna(an) else ""
                             for ac, an in zip(best["inhouse_ac"].fillna(0), best["inhouse_an"])] if len(best) else []
    by_gene = best.groupby("gene_symbol", sort=False).agg({
        "hgvs_c": _join, "hgvs_p": _join, "consequence": _join, "gnomad_popmax_af": _join,
        "inhouse_ac_an": _join, "clinvar": _join, "genotypes_text": lambda v: " | ".join(v)})
    genes = data.genes
    out = pd.DataFrame({
        "rank": genes["rank"], "gene_symbol": genes["gene_symbol"], "posterior": genes["posterior"],
        "combined_score": genes["combined_score"], "phenotype_score": genes["phenotype_score"],
        "variant_score": genes["variant_score"], "mode": genes["mode"], "segregates": genes["segregates"],
        "de_novo": genes["de_novo"], "best_variant": genes["best_variant"],
        "disease_id": genes["disease_id"], "disease_name": genes["disease_name"],
        "matched_hpo": genes["matched_terms"].map(matched_hpo_text),
        "acmg_tags": genes["acmg_tags"].map(
            lambda ts: ", ".join(t.split(":")[0] for t in ts) if ts is not None else ""),
        "n_variants": genes["n_variants"],
    })
    details = by_gene.reindex(out["gene_symbol"]).reset_index(drop=True)
    for col in ("hgvs_c", "hgvs_p", "consequence", "gnomad_popmax_af", "inhouse_ac_an", "clinvar"):
        out[col] = details[col].to_numpy()
    out["genotypes"] = details["genotypes_text"].to_numpy()
    tag_lists = best.groupby("gene_symbol", sort=False)["acmg_tags"].agg(list)
    out["acmg_class"] = out["gene_symbol"].map(tag_lists).map(
        lambda lists: acmg_class_text(lists) if isinstance(lists, list) else "")
    return out[CANDIDATE_COLUMNS]


def write_tsv(data: ReportData, path) -> None:
    """Tab-separated top genes with a comment header naming the proband and tool version."""
    table = candidate_table(data)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(comment_line(f"variantprio {data.provenance.tool_version} candidates for {data.proband}; "
                                  f"top {len(table)} of {data.total_genes} genes"))
            for name, value in settings_rows(data):
                fh.write(comment_line(f"{name}: {value}"))
            neutralise_frame(table).to_csv(fh, sep="\t", index=False, float_format="%.4g", na_rep="")


# One sheet with every top gene, then one per mode of inheritance (always present, maybe empty),
# then the analysis settings.
SHEETS = ("All candidates",) + MODE_ORDER
SETTINGS_SHEET = "Settings"
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_WIDTHS = {"acmg_class": 26, "gene_symbol": 12, "best_variant": 34, "hgvs_c": 22, "hgvs_p": 22, "genotypes": 50,
           "disease_name": 36, "matched_hpo": 30, "acmg_tags": 30, "consequence": 24, "clinvar": 22}


def _fill_sheet(ws, table: pd.DataFrame) -> None:
    append_row(ws, CANDIDATE_COLUMNS)
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


def _fill_settings(ws, rows: list[tuple[str, str]]) -> None:
    append_row(ws, ["setting", "value"])
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
    wb = Workbook()
    wb.remove(wb.active)
    for name in SHEETS:
        subset = table if name == SHEETS[0] else table[table["mode"] == name]
        _fill_sheet(wb.create_sheet(name), subset)
    _fill_settings(wb.create_sheet(SETTINGS_SHEET), settings_rows(data))
    wb.properties.title = f"variantprio candidates: {data.proband}"
    wb.properties.creator = f"variantprio {data.provenance.tool_version}"
    with atomic_path(path) as tmp:
        wb.save(tmp)
