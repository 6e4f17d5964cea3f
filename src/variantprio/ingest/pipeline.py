"""The ingest stage's `run`: VCF/BCF in, the VARIANTS table out (streamed in batches, written atomically)."""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from ..core.pedigree import ped_individuals
from ..core.samples import choose_samples
from ..errors import InputError
from ..summary import Summary
from ..tables import Provenance, TableWriter
from .background import write_in_background
from .header import VcfHeader, first_record_formats, read_header, resolve_build
from .normalise import BatchNormaliser
from .options import IngestOptions
from .parallel import SerialFallback, parallel_offsets, parallel_tables
from .reader import CyvcfReader, RawBatch
from .reference import Reference
from .textreader import ArrowTextReader, text_layout

log = logging.getLogger(__name__)

# Dropped rows that point at a problem in the input: logged as warnings, not just counted.
_WARNED_DROPS = {
    "dropped_ref_equals_alt": "ALT rows equal to their REF (not variants)",
    "dropped_duplicate": "later copies of a CHROM/POS/REF/ALT already kept (exact duplicates)",
}
# Every count of rows ingest leaves out, and why (the stage summary's `skipped`).
_DROPS = {
    **_WARNED_DROPS,
    "dropped_spanning_deletion": "'*' ALT rows (an overlapping deletion, recorded at its own position)",
    "dropped_gvcf_ref_block": "gVCF reference blocks (<NON_REF>/<*> only)",
    "dropped_filter": "rows whose FILTER is not PASS (--pass-only)",
    "dropped_no_alt_call": "ALT rows no chosen sample carries",
    "dropped_low_gq": "ALT rows no carrier has with GQ >= --min-gq",
    "dropped_low_dp": "ALT rows no carrier has with DP >= --min-dp",
    "dropped_low_allele_balance": "ALT rows whose heterozygous carriers all fall below --min-ab",
}


@dataclass(frozen=True)
class IngestInputs:
    """The VCF/BCF; a PED restricts and checks the samples; an indexed FASTA checks REF and left-aligns.
    Paths as given: the provenance records them so."""

    vcf: str | Path
    ped: str | Path | None = None
    fasta: str | Path | None = None


@dataclass(frozen=True)
class IngestOutputs:
    variants: str | Path  # variants.parquet (schema `variants`), written atomically


def run(inputs: IngestInputs, outputs: IngestOutputs, options: IngestOptions = IngestOptions()) -> Summary:
    """Normalise a VCF/BCF into a VARIANTS Parquet; InputError (and no output) on bad input."""
    if options.liftover_to or options.chain:
        return _ingest_lifted(inputs, outputs, options)
    started = time.perf_counter()
    vcf_path, out_path = str(inputs.vcf), outputs.variants
    ped, fasta = _text(inputs.ped), _text(inputs.fasta)
    header = read_header(vcf_path)
    ped_ids = ped_individuals(ped) if ped else None
    samples = choose_samples(header.samples, list(options.samples) if options.samples else None,
                             ped_ids, vcf_path, ped)
    require_gt_field(header, samples)
    build, how = resolve_build(header, options.build)
    if how == "default":
        log.warning("%s: genome build not told by contig lengths or ##reference; assuming GRCh38", vcf_path)
    else:
        log.info("%s: genome build %s (%s); %d of %d samples", vcf_path, build, how, len(samples),
                 len(header.samples))
    reference = Reference(fasta) if fasta else None
    provenance = Provenance(genome_build=build, samples=samples,
                            extra={"source_vcf": vcf_path, "info_formats": header.info_formats,
                                   "build_from": how, "options": _options_record(options, fasta)})
    subset = samples if samples != header.samples else None
    written = None
    offsets = parallel_offsets(vcf_path, options)
    layout = text_layout(vcf_path) if offsets else None
    if offsets and layout:
        try:
            written = _write_parallel(header, subset, layout, options, fasta, offsets, out_path, provenance)
        except SerialFallback as why:
            log.info("parallel read stopped (%s): reading serially for an exact diagnosis", why)
    if written is None:
        written = _write_serial(header, samples, options, reference, out_path, provenance)
    rows, counts = written
    for key, what in _WARNED_DROPS.items():
        if counts.get(key):
            log.warning("dropped %d %s", counts[key], what)
    log.info("read %d records: wrote %d variant rows in %.1fs", counts["records"], rows,
             time.perf_counter() - started)
    return Summary("ingest", f"{rows} variants from {counts['records']} records -> {Path(out_path)}",
                   (Path(out_path),), {"rows": rows, **counts}, _skipped(counts))


def _text(path: str | Path | None) -> str | None:
    return None if path is None else str(path)


