"""Rank stage: variant scores, gene ranking and the genes / ranked-variants tables of a proband.

Public entry points: `run(RankInputs, RankOutputs, RankOptions)` (the stage, the CLI's
`variantprio rank`), `score_variants`, `load_model`.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..memory import release_memory
from ..schemas import GENES, RANKED_VARIANTS, SEGREGATION, ZYG_HEMI, ZYG_HET, ZYG_HOM_ALT, col
from ..summary import Summary
from ..tables import Provenance, TableWriter, read_table, write_table
from .acmg import acmg_tags
from .chunks import Chunk, ChunkPlan, RowReader, plan_chunks, read_variant_rows
from .combine import allowed_mode_columns, fitting_modes, gene_evidence, score_genes
from .frame import frame_restoring_partners
from .model import RankModel, fit_conditional, load_model, model_features, save_model
from .runs import merged_blocks, sort_run, write_run
from .variant_score import COMPONENTS, score_variants

__all__ = ["RankInputs", "RankOptions", "RankOutputs", "run", "score_variants", "load_model", "save_model",
           "fit_conditional", "model_features", "RankModel", "COMPONENTS"]

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
    chunk_rows: int = 200_000  # candidate rows per gene chunk: bounds memory on genomes


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




@dataclass
class _Shared:
    """What every chunk of the proband needs: segregation, phenotype and provenance."""

    segregation: pa.Table
    pheno_df: pd.DataFrame
    samples: list[str]
    prov: Provenance


def _shared_inputs(inputs: RankInputs) -> _Shared:
    seg, seg_prov = read_table(inputs.segregation, "segregation", columns=_SEG_COLUMNS)
    pheno, pheno_prov = read_table(inputs.phenotype, "gene_phenotype")
    var_prov = read_table(inputs.variants, "variants", columns=[])[1]  # contract checks
    ann_prov = read_table(inputs.annotations, "annotations", columns=[])[1]
    pheno_df = pheno.to_pandas().drop_duplicates(col.gene_symbol).reset_index(drop=True)
    pheno_df = pd.concat([pheno_df, allowed_mode_columns(pheno_df[col.disease_modes])], axis=1)
    prov = Provenance(samples=var_prov.samples).merged(var_prov, ann_prov, seg_prov, pheno_prov)
    # Facts of the upstream stages travel on, so the report can state what was read, filtered and scored.
    prov.extra = {"ingest_counts": var_prov.extra.get("counts", {}),
                  **{k: var_prov.extra[k] for k in ("liftover", "build_from") if k in var_prov.extra},
                  "annotate_counts": ann_prov.extra.get("counts", {}),
                  **{k: pheno_prov.extra[k] for k in ("phenotype_method", "observed_terms", "excluded_terms",
                                                      "components")
                     if k in pheno_prov.extra}}
    return _Shared(seg, pheno_df, var_prov.samples, prov)


_ORDER = "_order"  # a candidate row's place before ranking: segregation by gene first, then file order
_REST = 1 << 40


def _candidate_frame(ann: pa.Table, ann_rows: np.ndarray, variants: pa.Table, shared: _Shared,
                     inputs: RankInputs) -> pd.DataFrame:
    """Annotation x segregation x phenotype rows of the proband's carried variants of one chunk
    (scalar columns; `_vrow` points into `variants`, `_order` keeps the unchunked row order)."""
    var_df = pd.DataFrame({col.variant_idx: variants.column(col.variant_idx).to_numpy(),
                           col.chrom: variants.column(col.chrom).to_pandas(),
                           col.pos: variants.column(col.pos).to_numpy(),
                           col.filter: variants.column(col.filter).to_pandas(),
                           col.qual: variants.column(col.qual).to_pandas(),
                           "_vrow": np.arange(variants.num_rows)})
    ann_df = ann.to_pandas()
    ann_df[_ORDER] = ann_rows
    check_same_vcf(var_df, ann_df, inputs.variants, inputs.annotations)
    var_df = var_df.drop(columns=[col.chrom, col.pos])
    ann_df = ann_df.drop_duplicates([col.variant_idx, col.gene_symbol])
    seg = shared.segregation
    seg_df = seg.filter(pc.is_in(seg.column(col.variant_idx), pa.array(var_df[col.variant_idx].to_numpy()))).to_pandas()
    # A segregation row without a gene applies to every gene of the variant.
    seg_gene = seg_df[seg_df[col.gene_symbol].notna()].drop_duplicates([col.variant_idx, col.gene_symbol])
    seg_any = seg_df[seg_df[col.gene_symbol].isna()].drop(columns=col.gene_symbol).drop_duplicates(col.variant_idx)
    by_gene = ann_df.merge(seg_gene, on=[col.variant_idx, col.gene_symbol])
    rest = ann_df.merge(seg_any, on=col.variant_idx)
    rest = rest[~rest.set_index([col.variant_idx, col.gene_symbol]).index.isin(
        by_gene.set_index([col.variant_idx, col.gene_symbol]).index)]
    rest[_ORDER] += _REST
    cand = pd.concat([by_gene, rest], ignore_index=True).merge(var_df, on=col.variant_idx)
    pheno_df = shared.pheno_df
    scalar = [col.gene_symbol, col.phenotype_score, col.disease_id, col.disease_name, col.mouse_score,
              col.network_score, col.network_neighbour, col.network_neighbour_score] + \
        [c for c in pheno_df.columns if c.startswith("allowed_")]
    return cand.merge(pheno_df[scalar], on=col.gene_symbol, how="left")


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


def _rank_chunk(chunk: Chunk, plan: ChunkPlan, ann_reader: RowReader, variant_reader: RowReader, shared: _Shared,
                inputs: RankInputs, model: RankModel, counts: Counter) -> tuple[pd.DataFrame, pa.Table] | None:
    """One chunk's genes (not yet scored against the others) and ranked rows (unsorted, with `_order`)."""
    idx = chunk.variant_idx(plan)
    variants = read_variant_rows(variant_reader, idx, inputs.variants)
    zygosity = proband_zygosity(variants, shared.samples, inputs.proband)
    carried = np.isin(zygosity, [ZYG_HET, ZYG_HOM_ALT, ZYG_HEMI])  # het, hom-alt or hemizygous
    variants, zygosity = variants.filter(pa.array(carried)), zygosity[carried]
    counts["segregating variants"] += len(idx)
    counts["carried"] += variants.num_rows
    cand = _candidate_frame(ann_reader.take(chunk.ann_rows), chunk.ann_rows, variants, shared, inputs)
    if not len(cand):
        return None
    cand[col.frame_restored_by] = frame_restoring_partners(cand, zygosity[cand["_vrow"].to_numpy()])
    counts["frame restored"] += int(cand[col.frame_restored_by].notna().sum())
    genes, rows = gene_evidence(score_variants(cand), model)
    rows[col.gene_rank] = 0.0  # known once every gene is scored
    table = _ranked_table(rows, variants, shared.samples)
    return genes, table.append_column(_ORDER, pa.array(rows[_ORDER].to_numpy(np.int64)))


