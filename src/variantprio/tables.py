"""Parquet in and out for every stage: schema checks, provenance metadata, atomic writes.

Each file carries key-value metadata:
  variantprio.schema / variantprio.schema_version  which contract in `schemas.py` it follows
  variantprio.version                              tool version that wrote it
  variantprio.genome_build                         GRCh37 / GRCh38
  variantprio.sources                              JSON {source name: version} of all data used,
                                                   merged from the inputs of the stage
  variantprio.samples                              JSON list of sample IDs (order of list columns)
  variantprio.extra                                JSON of stage-specific facts (counts, options)
  variantprio.command                              the command line that wrote the file
  variantprio.config_sha256                        hash of the workflow config it ran under (if any)
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .errors import InputError
from .schemas import SCHEMA_VERSION, SCHEMAS

_PREFIX = "variantprio."
# Set by the Snakemake workflow so every stage records which configuration produced its output.
# Hash of the workflow configuration of this process's run, from `variantprio --config-sha256`.
_CONFIG_SHA256 = {"value": ""}


def set_config_sha256(value: str) -> None:
    _CONFIG_SHA256["value"] = value


def _command_line() -> str:
    """`variantprio <subcommand> ...` when run from the CLI, else the Python entry point."""
    args = list(sys.argv)
    if args and Path(args[0]).name in ("variantprio", "__main__.py"):
        args[0] = "variantprio"
    return shlex.join(args)


@dataclass
class Provenance:
    """What produced a table: carried from stage to stage and written into every file."""

    genome_build: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    tool_version: str = __version__

    def merged(self, *others: "Provenance") -> "Provenance":
        """This provenance plus the sources of upstream tables (first build that is set wins)."""
        out = Provenance(self.genome_build, dict(self.sources), list(self.samples), dict(self.extra))
        for other in others:
            for name, version in other.sources.items():
                out.sources.setdefault(name, version)
            out.genome_build = out.genome_build or other.genome_build
            out.samples = out.samples or list(other.samples)
        return out

    def to_metadata(self, schema_name: str) -> dict[bytes, bytes]:
        values = {
            "schema": schema_name,
            "schema_version": SCHEMA_VERSION,
            "version": self.tool_version,
            "genome_build": self.genome_build or "",
            "sources": json.dumps(self.sources, sort_keys=True),
            "samples": json.dumps(self.samples),
            "extra": json.dumps(self.extra, sort_keys=True, default=str),
            "command": _command_line(),
            "config_sha256": _CONFIG_SHA256["value"],
        }
        return {(_PREFIX + k).encode(): v.encode() for k, v in values.items()}

    @classmethod
    def from_metadata(cls, metadata: dict[bytes, bytes] | None) -> "Provenance":
        md = {k.decode(): v.decode() for k, v in (metadata or {}).items()
              if k.startswith(_PREFIX.encode())}
        get = lambda key, default: md.get(_PREFIX + key, default)  # noqa: E731
        return cls(
            genome_build=get("genome_build", "") or None,
            sources=json.loads(get("sources", "{}")),
            samples=json.loads(get("samples", "[]")),
            extra=json.loads(get("extra", "{}")),
            tool_version=get("version", "unknown"),
        )


def conform(table: pa.Table, schema_name: str) -> pa.Table:
    """Select and cast the contract's columns in order; extra columns are kept after them."""
    schema = SCHEMAS[schema_name]
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise ValueError(f"table for {schema_name!r} lacks columns {missing}")
    extra = [n for n in table.column_names if n not in schema.names]
    columns = [table.column(f.name).cast(f.type) for f in schema] + [table.column(n) for n in extra]
    fields = list(schema) + [table.schema.field(n) for n in extra]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def atomic_path(path: Path | str) -> "_AtomicPath":
    """Context manager yielding a temp path beside `path`; renamed onto it only on success."""
    return _AtomicPath(Path(path))


class _AtomicPath:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are meant to be shared
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: Path | str) -> Iterator[Path]:
    """A temp directory beside `path`, renamed onto it only on success (a directory already there
    is replaced: the caller decides whether it may be); removed on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; results are meant to be shared
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(path, old / path.name)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_table(table: pa.Table, path: Path | str, schema_name: str, provenance: Provenance) -> Path:
    """Write one stage table atomically with the contract's columns and provenance metadata."""
    table = conform(table, schema_name)
    table = table.replace_schema_metadata(provenance.to_metadata(schema_name))
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(path)


class TableWriter:
    """Streaming variant of `write_table` for record batches (bounded memory); atomic on close."""

    def __init__(self, path: Path | str, schema_name: str, provenance: Provenance,
                 extra_fields: list[pa.Field] | None = None) -> None:
        self.schema_name = schema_name
        fields = list(SCHEMAS[schema_name]) + list(extra_fields or [])
        self.schema = pa.schema(fields, metadata=provenance.to_metadata(schema_name))
        self.provenance = provenance
        self._atomic = atomic_path(path)
        self._tmp = self._atomic.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, self.schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table | pa.RecordBatch) -> None:
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        table = conform(table, self.schema_name).select(self.schema.names)
        self._writer.write_table(table.cast(self.schema.remove_metadata()).replace_schema_metadata(
            self.schema.metadata))
        self.rows += table.num_rows

    def close(self, provenance: Provenance | None = None) -> None:
        """Finish the file; a provenance given here (e.g. with final counts) replaces the first."""
        if provenance is not None:
            self._writer.add_key_value_metadata(
                {k.decode(): v.decode() for k, v in provenance.to_metadata(self.schema_name).items()})
        self._writer.close()
        self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        self._writer.close()
        self._atomic.__exit__(RuntimeError, None, None)

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_table(path: Path | str, schema_name: str, columns: list[str] | None = None
               ) -> tuple[pa.Table, Provenance]:
    """Read a stage table, checking it follows the expected contract."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=str(path), hint="run the stage that produces it first")
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"not a readable Parquet file ({err})", path=str(path),
                         hint="re-run the stage that produced it") from None
    # A TableWriter may replace the provenance on close: the footer's key-value metadata wins.
    metadata = {**(pf.schema_arrow.metadata or {}), **(pf.metadata.metadata or {})}
    found = metadata.get((_PREFIX + "schema").encode(), b"").decode()
    if found != schema_name:
        raise InputError(f"expected a {schema_name!r} table, found {found or 'no variantprio schema'!r}",
                         path=str(path), hint="pass the file written by the matching stage")
    missing = [name for name in SCHEMAS[schema_name].names if name not in pf.schema_arrow.names]
    if missing:
        writer = metadata.get((_PREFIX + "version").encode(), b"?").decode()
        raise InputError(f"written by variantprio {writer} with an older {schema_name!r} contract: lacks "
                         f"column(s) {', '.join(missing)}", path=str(path),
                         hint="re-run the stage that writes it (delete the file, or snakemake --forcerun <rule>)")
    table = pf.read(columns=columns)
    return table, Provenance.from_metadata(metadata)


def iter_batches(path: Path | str, schema_name: str, batch_size: int = 65536,
                 columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Stream a stage table in record batches (for genome-sized inputs)."""
    read_table(path, schema_name, columns=[])  # contract check only
    yield from pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=columns)
