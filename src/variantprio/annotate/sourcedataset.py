"""A positional source converted once into Parquet: already split per allele, trimmed and parsed
into the kind's columns, one file per contig, sorted by position, so a genome's join reads only the
row groups holding its variant positions instead of re-parsing text.

Layout of DIR: `chrom=<contig>/part-0.parquet` (hive-style, readable by DuckDB and Arrow datasets;
columns pos, ref, alt and the kind's columns) and `_common_metadata`, whose key
`variantprio.source_dataset` records what was converted: kind, name, version, build, the input
file's name, size and SHA-256, and the contigs with their files and row counts.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import __version__
from ..core.genome import canonical_chrom
from ..core.sourcekinds import CONVERTED_METADATA, POSITIONAL_KINDS, SCORE_KINDS, is_converted_source
from ..download import file_checksum
from ..errors import InputError
from ..schemas import col
from ..tables import atomic_dir
from .sourceconfig import SourceSpec
from .sourcefile import (
    check_source_build,
    column_named,
    contig_lengths,
    read_header,
    source_layout,
)
from .sourceparse import COLUMNS, STRING_COLUMNS, parse_records, score_columns, to_float
from .sourcestream import BLOCK_BYTES, stream_records
from .tabixread import encoded, touching, variant_keys

FORMAT = 1
META_KEY = b"variantprio.source_dataset"
ROW_GROUP_ROWS = 1 << 17  # rows per row group: what one position lookup reads at least
_READ_GROUPS = 8  # row groups read at once
_SORT_HINT = "sort it by contig and position (bcftools sort, or sort -k1,1 -k2,2n for a table) and bgzip it again"


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (numpy 2's `unique` is many times slower on sorted input)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def dataset_schema(kind: str) -> pa.Schema:
    """Columns of one contig's file: the allele (its contig is the partition) and the kind's values."""
    fields = [pa.field(col.pos, pa.int64()), pa.field(col.ref, pa.string()), pa.field(col.alt, pa.string())]
    fields += [pa.field(c, pa.string() if c in STRING_COLUMNS else pa.float64()) for c in COLUMNS[kind]]
    return pa.schema(fields)


@dataclass(frozen=True)
class SourceDataset:
    """An opened converted source: its directory and the facts recorded at conversion."""

    path: Path
    facts: dict

    @property
    def kind(self) -> str:
        return self.facts["kind"]

    @property
    def build(self) -> str:
        return self.facts["build"]

    @property
    def version(self) -> str:
        return self.facts["version"]

    def contig_file(self, contig: str) -> Path | None:
        entry = self.facts["contigs"].get(contig)
        return self.path / entry["file"] if entry else None

    def source_contigs(self) -> dict[str, int | None]:
        """The input's contig names (as written there) with their header lengths when given."""
        return dict(self.facts.get("source_contigs", {}))


def is_source_dataset(path: str | Path) -> bool:
    return is_converted_source(path)


