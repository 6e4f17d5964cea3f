"""The inheritance stage: which modes each of the proband's variants fits in the proband's family.

Reads VARIANTS (genotypes of every VCF sample) and ANNOTATIONS (genes, frequencies) and writes
SEGREGATION: one row per variant x gene the proband carries. Only the proband's family is used;
other families of a multi-family VCF are ignored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.genome import in_par
from ..core.pedigree import Family, check_samples, proband_status_warnings, read_ped, singleton, ungenotyped
from ..core.samples import missing_message
from ..errors import InputError
from ..core.modes import FIT_COLUMNS, MODES
from ..schemas import SEGREGATION, ZYG_HET, col
from ..summary import Summary
from ..tables import Provenance, read_table, write_table
from .comphet import EXCLUDED, POSSIBLE, compound_het_pairs, pairing_facts, run_starts
from .genotypes import ALT_HAPLOTYPE, FamilyGenotypes, FamilyVariants, StringCodes, family_variants
from .modes import (InheritanceOptions, ModeFlags, Regions, Roles, family_roles, infer_unknown_sexes,
                    mode_flags)

log = logging.getLogger(__name__)

# What the stage reads of VARIANTS and ANNOTATIONS (the speed benchmark times the same reads).
VARIANT_COLUMNS = [col.variant_idx, col.chrom, col.pos, col.zygosity, col.gq, col.phased, col.ps]
ANNOTATION_COLUMNS = [col.variant_idx, col.chrom, col.pos, col.gene_symbol, col.gnomad_af, col.gnomad_popmax_af,
                      col.inhouse_af]
_BATCH_ROWS = 65_536  # rows per record batch read: larger batches only hold more Arrow memory
_SEX_NAMES = {1: "male", 2: "female"}


def proband_family(ped: str | Path | None, proband: str, vcf_samples: list[str], variants_path: str) -> Family:
    """The proband's family from the PED (checked against the VCF), else the affected proband alone."""
    if proband not in vcf_samples and ped is None:
        raise InputError(missing_message(proband, "the VCF samples of this table", vcf_samples),
                         path=variants_path, hint="pass --proband as in the VCF header")
    if ped is None:
        log.info("no PED: %s is analysed as an affected singleton", proband)
        return singleton(proband)
    pedigree = read_ped(ped)
    check_samples(pedigree, vcf_samples, [proband])
    for warning in proband_status_warnings(pedigree, proband):
        log.warning(warning)
    family = pedigree.family_of(proband)
    log.info("family %s: %d members, %d genotyped", family.family_id, len(family),
             len(family) - len(ungenotyped(family, vcf_samples)))
    return family


def position_regions(chrom: np.ndarray, chrom_names: np.ndarray, pos: np.ndarray, build: str) -> Regions:
    """Autosomal (incl. PARs), X-linked (non-PAR chrX) and mitochondrial masks from contig codes;
    chrY and non-chromosome contigs fit no mode (Y-linked inheritance is not modelled)."""
    autosome = np.array([n not in ("chrX", "chrY", "chrM") and n[3:].isdigit() for n in chrom_names] + [False])
    on_x = (chrom_names == "chrX")[chrom] if len(chrom_names) else np.zeros(len(chrom), bool)
    mito = (chrom_names == "chrM")[chrom] if len(chrom_names) else np.zeros(len(chrom), bool)
    par = np.zeros(len(chrom), bool)  # in_par on the chrX rows only: a genome's contig strings are 80 MB
    par[on_x] = in_par(np.full(int(on_x.sum()), "chrX"), pos[on_x], build)
    return Regions(autosomal=autosome[chrom] | par, x_linked=on_x & ~par, mitochondrial=mito)


def _family_variants(variants_path: str, samples: list[str], family: Family) -> FamilyVariants:
    """The family's columns of the variant table, streamed (the open file alone holds some 45 MB of
    a genome's: it is closed and dropped on return)."""
    columns = VARIANT_COLUMNS + ([ALT_HAPLOTYPE] if ALT_HAPLOTYPE in pq.read_schema(variants_path).names else [])
    with pq.ParquetFile(variants_path) as parquet:
        return family_variants(parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns),
                               parquet.metadata.num_rows, samples, family, variants_path)


def _gene_rows(annotations_path: str) -> tuple[GeneRows, Provenance, int]:
    """Distinct (variant, gene) rows with a gene, each row's frequency (popmax, else AF), and how
    many annotation rows had no gene. Streamed: a genome's annotation columns take some 300 MB in
    Arrow (and as much again filtered), the numpy columns kept of them half that."""
    prov = read_table(annotations_path, "annotations", columns=[])[1]  # contract check
    with pq.ParquetFile(annotations_path) as parquet:
        rows, gene_less = collect_gene_rows(parquet.iter_batches(batch_size=_BATCH_ROWS, columns=ANNOTATION_COLUMNS),
                                            parquet.metadata.num_rows)
    return rows, prov, gene_less


