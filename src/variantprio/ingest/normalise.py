"""`BatchNormaliser`: one RawBatch of VCF records into VARIANTS rows, the same in the serial reader
and in each parallel worker (sort check, allele checks, split/remap/trim/left-align, quality
filters, exact duplicates), keeping the running counts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.alleles import is_symbolic, left_align, trim_alleles
from ..core.genome import canonical_chroms
from ..errors import InputError
from ..schemas import col
from .annotations import select_allele_entries
from .diagnose import damaged_instead
from .duplicates import LEFT_ALIGN_WINDOW, DuplicateFilter
from .header import VcfHeader
from .options import IngestOptions
from .reader import RawBatch
from .reference import Reference
from .split import check_allele_bases, drop_ref_equal_alt, remap_genotypes, split_multiallelic, uppercase_alleles

_INFO_COLUMNS = {"CSQ": col.info_csq, "ANN": col.info_ann, "BCSQ": col.info_bcsq}


class SortCheck:
    """Records must be sorted by position within a contig, and each contig in one block."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.done: set[str] = set()
        self.current: str | None = None
        self.last_pos = 0

    def check(self, raw: RawBatch) -> None:
        if not len(raw):
            return
        encoded = pc.dictionary_encode(raw.chrom)
        names = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        pos = raw.pos
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ends = np.r_[starts[1:], len(codes)]
        for s, e in zip(starts, ends):
            name = names[codes[s]]
            if name != self.current:
                if name in self.done:
                    self._fail(raw, s, f"contig {name} appears again after {self.current}")
                if self.current is not None:
                    self.done.add(self.current)
                self.current, self.last_pos = name, 0
            run = np.r_[self.last_pos, pos[s:e]]
            back = np.flatnonzero(np.diff(run) < 0)
            if len(back):
                i = s + back[0]
                self._fail(raw, i, f"{name}:{pos[i]} comes after {name}:{run[back[0]]}")
            self.last_pos = int(pos[e - 1])

    def _fail(self, raw: RawBatch, i: int, what: str) -> None:
        raise InputError(f"unsorted input: {what}", path=self.path, where=f"record {raw.record_no[i]}",
                         hint="sort it with `bcftools sort -Oz -o sorted.vcf.gz` and index it")