def open_dataset(path: str | Path) -> SourceDataset:
    """The converted source at `path`; an input error when it is not one."""
    path = Path(path)
    try:
        facts = json.loads((pq.read_schema(path / CONVERTED_METADATA).metadata or {})[META_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowInvalid) as err:
        raise InputError(f"not a converted source dataset ({err})", path=str(path),
                         hint="convert the source with `variantprio resources convert-source`") from None
    if facts.get("format") != FORMAT:
        raise InputError(f"converted source of format {facts.get('format')}, this version reads {FORMAT}",
                         path=str(path), hint="convert the source again with this version")
    return SourceDataset(path, facts)


def check_dataset(spec: SourceSpec, dataset: SourceDataset, variants_build: str | None) -> None:
    """A converted source must be what the config declares: kind, version and build."""
    for what, declared, found in (("kind", spec.kind, dataset.kind), ("version", spec.version, dataset.version)):
        if declared != found:
            raise InputError(f"source {spec.name!r} is declared {what} {declared} but the converted dataset holds "
                             f"{what} {found}", path=str(spec.path),
                             hint=f"fix `{what}:` in the config or convert the matching release")
    check_source_build(spec, dataset.build, variants_build)


# --- reading at the variants ---------------------------------------------------------------------


def dataset_rows(dataset: SourceDataset, keys: pa.Table) -> pa.Table:
    """The dataset's rows (chrom, pos, ref, alt and the kind's columns) at the positions of `keys`:
    per contig, only the row groups whose position range holds one of them are read."""
    index, contigs = encoded(keys.column(col.chrom))
    pos = keys.column(col.pos).to_numpy()
    parts = []
    for k, contig in enumerate(contigs):
        path = dataset.contig_file(contig)
        if path is None:
            continue
        wanted = sorted_unique(pos[index == k])
        for table in _row_groups_at(path, wanted):
            found = table.column(col.pos).to_numpy()
            at = np.minimum(np.searchsorted(wanted, found), len(wanted) - 1)
            sub = table.filter(pa.array(wanted[at] == found))
            if sub.num_rows:
                parts.append(sub.add_column(0, col.chrom, pa.repeat(pa.scalar(contig, pa.string()), sub.num_rows)))
    if not parts:
        empty = dataset_schema(dataset.kind).empty_table()
        return empty.add_column(0, col.chrom, pa.array([], pa.string()))
    return pa.concat_tables(parts)


def _row_groups_at(path: Path, wanted: np.ndarray):
    """Tables of the row groups of one contig's file whose [min, max] position holds a wanted one."""
    pf = pq.ParquetFile(path)
    md = pf.metadata
    index = pf.schema_arrow.get_field_index(col.pos)
    selected = []
    for i in range(md.num_row_groups):
        stats = md.row_group(i).column(index).statistics
        if stats is None or not stats.has_min_max:
            selected.append(i)
            continue
        if np.searchsorted(wanted, stats.max, side="right") > np.searchsorted(wanted, stats.min, side="left"):
            selected.append(i)
    for start in range(0, len(selected), _READ_GROUPS):
        yield pf.read_row_groups(selected[start:start + _READ_GROUPS])


# --- converting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantPositions:
    """Contig codes and sorted code<<32 + position keys of the variants a conversion keeps."""

    codes: dict[str, int]
    keys: np.ndarray


def variant_positions(variants_path: str | Path) -> VariantPositions:
    """The positions of a variants table (chrom, pos columns only)."""
    t = pq.read_table(variants_path, columns=[col.chrom, col.pos])
    codes, keys = variant_keys(t.column(col.chrom), t.column(col.pos).to_numpy())
    return VariantPositions(codes, sorted_unique(keys))


def convert_source(spec: SourceSpec, out: str | Path, positions: VariantPositions | None = None,
                   variants_build: str | None = None, checksum: bool = True,
                   block_bytes: int = BLOCK_BYTES) -> SourceDataset:
    """Convert a (b)gzipped positional source into the dataset at `out` in one sequential pass
    (atomically; an existing dataset there is replaced). With `positions`, only the alleles at those
    positions are kept (the bulk join's per-run conversion)."""
    out = Path(out)
    if spec.kind not in POSITIONAL_KINDS:
        raise InputError(f"only allele-level sources convert ({', '.join(POSITIONAL_KINDS)}), not {spec.kind!r}",
                         path=str(spec.path))
    if out.exists() and not is_source_dataset(out):
        raise InputError("the output exists and is not a converted source dataset", path=str(out),
                         hint="choose a new directory (an existing dataset is replaced)")
    header = read_header(spec.path)
    layout = source_layout(spec, header.lines)
    check_source_build(spec, layout.build, variants_build)
    if spec.kind in SCORE_KINDS:
        score_columns(spec, layout.names)  # a table without its columns fails before the pass
    chrom_col = column_named(layout.names, ["chrom", "chr", "chromosome"]) or layout.names[0]
    order = _OrderCheck(str(spec.path), chrom_col, layout.pos_col)
    schema = dataset_schema(spec.kind)
    with atomic_dir(out) as tmp:
        writer = _ContigWriter(tmp, spec.kind, str(spec.path))
        for raw in stream_records(spec.path, layout, header, block_bytes):
            bound = order.check(raw)
            if positions is not None:
                raw = touching(raw, layout.pos_col, layout.ref_col, positions.codes, positions.keys)
            writer.add(parse_records(spec, raw) if raw.num_rows else None, bound)
        writer.close()
        facts = {"format": FORMAT, "name": spec.name, "kind": spec.kind, "version": spec.version,
                 "build": spec.build, "header_build": layout.build, "tool_version": __version__,
                 "input": _input_facts(Path(spec.path), checksum), "restricted_to_variants": positions is not None,
                 "rows": sum(f["rows"] for f in writer.files.values()), "contigs": writer.files,
                 "source_contigs": _source_contigs(header.lines, order.names)}
        pq.write_metadata(schema.with_metadata({META_KEY: json.dumps(facts, sort_keys=True)}), tmp / CONVERTED_METADATA)
    return open_dataset(out)


def _input_facts(path: Path, checksum: bool) -> dict:
    stat = path.stat()
    return {"file": path.name, "bytes": stat.st_size, "mtime": int(stat.st_mtime),
            "sha256": file_checksum(path) if checksum else None}


def _source_contigs(header: list[str], names: list[str]) -> dict[str, int | None]:
    """The input's contigs holding records, with lengths from '##contig' lines when present."""
    lengths = contig_lengths(header)
    return {name: lengths.get(name) for name in names}


class _OrderCheck:
    """Records must come contig by contig and by position within a contig (a tabix-indexed file
    does); returns after each block the (canonical contig, position) no later record lies before."""

    def __init__(self, path: str, chrom_col: str, pos_col: str) -> None:
        self.path, self.chrom_col, self.pos_col = path, chrom_col, pos_col
        self.current: str | None = None
        self.last = -np.inf
        self.names: list[str] = []  # contigs in file order, as written

    def check(self, raw: pa.Table) -> tuple[str, float]:
        idx, labels = encoded(raw.column(self.chrom_col))
        pos = to_float(raw.column(self.pos_col))
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
        for s, e in zip(starts, np.r_[starts[1:], len(idx)]):
            name = labels[idx[s]]
            if name != self.current:
                if name in self.names:
                    raise InputError(f"contig {name} appears again after {self.current}: the records are not sorted",
                                     path=self.path, where=f"{name}:{_pos_text(pos[s])}", hint=_SORT_HINT)
                self.names.append(name)
                self.current, self.last = name, -np.inf
            run = pos[s:e]
            run = run[~np.isnan(run)]
            back = np.flatnonzero(run < np.r_[self.last, run[:-1]]) if len(run) else []
            if len(back):
                raise InputError("records are not sorted by position", path=self.path,
                                 where=f"{name}:{_pos_text(run[back[0]])}", hint=_SORT_HINT)
            if len(run):
                self.last = float(run[-1])
        return canonical_chrom(str(self.current)), self.last


def _pos_text(value: float) -> str:
    return str(int(value)) if np.isfinite(value) else "?"


class _ContigWriter:
    """Writes parsed rows contig by contig, each contig's file sorted by position. Parsing may move
    an allele right (trimming a shared first base), never left of its record's position, so rows
    at or beyond the last record position read are held back until later records pass them."""

    def __init__(self, root: Path, kind: str, source: str) -> None:
        self.root, self.kind, self.source = root, kind, source
        self.schema = dataset_schema(kind)
        self.files: dict[str, dict] = {}
        self.contig: str | None = None
        self.writer: pq.ParquetWriter | None = None
        self.held = self.schema.empty_table()
        self.ready: list[pa.Table] = []
        self.ready_rows = 0

    def add(self, rows: pd.DataFrame | None, bound: tuple[str, float]) -> None:
        if rows is not None and len(rows):
            chrom = rows[col.chrom].to_numpy()
            starts = np.flatnonzero(np.r_[True, chrom[1:] != chrom[:-1]])
            for s, e in zip(starts, np.r_[starts[1:], len(chrom)]):
                if chrom[s] != self.contig:
                    self._finish()
                    self._open(str(chrom[s]))
                part = pa.Table.from_pandas(rows.iloc[s:e][self.schema.names], schema=self.schema,
                                            preserve_index=False)
                self.held = pa.concat_tables([self.held, part])
        if self.contig is not None and self.contig != bound[0]:
            self._finish()
        elif self.contig is not None:
            self._release(bound[1])

    def close(self) -> None:
        self._finish()

    def _open(self, contig: str) -> None:
        if contig in self.files:
            raise InputError(f"contig {contig} appears in two blocks (under two names?): the records are not sorted",
                             path=self.source, hint=_SORT_HINT)
        relative = f"chrom={urllib.parse.quote(contig, safe='')}/part-0.parquet"
        (self.root / relative).parent.mkdir(parents=True)
        self.writer = pq.ParquetWriter(self.root / relative, self.schema, compression="zstd",
                                       use_dictionary=[col.ref, col.alt])
        self.contig = contig
        self.files[contig] = {"file": relative, "rows": 0}

    def _release(self, before: float) -> None:
        """Move held rows at positions below `before` to the write buffer, sorted (stable) and one
        row per allele: every row of those positions has been read, no later record reaches them."""
        held = self.held.take(pc.sort_indices(self.held, [(col.pos, "ascending")]))
        n = int(np.searchsorted(held.column(col.pos).to_numpy(), before, side="left"))
        self.held = held.slice(n)
        if n:
            done = reduced(self.kind, held.slice(0, n))
            self.ready.append(done)
            self.ready_rows += done.num_rows
        self._write(final=False)

    def _write(self, final: bool) -> None:
        if self.writer is None or (self.ready_rows < ROW_GROUP_ROWS and not final):
            return
        table = pa.concat_tables(self.ready) if self.ready else self.schema.empty_table()
        whole = table.num_rows if final else table.num_rows - table.num_rows % ROW_GROUP_ROWS
        for start in range(0, whole, ROW_GROUP_ROWS):
            self.writer.write_table(table.slice(start, min(ROW_GROUP_ROWS, whole - start)))
        self.files[str(self.contig)]["rows"] += whole
        rest = table.slice(whole)
        self.ready, self.ready_rows = ([rest] if rest.num_rows else []), rest.num_rows

    def _finish(self) -> None:
        if self.writer is None:
            return
        self._release(np.inf)
        self._write(final=True)
        self.writer.close()
        self.writer, self.contig = None, None


def reduced(kind: str, rows: pa.Table) -> pa.Table:
    """Rows sorted by position, one per allele by the rule of `sourceparse.reduce_rows` (largest
    score; else the first value present, in file order); positions with several rows list their
    alleles sorted. Only those positions are grouped: most hold one row."""
    pos = rows.column(col.pos).to_numpy()
    shared = np.zeros(len(pos), bool)
    shared[1:] = pos[1:] == pos[:-1]
    shared[:-1] |= shared[1:].copy()
    if not shared.any():
        return rows
    key = [col.pos, col.ref, col.alt]
    values = [c for c in rows.column_names if c not in key]
    how = "max" if kind in SCORE_KINDS else "first"
    grouped = rows.filter(pa.array(shared)).group_by(key, use_threads=False).aggregate([(c, how) for c in values])
    grouped = grouped.rename_columns([c.removesuffix(f"_{how}") for c in grouped.column_names])
    merged = pa.concat_tables([rows.filter(pa.array(~shared)), grouped.select(rows.column_names)])
    return merged.sort_by([(c, "ascending") for c in key])


def dataset_size(path: str | Path) -> int:
    """Bytes of a converted dataset on disk."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
