"""The annotate stage: variants.parquet -> annotations.parquet.

Variants that carry VEP CSQ / SnpEff ANN / bcftools BCSQ annotations keep them (parsed by
`existing`); the others get consequences from the gene model. Source columns (frequencies,
ClinVar, scores, constraint) stay null until sources are joined.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..genome import CONTIG_LENGTHS
from ..schemas import ANNOTATIONS
from ..tables import Provenance, read_table, write_table
from .existing import existing_rows
from .genemodel import GeneModel, load_gene_model
from .model_rows import model_rows
from .predict import variant_spans
from .protein import ReferenceBases
from .sourceconfig import load_sources
from .sources import join_sources

log = logging.getLogger(__name__)

_KEY = ["variant_idx", "chrom", "pos", "ref", "alt"]
_READ = _KEY + ["is_sv", "sv_end", "info_csq", "info_ann", "info_bcsq"]


@dataclass
class AnnotateOptions:
    """What to annotate with: gene model path, reference FASTA, sources config YAML, threads."""

    gene_model: str | None = None
    fasta: str | None = None
    sources: str | None = None
    threads: int = 1


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
                   layouts: dict[str, str] | None = None, fasta: str | None = None) -> tuple[pa.Table, dict]:
    """Annotation rows (variant key + consequence columns) and counts for a variants table."""
    has_existing = np.zeros(variants.num_rows, bool)
    for col in ("info_csq", "info_ann", "info_bcsq"):
        has_existing |= pc.is_valid(variants.column(col)).to_numpy(zero_copy_only=False)
    parts = []
    if has_existing.any():
        parts.append(existing_rows(variants.filter(pa.array(has_existing)), np.flatnonzero(has_existing),
                                   layouts))
    rest = np.flatnonzero(~has_existing)
    if len(rest) and model is not None:
        sub = variants.take(pa.array(rest))
        spans = variant_spans(sub.column("pos").to_numpy(), sub.column("ref").combine_chunks(),
                              sub.column("alt").combine_chunks(),
                              sub.column("is_sv").to_numpy(zero_copy_only=False),
                              sub.column("sv_end").to_numpy(zero_copy_only=False).astype(float))
        rows = model_rows(sub, model.arrays, spans, threads, ReferenceBases(fasta) if fasta else None)
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
        col = merged.column(f.name).cast(f.type) if f.name in merged.column_names else pa.nulls(len(key), f.type)
        out = out.append_column(f, col)
    return out, counts


def annotate_variants(variants_path, out_path, options: AnnotateOptions | None = None) -> None:
    """Annotate variants.parquet into annotations.parquet (schema `annotations`), atomically."""
    options = options or AnnotateOptions()
    t0 = time.perf_counter()
    variants, upstream = read_table(variants_path, "variants", columns=_READ)
    specs = load_sources(options.sources) if options.sources else []
    model = None
    if options.gene_model:
        model = load_gene_model(options.gene_model)
        check_build(model, upstream.genome_build, options.gene_model)
    if model is None and not _any_vcf_annotations(variants):
        raise InputError("variants carry no CSQ/ANN/BCSQ annotations and no gene model was given",
                         path=str(variants_path), hint="pass --gene-model (GTF, gene-model Parquet or "
                                                       "GENCODE reference directory)")
    layouts = upstream.extra.get("info_formats") or {}
    table, counts = annotate_table(variants, model, options.threads, layouts, options.fasta)
    source_counts = {}
    if specs:
        table, source_counts = join_sources(table, specs, upstream.genome_build)
    sources = {"gene_model": model.label} if model else {}
    sources.update({spec.name: spec.version for spec in specs})
    if options.fasta:
        sources["reference_fasta"] = Path(options.fasta).name
    prov = Provenance(genome_build=upstream.genome_build, sources=sources,
                      extra={"counts": counts, "rows": table.num_rows, "source_matches": source_counts,
                             "source_files": {spec.name: {"kind": spec.kind, "path": str(spec.path),
                                                          "build": spec.build} for spec in specs},
                             "gene_model": model.name if model else None,
                             "gene_model_version": model.version if model else None,
                             "seconds": round(time.perf_counter() - t0, 3)}).merged(upstream)
    write_table(table, out_path, "annotations", prov)
    log.info("annotated %d variants into %d rows (%d from VCF annotations, %d from the gene model) in %.2fs",
             counts["variants"], table.num_rows, counts["from_vcf_annotations"], counts["from_gene_model"],
             time.perf_counter() - t0)


def _any_vcf_annotations(variants: pa.Table) -> bool:
    return any(variants.column(c).null_count < variants.num_rows
               for c in ("info_csq", "info_ann", "info_bcsq")) and variants.num_rows > 0