@dataclass
class GeneRows:
    """Distinct (variant, gene) rows: genes as codes into `names`, frequency popmax else AF."""

    variant_idx: np.ndarray
    chrom: np.ndarray  # int32 code into chrom_names
    chrom_names: np.ndarray
    pos: np.ndarray
    gene: np.ndarray  # int32 code into names
    names: np.ndarray
    freq: np.ndarray  # float, NaN = not in the population source

    def take(self, index: np.ndarray) -> GeneRows:
        return GeneRows(self.variant_idx[index], self.chrom[index], self.chrom_names, self.pos[index],
                        self.gene[index], self.names, self.freq[index])


def gene_rows(ann: pa.Table) -> GeneRows:
    """Distinct (variant, gene) rows of an ANNOTATIONS table; several rows of one variant x gene
    (e.g. per transcript) keep the highest frequency."""
    return collect_gene_rows(ann.to_batches(), ann.num_rows)[0]


def collect_gene_rows(batches: Iterable[pa.RecordBatch], n_rows: int) -> tuple[GeneRows, int]:
    """`gene_rows` of at most `n_rows` ANNOTATIONS rows in record batches, holding only numpy columns
    of the rows with a gene (filled in place: no second copy); and how many rows had no gene."""
    genes, chroms = StringCodes(), StringCodes()
    idx, pos = np.empty(n_rows, np.int64), np.empty(n_rows, np.int64)
    chrom, gene, freq = np.empty(n_rows, np.int32), np.empty(n_rows, np.int32), np.empty(n_rows, float)
    gene_less = stop = 0
    for batch in batches:
        gene_less += batch.column(col.gene_symbol).null_count
        batch = batch.filter(pc.is_valid(batch.column(col.gene_symbol)))
        rows = slice(stop, stop + batch.num_rows)
        frequency = pc.coalesce(batch.column(col.gnomad_popmax_af), batch.column(col.gnomad_af))
        freq[rows] = np.asarray(frequency.to_numpy(zero_copy_only=False), dtype=float)
        if col.inhouse_af in batch.schema.names:  # the hub's own cohort filters like gnomAD (per-mode maxima)
            freq[rows] = np.fmax(freq[rows], np.asarray(batch.column(col.inhouse_af).to_numpy(zero_copy_only=False),
                                                        dtype=float))
        idx[rows] = batch.column(col.variant_idx).to_numpy()
        chrom[rows] = chroms.encode(batch.column(col.chrom))
        pos[rows] = batch.column(col.pos).to_numpy()
        gene[rows] = genes.encode(batch.column(col.gene_symbol))
        stop = rows.stop
    idx, chrom, pos, gene, freq = idx[:stop], chrom[:stop], pos[:stop], gene[:stop], freq[:stop]
    order = np.lexsort((np.where(np.isnan(freq), np.inf, -freq), gene, idx))
    keep = order[run_starts([idx[order], gene[order]])]
    del order
    # One column at a time, so each full column is freed before the next is taken.
    idx = idx[keep]
    chrom = chrom[keep]
    pos = pos[keep]
    gene = gene[keep]
    freq = freq[keep]
    return GeneRows(idx, chrom, chroms.names, pos, gene, genes.names, freq), gene_less


def _variant_rows(variant_idx: np.ndarray, wanted: np.ndarray, path: str, annotations_path: str) -> np.ndarray:
    """Row in the variants table of each wanted variant_idx; InputError when one is absent."""
    order = np.argsort(variant_idx, kind="stable")
    at = np.searchsorted(variant_idx, wanted, sorter=order)
    at = np.minimum(at, len(order) - 1) if len(order) else at
    found = len(order) > 0 and np.all(variant_idx[order[at]] == wanted) if len(wanted) else True
    if not found:
        raise InputError("annotations name variants the variant table does not have", path=annotations_path,
                         hint=f"annotate this variants.parquet ({path}) again")
    return order[at] if len(wanted) else np.empty(0, dtype=np.intp)


@dataclass(frozen=True)
class InheritanceInputs:
    """The VCF's variants and annotations, whose proband, and the PED (none: an affected singleton)."""

    variants: str | Path
    annotations: str | Path
    proband: str
    ped: str | Path | None = None


