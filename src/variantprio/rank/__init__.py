"""Rank stage: variant scores, gene ranking and the genes / ranked-variants tables of a proband.

Public entry points: `run(RankInputs, RankOutputs, RankOptions)` (the stage, the CLI's
`variantprio rank`), `score_variants`, `rank_genes`, `load_model`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError
from ..schemas import GENES, RANKED_VARIANTS, SEGREGATION, ZYG_HEMI, ZYG_HET, ZYG_HOM_ALT, col
from ..summary import Summary
from ..tables import Provenance, read_table, write_table
from .acmg import acmg_tags
from .combine import allowed_mode_columns, fitting_modes, rank_genes
from .frame import frame_restoring_partners
from .model import RankModel, fit_conditional, load_model, model_features, save_model
from .variant_score import COMPONENTS, score_variants

__all__ = ["RankInputs", "RankOptions", "RankOutputs", "run", "rank_genes", "score_variants", "load_model",
           "save_model", "fit_conditional", "model_features", "RankModel", "COMPONENTS"]

log = logging.getLogger(__name__)

_SEG_COLUMNS = SEGREGATION.names  # every mode's fit columns and the compound-het pairing
_VARIANT_COLUMNS = [col.variant_idx, col.chrom, col.pos, col.filter, col.qual, col.gt, col.zygosity, col.phased,
                    col.dp, col.gq, col.ad_ref, col.ad_alt]
# VARIANTS.zygosity code -> genotype text; index = code + 1 (-1 missing .. 3 hemizygous).
_GT_TEXT = np.array(["./.", "0/0", "0/1", "1/1", "1"], dtype=object)


@dataclass(frozen=True)
class RankInputs:
    """The VCF's variants and annotations, the proband's segregation and phenotype tables."""

    variants: str | Path
    annotations: str | Path
    segregation: str | Path
    phenotype: str | Path
    proband: str


@dataclass(frozen=True)
class RankOutputs:
    genes: str | Path  # genes.parquet (schema `genes`)
    variants: str | Path  # ranked variants (schema `ranked_variants`)


@dataclass(frozen=True)
class RankOptions:
    model: str | Path | None = None  # rank model JSON; default: the shipped data/rank_model.json


def _filter_idx(path: Path | str, schema: str, columns: list[str] | None, idx: pa.Array
                ) -> tuple[pa.Table, Provenance]:
    """Rows of a stage table whose variant_idx is in `idx` (predicate pushed into the Parquet read)."""
    _, prov = read_table(path, schema, columns=[])  # contract check
    return pq.read_table(path, columns=columns, filters=pc.field(col.variant_idx).isin(idx)), prov


def check_same_vcf(variants: pd.DataFrame, ann: pd.DataFrame, variants_path, annotations_path) -> None:
    """variant_idx is a row number: annotations of another VCF would silently mislabel variants."""
    both = ann[[col.variant_idx, col.chrom, col.pos]].merge(variants[[col.variant_idx, col.chrom, col.pos]],
                                                       on=col.variant_idx, suffixes=("", "_vcf"))
    bad = both[(both[col.chrom] != both["chrom_vcf"]) | (both[col.pos] != both["pos_vcf"])]
    if len(bad):
        first = bad.iloc[0]
        raise InputError(f"{len(bad)} annotation rows do not match the variant table (variant_idx "
                         f"{first['variant_idx']}: {first['chrom']}:{first['pos']} vs "
                         f"{first['chrom_vcf']}:{first['pos_vcf']})", path=str(annotations_path),
                         hint=f"annotate the same variants.parquet ({variants_path}) again")


def genotype_column(variants: pa.Table, samples: list[str]) -> pa.ListArray:
    """Per row: list<struct<sample, gt, dp, gq, ad_ref, ad_alt>> over all samples (vectorised)."""
    zyg = variants.column(col.zygosity).combine_chunks()
    offsets = zyg.offsets
    n_rows = len(zyg)
    codes = zyg.values.to_numpy(zero_copy_only=False).astype(int)
    text = _GT_TEXT[np.clip(codes, -1, 3) + 1]
    phased = variants.column(col.phased).combine_chunks().values.to_numpy(zero_copy_only=False)
    phased_text = np.char.replace(text.astype(str), "/", "|")
    text = np.where(phased.astype(bool), phased_text, text.astype(str))
    per_row = np.diff(offsets.to_numpy())
    if len(samples) and not np.all(per_row == len(samples)):
        raise InputError("genotype lists do not match the sample list in the metadata",
                         hint="re-run ingest")
    names = np.tile(np.array(samples, dtype=object), n_rows)
    fields = [pa.array(names, pa.string()), pa.array(text.tolist(), pa.string())]
    for name in (col.dp, col.gq, col.ad_ref, col.ad_alt):
        fields.append(variants.column(name).combine_chunks().values.cast(pa.int32()))
    structs = pa.StructArray.from_arrays(fields, fields=list(RANKED_VARIANTS.field(col.genotypes).type.value_type))
    return pa.ListArray.from_arrays(offsets, structs)


def proband_zygosity(variants: pa.Table, samples: list[str], proband: str) -> np.ndarray:
    """The proband's VARIANTS.zygosity code per row."""
    zyg = variants.column(col.zygosity).combine_chunks()
    return zyg.values.to_numpy(zero_copy_only=False).reshape(len(zyg), len(samples))[:, samples.index(proband)]