class BatchNormaliser:
    """RawBatch -> Arrow record batch of VARIANTS rows; keeps the running counts."""

    def __init__(self, header: VcfHeader, options: IngestOptions, reference: Reference | None,
                 n_samples: int) -> None:
        self.header = header
        self.options = options
        self.reference = reference
        self.n_samples = n_samples
        self.counts: Counter[str] = Counter()
        self.sort_check = SortCheck(header.path)
        self.duplicates = DuplicateFilter(window=LEFT_ALIGN_WINDOW if reference is not None else 0)
        self.next_idx = 0
        self.counts["records"] = 0
        self.verify_gzip = True  # parallel workers read CRC-checked blocks and set this False

    def normalise(self, raw: RawBatch) -> pa.RecordBatch:
        c = self.counts
        c["records"] += len(raw)
        self._check_records(raw)
        raw, uppercased = uppercase_alleles(raw)
        c["uppercased_alleles"] += uppercased
        rows = split_multiallelic(raw)
        c["dropped_spanning_deletion"] += rows.n_star
        c["dropped_gvcf_ref_block"] += rows.n_ref_block
        c["records_without_alt"] += rows.n_no_alt
        c["split_records"] += int((raw.n_alt > 1).sum())
        rows, c_same = drop_ref_equal_alt(raw, rows)
        c["dropped_ref_equals_alt"] += c_same
        rec = rows.record
        take = pa.array(rec, pa.int64())
        sv = is_symbolic(rows.alt)
        pos, ref, alt, trimmed = trim_alleles(raw.pos[rec], raw.ref.take(take), rows.alt, sv)
        c["trimmed"] += trimmed
        if self.reference is not None:
            chrom_names = raw.chrom.take(take).to_numpy(zero_copy_only=False)
            pos, ref, alt, moved = left_align(chrom_names, pos, ref, alt, sv, self.reference.fetch)
            c["left_aligned"] += moved
        geno = remap_genotypes(raw, rows)
        filters = raw.filters.take(take)
        keep = self._quality_mask(filters, geno)
        columns: dict[str, pa.Array | np.ndarray] = {
            col.chrom: _canonical_chroms(raw.chrom.take(take)), col.pos: pos, col.ref: ref, col.alt: alt,
            col.id: raw.ident.take(take), col.qual: raw.qual[rec], col.filter: filters, col.is_sv: sv,
            col.sv_end: np.where(sv, raw.end[rec], -1),
        }
        keep = self._drop_duplicates(raw, columns, keep)
        c["sv_rows"] += int((sv & keep).sum())
        c["hemizygous_calls"] += int((geno.zygosity[keep] == 3).sum())
        for key, name in _INFO_COLUMNS.items():
            info = raw.info.get(key)
            columns[name] = (select_allele_entries(info, self.header.info_formats.get(key, ""), key, raw, rec,
                                                   rows.allele)
                             if info is not None else pa.nulls(len(rec), pa.string()))
        return self._to_arrow(columns, geno, keep)

    def _check_records(self, raw: RawBatch) -> None:
        """Sort order, allele bases and (with a FASTA) REF; on failure, blame a damaged gzip block
        rather than the record when the data through this batch does not decompress cleanly."""
        try:
            self.sort_check.check(raw)
            check_allele_bases(raw, self.header.path)
            if self.reference is not None:
                self.reference.check_ref(raw.chrom.to_numpy(zero_copy_only=False), raw.pos,
                                         raw.ref.to_numpy(zero_copy_only=False), raw.record_no, self.header.path)
        except InputError as err:
            if not self.verify_gzip or not len(raw):
                raise
            raise damaged_instead(self.header, err, int(raw.record_no[-1])) from None

    def _drop_duplicates(self, raw: RawBatch, columns: dict, keep: np.ndarray) -> np.ndarray:
        """`keep` without rows copying a variant already kept (after the quality filters, so a
        failing first copy does not hide a passing second one)."""
        mask = pa.array(keep)
        last = (_canonical_chroms(raw.chrom.slice(len(raw) - 1)).to_pylist()[0], int(raw.pos[-1])) if len(raw) else None
        dup = self.duplicates.duplicates(columns[col.chrom].filter(mask), columns[col.pos][keep],
                                         columns[col.ref].filter(mask), columns[col.alt].filter(mask),
                                         columns[col.sv_end][keep], last)
        self.counts["dropped_duplicate"] += int(dup.sum())
        out = keep.copy()
        out[np.flatnonzero(keep)[dup]] = False
        return out

    def _quality_mask(self, filters: pa.Array, geno) -> np.ndarray:
        """Rows to keep: FILTER PASS (or '.') when pass_only, and at least one sample carrying the ALT
        with a call meeting min GQ / DP / allele balance (absent values do not fail)."""
        o, c = self.options, self.counts
        keep = np.ones(len(filters), dtype=bool)
        if o.pass_only:
            passing = pc.fill_null(pc.equal(filters, "PASS"), True).to_numpy(zero_copy_only=False)
            c["dropped_filter"] += int((~passing).sum())
            keep &= passing
        carrier = geno.gt >= 1
        stages = [("dropped_no_alt_call", carrier)]
        if o.min_gq > 0:
            stages.append(("dropped_low_gq", (geno.gq < 0) | (geno.gq >= o.min_gq)))
        if o.min_dp > 0:
            stages.append(("dropped_low_dp", (geno.dp < 0) | (geno.dp >= o.min_dp)))
        if o.min_ab > 0:
            ab = np.where(geno.ad_total > 0, geno.ad_alt / np.maximum(geno.ad_total, 1), np.nan)
            het = geno.zygosity == 1
            stages.append(("dropped_low_allele_balance", ~het | np.isnan(ab) | (geno.ad_alt < 0) | (ab >= o.min_ab)))
        calls = np.ones_like(carrier)
        for name, ok in stages:
            calls = calls & ok
            row_ok = calls.any(axis=1) if self.n_samples else np.ones(len(keep), bool)
            c[name] += int((keep & ~row_ok).sum())
            keep &= row_ok
        return keep

    def _to_arrow(self, columns: dict, geno, keep: np.ndarray) -> pa.RecordBatch:
        n = int(keep.sum())
        mask = pa.array(keep)
        arrays: dict[str, pa.Array] = {col.variant_idx: pa.array(np.arange(self.next_idx, self.next_idx + n))}
        self.next_idx += n
        for name in (col.chrom, col.ref, col.alt, col.id, col.filter):
            arrays[name] = columns[name].filter(mask)
        arrays[col.pos] = pa.array(columns[col.pos][keep].astype(np.int64))
        qual = columns[col.qual][keep]
        arrays[col.qual] = pa.array(qual, pa.float32(), mask=np.isnan(qual))
        arrays[col.is_sv] = pa.array(columns[col.is_sv][keep])
        sv_end = columns[col.sv_end][keep]
        arrays[col.sv_end] = pa.array(sv_end, pa.int64(), mask=sv_end < 0)
        per_sample = {col.gt: (geno.gt, pa.int8(), False), col.zygosity: (geno.zygosity, pa.int8(), False),
                      col.phased: (geno.phased, pa.bool_(), False), col.ps: (geno.ps, pa.int64(), True),
                      col.alt_hap: (geno.alt_hap, pa.int8(), False),
                      col.dp: (geno.dp, pa.int32(), True), col.gq: (geno.gq, pa.int32(), True),
                      col.ad_ref: (geno.ad_ref, pa.int32(), True), col.ad_alt: (geno.ad_alt, pa.int32(), True)}
        rows = slice(None) if n == len(keep) else keep  # all kept (usual in a cohort): no copies
        for name, (values, type_, nullable) in per_sample.items():
            arrays[name] = _list_column(values[rows], type_, nullable)
        for name in _INFO_COLUMNS.values():
            arrays[name] = columns[name].filter(mask)
        return pa.RecordBatch.from_pydict(arrays)


def _canonical_chroms(chrom: pa.Array) -> pa.Array:
    """UCSC-style names, converting each distinct contig name once."""
    encoded = pc.dictionary_encode(chrom)
    mapped = pa.array(canonical_chroms(np.array(encoded.dictionary.to_pylist(), dtype=object)).tolist()
                      if len(encoded.dictionary) else [], pa.string())
    return mapped.take(encoded.indices)


def _list_column(values: np.ndarray, type_: pa.DataType, nullable: bool) -> pa.Array:
    """(rows, samples) array -> list<type> column with one element per sample; -1 -> null if nullable.

    The validity bitmap is packed here, and only when a value is missing: `pa.array(mask=...)`
    took ~10x longer for the same bits, on every per-sample column of every batch."""
    rows, n_samples = values.shape
    flat = values.reshape(-1)
    inner = pa.array(flat, type_)
    if nullable and flat.dtype.kind in "iu":
        missing = flat < 0
        nulls = int(np.count_nonzero(missing))
        if nulls:
            valid = pa.py_buffer(np.packbits(~missing, bitorder="little"))
            inner = pa.Array.from_buffers(type_, len(flat), [valid, inner.buffers()[1]], null_count=nulls)
    offsets = pa.array(np.arange(rows + 1, dtype=np.int32) * n_samples)
    return pa.ListArray.from_arrays(offsets, inner)
