"""RawBatch records into one row per ALT: allele checks, upper case, multi-allelic splitting and
genotype remapping (trimming and left-alignment are in `core.alleles`).

Works on whole batches, without Python loops over records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.alleles import REF_BLOCK_ALTS, SPANNING_DELETION, is_symbolic
from ..errors import InputError
from ..schemas import ZYG_HEMI, ZYG_HET, ZYG_HOM_ALT, ZYG_HOM_REF, ZYG_MISSING
from .reader import RawBatch

# VCF 4.x: REF and sequence ALTs are A/C/G/T/N, case-insensitive; IUPAC codes are not allowed.
_BASES = r"(?i)^[ACGTN]+$"


@dataclass
class SplitRows:
    """One row per kept ALT: the record it came from and the ALT's allele index (1-based)."""

    record: np.ndarray  # int64 index into the RawBatch
    allele: np.ndarray  # int16 allele index k of this ALT in the record
    alt: pa.Array  # string
    n_star: int
    n_ref_block: int
    n_no_alt: int


def split_multiallelic(raw: RawBatch) -> SplitRows:
    """Explode records into ALT rows, dropping '*', <NON_REF>/<*> and ALT '.'."""
    n_alt = raw.n_alt
    record = np.repeat(np.arange(len(n_alt)), n_alt)
    starts = np.repeat(np.cumsum(n_alt) - n_alt, n_alt)
    allele = (np.arange(len(record)) - starts + 1).astype(np.int16)
    alt = raw.alt_flat
    is_star = pc.equal(alt, SPANNING_DELETION).to_numpy(zero_copy_only=False)
    is_block = pc.is_in(alt, pa.array(sorted(REF_BLOCK_ALTS))).to_numpy(zero_copy_only=False)
    keep = ~(is_star | is_block)
    return SplitRows(record[keep], allele[keep], alt.filter(pa.array(keep)), int(is_star.sum()),
                     int(is_block.sum()), int((n_alt == 0).sum()))


def check_allele_bases(raw: RawBatch, path: str) -> None:
    """InputError at the first record whose REF, or a sequence ALT, holds anything but A/C/G/T/N.

    An error rather than a counted drop: 'R', 'X' or '1' means a broken or mis-made VCF, and a
    record silently kept or lost would look like a real answer. '*', symbolic <ID> and breakend
    ALTs are not sequences and pass.
    """
    bad_ref = ~_bool(pc.match_substring_regex(raw.ref, _BASES))
    alt = raw.alt_flat
    sequence = ~(is_symbolic(alt) | _bool(pc.equal(alt, SPANNING_DELETION)))
    bad_alt = sequence & ~_bool(pc.match_substring_regex(alt, _BASES))
    if not (bad_ref.any() or bad_alt.any()):
        return
    alt_record = np.repeat(np.arange(len(raw)), raw.n_alt)
    first = min(np.flatnonzero(bad_ref)[:1].tolist() + alt_record[bad_alt][:1].tolist())
    if bad_ref[first]:
        what = f"invalid REF {raw.ref[first].as_py()!r}"
    else:
        what = f"invalid ALT {alt.filter(pa.array(bad_alt))[0].as_py()!r}"
    raise InputError(f"{what} at {raw.chrom[first].as_py()}:{raw.pos[first]}: bases must be A, C, G, T or N",
                     path=path, where=f"record {raw.record_no[first]}",
                     hint="fix or remove the record (REF/ALT hold only A, C, G, T, N in any case; ALT may "
                          "also be '*', <ID> or a breakend)")


def uppercase_alleles(raw: RawBatch) -> tuple[RawBatch, int]:
    """The batch with REF and sequence ALTs in upper case, and how many alleles changed.

    Soft-masked (lowercase) bases are the same bases; REF==ALT, duplicate and protein-effect checks
    need one spelling. Symbolic and breakend ALTs keep their case: they hold IDs and contig names.
    """
    ref_up = pc.ascii_upper(raw.ref)
    alt = raw.alt_flat
    alt_up = pc.if_else(pa.array(is_symbolic(alt)), alt, pc.ascii_upper(alt)) if len(alt) else alt
    changed = int(_bool(pc.not_equal(ref_up, raw.ref)).sum()) + int(_bool(pc.not_equal(alt_up, alt)).sum())
    if not changed:
        return raw, 0
    return replace(raw, ref=ref_up, alt_flat=alt_up), changed


def drop_ref_equal_alt(raw: RawBatch, rows: SplitRows) -> tuple[SplitRows, int]:
    """Rows whose ALT is its record's REF removed (not a variant: it would be a 'call' of the
    reference), and their number. Expects upper-cased alleles."""
    same = _bool(pc.equal(rows.alt, raw.ref.take(pa.array(rows.record, pa.int64()))))
    if not same.any():
        return rows, 0
    keep = ~same
    kept = SplitRows(rows.record[keep], rows.allele[keep], rows.alt.filter(pa.array(keep)), rows.n_star,
                     rows.n_ref_block, rows.n_no_alt)
    return kept, int(same.sum())