@dataclass(frozen=True)
class InheritanceOutputs:
    segregation: str | Path  # segregation.parquet (schema `segregation`)


def run(inputs: InheritanceInputs, outputs: InheritanceOutputs,
        options: InheritanceOptions = InheritanceOptions()) -> Summary:
    """Write SEGREGATION for the proband: mode fits of every carried variant x gene in its family."""
    started = time.perf_counter()
    variants_path, annotations_path = str(inputs.variants), str(inputs.annotations)
    ped, proband, out = inputs.ped, inputs.proband, outputs.segregation
    _check_options(options)
    var_prov = read_table(variants_path, "variants", columns=[])[1]  # contract check, sample order
    samples = var_prov.samples
    family = proband_family(ped, proband, samples, variants_path)
    variants = _family_variants(variants_path, samples, family)
    genes, ann_prov, gene_less = _gene_rows(annotations_path)
    build = var_prov.genome_build or "GRCh38"
    if var_prov.genome_build is None:
        log.warning("%s: no genome build in the metadata; PARs of GRCh38 assumed", variants_path)
    carried = carried_rows(variants, genes, family, proband, build, variants_path, annotations_path)
    geno_ids = variants.geno.ids
    del variants, genes  # a genome's rows (hundreds of MB): the mode tests need only the carried ones
    table = carried_segregation(carried, family, options)
    del carried

    provenance = Provenance(samples=geno_ids, extra={
        "proband": proband, "family_id": family.family_id, "options": vars(options),
        "counts": _counts(table)}).merged(var_prov, ann_prov)
    write_table(table, out, "segregation", provenance)
    log.info("%s: segregation in %.1f s -> %s", proband, time.perf_counter() - started, out)
    return Summary("inheritance", f"segregation of {proband} -> {out}", (Path(out),), _counts(table),
                   {"annotation rows without a gene (no gene to pair or rank in)": gene_less})


def segregation_table(variants: pa.Table, samples: list[str], genes: GeneRows, family: Family, proband: str,
                      options: InheritanceOptions, build: str) -> tuple[pa.Table, list[str]]:
    """In-memory form of the stage (tests): SEGREGATION rows and the genotyped members used."""
    fam = family_variants(variants.to_batches(), variants.num_rows, samples, family, "variants")
    return family_segregation(fam, genes, family, proband, options, build, "variants", "annotations"), fam.geno.ids


def family_segregation(variants: FamilyVariants, genes: GeneRows, family: Family, proband: str,
                       options: InheritanceOptions, build: str, variants_path: str, annotations_path: str
                       ) -> pa.Table:
    """SEGREGATION rows of the proband's carried variant x gene rows."""
    carried = carried_rows(variants, genes, family, proband, build, variants_path, annotations_path)
    return carried_segregation(carried, family, options)


@dataclass
class CarriedRows:
    """The proband's carried variant x gene rows and, per distinct carried variant, the family's
    genotypes and regions: what the mode tests need, without the genome's other rows."""

    genes: GeneRows
    inverse: np.ndarray  # gene row -> its variant's row in `geno` and `regions`
    geno: FamilyGenotypes
    regions: Regions
    roles: Roles


def carried_rows(variants: FamilyVariants, genes: GeneRows, family: Family, proband: str, build: str,
                 variants_path: str, annotations_path: str) -> CarriedRows:
    """The family's roles (sexes checked on chrX), the annotations checked against the variants, and
    the rows the proband carries: the stage drops the whole genome's rows once it has these."""
    geno = variants.geno
    roles = family_roles(family, geno, proband)
    x_rows = position_regions(variants.chrom, variants.chrom_names, variants.pos, build).x_linked
    roles, inferred, contradicted = infer_unknown_sexes(geno.zygosity[x_rows], roles)
    for column, sex in inferred.items():
        log.info("%s: sex unknown, %s from non-PAR chrX genotypes", geno.ids[column], _SEX_NAMES[sex])
    for column, sex in contradicted.items():
        log.warning("%s: the PED sex is contradicted by non-PAR chrX genotypes, which look %s (sample swap?); "
                    "the PED sex is used", geno.ids[column], _SEX_NAMES[sex])
    row_of = _variant_rows(variants.variant_idx, genes.variant_idx, variants_path, annotations_path)
    _check_same_positions(genes, variants, row_of, annotations_path, variants_path)
    carried = geno.zygosity[row_of, roles.proband] >= ZYG_HET
    log.info("%d of %d variant x gene rows carried by %s (the others need no mode test)", int(carried.sum()),
             len(carried), proband)
    genes, row_of = genes.take(np.flatnonzero(carried)), row_of[carried]
    # Mode tests run once per distinct variant; gene rows then index into the results.
    uniq_rows, inverse = np.unique(row_of, return_inverse=True)
    regions = position_regions(variants.chrom[uniq_rows], variants.chrom_names, variants.pos[uniq_rows], build)
    return CarriedRows(genes, inverse, geno.take(uniq_rows), regions, roles)


