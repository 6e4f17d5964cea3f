"""The annotate stage: variants.parquet -> annotations.parquet.

Variants that carry VEP CSQ / SnpEff ANN / bcftools BCSQ annotations keep them (parsed by
`existing`); the others get consequences from the gene model. Source columns (frequencies,
ClinVar, scores, constraint) stay null until sources are joined.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.genemodel import GeneModel
from ..core.genome import CONTIG_LENGTHS
from ..errors import InputError
from ..schemas import ANNOTATIONS, col
from ..settings import AnnotateSettings
from ..summary import Summary
from ..tables import Provenance, TableWriter, read_table
from .bulkjoin import bulk_sources, wants_bulk
from .existing import existing_rows
from .genemodel import load_gene_model
from .model_rows import model_rows
from .predict import variant_spans
from .protein import ReferenceBases
from .sourceconfig import load_sources
from .sources import join_sources

log = logging.getLogger(__name__)

_KEY = [col.variant_idx, col.chrom, col.pos, col.ref, col.alt]
_READ = _KEY + [col.is_sv, col.sv_end, col.info_csq, col.info_ann, col.info_bcsq]


@dataclass(frozen=True)
class AnnotateInputs:
    """variants.parquet; what to annotate it with: gene model (GTF/GFF3, Parquet or reference
    directory), indexed FASTA (protein effects), config YAML whose `sources:` are joined."""

    variants: str | Path
    gene_model: str | Path | None = None
    fasta: str | Path | None = None
    sources: str | Path | None = None


@dataclass(frozen=True)
class AnnotateOutputs:
    annotations: str | Path  # annotations.parquet (schema `annotations`), written atomically


@dataclass(frozen=True)
class AnnotateOptions:
    """How to annotate: threads of the interval join, where text gene models are cached, and above
    how many variants sources are joined in bulk (`bulkjoin`)."""

    threads: int = 1
    cache_dir: str | None = None  # gene-model cache (default: the one cache location, `cache.py`)
    bulk_join_min_variants: int = AnnotateSettings.bulk_join_min_variants


def check_build(model: GeneModel, build: str | None, path: str) -> None:
    """A gene model of another build than the variants is an input error (by name or coordinates)."""
    if not build:
        return
    if model.build and model.build != build:
        raise InputError(f"gene model is {model.build} but the variants are {build}", path=path,
                         hint="use the gene model of the VCF's genome build")
    lengths = CONTIG_LENGTHS.get(build, {})
    t = model.table
    limit = np.array([lengths.get(c, np.iinfo(np.int64).max)
                      for c in t.column("chrom").to_pylist()], dtype=np.int64) if t.num_rows else np.zeros(0)
    beyond = t.column("end").to_numpy() > limit
    if beyond.any():
        i = int(beyond.argmax())
        raise InputError(f"gene model transcript {t.column('transcript_id')[i]} on "
                         f"{t.column('chrom')[i]} ends beyond its {build} length", path=path,
                         hint="gene model and VCF are on different genome builds")


def annotate_table(variants: pa.Table, model: GeneModel | None, threads: int = 1,
                   layouts: dict[str, str] | None = None, fasta: ReferenceBases | None = None
                   ) -> tuple[pa.Table, dict]:
    """Annotation rows (variant key + consequence columns) and counts for a variants table."""
    has_existing = np.zeros(variants.num_rows, bool)
    for name in (col.info_csq, col.info_ann, col.info_bcsq):
        has_existing |= pc.is_valid(variants.column(name)).to_numpy(zero_copy_only=False)
    parts = []
    if has_existing.any():
        parts.append(existing_rows(variants.filter(pa.array(has_existing)), np.flatnonzero(has_existing),
                                   layouts))
    rest = np.flatnonzero(~has_existing)
    if len(rest) and model is not None:
        sub = variants.take(pa.array(rest))
        spans = variant_spans(sub.column(col.pos).to_numpy(), sub.column(col.ref).combine_chunks(),
                              sub.column(col.alt).combine_chunks(),
                              sub.column(col.is_sv).to_numpy(zero_copy_only=False),
                              sub.column(col.sv_end).to_numpy(zero_copy_only=False).astype(float))
        rows = model_rows(sub, model.arrays, spans, threads, fasta)
        parts.append(rows.set_column(0, "row", pa.array(rest[rows.column("row").to_numpy()])))
    elif len(rest):
        parts.append(pa.table({"row": rest}))
    counts = {"variants": variants.num_rows, "from_vcf_annotations": int(has_existing.sum()),
              "from_gene_model": int(len(rest)) if model is not None else 0,
              "unannotated": int(len(rest)) if model is None else 0}
    merged = pa.concat_tables([p for p in parts], promote_options="default").sort_by("row")
    key = variants.select(_KEY).take(merged.column("row"))
    out = key
    for f in ANNOTATIONS:
        if f.name in _KEY:
            continue
        values = merged.column(f.name).cast(f.type) if f.name in merged.column_names else pa.nulls(len(key), f.type)
        out = out.append_column(f, values)
    return out, counts


CHUNK_ROWS = 400_000  # variants per chunk: bounds memory for genomes (~0.3 GB per chunk)


def run(inputs: AnnotateInputs, outputs: AnnotateOutputs, options: AnnotateOptions = AnnotateOptions()) -> Summary:
    """Annotate variants.parquet into annotations.parquet (schema `annotations`), atomically,
    streaming the variants in chunks so genomes fit in bounded memory."""
    t0 = time.perf_counter()
    variants_path, out_path = inputs.variants, outputs.annotations
    gene_model = None if inputs.gene_model is None else str(inputs.gene_model)
    _, upstream = read_table(variants_path, "variants", columns=[])
    specs = load_sources(inputs.sources, upstream.genome_build) if inputs.sources else []
    model = None
    if gene_model:
        model = load_gene_model(gene_model, cache_dir=options.cache_dir)
        check_build(model, upstream.genome_build, gene_model)
    if model is None and not _any_vcf_annotations(variants_path):
        raise InputError("variants carry no CSQ/ANN/BCSQ annotations and no gene model was given",
                         path=str(variants_path), hint="pass --gene-model (GTF, gene-model Parquet or "
                                                       "GENCODE reference directory)")
    layouts = upstream.extra.get("info_formats") or {}
    sources = {"gene_model": model.label} if model else {}
    sources.update({spec.name: spec.version for spec in specs})
    if inputs.fasta:
        sources["reference_fasta"] = Path(inputs.fasta).name
    fasta = ReferenceBases(inputs.fasta) if inputs.fasta else None
    prov = Provenance(genome_build=upstream.genome_build, sources=sources).merged(upstream)
    counts: dict[str, int] = {}
    source_counts: dict[str, int] = {}
    bulk = bool(specs) and wants_bulk(pq.ParquetFile(variants_path).metadata.num_rows,
                                      options.bulk_join_min_variants)
    writer = TableWriter(out_path, "annotations", prov)
    try:
        joining = bulk_sources(specs, variants_path, out_path, upstream.genome_build, options.threads) if bulk \
            else nullcontext(specs)
        with joining as joined:
            for batch in pq.ParquetFile(variants_path).iter_batches(batch_size=CHUNK_ROWS, columns=_READ):
                table, chunk_counts = annotate_table(pa.Table.from_batches([batch]), model, options.threads,
                                                     layouts, fasta)
                if joined:
                    table, matched = join_sources(table, joined, upstream.genome_build, upstream.samples)
                    _add(source_counts, matched)
                _add(counts, chunk_counts)
                writer.write(table)
    except BaseException:
        writer.abort()  # no partial output
        raise
    prov.extra = {"counts": counts, "rows": writer.rows, "source_matches": source_counts,
                  "source_files": {spec.name: {"kind": spec.kind, "path": str(spec.path), "build": spec.build}
                                   for spec in specs},
                  "bulk_join": bulk,
                  "gene_model": model.name if model else None,
                  "gene_model_version": model.version if model else None,
                  "seconds": round(time.perf_counter() - t0, 3)}
    writer.close(prov)
    log.info("annotated %d variants into %d rows (%d from VCF annotations, %d from the gene model) in %.2fs",
             counts.get("variants", 0), writer.rows, counts.get("from_vcf_annotations", 0),
             counts.get("from_gene_model", 0), time.perf_counter() - t0)
    unannotated = "variants without CSQ/ANN/BCSQ annotations, and no gene model to annotate them with"
    return Summary("annotate", f"annotations -> {out_path}", (Path(out_path),),
                   {"rows": writer.rows, **counts, **{f"matched_{k}": v for k, v in source_counts.items()}},
                   {unannotated: counts.get("unannotated", 0)})


def _add(total: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        total[k] = total.get(k, 0) + v


def _any_vcf_annotations(variants_path) -> bool:
    """Any CSQ/ANN/BCSQ value in the file, from the Parquet column statistics when present."""
    pf = pq.ParquetFile(variants_path)
    md = pf.metadata
    names = [md.schema.column(j).name for j in range(md.num_columns)]
    wanted = [names.index(c) for c in (col.info_csq, col.info_ann, col.info_bcsq) if c in names]
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        for j in wanted:
            stats = rg.column(j).statistics
            if stats is None or not stats.has_null_count or stats.null_count < rg.num_rows:
                return True
    return False