def _bool(values: pa.Array) -> np.ndarray:
    """A boolean Arrow result as numpy (nulls false)."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool)


@dataclass
class GenotypeColumns:
    """Per-row, per-sample arrays for one ALT (shape rows x samples)."""

    gt: np.ndarray  # int8 copies of this ALT, -1 missing
    zygosity: np.ndarray  # int8
    phased: np.ndarray  # bool
    ad_ref: np.ndarray  # int32, -1 missing
    ad_alt: np.ndarray  # int32, -1 missing
    depths: np.ndarray  # int32 (rows x samples x alleles): every AD value, -1 missing
    dp: np.ndarray
    gq: np.ndarray
    ps: np.ndarray
    alt_hap: np.ndarray  # int8 haplotype (1 or 2) holding this ALT in a phased het call, else 0

    @cached_property
    def ad_total(self) -> np.ndarray:
        """int32 sum of AD over all alleles, -1 missing: computed on first use, since only the
        allele-balance filter (--min-ab) needs it."""
        return _depth_total(self.depths)


def remap_genotypes(raw: RawBatch, rows: SplitRows) -> GenotypeColumns:
    """Genotypes and Number=R depths for each ALT row: the gt is the count of THIS alt.

    A 1/2 call becomes het on both rows; haploid calls carrying the ALT are hemizygous.
    """
    alleles = raw.gt[rows.record]  # (m, S, P)
    k = rows.allele[:, None]
    if alleles.shape[2] == 2:  # diploid/haploid batches: avoid a reduction over a 2-wide axis
        a0, a1 = alleles[:, :, 0], alleles[:, :, 1]
        copies = (a0 == k).astype(np.int8) + (a1 == k)
        called = (a0 >= 0).astype(np.int8) + (a1 >= 0)
        ploidy = (a0 != -2).astype(np.int8) + (a1 != -2)
    else:
        copies = (alleles == k[:, :, None]).sum(axis=2)
        called = (alleles >= 0).sum(axis=2)
        ploidy = (alleles != -2).sum(axis=2)
        # all-haploid batches have one allele column; polyploid ones more (masked below)
        a0, a1 = alleles[:, :, 0], alleles[:, :, min(1, alleles.shape[2] - 1)]
    missing = called == 0
    gt = np.where(missing, np.int8(-1), copies.astype(np.int8))
    # first match wins: missing, hom-ref, hemizygous, hom-alt, else het (int8 throughout: one
    # value per sample and ALT row, the widest arrays of a cohort)
    zyg = np.where(copies >= ploidy, np.int8(ZYG_HOM_ALT), np.int8(ZYG_HET))
    zyg = np.where(ploidy == 1, np.int8(ZYG_HEMI), zyg)
    zyg = np.where(copies == 0, np.int8(ZYG_HOM_REF), zyg)
    zyg = np.where(missing, np.int8(ZYG_MISSING), zyg)
    ad = raw.ad[rows.record]  # (m, S, A): Number=R, index 0 is REF, index k this ALT
    ad_ref = ad[:, :, 0]
    ad_alt = _depth_of_allele(ad, rows.allele)
    phased = raw.phased[rows.record] & ~missing
    return GenotypeColumns(gt=gt, zygosity=zyg, phased=phased, ad_ref=ad_ref, ad_alt=ad_alt,
                           depths=ad, dp=raw.dp[rows.record], gq=raw.gq[rows.record],
                           ps=raw.ps[rows.record], alt_hap=_alt_haplotype(a0, a1, k, phased & (ploidy == 2)))


def _depth_of_allele(ad: np.ndarray, allele: np.ndarray) -> np.ndarray:
    """(rows, samples) AD of each row's allele, -1 where AD has no such entry. Rows are taken by
    allele index (a few distinct values): one strided copy each, where a gather along the last
    axis built and used an index per value."""
    out = np.full(ad.shape[:2], -1, np.int32)
    for k in np.unique(allele).tolist():
        if k < ad.shape[2]:
            rows = allele == k
            out[rows] = ad[rows, :, k] if not rows.all() else ad[:, :, k]
    return out


def _depth_total(ad: np.ndarray) -> np.ndarray:
    """Sum of the known depths over all alleles, -1 where none is known; allele by allele (a few
    columns) rather than a reduction over the short last axis, which numpy does slowly."""
    total = np.zeros(ad.shape[:2], np.int32)
    known = np.zeros(ad.shape[:2], bool)
    for allele in range(ad.shape[2]):
        depth = ad[:, :, allele]
        valid = depth >= 0
        total += np.where(valid, depth, 0)
        known |= valid
    return np.where(known, total, -1)


def _alt_haplotype(a0: np.ndarray, a1: np.ndarray, k: np.ndarray, phased: np.ndarray) -> np.ndarray:
    """1 where a phased diploid call has this ALT (index k) as its first allele only ('1|0', and '1|2'
    on ALT 1's row), 2 where as its second only ('0|1'), else 0 (unphased, hom-alt, haploid; polyploid
    calls too: a third haplotype means nothing to compound hets)."""
    out = np.zeros(phased.shape, np.int8)
    if not phased.any():  # unphased callsets (most exomes) need no comparisons
        return out
    first, second = (a0 == k) & phased, (a1 == k) & phased
    out[first & ~second] = 1
    out[second & ~first] = 2
    return out