def _ingest_lifted(inputs: IngestInputs, outputs: IngestOutputs, options: IngestOptions) -> Summary:
    """Ingest on the VCF's own build into a temporary table, then lift it onto `liftover_to` (the
    FASTA, if any, is the target build's: REF is checked after lifting). The chain and the builds
    are checked before any record is read; nothing is left on failure."""
    from ..core.genome import liftover_counts_text
    from .liftover import Lifter, default_rejects_path, liftover_table

    vcf_path, out_path = str(inputs.vcf), Path(outputs.variants)
    if not (options.liftover_to and options.chain):
        raise InputError("liftover needs both --liftover-to and --chain", path=vcf_path,
                         hint="e.g. --liftover-to GRCh38 --chain hg19ToHg38.over.chain.gz")
    header = read_header(vcf_path)
    build, how = resolve_build(header, options.build)
    lifter = Lifter(options.chain)
    if lifter.source_build and lifter.source_build != build:
        raise InputError(f"the VCF is {build} ({how}) but the chain lifts from {lifter.source_build}",
                         path=vcf_path, hint=f"use the chain from {build} to {options.liftover_to}")
    if lifter.target_build and lifter.target_build != options.liftover_to:
        raise InputError(f"the chain lifts onto {lifter.target_build}, not {options.liftover_to}",
                         path=options.chain, hint=f"use the chain from {build} to {options.liftover_to}")
    if build == options.liftover_to:
        log.info("%s is already %s: nothing to lift", vcf_path, build)
        return run(inputs, outputs, replace(options, liftover_to=None, chain=None))
    unlifted = out_path.with_name(f".{out_path.name}.{build}.tmp.parquet")
    rejects = options.liftover_rejects or default_rejects_path(out_path)
    try:
        summary = run(replace(inputs, fasta=None), IngestOutputs(unlifted),
                      replace(options, build=build, liftover_to=None, chain=None))
        lifted = liftover_table(unlifted, out_path, lifter, options.liftover_to, _text(inputs.fasta), rejects)
    finally:
        unlifted.unlink(missing_ok=True)
    text = liftover_counts_text(lifted.counts)
    log.info("liftover %s -> %s with %s: %s; left-out records listed in %s", build, options.liftover_to,
             Path(options.chain).name, text, lifted.rejects_path)
    rows = lifted.counts["lifted"]
    return Summary("ingest", f"liftover to {options.liftover_to}: {text}\n{rows} variants from "
                             f"{summary.counts.get('records', 0)} records -> {out_path}",
                   (out_path, lifted.rejects_path), {**summary.counts, "rows": rows},
                   {**summary.skipped, **{f"not lifted: {k}": v for k, v in lifted.counts.items()
                                          if k not in ("rows_in", "lifted", "strand_flipped_kept")}})


def _write_serial(header: VcfHeader, samples: list[str], options: IngestOptions, reference: Reference | None,
                  out_path: str | Path, provenance: Provenance) -> tuple[int, dict[str, int]]:
    normaliser = BatchNormaliser(header, options, reference, len(samples))
    writer = TableWriter(out_path, "variants", provenance)
    try:
        write_in_background(writer, open_reader(header, samples, options), normaliser.normalise)
    except BaseException:
        writer.abort()
        raise
    return _close(writer, provenance, dict(normaliser.counts))


def _write_parallel(header: VcfHeader, subset: list[str] | None, layout, options: IngestOptions,
                    fasta: str | None, offsets: list[int], out_path: str | Path,
                    provenance: Provenance) -> tuple[int, dict[str, int]]:
    counts: Counter[str] = Counter()
    writer = TableWriter(out_path, "variants", provenance)
    try:
        for table, chunk_counts in parallel_tables(header, subset, layout, options, offsets,
                                                   processes=options.threads, fasta=fasta):
            counts.update(chunk_counts)
            if table is not None:
                writer.write(table)
    except BaseException:
        writer.abort()
        raise
    return _close(writer, provenance, dict(counts))


def _close(writer: TableWriter, provenance: Provenance, counts: dict[str, int]) -> tuple[int, dict[str, int]]:
    counts.setdefault("records", 0)
    provenance.extra["counts"] = counts
    writer.close(provenance)
    return writer.rows, counts


def open_reader(header: VcfHeader, samples: list[str], options: IngestOptions) -> Iterable[RawBatch]:
    """The columnar reader for VCF text (and for BCF through `bcftools view` when bcftools is
    installed); cyvcf2 otherwise or when asked for."""
    subset = samples if samples != header.samples else None
    if options.reader == "cyvcf2":
        return CyvcfReader(header, subset, batch_size=options.batch_size, threads=options.threads)
    # ~400 bytes of text per record for a few samples: blocks of about batch_size records
    block = max(1 << 16, min(8 << 20, options.batch_size * (200 + 60 * max(1, len(samples)))))
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


def _options_record(options: IngestOptions, fasta: str | None) -> dict:
    return {"pass_only": options.pass_only, "min_gq": options.min_gq, "min_dp": options.min_dp,
            "min_ab": options.min_ab, "fasta": fasta}


def _skipped(counts: dict[str, int]) -> dict[str, int]:
    """Rows left out, by what and why; a count key this table does not know keeps its own name."""
    return {_DROPS.get(key, key[len("dropped_"):]): n for key, n in counts.items()
            if key.startswith("dropped_") and n}


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
