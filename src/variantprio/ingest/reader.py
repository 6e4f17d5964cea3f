"""Read VCF/BCF records with cyvcf2 into `RawBatch`es: one row per record, numpy per-sample arrays.

The per-record loop only copies what htslib already parsed; all normalisation happens per batch
in `normalise.py` on whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa

from ..errors import InputError
from .header import VcfHeader
from .htslog import htslib_messages

# htslib's int32 sentinels: missing value and end-of-vector padding.
_INT32_MISSING = np.iinfo(np.int32).min
_INT32_VECTOR_END = _INT32_MISSING + 1


@dataclass
class RawBatch:
    """Records as read, before splitting. Missing per-sample values are -1; allele padding is -2."""

    record_no: np.ndarray  # int64, 1-based ordinal of the record in the file
    chrom: pa.Array  # string, as named in the file
    pos: np.ndarray  # int64
    ident: pa.Array  # string, null for '.'
    ref: pa.Array  # string
    n_alt: np.ndarray  # int64 number of ALT alleles per record (0 for '.')
    alt_flat: pa.Array  # string: all ALT alleles of the batch, record after record
    qual: np.ndarray  # float32, NaN for '.'
    filters: pa.Array  # string: 'PASS', 'a;b', null for '.'
    end: np.ndarray  # int64, 1-based END (INFO/END for symbolic alleles, else POS+len(REF)-1)
    info: dict[str, pa.Array]  # CSQ/ANN/BCSQ raw strings, null when absent
    gt: np.ndarray  # int16 (n, samples, ploidy): allele index, -1 missing, -2 no such allele (haploid)
    phased: np.ndarray  # bool (n, samples)
    ad: np.ndarray  # int32 (n, samples, alleles): AD per allele (Number=R), -1 missing
    dp: np.ndarray  # int32 (n, samples)
    gq: np.ndarray  # int32 (n, samples)
    ps: np.ndarray  # int64 (n, samples)

    def __len__(self) -> int:
        return len(self.pos)

    def alts_of(self, record: int) -> list[str]:
        """ALT alleles of one record (for the rare per-record string work)."""
        start = int(self.alt_start[record])
        return self.alt_flat.slice(start, int(self.n_alt[record])).to_pylist()

    @property
    def alt_start(self) -> np.ndarray:
        return np.cumsum(self.n_alt) - self.n_alt


def _stack_padded(arrays: list[np.ndarray], n_samples: int, fill: int, dtype) -> np.ndarray:
    """Stack (samples, k) arrays of varying k into (n, samples, max k), padding with `fill`."""
    width = max((a.shape[1] for a in arrays), default=1)
    out = np.full((len(arrays), n_samples, width), fill, dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, :, : a.shape[1]] = a
    return out


def _clean_ints(values: np.ndarray, dtype=np.int32) -> np.ndarray:
    """htslib missing/vector-end sentinels -> -1; floats (e.g. GQ Type=Float) rounded."""
    if values.dtype.kind == "f":
        out = np.where(np.isnan(values), -1, np.rint(values))
        return out.astype(dtype)
    out = values.astype(dtype)
    out[(values == _INT32_MISSING) | (values == _INT32_VECTOR_END)] = -1
    return out


class CyvcfReader:
    """Iterate over a VCF/BCF in `RawBatch`es of `batch_size` records (memory bounded by it)."""

    def __init__(self, header: VcfHeader, samples: list[str] | None, batch_size: int = 20_000,
                 threads: int = 1, region: str | None = None) -> None:
        self.header = header
        self.samples = samples
        self.batch_size = batch_size
        self.threads = threads
        self.region = region
        self.records_read = 0
        self.last_record: tuple[str, int] | None = None

    def __iter__(self) -> Iterator[RawBatch]:
        from cyvcf2 import VCF

        path = self.header.path
        with htslib_messages() as messages:
            try:
                vcf = VCF(path, samples=self.samples, lazy=True, threads=max(1, self.threads))
                source = vcf(self.region) if self.region else vcf
                yield from self._batches(vcf, source)
            except InputError:
                raise
            except Exception as err:  # cyvcf2 raises bare Exception on htslib parse errors
                raise self._parse_error(messages.last_error() or str(err)) from None

    def _batches(self, vcf, source) -> Iterator[RawBatch]:
        wanted = [f for f in ("AD", "DP", "GQ", "PS") if f in self.header.format_types]
        info_keys = [k for k in ("CSQ", "ANN", "BCSQ") if k in self.header.info_ids]
        n_samples = len(vcf.samples)
        buf = _Buffers(wanted, info_keys)
        for v in source:
            buf.add(v)
            if len(buf.pos) >= self.batch_size:
                yield self._flush(buf, n_samples)
                buf = _Buffers(wanted, info_keys)
        if buf.pos:
            yield self._flush(buf, n_samples)

    def _flush(self, buf: "_Buffers", n_samples: int) -> RawBatch:
        n = len(buf.pos)
        first = self.records_read + 1
        self.records_read += n
        self.last_record = (buf.chrom[-1], buf.pos[-1])
        return buf.to_batch(first, n_samples)

    def _parse_error(self, detail: str) -> InputError:
        from .diagnose import diagnose_parse_error

        return diagnose_parse_error(self.header, detail, self.records_read)


class _Buffers:
    """Per-batch Python lists that the record loop appends to."""

    def __init__(self, formats: list[str], info_keys: list[str]) -> None:
        self.formats = formats
        self.info_keys = info_keys
        self.chrom: list[str] = []
        self.pos: list[int] = []
        self.ident: list[str | None] = []
        self.ref: list[str] = []
        self.alts: list[list[str]] = []
        self.qual: list[float | None] = []
        self.filters: list[list[str]] = []
        self.end: list[int] = []
        self.info: dict[str, list] = {k: [] for k in info_keys}
        self.gt: list[np.ndarray] = []
        self.fmt: dict[str, list] = {k: [] for k in formats}

    def add(self, v) -> None:
        self.chrom.append(v.CHROM)
        self.pos.append(v.POS)
        self.ident.append(v.ID)
        self.ref.append(v.REF)
        self.alts.append(v.ALT)
        self.qual.append(v.QUAL)
        self.filters.append(v.FILTERS)
        self.end.append(v.end)
        for key in self.info_keys:
            self.info[key].append(v.INFO.get(key))
        try:
            genotype = v.genotype
        except Exception:  # cyvcf2 raises when a record's FORMAT has no GT
            genotype = None
        self.gt.append(genotype.array() if genotype is not None else None)
        for key in self.formats:
            self.fmt[key].append(v.format(key))

    def to_batch(self, first_record: int, n_samples: int) -> RawBatch:
        n = len(self.pos)
        gt, phased = self._genotypes(n, n_samples)
        return RawBatch(
            record_no=np.arange(first_record, first_record + n, dtype=np.int64),
            chrom=pa.array(self.chrom, pa.string()),
            pos=np.array(self.pos, dtype=np.int64),
            ident=pa.array(self.ident, pa.string()),
            ref=pa.array(self.ref, pa.string()),
            n_alt=np.fromiter((len(a) for a in self.alts), dtype=np.int64, count=n),
            alt_flat=pa.array([a for alts in self.alts for a in alts], pa.string()),
            qual=np.array([np.nan if q is None else q for q in self.qual], dtype=np.float32),
            filters=pa.array([";".join(f) if f else None for f in self.filters], pa.string()),
            end=np.array(self.end, dtype=np.int64),
            info={k: pa.array([_info_text(x) for x in vals], pa.string()) for k, vals in self.info.items()},
            gt=gt,
            phased=phased,
            ad=self._per_sample("AD", n, n_samples),
            dp=self._per_sample("DP", n, n_samples)[:, :, 0],
            gq=self._per_sample("GQ", n, n_samples)[:, :, 0],
            ps=self._per_sample("PS", n, n_samples, dtype=np.int64)[:, :, 0],
        )

    def _genotypes(self, n: int, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
        if n_samples == 0 or not self.gt or any(g is None for g in self.gt):
            gts = [g if g is not None else _no_genotype(n_samples) for g in self.gt]
        else:
            gts = self.gt
        if not gts:
            return np.zeros((0, n_samples, 2), np.int16), np.zeros((0, n_samples), bool)
        # cyvcf2: last column is the phase flag, the others allele indices (-1 missing, -2 padding)
        phase_col = [g[:, -1:] for g in gts]
        alleles = [g[:, :-1] for g in gts]
        gt = _stack_padded(alleles, n_samples, -2, np.int16)
        phased = _stack_padded(phase_col, n_samples, 0, np.int16)[:, :, 0].astype(bool)
        # htslib marks haploid calls as phased; a single allele has no phase.
        phased &= (gt != -2).sum(axis=2) > 1
        return gt, phased

    def _per_sample(self, key: str, n: int, n_samples: int, dtype=np.int32) -> np.ndarray:
        """(records, samples, values) of one FORMAT field, -1 where missing or absent."""
        values = self.fmt.get(key)
        if values is None:
            return np.full((n, n_samples, 1), -1, dtype)
        arrays = [_clean_ints(a, dtype) if a is not None else np.full((n_samples, 1), -1, dtype)
                  for a in values]
        return _stack_padded(arrays, n_samples, -1, dtype)


def _no_genotype(n_samples: int) -> np.ndarray:
    """A record without FORMAT/GT: two missing alleles per sample, unphased (cyvcf2 layout)."""
    out = np.full((n_samples, 3), -1, np.int16)
    out[:, -1] = 0
    return out


def _info_text(value) -> str | None:
    """cyvcf2 gives a str for Number=. strings, a tuple for Number=A: keep the raw comma form."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return ",".join(str(x) for x in value)
    return str(value)