def _final_order(genes: pd.DataFrame) -> Callable[[pa.Table], tuple[np.ndarray, pa.Table]]:
    """For a chunk's rows: their order in the final table, and the rows with gene_rank filled in."""
    symbols = pa.array(genes[col.gene_symbol].to_numpy(object), pa.string())
    ranks = genes[col.rank].to_numpy(float)

    def order(table: pa.Table) -> tuple[np.ndarray, pa.Table]:
        gene_rank = ranks[pc.index_in(table.column(col.gene_symbol), value_set=symbols).to_numpy(zero_copy_only=False)]
        table = table.set_column(table.schema.get_field_index(col.gene_rank), col.gene_rank,
                                 pa.array(gene_rank, pa.float64()))
        return np.lexsort(_sort_keys(table)), table
    return order


def _sort_keys(table: pa.Table) -> list[np.ndarray]:
    """np.lexsort keys (last = first key) of the final row order: gene rank, best rows first, higher
    variant score first, variant_idx; ties keep the row's place before ranking (`_order`)."""
    return [table.column(_ORDER).to_numpy(), table.column(col.variant_idx).to_numpy(),
            -table.column(col.variant_score).to_numpy(), ~table.column(col.is_best).to_numpy(zero_copy_only=False),
            table.column(col.gene_rank).to_numpy()]


