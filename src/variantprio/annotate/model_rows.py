"""Annotation rows from the gene model: one per variant x overlapping gene (worst consequence,
MANE on ties); variants in no gene get one row, up/downstream of the nearest gene within 5 kb or
intergenic."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..core.genemodel import ModelArrays
from ..schemas import col
from .consequences import RANK, impact_of_ranks, term_of_ranks
from .predict import PairConsequences, VariantSpans, overlapping_pairs, pair_consequences
from .protein import ProteinEffects, ReferenceBases, protein_effects


def chrom_codes(chrom: pa.Array, model: ModelArrays) -> np.ndarray:
    """Model contig index per variant (-1: contig absent from the gene model)."""
    lookup = {c: i for i, c in enumerate(model.chroms)}
    values = chrom.dictionary_encode()
    codes = np.array([lookup.get(c, -1) for c in values.dictionary.to_pylist()], dtype=np.int64)
    return codes[values.indices.to_numpy(zero_copy_only=False)] if len(codes) else np.zeros(0, np.int64)


def select_rows(vi: np.ndarray, ti: np.ndarray, pc: PairConsequences, m: ModelArrays) -> np.ndarray:
    """Indices of the pairs kept: worst per (variant, gene) among genes the variant lies in;
    for variants in no gene, the nearest flanking pair."""
    n = int(vi.max()) + 1 if len(vi) else 0
    in_gene = np.zeros(n, bool)
    in_gene[vi[pc.inside]] = True
    keep = pc.inside | ~in_gene[vi]
    idx = np.flatnonzero(keep)
    gene = m.gene_idx[ti[idx]]
    flank = ~pc.inside[idx]
    # Flanking-only variants: one row, the nearest gene; group key then is the variant alone.
    group_gene = np.where(flank, -1, gene)
    order = np.lexsort((~m.is_mane[ti[idx]], pc.distance[idx], pc.rank[idx], group_gene, vi[idx]))
    idx, vs, gs = idx[order], vi[idx][order], group_gene[order]
    first = np.ones(len(idx), bool)
    first[1:] = (vs[1:] != vs[:-1]) | (gs[1:] != gs[:-1])
    return idx[first]


def _floats(per_row: np.ndarray, n_null: int) -> pa.Array:
    """float32 column, null where NaN, followed by `n_null` nulls (the intergenic rows)."""
    values = np.concatenate([per_row, np.full(n_null, np.nan)]).astype(np.float32)
    return pa.array(values, pa.float32(), mask=np.isnan(values))


def _n_of(num: np.ndarray, total: np.ndarray) -> pa.Array:
    """'n/total' strings, null where num is 0."""
    text = np.char.add(np.char.add(num.astype(str), "/"), total.astype(str)).astype(object)
    return pa.array(np.where(num > 0, text, None), pa.string())


def add_protein_effects(pc: PairConsequences, vi: np.ndarray, ti: np.ndarray, variants: pa.Table,
                        model: ModelArrays, fasta: ReferenceBases | None) -> ProteinEffects:
    """Refine coding SNV pairs in place (missense, stop gained, ... with a FASTA); per pair: the
    rank (pc.rank itself), HGVS c./p. and, without a FASTA, the codon-position priors (NaN elsewhere)."""
    out = ProteinEffects(pc.rank, np.full(len(vi), None, dtype=object), np.full(len(vi), None, dtype=object),
                         np.full(len(vi), np.nan), np.full(len(vi), np.nan))
    idx = np.flatnonzero(pc.coding_snv)
    if not len(idx):
        return out
    v = vi[idx]
    picked = lambda name: variants.column(name).to_numpy(zero_copy_only=False)[v]  # noqa: E731
    eff = protein_effects(ti[idx], picked(col.pos), pc.exon_index[idx], picked(col.ref), picked(col.alt),
                          picked(col.chrom), model, model.coding, fasta)
    cds_rank = RANK["coding_sequence_variant"]
    pc.rank[idx] = np.where(pc.rank[idx] == cds_rank, eff.rank, np.minimum(pc.rank[idx], eff.rank))
    out.hgvs_c[idx], out.hgvs_p[idx] = eff.hgvs_c, eff.hgvs_p
    out.p_synonymous[idx], out.p_stop_gained[idx] = eff.p_synonymous, eff.p_stop_gained
    return out


def model_rows(variants: pa.Table, model: ModelArrays, spans: VariantSpans, threads: int = 1,
               fasta: ReferenceBases | None = None) -> pa.Table:
    """Annotation columns (variant_idx .. intron) for every row of `variants` from the gene model."""
    codes = chrom_codes(variants.column(col.chrom).combine_chunks(), model)
    vi, ti = overlapping_pairs(codes, spans, model, threads)
    pc = pair_consequences(vi, ti, spans, model)
    protein = add_protein_effects(pc, vi, ti, variants, model, fasta)
    keep = select_rows(vi, ti, pc, model)
    vi_k, ti_k = vi[keep], ti[keep]
    covered = np.zeros(variants.num_rows, bool)
    covered[vi_k] = True
    inter = np.flatnonzero(~covered)
    ranks = np.concatenate([pc.rank[keep], np.full(len(inter), RANK["intergenic_variant"], np.int32)])
    rows_v = np.concatenate([vi_k, inter])
    null = np.full(len(inter), None, dtype=object)
    gene = model.gene_idx[ti_k]

    def strings(per_row: np.ndarray) -> pa.Array:
        values = np.concatenate([per_row, null])
        return pa.array(np.where(values == "", None, values), pa.string(), from_pandas=True)

    table = pa.table({
        "row": rows_v,
        col.gene_symbol: strings(model.gene_symbols[gene]),
        col.gene_id: strings(model.gene_ids[gene]),
        col.transcript_id: strings(model.transcript_id[ti_k]),
        col.is_mane: np.concatenate([model.is_mane[ti_k], np.zeros(len(inter), bool)]),
        col.consequence: pa.array(term_of_ranks(ranks), pa.string()),
        col.impact: pa.array(impact_of_ranks(ranks), pa.string()),
        col.hgvs_c: strings(protein.hgvs_c[keep]),
        col.hgvs_p: strings(protein.hgvs_p[keep]),
        col.p_synonymous: _floats(protein.p_synonymous[keep], len(inter)),
        col.p_stop_gained: _floats(protein.p_stop_gained[keep], len(inter)),
        col.exon: pa.concat_arrays([_n_of(pc.exon[keep], pc.n_exons[keep]), pa.nulls(len(inter), pa.string())]),
        col.intron: pa.concat_arrays([_n_of(pc.intron[keep], pc.n_exons[keep] - 1),
                                      pa.nulls(len(inter), pa.string())]),
    })
    return table.sort_by("row")
