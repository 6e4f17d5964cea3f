"""Gene-model types: one row per transcript with its exons, CDS span, gene and MANE flag.

`GeneModel` is the table plus where it came from; `ModelArrays` its numpy views for vectorised
lookups; `transcripts_table` is how every builder (GTF/GFF3, reference tables) makes the table.
Loading, building and caching live in `annotate.genemodel`. Coordinates are 1-based and inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa

from .genome import canonical_chroms, normalise_build

KEY_SHIFT = np.int64(32)  # CodingIndex.key: transcript << KEY_SHIFT | CDS bases before the exon

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
    def coding(self) -> "CodingIndex":
        """CDS offsets per exon, built on first use (protein consequences need them)."""
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


@dataclass
class CodingIndex:
    """Per exon: CDS bases before it in its transcript (genomic order) and its CDS length."""

    before: np.ndarray
    length: np.ndarray
    total: np.ndarray  # per transcript: CDS length
    key: np.ndarray  # transcript << 32 | before, for mapping CDS offsets back to exons

    @classmethod
    def build(cls, m: ModelArrays) -> "CodingIndex":
        tx = np.repeat(np.arange(len(m.start), dtype=np.int64), np.diff(m.exon_offsets))
        lo, hi = m.cds_start[tx], m.cds_end[tx]
        length = np.where(lo > 0, np.clip(np.minimum(m.exon_end, hi) - np.maximum(m.exon_start, lo) + 1, 0, None), 0)
        excl = np.cumsum(length) - length
        first = m.exon_offsets[:-1]
        base = np.where(first < len(excl), excl[np.minimum(first, len(excl) - 1)], 0)
        before = excl - base[tx]
        total = np.add.reduceat(length, first) if len(length) else np.zeros(0, np.int64)
        total = np.where(np.diff(m.exon_offsets) > 0, total, 0)
        return cls(before, length, total, (tx << KEY_SHIFT) + before)


# --- construction helpers shared by the builders -------------------------------------------------


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
    m = _RELEASE.search(text)
    release = f"{m.group(1).lower()}{m.group(2)}" if m else ""
    b = _BUILD.search(text)
    return release, normalise_build(b.group(1)) if b else None