def proband_carriers(variants: pa.Table, samples: list[str], proband: str, path: Path | str) -> np.ndarray:
    """Mask of rows where the proband carries the ALT (het, hom-alt or hemizygous)."""
    if proband not in samples:
        raise InputError(f"proband {proband!r} is not among the samples {samples}", path=str(path),
                         hint="pass --proband as written in the VCF header")
    return np.isin(proband_zygosity(variants, samples, proband), [ZYG_HET, ZYG_HOM_ALT, ZYG_HEMI])


def _candidate_frame(variants_path, annotations_path, segregation_path, phenotype_path, proband
                     ) -> tuple[pd.DataFrame, pa.Table, pd.DataFrame, Provenance, int]:
    """Annotation x segregation x phenotype rows of the proband's carried variants.

    Returns the candidate frame (scalar columns; `_vrow` points into the variants table), the
    carried variants (Arrow, for genotypes), the phenotype table, the merged provenance and the
    number of intergenic annotation rows left out.
    """
    seg, seg_prov = read_table(segregation_path, "segregation", columns=_SEG_COLUMNS)
    pheno, pheno_prov = read_table(phenotype_path, "gene_phenotype")
    idx = pc.unique(seg.column(col.variant_idx))
    variants, var_prov = _filter_idx(variants_path, "variants", _VARIANT_COLUMNS, idx)
    ann, ann_prov = _filter_idx(annotations_path, "annotations", None, idx)
    samples = var_prov.samples
    variants = variants.filter(pa.array(proband_carriers(variants, samples, proband, variants_path)))
    log.info("%d variants in the segregation table, %d carried by %s", len(idx), variants.num_rows, proband)
    var_df = pd.DataFrame({col.variant_idx: variants.column(col.variant_idx).to_numpy(),
                           col.chrom: variants.column(col.chrom).to_pandas(),
                           col.pos: variants.column(col.pos).to_numpy(),
                           col.filter: variants.column(col.filter).to_pandas(),
                           col.qual: variants.column(col.qual).to_pandas(),
                           "_vrow": np.arange(variants.num_rows)})
    ann_df = ann.to_pandas()
    check_same_vcf(var_df, ann_df, variants_path, annotations_path)
    var_df = var_df.drop(columns=[col.chrom, col.pos])
    no_gene = ann_df[col.gene_symbol].isna()
    ann_df = ann_df[~no_gene].drop_duplicates([col.variant_idx, col.gene_symbol])
    seg_df = seg.to_pandas()
    # A segregation row without a gene applies to every gene of the variant.
    seg_gene = seg_df[seg_df[col.gene_symbol].notna()].drop_duplicates([col.variant_idx, col.gene_symbol])
    seg_any = seg_df[seg_df[col.gene_symbol].isna()].drop(columns=col.gene_symbol).drop_duplicates(col.variant_idx)
    by_gene = ann_df.merge(seg_gene, on=[col.variant_idx, col.gene_symbol])
    rest = ann_df.merge(seg_any, on=col.variant_idx)
    rest = rest[~rest.set_index([col.variant_idx, col.gene_symbol]).index.isin(
        by_gene.set_index([col.variant_idx, col.gene_symbol]).index)]
    cand = pd.concat([by_gene, rest], ignore_index=True).merge(var_df, on=col.variant_idx)
    pheno_df = pheno.to_pandas().drop_duplicates(col.gene_symbol).reset_index(drop=True)
    pheno_df = pd.concat([pheno_df, allowed_mode_columns(pheno_df[col.disease_modes])], axis=1)
    scalar = [col.gene_symbol, col.phenotype_score, col.disease_id, col.disease_name, col.mouse_score,
              col.network_score, col.network_neighbour, col.network_neighbour_score] + \
        [c for c in pheno_df.columns if c.startswith("allowed_")]
    cand = cand.merge(pheno_df[scalar], on=col.gene_symbol, how="left")
    prov = Provenance(samples=samples).merged(var_prov, ann_prov, seg_prov, pheno_prov)
    # Facts of the upstream stages travel on, so the report can state what was read, filtered and scored.
    prov.extra = {"ingest_counts": var_prov.extra.get("counts", {}),
                  **{k: var_prov.extra[k] for k in ("liftover", "build_from") if k in var_prov.extra},
                  "annotate_counts": ann_prov.extra.get("counts", {}),
                  **{k: pheno_prov.extra[k] for k in ("phenotype_method", "observed_terms", "excluded_terms",
                                                      "components")
                     if k in pheno_prov.extra}}
    return cand, variants, pheno_df, prov, int(no_gene.sum())


