"""`ingest_vcf`: VCF/BCF in, the VARIANTS table out (streamed in batches, written atomically)."""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..core.genome import canonical_chroms
from ..tables import Provenance, TableWriter
from .alleles import (check_allele_bases, drop_ref_equal_alt, is_symbolic, left_align, remap_genotypes,
                      split_multiallelic, trim_alleles, uppercase_alleles)
from .annotations import select_allele_entries
from .diagnose import damaged_instead
from .duplicates import LEFT_ALIGN_WINDOW, DuplicateFilter
from .header import VcfHeader, first_record_formats, read_header, resolve_build
from .parallel import SerialFallback, parallel_offsets, parallel_tables
from .reader import CyvcfReader, RawBatch
from .reference import Reference
from .samples import choose_samples, ped_individuals
from .textreader import ArrowTextReader, text_layout

log = logging.getLogger(__name__)

_INFO_COLUMNS = {"CSQ": "info_csq", "ANN": "info_ann", "BCSQ": "info_bcsq"}
# Dropped rows that point at a problem in the input: logged as warnings, not just counted.
_WARNED_DROPS = {
    "dropped_ref_equals_alt": "ALT rows equal to their REF (not variants)",
    "dropped_duplicate": "later copies of a CHROM/POS/REF/ALT already kept (exact duplicates)",
}


@dataclass(frozen=True)
class IngestOptions:
    """What to read and which calls to keep (config `ingest:` plus CLI options)."""

    samples: tuple[str, ...] | None = None
    ped: str | None = None
    fasta: str | None = None
    build: str | None = None
    pass_only: bool = True
    min_gq: int = 0
    min_dp: int = 0
    min_ab: float = 0.0
    threads: int = 1
    batch_size: int = 5_000  # records per parsed batch: memory scales with it, speed hardly
    # "auto"/"arrow": columnar reader (text VCF directly, BCF through `bcftools view`);
    # "cyvcf2": per-record htslib reader, the reference the tests compare against
    reader: str = "auto"


@dataclass
class IngestSummary:
    """What an ingestion wrote, with the counts that also go into the file's provenance."""

    out_path: Path
    samples: list[str]
    genome_build: str
    records: int
    rows: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def ingest_vcf(vcf_path: str | Path, out_path: str | Path, options: IngestOptions) -> IngestSummary:
    """Normalise a VCF/BCF into a VARIANTS Parquet; InputError (and no output) on bad input."""
    started = time.perf_counter()
    vcf_path = str(vcf_path)
    header = read_header(vcf_path)
    ped_ids = ped_individuals(options.ped) if options.ped else None
    samples = choose_samples(header.samples, list(options.samples) if options.samples else None,
                             ped_ids, vcf_path, options.ped)
    require_gt_field(header, samples)
    build, how = resolve_build(header, options.build)
    if how == "default":
        log.warning("%s: genome build not told by contig lengths or ##reference; assuming GRCh38", vcf_path)
    else:
        log.info("%s: genome build %s (%s); %d of %d samples", vcf_path, build, how, len(samples),
                 len(header.samples))
    reference = Reference(options.fasta) if options.fasta else None
    provenance = Provenance(genome_build=build, samples=samples,
                            extra={"source_vcf": vcf_path, "info_formats": header.info_formats,
                                   "build_from": how})
    subset = samples if samples != header.samples else None
    written = None
    offsets = parallel_offsets(vcf_path, options)
    layout = text_layout(vcf_path) if offsets else None
    if offsets and layout:
        try:
            written = _write_parallel(header, subset, layout, options, offsets, out_path, provenance)
        except SerialFallback as why:
            log.info("parallel read stopped (%s): reading serially for an exact diagnosis", why)
    if written is None:
        written = _write_serial(header, samples, options, reference, out_path, provenance)
    rows, counts = written
    summary = IngestSummary(Path(out_path), samples, build, counts["records"], rows, counts,
                            time.perf_counter() - started)
    _log_summary(summary)
    return summary


