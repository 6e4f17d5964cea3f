"""Annotations the VCF already carries: VEP CSQ, SnpEff ANN, bcftools BCSQ.

Sub-field layouts come from the header (ingest keeps them in the variants table's provenance,
extra.info_formats); without a header layout the tools' default orders below are assumed. Each
entry's '&'-joined terms count by their most severe one; per variant and gene the worst entry
wins, MANE Select / canonical transcripts on ties. VEP URL-escapes ';', '=' and ',' in HGVS.
A variant with CSQ uses only CSQ (then ANN, then BCSQ): the tools are not mixed per variant.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schemas import col
from .consequences import UNKNOWN_RANK, impact_of_ranks, term_of_ranks, worst_ranks

DEFAULT_LAYOUTS = {
    # VEP --vcf default fields (release 110+) up to the ones read here.
    "CSQ": "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|"
           "cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|"
           "STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|CANONICAL|MANE_SELECT",
    "ANN": "Allele|Annotation|Annotation_Impact|Gene_Name|Gene_ID|Feature_Type|Feature_ID|"
           "Transcript_BioType|Rank|HGVS.c|HGVS.p|cDNA.pos / cDNA.length|CDS.pos / CDS.length|"
           "AA.pos / AA.length|Distance|ERRORS / WARNINGS / INFO",
    "BCSQ": "Consequence|gene|transcript|biotype|strand|amino_acid_change|dna_change",
}

# Our column <- candidate sub-field names per tool (first present wins).
_FIELDS = {
    "CSQ": {col.consequence: ["Consequence"], col.impact: ["IMPACT"], col.gene_symbol: ["SYMBOL"],
            col.gene_id: ["Gene"], col.transcript_id: ["Feature"], col.exon: ["EXON"], col.intron: ["INTRON"],
            col.hgvs_c: ["HGVSc"], col.hgvs_p: ["HGVSp"], "mane": ["MANE_SELECT", "MANE"], "canonical": ["CANONICAL"]},
    "ANN": {col.consequence: ["Annotation"], col.impact: ["Annotation_Impact"], col.gene_symbol: ["Gene_Name"],
            col.gene_id: ["Gene_ID"], col.transcript_id: ["Feature_ID"], "rank": ["Rank"],
            col.hgvs_c: ["HGVS.c"], col.hgvs_p: ["HGVS.p"]},
    "BCSQ": {col.consequence: ["Consequence"], col.gene_symbol: ["gene"], col.transcript_id: ["transcript"],
             col.hgvs_p: ["amino_acid_change"], col.hgvs_c: ["dna_change"]},
}
_COLUMNS = {"CSQ": col.info_csq, "ANN": col.info_ann, "BCSQ": col.info_bcsq}
_ESCAPES = {"%3B": ";", "%3D": "=", "%2C": ",", "%7C": "|", "%3A": ":", "%20": " ", "%25": "%"}


def unescape(values: pa.Array) -> pa.Array:
    """Undo VEP's URL escaping of HGVS strings (%3D -> '=', ...)."""
    for code, char in _ESCAPES.items():
        values = pc.replace_substring(values, code, char)
    return values


def _entries(raw: pa.Array, layout: list[str]) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Parent row of every ','-separated entry and each sub-field of it by name."""
    lists = pc.split_pattern(raw, ",")
    parent = pc.list_parent_indices(lists).to_numpy()
    flat = pc.list_flatten(lists)
    # Pad so every entry has all fields: list_element needs them present.
    padded = pc.binary_join_element_wise(flat, pa.scalar("|" * len(layout)), "")
    fields = pc.split_pattern(padded, "|")
    return parent, {name: pc.list_element(fields, i) for i, name in enumerate(layout)}


def _pick(fields: dict[str, pa.Array], names: list[str], n: int) -> pa.Array:
    for name in names:
        if name in fields:
            return fields[name]
    return pa.array([""] * n, pa.string())


def parse_entries(raw: pa.Array, kind: str, layout: str | None) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Per entry: parent row and our columns (strings, '' when empty) for one tool's INFO strings."""
    names = [f.strip() for f in (layout or DEFAULT_LAYOUTS[kind]).split("|")]
    parent, fields = _entries(raw, names)
    n = len(parent)
    cols = {ours: _pick(fields, theirs, n) for ours, theirs in _FIELDS[kind].items()}
    if kind == "BCSQ":  # '@123' entries only point at the record holding a compound consequence
        cols[col.consequence] = pc.if_else(pc.starts_with(cols[col.consequence], "@"), "", cols[col.consequence])
    return parent, cols