def gene_matched_terms(symbols: pd.Series, pheno_df: pd.DataFrame, column: str = col.matched_terms) -> pd.Series:
    """Each ranked gene's matched_terms as an object column (None: no phenotype row or no match).

    A plain `map` gives NaN for genes without a row; when no gene has one the column becomes
    float64, which Arrow cannot convert to the list<struct> of GENES (the no-phenotype-match crash)."""
    lookup = dict(zip(pheno_df[col.gene_symbol], pheno_df[column]))
    return pd.Series([lookup.get(g) for g in symbols], index=symbols.index, dtype=object)


def _ranked_table(ranked: pd.DataFrame, variants: pa.Table, samples: list[str]) -> pa.Table:
    """RANKED_VARIANTS table: scalar columns from the frame, list columns built in Arrow."""
    lists = {col.fitting_modes: fitting_modes(ranked), col.acmg_tags: acmg_tags(ranked),
             col.genotypes: genotype_column(variants, samples).take(pa.array(ranked["_vrow"].to_numpy(np.int64)))}
    scalar_fields = [f for f in RANKED_VARIANTS if f.name not in lists]
    table = pa.Table.from_pandas(ranked[[f.name for f in scalar_fields]], schema=pa.schema(scalar_fields),
                                 preserve_index=False)
    return pa.Table.from_arrays([table.column(f.name) if f.name not in lists else lists[f.name].cast(f.type)
                                 for f in RANKED_VARIANTS], schema=RANKED_VARIANTS)


def run(inputs: RankInputs, outputs: RankOutputs, options: RankOptions = RankOptions()) -> Summary:
    """Score the proband's candidate variants, rank genes, write genes + ranked variants atomically."""
    model = load_model(options.model)
    proband, out_genes, out_variants = inputs.proband, outputs.genes, outputs.variants
    cand, variants, pheno_df, prov, intergenic = _candidate_frame(inputs.variants, inputs.annotations,
                                                                  inputs.segregation, inputs.phenotype, proband)
    if len(cand):
        cand[col.frame_restored_by] = frame_restoring_partners(
            cand, proband_zygosity(variants, prov.samples, proband)[cand["_vrow"].to_numpy()])
        if cand[col.frame_restored_by].notna().any():
            log.info("%d frameshift rows have their frame restored by a nearby indel (scored in frame)",
                     int(cand[col.frame_restored_by].notna().sum()))
        genes, ranked = rank_genes(score_variants(cand), model)
        genes[col.matched_terms] = gene_matched_terms(genes[col.gene_symbol], pheno_df)
        genes[col.mouse_matches] = gene_matched_terms(genes[col.gene_symbol], pheno_df, col.mouse_matches)
        ranked_tbl = _ranked_table(ranked, variants, prov.samples)
    else:
        log.warning("no candidate variants for %s: writing empty tables", proband)
        genes = pd.DataFrame(columns=GENES.names)
        ranked_tbl = RANKED_VARIANTS.empty_table()
    prov.sources["rank_model"] = f"{model.name} v{model.version}: {model.data_version}"
    prov.extra.update({"proband": proband, "stage": "rank", "model": model.label, "genes": len(genes),
                       "variant_rows": ranked_tbl.num_rows})
    genes_tbl = pa.Table.from_pandas(genes[GENES.names], schema=GENES, preserve_index=False)
    write_table(genes_tbl, out_genes, "genes", prov)
    write_table(ranked_tbl, out_variants, "ranked_variants", prov)
    top = genes[col.gene_symbol].iloc[0] if len(genes) else None
    log.info("wrote %d genes to %s and %d variant rows to %s (top: %s)", len(genes), out_genes,
             ranked_tbl.num_rows, out_variants, top)
    return Summary("rank", f"{len(genes)} genes ranked (top: {top}) -> {Path(out_genes)}",
                   (Path(out_genes), Path(out_variants)), {"genes": len(genes), "variant_rows": ranked_tbl.num_rows},
                   {"intergenic annotation rows (no gene to rank)": intergenic})
