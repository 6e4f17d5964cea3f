"""The gene model: one row per transcript with its exons, CDS span, gene and MANE flag.

Built from a GENCODE/Ensembl GTF or GFF3, from the GENCODE reference-table directory
(genes + MANE exons + CDS intervals), or read back from a gene-model Parquet written by
`save_gene_model`. Builds from text are cached as Parquet keyed by the inputs' size and mtime.
All coordinates are 1-based and inclusive, like VCF positions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..genome import canonical_chroms
from ..tables import atomic_path

log = logging.getLogger(__name__)

MODEL_FORMAT = "2"  # bump when builders change: invalidates caches
_META_KEY = b"variantprio.gene_model"

TRANSCRIPTS = pa.schema([
    ("chrom", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("strand", pa.int8()),
    ("gene_id", pa.string()), ("gene_symbol", pa.string()), ("gene_type", pa.string()),
    ("transcript_id", pa.string()), ("is_mane", pa.bool_()),
    ("cds_start", pa.int64()), ("cds_end", pa.int64()),
    ("exon_starts", pa.list_(pa.int64())), ("exon_ends", pa.list_(pa.int64())),
])


@dataclass
class GeneModel:
    """Transcripts (TRANSCRIPTS schema, sorted by chrom/start) plus where they came from."""

    table: pa.Table
    name: str
    version: str
    build: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()

    @cached_property
    def arrays(self) -> "ModelArrays":
        return ModelArrays.from_table(self.table)


@dataclass
class ModelArrays:
    """Numpy views of the transcripts for vectorised lookups; exons flattened per transcript."""

    chroms: list[str]
    chrom_code: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray
    cds_start: np.ndarray  # -1 for non-coding transcripts
    cds_end: np.ndarray
    is_mane: np.ndarray
    gene_idx: np.ndarray  # index into gene_ids
    gene_ids: np.ndarray
    gene_symbols: np.ndarray  # per gene index
    transcript_id: np.ndarray
    exon_offsets: np.ndarray  # transcript t owns exons exon_offsets[t]:exon_offsets[t+1]
    exon_start: np.ndarray
    exon_end: np.ndarray

    @cached_property
    def has_structure(self) -> np.ndarray:
        """Transcripts with real exons (pseudo-transcripts of the reference tables have no ID)."""
        return np.array([bool(t) and t == t for t in self.transcript_id], dtype=bool)

    @cached_property
    def coding(self):
        """CDS offsets per exon (see `protein.CodingIndex`), built on first use."""
        from .protein import CodingIndex

        return CodingIndex.build(self)

    @classmethod
    def from_table(cls, t: pa.Table) -> "ModelArrays":
        chrom = t.column("chrom").to_numpy(zero_copy_only=False).astype(str)
        chroms, code = np.unique(chrom, return_inverse=True)
        gid = t.column("gene_id").to_numpy(zero_copy_only=False).astype(object)
        sym = t.column("gene_symbol").to_numpy(zero_copy_only=False).astype(object)
        gene_ids, gene_idx, first = _unique_first(gid)
        starts = t.column("exon_starts").combine_chunks()
        ends = t.column("exon_ends").combine_chunks()
        return cls(
            chroms=list(chroms), chrom_code=code.astype(np.int64),
            start=t.column("start").to_numpy(), end=t.column("end").to_numpy(),
            strand=t.column("strand").to_numpy().astype(np.int8),
            cds_start=t.column("cds_start").fill_null(-1).to_numpy(),
            cds_end=t.column("cds_end").fill_null(-1).to_numpy(),
            is_mane=t.column("is_mane").fill_null(False).to_numpy(zero_copy_only=False),
            gene_idx=gene_idx, gene_ids=gene_ids, gene_symbols=sym[first],
            transcript_id=t.column("transcript_id").to_numpy(zero_copy_only=False).astype(object),
            exon_offsets=starts.offsets.to_numpy().astype(np.int64),
            exon_start=starts.values.to_numpy(), exon_end=ends.values.to_numpy())


def _unique_first(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = np.array(["" if v is None else str(v) for v in values], dtype=object)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return uniq, inverse.astype(np.int64), first


# --- loading --------------------------------------------------------------------------------------


def load_gene_model(path: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> GeneModel:
    """Gene model from a GTF/GFF3 (gz or plain), a gene-model Parquet or a reference-table
    directory; text inputs are built once and then read from the Parquet cache."""
    path = Path(path)
    if not path.exists():
        raise InputError("gene model not found", path=str(path),
                         hint="pass a GTF/GFF3, a gene-model Parquet or the GENCODE reference directory")
    if path.is_file() and _is_parquet(path):
        return read_gene_model(path)
    inputs = reference_files(path) if path.is_dir() else [path]
    cached = _cache_path(inputs, cache_dir)
    if cached is not None and cached.exists():
        try:
            model = read_gene_model(cached)
            log.info("gene model %s from cache %s", model.label, cached)
            return model
        except InputError:
            log.warning("unreadable gene-model cache %s: rebuilding", cached)
    model = build_gene_model(path)
    if cached is not None:
        try:
            save_gene_model(model, cached)
            log.info("cached gene model %s at %s", model.label, cached)
        except OSError as err:
            log.warning("could not cache the gene model at %s (%s); it will be rebuilt next time", cached, err)
    return model


def build_gene_model(path: str | os.PathLike) -> GeneModel:
    """Build (no cache) from a GTF/GFF3 file or a reference-table directory."""
    from .gtf import read_gtf
    from .refdir import read_reference_dir

    path = Path(path)
    model = read_reference_dir(path) if path.is_dir() else read_gtf(path)
    log.info("gene model %s: %d transcripts of %d genes", model.label, model.table.num_rows,
             len(model.arrays.gene_ids))
    return model


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def reference_files(directory: Path) -> list[Path]:
    """The three GENCODE reference tables of a reference directory (genes, MANE exons, CDS)."""
    from .refdir import find_reference_tables

    return list(find_reference_tables(directory))


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "variantprio" / "gene-models"


def _cache_path(inputs: list[Path], cache_dir: str | os.PathLike | None) -> Path | None:
    """Cache file named by a hash of the inputs' absolute paths, sizes and mtimes."""
    key = [MODEL_FORMAT]
    for p in inputs:
        st = p.stat()
        key.append(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}")
    digest = hashlib.sha1("\n".join(key).encode()).hexdigest()[:20]
    directory = Path(cache_dir) if cache_dir else default_cache_dir()
    return directory / f"{inputs[0].name.split('.')[0]}-{digest}.parquet"


