"""Loading gene models (types in `core.genemodel`): built from a GENCODE/Ensembl GTF or GFF3, from
the GENCODE reference-table directory (genes + MANE exons + CDS intervals), or read back from a
gene-model Parquet written by `save_gene_model`. Builds from text are cached as Parquet keyed by the inputs' size and mtime.
All coordinates are 1-based and inclusive, like VCF positions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..cache import cache_dir as variantprio_cache_dir
from ..core.genemodel import TRANSCRIPTS, GeneModel
from ..errors import InputError
from ..tables import atomic_path
from .gtf import read_gtf
from .refdir import find_reference_tables, read_reference_dir

log = logging.getLogger(__name__)

MODEL_FORMAT = "2"  # bump when builders change: invalidates caches
_META_KEY = b"variantprio.gene_model"

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
    path = Path(path)
    model = read_reference_dir(path) if path.is_dir() else read_gtf(path)
    log.info("gene model %s: %d transcripts of %d genes", model.label, model.table.num_rows,
             len(model.arrays.gene_ids))
    return model


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def gene_model_build(path: str | os.PathLike) -> str | None:
    """The build a gene model states, read cheaply (for `validate`): a gene-model Parquet's metadata,
    a reference directory's table names, a GTF/GFF3's name and '#' header (GENCODE writes
    "(GRCh37)" in lift37 headers). None when it states none; InputError when unreadable."""
    from ..core.genemodel import guess_release
    from .gtf import _header_text

    path = Path(path)
    if path.is_dir():
        return guess_release(find_reference_tables(path)[0].name)[1]
    if _is_parquet(path):
        try:
            raw = (pq.read_schema(path).metadata or {}).get(_META_KEY)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(f"not a readable gene-model Parquet ({err})", path=str(path)) from None
        return json.loads(raw).get("build") if raw else None
    try:
        header = _header_text(path)
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"unreadable gene-model file ({err})", path=str(path)) from None
    return guess_release(path.name + "\n" + header)[1]


def reference_files(directory: Path) -> list[Path]:
    """The three GENCODE reference tables of a reference directory (genes, MANE exons, CDS)."""
    return list(find_reference_tables(directory))


def default_cache_dir() -> Path:
    return variantprio_cache_dir("gene-models")


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
