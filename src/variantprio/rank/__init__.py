"""Rank stage: variant scores, gene ranking and the genes / ranked-variants tables of a proband.

Public entry points: `rank_proband` (the CLI's `variantprio rank`), `score_variants`,
`rank_genes`, `load_model`.
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
from ..schemas import GENES, RANKED_VARIANTS, SEGREGATION, ZYG_HEMI, ZYG_HET, ZYG_HOM_ALT
from ..tables import Provenance, read_table, write_table
from .acmg import acmg_tags
from .combine import allowed_mode_columns, fitting_modes, rank_genes
from .frame import frame_restoring_partners
from .model import RankModel, fit_conditional, load_model, model_features, save_model
from .variant_score import COMPONENTS, score_variants

__all__ = ["rank_proband", "rank_genes", "score_variants", "load_model", "save_model", "fit_conditional",
           "model_features", "RankModel", "RankSummary", "COMPONENTS"]

log = logging.getLogger(__name__)

_SEG_COLUMNS = SEGREGATION.names  # every mode's fit columns and the compound-het pairing
_VARIANT_COLUMNS = ["variant_idx", "chrom", "pos", "filter", "qual", "gt", "zygosity", "phased", "dp", "gq", "ad_ref", "ad_alt"]
# VARIANTS.zygosity code -> genotype text; index = code + 1 (-1 missing .. 3 hemizygous).
_GT_TEXT = np.array(["./.", "0/0", "0/1", "1/1", "1"], dtype=object)


@dataclass
class RankSummary:
    """What `rank_proband` wrote, for the CLI line and tests."""

    genes: int
    variant_rows: int
    top_gene: str | None
    genes_path: Path
    variants_path: Path


def _filter_idx(path: Path | str, schema: str, columns: list[str] | None, idx: pa.Array
                ) -> tuple[pa.Table, Provenance]:
    """Rows of a stage table whose variant_idx is in `idx` (predicate pushed into the Parquet read)."""
    _, prov = read_table(path, schema, columns=[])  # contract check
    return pq.read_table(path, columns=columns, filters=pc.field("variant_idx").isin(idx)), prov


def check_same_vcf(variants: pd.DataFrame, ann: pd.DataFrame, variants_path, annotations_path) -> None:
    """variant_idx is a row number: annotations of another VCF would silently mislabel variants."""
    both = ann[["variant_idx", "chrom", "pos"]].merge(variants[["variant_idx", "chrom", "pos"]],
                                                       on="variant_idx", suffixes=("", "_vcf"))
    bad = both[(both["chrom"] != both["chrom_vcf"]) | (both["pos"] != both["pos_vcf"])]
    if len(bad):
        first = bad.iloc[0]
        raise InputError(f"{len(bad)} annotation rows do not match the variant table (variant_idx "
                         f"{first['variant_idx']}: {first['chrom']}:{first['pos']} vs "
                         f"{first['chrom_vcf']}:{first['pos_vcf']})", path=str(annotations_path),
                         hint=f"annotate the same variants.parquet ({variants_path}) again")


def genotype_column(variants: pa.Table, samples: list[str]) -> pa.ListArray:
    """Per row: list<struct<sample, gt, dp, gq, ad_ref, ad_alt>> over all samples (vectorised)."""
    zyg = variants.column("zygosity").combine_chunks()
    offsets = zyg.offsets
    n_rows = len(zyg)
    codes = zyg.values.to_numpy(zero_copy_only=False).astype(int)
    text = _GT_TEXT[np.clip(codes, -1, 3) + 1]
    phased = variants.column("phased").combine_chunks().values.to_numpy(zero_copy_only=False)
    phased_text = np.char.replace(text.astype(str), "/", "|")
    text = np.where(phased.astype(bool), phased_text, text.astype(str))
    per_row = np.diff(offsets.to_numpy())
    if len(samples) and not np.all(per_row == len(samples)):
        raise InputError("genotype lists do not match the sample list in the metadata",
                         hint="re-run ingest")
    names = np.tile(np.array(samples, dtype=object), n_rows)
    fields = [pa.array(names, pa.string()), pa.array(text.tolist(), pa.string())]
    for name in ("dp", "gq", "ad_ref", "ad_alt"):
        fields.append(variants.column(name).combine_chunks().values.cast(pa.int32()))
    structs = pa.StructArray.from_arrays(fields, names=["sample", "gt", "dp", "gq", "ad_ref", "ad_alt"])
    return pa.ListArray.from_arrays(offsets, structs)


def proband_zygosity(variants: pa.Table, samples: list[str], proband: str) -> np.ndarray:
    """The proband's VARIANTS.zygosity code per row."""
    zyg = variants.column("zygosity").combine_chunks()
    return zyg.values.to_numpy(zero_copy_only=False).reshape(len(zyg), len(samples))[:, samples.index(proband)]