def _write_serial(header: VcfHeader, samples: list[str], options: IngestOptions, reference: Reference | None,
                  out_path: str | Path, provenance: Provenance) -> tuple[int, dict[str, int]]:
    normaliser = BatchNormaliser(header, options, reference, len(samples))
    writer = TableWriter(out_path, "variants", provenance)
    try:
        write_in_background(writer, normaliser.run(open_reader(header, samples, options)))
    except BaseException:
        writer.abort()
        raise
    return _close(writer, provenance, dict(normaliser.counts), options)


def _write_parallel(header: VcfHeader, subset: list[str] | None, layout, options: IngestOptions,
                    offsets: list[int], out_path: str | Path,
                    provenance: Provenance) -> tuple[int, dict[str, int]]:
    counts: Counter[str] = Counter()
    writer = TableWriter(out_path, "variants", provenance)
    try:
        for table, chunk_counts in parallel_tables(header, subset, layout, options, offsets,
                                                   processes=options.threads):
            counts.update(chunk_counts)
            if table is not None:
                writer.write(table)
    except BaseException:
        writer.abort()
        raise
    return _close(writer, provenance, dict(counts), options)


def _close(writer: TableWriter, provenance: Provenance, counts: dict[str, int], options: IngestOptions
           ) -> tuple[int, dict[str, int]]:
    counts.setdefault("records", 0)
    provenance.extra.update({"counts": counts, "options": _options_record(options)})
    writer.close(provenance)
    return writer.rows, counts


def write_in_background(writer: TableWriter, batches: Iterable[pa.RecordBatch], depth: int = 4,
                        row_group_rows: int = 65_536) -> None:
    """Write batches on a second thread (Parquet encoding releases the GIL) while the next batch is
    parsed, gathering small parse batches into row groups of about `row_group_rows`; errors on
    either side stop both and are raised here."""
    pending: queue.Queue = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []

    def consume() -> None:
        gathered: list[pa.RecordBatch] = []
        rows = 0
        while True:
            batch = pending.get()
            if batch is not None:
                gathered.append(batch)
                rows += batch.num_rows
            if gathered and (batch is None or rows >= row_group_rows) and not failure:
                try:
                    writer.write(pa.Table.from_batches(gathered))
                except BaseException as err:  # re-raised in the producing thread below
                    failure.append(err)
                gathered, rows = [], 0
            if batch is None:
                return

    thread = threading.Thread(target=consume, name="variantprio-ingest-writer", daemon=True)
    thread.start()
    try:
        for batch in batches:
            if failure:
                break
            pending.put(batch)
    finally:
        pending.put(None)
        thread.join()
    if failure:
        raise failure[0]


def open_reader(header: VcfHeader, samples: list[str], options: IngestOptions) -> Iterable[RawBatch]:
    """The columnar reader for VCF text (and for BCF through `bcftools view` when bcftools is
    installed); cyvcf2 otherwise or when asked for."""
    subset = samples if samples != header.samples else None
    if options.reader == "cyvcf2":
        return CyvcfReader(header, subset, batch_size=options.batch_size, threads=options.threads)
    # ~400 bytes of text per record for a few samples: blocks of about batch_size records
    block = max(1 << 16, min(16 << 20, options.batch_size * (200 + 60 * max(1, len(samples)))))
    layout = text_layout(header.path)
    if layout is not None:
        return ArrowTextReader(header, subset, layout, block_bytes=block, threads=options.threads)
    bcftools = shutil.which("bcftools")
    if bcftools is not None:
        columns = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
        columns += ["FORMAT", *header.samples] if header.samples else []
        reader = ArrowTextReader(header, subset, (0, columns), block_bytes=block, threads=options.threads)
        return reader.parse_bcf(bcftools)
    if options.reader == "arrow":
        raise InputError("reading BCF with the arrow reader needs bcftools on PATH", path=header.path,
                         hint="install bcftools, or convert the BCF to VCF")
    log.info("bcftools not found: reading the BCF with cyvcf2 (slower)")
    return CyvcfReader(header, subset, batch_size=options.batch_size, threads=options.threads)


def _options_record(options: IngestOptions) -> dict:
    return {"pass_only": options.pass_only, "min_gq": options.min_gq, "min_dp": options.min_dp,
            "min_ab": options.min_ab, "fasta": options.fasta}


