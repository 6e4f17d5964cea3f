"""Parallel ingestion of a bgzipped text VCF: byte-range chunks on BGZF block boundaries, one
process per core, results stitched in order by the parent (which also writes the Parquet).

No index is needed: BGZF blocks are found by hopping over their headers. A chunk owns the lines
that start inside its blocks. Any problem (bad record, unsorted contigs across chunks, a damaged
block) falls back to the serial reader, which reports it with exact line/record numbers. Each
block's CRC is checked: raw inflate alone would turn a flipped byte into plausible wrong text.
"""

from __future__ import annotations

import logging
import multiprocessing
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.genome import canonical_chrom
from ..errors import InputError
from ..schemas import col
from .duplicates import LEFT_ALIGN_WINDOW, DuplicateFilter
from .header import VcfHeader
from .normalise import BatchNormaliser
from .textreader import ArrowTextReader

log = logging.getLogger(__name__)

_BGZF_MAGIC = b"\x1f\x8b\x08\x04"
CHUNK_BYTES = 4 << 20  # compressed bytes per task: small enough to balance two workers
MIN_PARALLEL_BYTES = 16 << 20  # below this, process start-up costs more than it saves


class SerialFallback(Exception):
    """The parallel path cannot vouch for the result; rerun serially."""


def bgzf_block_offsets(path: str) -> list[int] | None:
    """Start offsets of every BGZF block plus the file size; None when the file is not BGZF."""
    offsets: list[int] = []
    pos = 0
    with open(path, "rb") as handle:
        while True:
            head = handle.read(18)
            if not head:
                break
            if len(head) < 18 or head[:4] != _BGZF_MAGIC or head[12:14] != b"BC":
                return None
            offsets.append(pos)
            pos += int.from_bytes(head[16:18], "little") + 1
            handle.seek(pos)
    offsets.append(pos)
    return offsets


@dataclass(frozen=True)
class Chunk:
    index: int
    blocks: tuple[int, ...]  # offsets of the block before the chunk (if any), its blocks, and its end
    has_before: bool
    file_end: int


@dataclass
class ChunkResult:
    index: int
    ipc: bytes | None  # normalised rows as an LZ4-compressed Arrow IPC stream (cheap to ship)
    counts: Counter
    contigs: list[tuple[str, int, int]]  # (contig, first pos, last pos) in file order


def plan_chunks(offsets: list[int], chunk_bytes: int = CHUNK_BYTES) -> list[Chunk]:
    chunks: list[Chunk] = []
    first = 0
    for i in range(1, len(offsets)):
        if offsets[i] - offsets[first] >= chunk_bytes or i == len(offsets) - 1:
            lo = max(0, first - 1)
            chunks.append(Chunk(len(chunks), tuple(offsets[lo: i + 1]), first > 0, offsets[-1]))
            first = i
    return chunks


def _inflate_blocks(data: bytes, offsets: tuple[int, ...]) -> list[bytes]:
    """Decompress consecutive BGZF blocks: raw deflate between the 18-byte header and 8-byte footer."""
    base = offsets[0]
    return [_inflate_block(data[a - base: b - base]) for a, b in zip(offsets, offsets[1:])]


def _inflate_block(block: bytes) -> bytes:
    """One BGZF block's text, checked against the CRC32 and length in its footer (zlib.error if not)."""
    text = zlib.decompress(block[18:-8], -15)
    if zlib.crc32(text) != int.from_bytes(block[-8:-4], "little") or len(text) != int.from_bytes(block[-4:], "little"):
        raise zlib.error("BGZF block fails its CRC check")
    return text


def _owned_text(path: str, chunk: Chunk) -> bytes:
    """The complete lines starting inside the chunk's blocks (headers dropped)."""
    with open(path, "rb") as handle:
        handle.seek(chunk.blocks[0])
        pieces = _inflate_blocks(handle.read(chunk.blocks[-1] - chunk.blocks[0]), chunk.blocks)
        before = pieces[0] if chunk.has_before else b""
        text = b"".join(pieces)
        begin = len(before)
        limit = len(text)
        if chunk.has_before:  # a line starts here only if the previous block ended with a newline
            cut = text.find(b"\n", begin - 1)
            begin = cut + 1 if cut >= 0 else limit
            if begin >= limit:  # one long line spans the whole chunk: its owner is earlier
                return b""
        stop = text.find(b"\n", limit - 1) if limit else -1
        pos = chunk.blocks[-1]
        while stop < 0 and pos < chunk.file_end:  # the last line continues into later blocks
            head = handle.read(18)
            size = int.from_bytes(head[16:18], "little") + 1
            text += _inflate_block(head + handle.read(size - 18))
            pos += size
            stop = text.find(b"\n", limit - 1)
        stop = len(text) if stop < 0 else stop + 1
    body = text[begin:stop]
    while body.startswith(b"#"):  # header lines (first chunk only)
        cut = body.find(b"\n")
        body = b"" if cut < 0 else body[cut + 1:]
    return body


# Set in the parent before forking; the workers inherit them.
_JOB: dict = {}