def proband_carriers(variants: pa.Table, samples: list[str], proband: str, path: Path | str) -> np.ndarray:
    """Mask of rows where the proband carries the ALT (het, hom-alt or hemizygous)."""
    if proband not in samples:
        raise InputError(f"proband {proband!r} is not among the samples {samples}", path=str(path),
                         hint="pass --proband as written in the VCF header")
    return np.isin(proband_zygosity(variants, samples, proband), [ZYG_HET, ZYG_HOM_ALT, ZYG_HEMI])


def _candidate_frame(variants_path, annotations_path, segregation_path, phenotype_path, proband
                     ) -> tuple[pd.DataFrame, pa.Table, pd.DataFrame, Provenance]:
    """Annotation x segregation x phenotype rows of the proband's carried variants.

    Returns the candidate frame (scalar columns; `_vrow` points into the variants table), the
    carried variants (Arrow, for genotypes), the phenotype table and the merged provenance.
    """
    seg, seg_prov = read_table(segregation_path, "segregation", columns=_SEG_COLUMNS)
    pheno, pheno_prov = read_table(phenotype_path, "gene_phenotype")
    idx = pc.unique(seg.column("variant_idx"))
    variants, var_prov = _filter_idx(variants_path, "variants", _VARIANT_COLUMNS, idx)
    ann, ann_prov = _filter_idx(annotations_path, "annotations", None, idx)
    samples = var_prov.samples
    variants = variants.filter(pa.array(proband_carriers(variants, samples, proband, variants_path)))
    log.info("%d variants in the segregation table, %d carried by %s", len(idx), variants.num_rows, proband)
    var_df = pd.DataFrame({"variant_idx": variants.column("variant_idx").to_numpy(),
                           "chrom": variants.column("chrom").to_pandas(), "pos": variants.column("pos").to_numpy(),
                           "filter": variants.column("filter").to_pandas(),
                           "qual": variants.column("qual").to_pandas(),
                           "_vrow": np.arange(variants.num_rows)})
    ann_df = ann.to_pandas()
    check_same_vcf(var_df, ann_df, variants_path, annotations_path)
    var_df = var_df.drop(columns=["chrom", "pos"])
    no_gene = ann_df["gene_symbol"].isna()
    if no_gene.any():
        log.info("skipped %d intergenic annotation rows (no gene to rank)", int(no_gene.sum()))
    ann_df = ann_df[~no_gene].drop_duplicates(["variant_idx", "gene_symbol"])
    seg_df = seg.to_pandas()
    # A segregation row without a gene applies to every gene of the variant.
    seg_gene = seg_df[seg_df["gene_symbol"].notna()].drop_duplicates(["variant_idx", "gene_symbol"])
    seg_any = seg_df[seg_df["gene_symbol"].isna()].drop(columns="gene_symbol").drop_duplicates("variant_idx")
    by_gene = ann_df.merge(seg_gene, on=["variant_idx", "gene_symbol"])
    rest = ann_df.merge(seg_any, on="variant_idx")
    rest = rest[~rest.set_index(["variant_idx", "gene_symbol"]).index.isin(
        by_gene.set_index(["variant_idx", "gene_symbol"]).index)]
    cand = pd.concat([by_gene, rest], ignore_index=True).merge(var_df, on="variant_idx")
    pheno_df = pheno.to_pandas().drop_duplicates("gene_symbol").reset_index(drop=True)
    pheno_df = pd.concat([pheno_df, allowed_mode_columns(pheno_df["disease_modes"])], axis=1)
    scalar = ["gene_symbol", "phenotype_score", "disease_id", "disease_name"] + \
        [c for c in pheno_df.columns if c.startswith("allowed_")]
    cand = cand.merge(pheno_df[scalar], on="gene_symbol", how="left")
    prov = Provenance(samples=samples).merged(var_prov, ann_prov, seg_prov, pheno_prov)
    # Facts of the upstream stages travel on, so the report can state what was read, filtered and scored.
    prov.extra = {"ingest_counts": var_prov.extra.get("counts", {}),
                  **{k: var_prov.extra[k] for k in ("liftover", "build_from") if k in var_prov.extra},
                  "annotate_counts": ann_prov.extra.get("counts", {}),
                  **{k: pheno_prov.extra[k] for k in ("phenotype_method", "observed_terms", "excluded_terms")
                     if k in pheno_prov.extra}}
    return cand, variants, pheno_df, prov