def carried_segregation(carried: CarriedRows, family: Family, options: InheritanceOptions) -> pa.Table:
    """SEGREGATION rows of the carried rows: the mode tests and the compound-het pairing."""
    flags = mode_flags(carried.geno, family, carried.roles, carried.regions, options)
    return _segregation_table(carried.genes, carried.inverse, flags, carried.geno, carried.roles, options)


def _segregation_table(genes: GeneRows, inverse: np.ndarray, flags: ModeFlags, geno, roles,
                       options: InheritanceOptions) -> pa.Table:
    """SEGREGATION rows: per-variant flags expanded to gene rows, with per-mode frequency limits."""
    freq = genes.freq

    def rare(limit: float) -> np.ndarray:
        return np.isnan(freq) | (freq <= limit)

    at = lambda flag: flag[inverse]  # noqa: E731
    comphet_rows = np.flatnonzero(at(flags.comphet_candidate) & rare(options.max_af_comphet))
    partner = np.full(len(freq), -1, dtype=np.int64)
    phase = np.full(len(freq), EXCLUDED, dtype=np.int8)
    partner[comphet_rows], phase[comphet_rows] = compound_het_pairs(
        genes.gene[comphet_rows], genes.variant_idx[comphet_rows], freq[comphet_rows],
        pairing_facts(geno, roles, inverse[comphet_rows]))
    has_partner = partner >= 0
    return pa.table({
        col.variant_idx: pa.array(genes.variant_idx.astype(np.int64)),
        col.gene_symbol: pa.DictionaryArray.from_arrays(pa.array(genes.gene, pa.int32()),
                                                        pa.array(genes.names, pa.string())).cast(pa.string()),
        # Each mode's fit columns (core.modes) filtered by that fit's frequency option; compound
        # hets are rare by construction (the pairing applies max_af_comphet).
        **{fit.column: at(getattr(flags, fit.column)) & rare(getattr(options, fit.max_af))
           for mode in MODES for fit in mode.fits if fit.max_af},
        col.fits_ar_comphet: has_partner,
        col.comphet_partner_idx: pa.array(partner, pa.int64(), mask=~has_partner),
        col.comphet_phase: pa.DictionaryArray.from_arrays(
            pa.array(np.minimum(phase, POSSIBLE).astype(np.int8), mask=~has_partner),
            pa.array(["trans", "possible"])).cast(pa.string()),
    }, schema=SEGREGATION)


def _counts(table: pa.Table) -> dict[str, int]:
    counts = {"rows": table.num_rows}
    counts.update({n: int(pc.sum(table.column(n)).as_py() or 0) for n in FIT_COLUMNS})
    return counts


def _check_options(options: InheritanceOptions) -> None:
    for name in ("max_af_ad", "max_af_ar_hom", "max_af_comphet", "max_af_mt"):
        value = getattr(options, name)
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{name.replace('_', '-')} {value} is not a frequency in [0, 1]",
                             where=f"--{name.replace('_', '-')}", hint="e.g. 0.001 for 0.1%")
    if options.min_parent_gq < 0:
        raise InputError(f"min-parent-gq {options.min_parent_gq} is negative", where="--min-parent-gq",
                         hint="a genotype quality, e.g. 20")


def _check_same_positions(genes: GeneRows, variants: FamilyVariants, row_of: np.ndarray, annotations_path: str,
                          variants_path: str) -> None:
    """variant_idx is a row number: annotations of another VCF would silently mislabel variants."""
    lookup = {name: code for code, name in enumerate(variants.chrom_names)}
    as_variant_code = np.array([lookup.get(name, -1) for name in genes.chrom_names] + [-1], dtype=np.int32)
    bad = (as_variant_code[genes.chrom] != variants.chrom[row_of]) | (genes.pos != variants.pos[row_of])
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(f"{int(bad.sum())} annotation rows do not match the variant table (variant_idx "
                         f"{genes.variant_idx[first]}: {genes.chrom_names[genes.chrom[first]]}:{genes.pos[first]}"
                         f" vs {variants.chrom_names[variants.chrom[row_of[first]]]}:{variants.pos[row_of[first]]})",
                         path=annotations_path, hint=f"annotate the same variants.parquet ({variants_path}) again")
