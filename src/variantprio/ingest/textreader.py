"""Columnar reader for text VCF (plain, gzip, bgzip; BCF through `bcftools view`), producing the
same `RawBatch`es as the cyvcf2 reader.

Why: a per-record loop through cyvcf2 costs several microseconds per record, ~20x `bcftools view`
on a genome; here Python only loops over blocks of text. `textlines` cuts a block into lines and
columns at its tabs, fixed columns become Arrow strings, and `formatfields` decodes the sample
cells of all samples at once. cyvcf2 stays the reference parser (the tests run every fixture
through both) and the fallback for BCF without bcftools.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .diagnose import diagnose_parse_error
from .header import VcfHeader
from .formatfields import SampleCells, allele_depths, genotypes, integers, missing_to_null
from .reader import RawBatch
from .textlines import ColumnText, line_blocks, line_layout, text_stream

T = TypeVar("T")
R = TypeVar("R")

def text_layout(path: str) -> tuple[int, list[str]] | None:
    """(number of header lines, #CHROM column names) of a text VCF; None for BCF."""
    with open(path, "rb") as handle:
        magic = handle.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        if handle.read(3) == "BCF":
            return None
        handle.seek(0)
        for n, line in enumerate(handle, start=1):
            if line.startswith("#CHROM"):
                return n, line[1:].rstrip("\r\n").split("\t")
            if not line.startswith("#"):
                break
    return None


class ArrowTextReader:
    """Iterate over a text VCF in `RawBatch`es of about `block_bytes` of text each."""

    def __init__(self, header: VcfHeader, samples: list[str] | None, layout: tuple[int, list[str]],
                 block_bytes: int = 8 << 20, threads: int = 1) -> None:
        self.header = header
        self.header_lines, self.columns = layout
        self.samples = list(samples) if samples is not None else list(header.samples)
        self.block_bytes = block_bytes
        self.threads = threads
        self.records_read = 0
        self.info_keys = [k for k in ("CSQ", "ANN", "BCSQ") if k in header.info_ids]

    def __iter__(self) -> Iterator[RawBatch]:
        try:
            with text_stream(self.header.path, self.threads) as stream:
                yield from self._parse(stream, True)
        except OSError as err:  # the decompressor failed at the end of its output
            raise diagnose_parse_error(self.header, f"compressed data: {err}", self.records_read) from None

    def parse_bcf(self, bcftools: str) -> Iterator[RawBatch]:
        """RawBatches from a BCF decoded to text by `bcftools view` (htslib's own BCF decoder),
        which is several times faster than a per-record loop through cyvcf2."""
        cmd = [bcftools, "view", "--no-version", "-H", "-Ov", "--threads", str(max(0, self.threads - 1)),
               self.header.path]
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
            try:
                yield from self._parse(proc.stdout, False)
            finally:
                proc.stdout.close()
                code = proc.wait()
            if code != 0:
                errors.seek(0)
                lines = [l for l in errors.read().decode("utf-8", "replace").splitlines() if l.strip()]
                raise diagnose_parse_error(self.header, f"bcftools: {lines[-1] if lines else code}",
                                           self.records_read)

    def parse_text(self, data: bytes) -> Iterator[RawBatch]:
        """RawBatches from in-memory data lines (no header), e.g. one chunk of a parallel read."""
        yield from self._parse(pa.BufferReader(data), False)

    def _parse(self, stream, skip_header: bool) -> Iterator[RawBatch]:
        """RawBatches in file order. With 2+ threads, blocks are decoded on threads - 1 worker threads
        (numpy and Arrow release the GIL for the array work) while this thread reads ahead and the
        caller normalises; more decoding threads measured no faster on 2 cores, only costlier."""
        blocks = line_blocks(stream, self.block_bytes, skip_header)
        try:
            for batch in _in_order(self._raw_batch, blocks, self.threads - 1):
                if batch is None:
                    continue
                batch.record_no += self.records_read
                self.records_read += len(batch)
                yield batch
        except pa.ArrowInvalid as err:  # a parse error is diagnosed from its batch's first line
            raise diagnose_parse_error(self.header, str(err).splitlines()[0], self.records_read) from None
        except (OSError, EOFError) as err:
            raise diagnose_parse_error(self.header, f"compressed data: {err}", self.records_read) from None

    def _raw_batch(self, block: bytes) -> RawBatch | None:
        """The records of one block of whole lines (record_no counted from 1 within the block)."""
        lines = line_layout(block)
        n = len(lines.start)
        if not n:
            return None
        column = ColumnText(lines, self.columns)
        pos = _to_int64(column.strings("POS"))
        ref = column.strings("REF")
        alt_col = column.strings("ALT")
        alt_lists = pc.split_pattern(alt_col, ",")
        no_alt = pc.equal(alt_col, ".").to_numpy(zero_copy_only=False)
        n_alt = np.where(no_alt, 0, pc.list_value_length(alt_lists).to_numpy(zero_copy_only=False))
        alt_flat = pc.list_flatten(alt_lists)
        if no_alt.any():
            alt_flat = alt_flat.filter(pa.array(np.repeat(~no_alt, pc.list_value_length(alt_lists).to_numpy())))
        end = pos + pc.utf8_length(ref).to_numpy(zero_copy_only=False).astype(np.int64) - 1
        symbolic = pc.match_substring_regex(alt_col, r"[<\[\]]").to_numpy(zero_copy_only=False)
        # INFO is read for END and CSQ/ANN/BCSQ, and checked to be UTF-8 whenever text is not ASCII
        info = column.strings("INFO") if symbolic.any() or self.info_keys or not column.ascii else None
        if symbolic.any():
            rows = np.flatnonzero(symbolic)
            found = _info_values(info.take(pa.array(rows)), "END")
            has = found.is_valid().to_numpy(zero_copy_only=False)
            end[rows[has]] = _to_int64(found.filter(pa.array(has)))
        gt, phased, ad, dp, gq, ps = self._samples(column, n)
        return RawBatch(
            record_no=np.arange(1, n + 1, dtype=np.int64),
            chrom=column.strings("CHROM"),
            pos=pos,
            ident=_dot_to_null(column.strings("ID")),
            ref=ref,
            n_alt=n_alt.astype(np.int64),
            alt_flat=alt_flat,
            qual=_to_float(column.strings("QUAL")),
            filters=_dot_to_null(column.strings("FILTER")),
            end=end,
            info={k: _info_values(info, k) for k in self.info_keys},
            gt=gt, phased=phased, ad=ad, dp=dp, gq=gq, ps=ps,
        )

    def _samples(self, column: ColumnText, n: int):
        n_samples = len(self.samples) if self.header.samples else 0
        if n_samples == 0:
            empty = np.zeros((n, 0), np.int32)
            return (np.zeros((n, 0, 2), np.int16), np.zeros((n, 0), bool), np.zeros((n, 0, 1), np.int32),
                    empty, empty, empty.astype(np.int64))
        keys = _format_key_index(column.strings("FORMAT"), ("GT", "AD", "DP", "GQ", "PS"))
        start, end = column.cells(self.samples)
        cells = SampleCells(column.text, start, end, n_samples)
        alleles, phased = genotypes(cells, cells.field(keys["GT"]))
        ad = allele_depths(cells, cells.field(keys["AD"]))
        dp, gq = (integers(cells, cells.field(keys[k]), np.int32) for k in ("DP", "GQ"))
        ps = integers(cells, cells.field(keys["PS"]), np.int64)
        return tuple(cells.by_record(a) for a in (alleles, phased, ad, dp, gq, ps))


def _in_order(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`work` of each item, in order: in this thread (workers < 1), or on `workers` threads while
    this one goes on reading items (at most workers + 1 results wait: memory stays bounded)."""
    if workers < 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="variantprio-parse") as pool:
        pending: deque[Future] = deque()
        try:
            for item in items:
                pending.append(pool.submit(work, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _format_key_index(fmt: pa.Array, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per row, the position of each FORMAT key (-1 when absent); FORMAT strings repeat, so each
    distinct one is looked at once."""
    encoded = pc.dictionary_encode(fmt)
    layouts = [s.split(":") for s in encoded.dictionary.to_pylist()]
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    out = {}
    for key in keys:
        table = np.array([layout.index(key) if key in layout else -1 for layout in layouts], dtype=np.int64)
        out[key] = table[codes] if len(table) else np.full(len(codes), -1, np.int64)
    return out


def _info_values(info: pa.Array, key: str) -> pa.Array:
    """Raw value of one INFO key per row (null when absent)."""
    if not len(info):
        return pa.array([], pa.string())
    found = pc.extract_regex(info, rf"(?:^|;){re.escape(key)}=(?P<v>[^;]*)")
    # pc.struct_field keeps the struct's nulls (rows without the key); .field() would not
    return pc.struct_field(found, "v")


def _dot_to_null(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(column, "."), pa.scalar(None, pa.string()), column)


def _to_int64(column: pa.Array) -> np.ndarray:
    try:
        return pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, TypeError) as err:
        raise pa.ArrowInvalid(f"non-numeric POS/END ({err})") from None


def _to_float(column: pa.Array) -> np.ndarray:
    values = pc.cast(missing_to_null(column), pa.float32())
    return values.fill_null(np.nan).to_numpy(zero_copy_only=False)