def _spill_chunks(inputs: RankInputs, shared: _Shared, model: RankModel, chunk_rows: int, spill: Path
                  ) -> tuple[list[pd.DataFrame], list[Path], int]:
    """Rank each chunk of genes and spill its rows: (the chunks' gene frames, their runs, the number
    of intergenic annotation rows)."""
    segregating = pc.unique(shared.segregation.column(col.variant_idx)).to_numpy()
    plan = plan_chunks(inputs.annotations, segregating, chunk_rows)
    ann_reader, variant_reader = RowReader(inputs.annotations), RowReader(inputs.variants, _VARIANT_COLUMNS)
    counts: Counter = Counter()
    gene_frames, runs = [], []
    for number, chunk in enumerate(plan.chunks):
        ranked = _rank_chunk(chunk, plan, ann_reader, variant_reader, shared, inputs, model, counts)
        if ranked is not None:
            gene_frames.append(ranked[0])
            runs.append(write_run(ranked[1], spill / f"{number}.arrow"))
        del ranked
        release_memory(collect=False)  # a chunk's frames are gone: keep the next one from stacking on them
    log.info("%d variants in the segregation table, %d carried by %s; %d gene chunk(s)",
             counts["segregating variants"], counts["carried"], inputs.proband, len(plan.chunks))
    if counts["frame restored"]:
        log.info("%d frameshift rows have their frame restored by a nearby indel (scored in frame)",
                 counts["frame restored"])
    return gene_frames, runs, plan.intergenic


def _final_row_order(runs: list[Path], genes: pd.DataFrame) -> np.ndarray:
    """Sort each run into final order (gene_rank filled in); per final row, the run it comes from."""
    keys, run_of_row, final_order = [], [], _final_order(genes)
    for number, path in enumerate(runs):
        keys.append(_sort_keys(sort_run(path, final_order)))
        release_memory(collect=False)
        run_of_row.append(np.full(len(keys[-1][0]), number, dtype=np.int32))
    if not runs:
        return np.zeros(0, dtype=np.int32)
    order = np.lexsort([np.concatenate(k) for k in zip(*keys)])
    return np.concatenate(run_of_row)[order]


def run(inputs: RankInputs, outputs: RankOutputs, options: RankOptions = RankOptions()) -> Summary:
    """Score the proband's candidate variants, rank genes, write genes + ranked variants atomically.

    Genes are processed in chunks of whole genes (bounded memory on genomes); the chunks' rows are
    spilled as sorted runs beside the output and merged into the ranked-variants table."""
    model = load_model(options.model)
    proband, out_genes, out_variants = inputs.proband, outputs.genes, outputs.variants
    shared = _shared_inputs(inputs)
    if proband not in shared.samples:
        raise InputError(f"proband {proband!r} is not among the samples {shared.samples}", path=str(inputs.variants),
                         hint="pass --proband as written in the VCF header")
    Path(out_variants).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rank-", dir=Path(out_variants).parent) as spill:
        gene_frames, runs, intergenic = _spill_chunks(inputs, shared, model, options.chunk_rows, Path(spill))
        if gene_frames:
            genes = score_genes(pd.concat(gene_frames, ignore_index=True), model)
            genes[col.matched_terms] = gene_matched_terms(genes[col.gene_symbol], shared.pheno_df)
            genes[col.mouse_matches] = gene_matched_terms(genes[col.gene_symbol], shared.pheno_df, col.mouse_matches)
        else:
            log.warning("no candidate variants for %s: writing empty tables", proband)
            genes = pd.DataFrame(columns=GENES.names)
        run_of_row = _final_row_order(runs, genes)
        prov = shared.prov
        prov.sources["rank_model"] = f"{model.name} v{model.version}: {model.data_version}"
        prov.extra.update({"proband": proband, "stage": "rank", "model": model.label, "genes": len(genes),
                           "variant_rows": len(run_of_row)})
        write_table(pa.Table.from_pandas(genes[GENES.names], schema=GENES, preserve_index=False), out_genes,
                    "genes", prov)
        with TableWriter(out_variants, "ranked_variants", prov) as writer:
            for block in merged_blocks(runs, run_of_row):
                writer.write(block.drop_columns([_ORDER]))
    top = genes[col.gene_symbol].iloc[0] if len(genes) else None
    log.info("wrote %d genes to %s and %d variant rows to %s (top: %s)", len(genes), out_genes, len(run_of_row),
             out_variants, top)
    return Summary("rank", f"{len(genes)} genes ranked (top: {top}) -> {Path(out_genes)}",
                   (Path(out_genes), Path(out_variants)), {"genes": len(genes), "variant_rows": len(run_of_row)},
                   {"intergenic annotation rows (no gene to rank)": intergenic})