def save_gene_model(model: GeneModel, out: str | os.PathLike) -> Path:
    """Write the model as Parquet (atomically) with its name, version and build in the metadata."""
    meta = {"name": model.name, "version": model.version, "build": model.build,
            "format": MODEL_FORMAT, "extra": model.extra}
    table = model.table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    with atomic_path(out) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(out)


def read_gene_model(path: str | os.PathLike) -> GeneModel:
    """A gene model written by `save_gene_model`."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"not a readable gene-model Parquet ({err})", path=str(path),
                         hint="rebuild it with `variantprio resources gene-model`") from None
    raw = (table.schema.metadata or {}).get(_META_KEY)
    missing = [n for n in TRANSCRIPTS.names if n not in table.column_names]
    if raw is None or missing:
        raise InputError("not a variantprio gene-model Parquet", path=str(path),
                         hint="build one with `variantprio resources gene-model --from GTF --out FILE`")
    meta = json.loads(raw)
    table = table.select(TRANSCRIPTS.names).cast(TRANSCRIPTS)
    return GeneModel(table, meta.get("name", Path(path).name), meta.get("version", ""),
                     meta.get("build"), meta.get("extra", {}))


# --- shared construction helpers ------------------------------------------------------------------


def transcripts_table(chrom, start, end, strand, gene_id, gene_symbol, gene_type, transcript_id,
                      is_mane, cds_start, cds_end, exon_offsets, exon_starts, exon_ends) -> pa.Table:
    """TRANSCRIPTS table sorted by chrom/start, chromosomes named UCSC-style."""
    chrom = canonical_chroms(np.asarray(chrom, dtype=object))
    cols = {
        "chrom": pa.array(chrom, pa.string()),
        "start": pa.array(np.asarray(start, np.int64)), "end": pa.array(np.asarray(end, np.int64)),
        "strand": pa.array(np.asarray(strand, np.int8)),
        "gene_id": _strings(gene_id), "gene_symbol": _strings(gene_symbol),
        "gene_type": _strings(gene_type), "transcript_id": _strings(transcript_id),
        "is_mane": pa.array(np.asarray(is_mane, bool)),
        "cds_start": _nullable_int(cds_start), "cds_end": _nullable_int(cds_end),
        "exon_starts": pa.ListArray.from_arrays(pa.array(np.asarray(exon_offsets, np.int32)),
                                                pa.array(np.asarray(exon_starts, np.int64))),
        "exon_ends": pa.ListArray.from_arrays(pa.array(np.asarray(exon_offsets, np.int32)),
                                              pa.array(np.asarray(exon_ends, np.int64))),
    }
    table = pa.table(cols, schema=TRANSCRIPTS)
    return table.sort_by([("chrom", "ascending"), ("start", "ascending"), ("end", "ascending")])


def _strings(values) -> pa.Array:
    return pa.array(values, pa.string(), from_pandas=True)  # NaN from pandas becomes null


def _nullable_int(values) -> pa.Array:
    arr = np.asarray(values, dtype=np.float64)
    return pa.array(np.nan_to_num(arr, nan=0).astype(np.int64), pa.int64(), mask=np.isnan(arr))


_RELEASE = re.compile(r"(gencode|ensembl)[ _.-]*v?(\d+)", re.I)
_BUILD = re.compile(r"(grch3[78]|hg19|hg38)", re.I)


def guess_release(text: str) -> tuple[str, str | None]:
    """('gencode44', 'GRCh38')-like release and build spelled in a file name or header."""
    from ..genome import normalise_build

    m = _RELEASE.search(text)
    release = f"{m.group(1).lower()}{m.group(2)}" if m else ""
    b = _BUILD.search(text)
    return release, normalise_build(b.group(1)) if b else None