def require_gt_field(header: VcfHeader, samples: list[str]) -> None:
    """Samples without a GT field cannot carry anything: fail before reading rather than write an
    empty table that reads as 'no candidate'. A text VCF is judged by the FORMAT of its first
    records (GT may be used undeclared, or declared but never written); a BCF by its header."""
    if not samples:
        return
    formats = first_record_formats(header.path)
    if formats:
        has_gt = any("GT" in fmt.split(":") for fmt in formats)
    else:
        has_gt = "GT" in header.format_types
    if not has_gt:
        raise InputError(f"no GT field: genotypes are needed to tell which of the {len(samples)} samples "
                         "carry each variant, but " + (f"FORMAT is {formats[0]!r}" if formats
                                                       else "the header declares no FORMAT/GT"),
                         path=header.path, hint="use the caller's genotyped VCF (FORMAT starting with GT); "
                                                "a sites-only VCF has no sample columns")


def _log_summary(summary: IngestSummary) -> None:
    c = summary.counts
    log.info("read %d records: wrote %d variant rows in %.1fs", summary.records, summary.rows, summary.seconds)
    for key, what in _WARNED_DROPS.items():
        if c.get(key):
            log.warning("dropped %d %s", c[key], what)
    dropped = {k: v for k, v in c.items() if k.startswith("dropped_") and v and k not in _WARNED_DROPS}
    if dropped:
        log.info("dropped ALT rows: %s", ", ".join(f"{k[8:]}={v}" for k, v in dropped.items()))
    for key in ("uppercased_alleles", "split_records", "trimmed", "left_aligned", "sv_rows", "hemizygous_calls"):
        if c.get(key):
            log.info("%s: %d", key, c[key])


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

    def run(self, batches: Iterable[RawBatch]) -> Iterator[pa.RecordBatch]:
        for raw in batches:
            out = self.normalise(raw)
            if out.num_rows:
                yield out

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
            "chrom": _canonical_chroms(raw.chrom.take(take)), "pos": pos, "ref": ref, "alt": alt,
            "id": raw.ident.take(take), "qual": raw.qual[rec], "filter": filters, "is_sv": sv,
            "sv_end": np.where(sv, raw.end[rec], -1),
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
        dup = self.duplicates.duplicates(columns["chrom"].filter(mask), columns["pos"][keep],
                                         columns["ref"].filter(mask), columns["alt"].filter(mask),
                                         columns["sv_end"][keep], last)
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
        arrays: dict[str, pa.Array] = {"variant_idx": pa.array(np.arange(self.next_idx, self.next_idx + n))}
        self.next_idx += n
        for name in ("chrom", "ref", "alt", "id", "filter"):
            arrays[name] = columns[name].filter(mask)
        arrays["pos"] = pa.array(columns["pos"][keep].astype(np.int64))
        qual = columns["qual"][keep]
        arrays["qual"] = pa.array(qual, pa.float32(), mask=np.isnan(qual))
        arrays["is_sv"] = pa.array(columns["is_sv"][keep])
        sv_end = columns["sv_end"][keep]
        arrays["sv_end"] = pa.array(sv_end, pa.int64(), mask=sv_end < 0)
        per_sample = {"gt": (geno.gt, pa.int8(), False), "zygosity": (geno.zygosity, pa.int8(), False),
                      "phased": (geno.phased, pa.bool_(), False), "ps": (geno.ps, pa.int64(), True),
                      "alt_hap": (geno.alt_hap, pa.int8(), False),
                      "dp": (geno.dp, pa.int32(), True), "gq": (geno.gq, pa.int32(), True),
                      "ad_ref": (geno.ad_ref, pa.int32(), True), "ad_alt": (geno.ad_alt, pa.int32(), True)}
        for name, (values, type_, nullable) in per_sample.items():
            arrays[name] = _list_column(values[keep], type_, nullable)
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
    """(rows, samples) array -> list<type> column with one element per sample; -1 -> null if nullable."""
    rows, n_samples = values.shape
    flat = values.reshape(-1)
    mask = (flat < 0) if nullable and flat.dtype.kind in "iu" else None
    inner = pa.array(flat, type_, mask=mask)
    offsets = pa.array(np.arange(rows + 1, dtype=np.int32) * n_samples)
    return pa.ListArray.from_arrays(offsets, inner)