def _run_chunk(chunk: Chunk) -> ChunkResult:
    from .reference import Reference

    pa.set_cpu_count(1)  # one process per core already: Arrow's own thread pool would oversubscribe
    pa.set_io_thread_count(1)
    header, subset, layout, options, fasta = (_JOB[k] for k in ("header", "subset", "layout", "options", "fasta"))
    # each worker opens the FASTA itself: a handle inherited through fork shares its file offset
    reference = Reference(fasta) if fasta else None
    reader = ArrowTextReader(header, subset, layout, threads=1)
    n_samples = len(subset if subset is not None else header.samples)
    normaliser = BatchNormaliser(header, options, reference, n_samples)
    normaliser.verify_gzip = False  # the chunk's blocks passed their CRC checks
    batches, contigs = [], []
    try:
        text = _owned_text(header.path, chunk)
    except zlib.error as err:
        raise SerialFallback(f"chunk {chunk.index}: {err}") from None
    for raw in reader.parse_text(text):
        _track_contigs(contigs, raw)
        out = normaliser.normalise(raw)
        if out.num_rows:
            batches.append(out)
    return ChunkResult(chunk.index, _to_ipc(batches), normaliser.counts, contigs)


def _to_ipc(batches: list[pa.RecordBatch]) -> bytes | None:
    if not batches:
        return None
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.ipc.new_stream(sink, batches[0].schema, options=options) as stream:
        for batch in batches:
            stream.write_batch(batch)
    return sink.getvalue().to_pybytes()


def _track_contigs(contigs: list[tuple[str, int, int]], raw) -> None:
    encoded = pc.dictionary_encode(raw.chrom)
    names = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    cuts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]).tolist()
    for s, e in zip(cuts, cuts[1:] + [len(codes)]):
        name = names[codes[s]]
        if contigs and contigs[-1][0] == name:
            contigs[-1] = (name, contigs[-1][1], int(raw.pos[e - 1]))
        else:
            contigs.append((name, int(raw.pos[s]), int(raw.pos[e - 1])))


class _ContigOrder:
    """Sortedness across chunk boundaries (each worker checks inside its chunk)."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        self.current: str | None = None
        self.last = 0

    def add(self, contigs: list[tuple[str, int, int]]) -> None:
        for name, first, last in contigs:
            if name == self.current:
                if first < self.last:
                    raise SerialFallback(f"{name}:{first} after {name}:{self.last}")
            else:
                if name in self.done:
                    raise SerialFallback(f"{name} again")
                if self.current is not None:
                    self.done.add(self.current)
                self.current = name
            self.last = last


def parallel_tables(header: VcfHeader, subset: list[str] | None, layout, options,
                    offsets: list[int], processes: int, fasta: str | None = None
                    ) -> Iterator[tuple[pa.Table, Counter]]:
    """Normalised tables chunk by chunk, in file order, with variant_idx already global and the
    duplicates that straddle chunk boundaries dropped (each worker drops those inside its chunk)."""
    chunks = plan_chunks(offsets)
    _JOB.update(header=header, subset=subset, layout=layout, options=options, fasta=fasta)
    context = multiprocessing.get_context("fork")
    order = _ContigOrder()
    duplicates = DuplicateFilter(window=LEFT_ALIGN_WINDOW if fasta else 0)
    next_idx = 0
    try:
        with context.Pool(max(1, processes - 1)) as pool:  # the parent is the writer
            for result in pool.imap(_run_chunk, chunks):
                order.add(result.contigs)
                last = (canonical_chrom(result.contigs[-1][0]), result.contigs[-1][2]) if result.contigs else None
                table = pa.ipc.open_stream(result.ipc).read_all() if result.ipc is not None else None
                if table is None:
                    duplicates.duplicates(pa.array([], pa.string()), np.zeros(0, np.int64), pa.array([], pa.string()),
                                          pa.array([], pa.string()), np.zeros(0, np.int64), last)
                    yield None, result.counts
                    continue
                table = _drop_boundary_duplicates(table, duplicates, last, result.counts)
                table = table.set_column(0, col.variant_idx, pa.array(np.arange(next_idx, next_idx + table.num_rows)))
                next_idx += table.num_rows
                yield table, result.counts
    except InputError as err:
        raise SerialFallback(err.one_line()) from None
    finally:
        _JOB.clear()


def _drop_boundary_duplicates(table: pa.Table, duplicates: DuplicateFilter, last: tuple[str, int] | None,
                              counts: Counter) -> pa.Table:
    """The chunk's rows without copies of rows of earlier chunks, with the counts the serial read
    would have kept (dropped before sv_rows / hemizygous_calls were counted)."""
    chrom, ref, alt = (pc.cast(table.column(c), pa.string()).combine_chunks() for c in (col.chrom, col.ref, col.alt))
    dup = duplicates.duplicates(chrom, table.column(col.pos).to_numpy(), ref, alt,
                                table.column(col.sv_end).fill_null(-1).to_numpy(), last)
    if not dup.any():
        return table
    gone = table.filter(pa.array(dup))
    counts["dropped_duplicate"] += int(dup.sum())
    counts["sv_rows"] -= int(pc.sum(gone.column(col.is_sv).cast(pa.int64())).as_py() or 0)
    counts["hemizygous_calls"] -= int(pc.sum(pc.equal(pc.list_flatten(gone.column(col.zygosity)), 3)
                                             .cast(pa.int64())).as_py() or 0)
    return table.filter(pa.array(~dup))


def parallel_offsets(path: str, options) -> list[int] | None:
    """BGZF block offsets when a parallel read is worth it, else None.

    Needs 3+ threads: the parent spends one core on Parquet encoding, and on 2 cores the workers
    plus the parent measured slower than the serial reader with its background writer.
    """
    if options.threads < 3 or options.reader == "cyvcf2" or Path(path).stat().st_size < MIN_PARALLEL_BYTES:
        return None
    return bgzf_block_offsets(path)