def gene_matched_terms(symbols: pd.Series, pheno_df: pd.DataFrame) -> pd.Series:
    """Each ranked gene's matched_terms as an object column (None: no phenotype row or no match).

    A plain `map` gives NaN for genes without a row; when no gene has one the column becomes
    float64, which Arrow cannot convert to the list<struct> of GENES (the no-phenotype-match crash)."""
    lookup = dict(zip(pheno_df["gene_symbol"], pheno_df["matched_terms"]))
    return pd.Series([lookup.get(g) for g in symbols], index=symbols.index, dtype=object)


def _ranked_table(ranked: pd.DataFrame, variants: pa.Table, samples: list[str]) -> pa.Table:
    """RANKED_VARIANTS table: scalar columns from the frame, list columns built in Arrow."""
    lists = {"fitting_modes": fitting_modes(ranked), "acmg_tags": acmg_tags(ranked),
             "genotypes": genotype_column(variants, samples).take(pa.array(ranked["_vrow"].to_numpy(np.int64)))}
    scalar_fields = [f for f in RANKED_VARIANTS if f.name not in lists]
    table = pa.Table.from_pandas(ranked[[f.name for f in scalar_fields]], schema=pa.schema(scalar_fields),
                                 preserve_index=False)
    return pa.Table.from_arrays([table.column(f.name) if f.name not in lists else lists[f.name].cast(f.type)
                                 for f in RANKED_VARIANTS], schema=RANKED_VARIANTS)


def rank_proband(variants_path: Path | str, annotations_path: Path | str, segregation_path: Path | str,
                 phenotype_path: Path | str, proband: str, out_genes: Path | str, out_variants: Path | str,
                 model_path: Path | str | None = None) -> RankSummary:
    """Score the proband's candidate variants, rank genes, write genes + ranked variants atomically."""
    model = load_model(model_path)
    cand, variants, pheno_df, prov = _candidate_frame(variants_path, annotations_path, segregation_path,
                                                      phenotype_path, proband)
    if len(cand):
        cand["frame_restored_by"] = frame_restoring_partners(
            cand, proband_zygosity(variants, prov.samples, proband)[cand["_vrow"].to_numpy()])
        if cand["frame_restored_by"].notna().any():
            log.info("%d frameshift rows have their frame restored by a nearby indel (scored in frame)",
                     int(cand["frame_restored_by"].notna().sum()))
        genes, ranked = rank_genes(score_variants(cand), model)
        genes["matched_terms"] = gene_matched_terms(genes["gene_symbol"], pheno_df)
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
    top = genes["gene_symbol"].iloc[0] if len(genes) else None
    log.info("wrote %d genes to %s and %d variant rows to %s (top: %s)", len(genes), out_genes,
             ranked_tbl.num_rows, out_variants, top)
    return RankSummary(len(genes), ranked_tbl.num_rows, top, Path(out_genes), Path(out_variants))