def _mane_flag(cols: dict[str, pa.Array], n: int) -> np.ndarray:
    flag = np.zeros(n, bool)
    if "mane" in cols:
        flag |= pc.not_equal(cols["mane"], "").to_numpy(zero_copy_only=False)
    if "canonical" in cols:
        flag |= pc.equal(cols["canonical"], "YES").to_numpy(zero_copy_only=False)
    return flag


def _empty_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def rows_for_kind(raw: pa.Array, rows: np.ndarray, kind: str, layout: str | None) -> pa.Table:
    """Worst entry per (row, gene) of one tool's annotations; gene-less entries only for rows
    without any gene entry."""
    parent, cols = parse_entries(raw, kind, layout)
    n = len(parent)
    ranks = worst_ranks(cols[col.consequence])
    symbol = pc.if_else(pc.equal(cols[col.gene_symbol], ""), cols.get(col.gene_id, cols[col.gene_symbol]),
                        cols[col.gene_symbol])
    gene_key = pc.fill_null(symbol, "").to_numpy(zero_copy_only=False).astype(object)
    has_gene = gene_key != ""
    row_has_gene = np.zeros(len(raw), bool)
    row_has_gene[parent[has_gene]] = True
    keep = np.flatnonzero(has_gene | ~row_has_gene[parent])
    mane = _mane_flag(cols, n)
    uniq, gene_code = np.unique(gene_key[keep].astype(str), return_inverse=True)
    order = np.lexsort((~mane[keep], ranks[keep], gene_code, parent[keep]))
    idx = keep[order]
    p, g = parent[idx], gene_code[order]
    first = np.ones(len(idx), bool)
    first[1:] = (p[1:] != p[:-1]) | (g[1:] != g[:-1])
    idx = idx[first]
    take = pa.array(idx)
    known = ranks[idx] < UNKNOWN_RANK
    raw_term = pc.take(cols[col.consequence], take).to_numpy(zero_copy_only=False).astype(object)
    tool_impact = pc.take(cols[col.impact], take).to_numpy(zero_copy_only=False) if col.impact in cols else None
    impact = impact_of_ranks(ranks[idx]).astype(object)
    if tool_impact is not None:
        impact = np.where(known | (tool_impact == ""), impact, tool_impact)
    out = {
        "row": rows[parent[idx]],
        col.gene_symbol: _empty_null(pc.take(symbol, take)),
        col.gene_id: _empty_null(pc.take(cols.get(col.gene_id, pa.array([""] * n)), take)),
        col.transcript_id: _empty_null(pc.take(cols[col.transcript_id], take)),
        col.is_mane: pa.array(mane[idx]),
        col.consequence: pa.array(np.where(known, term_of_ranks(ranks[idx]), raw_term), pa.string()),
        col.impact: pa.array(impact, pa.string()),
        col.hgvs_c: _empty_null(unescape(pc.take(cols[col.hgvs_c], take))),
        col.hgvs_p: _empty_null(unescape(pc.take(cols[col.hgvs_p], take))),
    }
    if col.exon in cols:
        out[col.exon] = _empty_null(pc.take(cols[col.exon], take))
        out[col.intron] = _empty_null(pc.take(cols[col.intron], take))
    elif "rank" in cols:  # SnpEff Rank is the exon or the intron number, by the consequence
        rank = _empty_null(pc.take(cols["rank"], take))
        intronic = pa.array(np.asarray(out[col.consequence].to_numpy(zero_copy_only=False) == "intron_variant"))
        out[col.exon] = pc.if_else(intronic, pa.scalar(None, pa.string()), rank)
        out[col.intron] = pc.if_else(intronic, rank, pa.scalar(None, pa.string()))
    return pa.table(out)


def existing_rows(variants: pa.Table, rows: np.ndarray, layouts: dict[str, str] | None = None) -> pa.Table:
    """Annotation rows for variants that carry CSQ/ANN/BCSQ; `rows` are their indices in the
    full variants table."""
    layouts = layouts or {}
    done = np.zeros(variants.num_rows, bool)
    parts = []
    for kind, column in _COLUMNS.items():
        raw = variants.column(column).combine_chunks()
        use = pc.is_valid(raw).to_numpy(zero_copy_only=False) & ~done
        if not use.any():
            continue
        sel = np.flatnonzero(use)
        parts.append(rows_for_kind(raw.take(pa.array(sel)), rows[sel], kind, layouts.get(kind)))
        done |= use
    return pa.concat_tables(parts, promote_options="default")
