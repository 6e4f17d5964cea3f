"""The family's genotypes as dense numpy matrices (variants x members), from VARIANTS list columns.

List columns hold one element per VCF sample; flattening them and reshaping to (rows, samples)
is zero-copy-ish and lets every mode test be a few array comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.pedigree import FEMALE, MALE, Family
from ..errors import InputError
from ..schemas import col

# Optional VARIANTS column (list<int8> per sample): which haplotype of a phased call carries
# this ALT (1 = first, 2 = second, 0 unknown). Read when present; without it a phase set cannot
# tell cis from trans, and compound hets fall back on the parents.
ALT_HAPLOTYPE = col.alt_hap


@dataclass
class FamilyGenotypes:
    """Matrices over the family members that have a VCF column, in `ids` order."""

    ids: list[str]
    zygosity: np.ndarray  # int8 (n, k): -1 missing, 0 hom-ref, 1 het, 2 hom-alt, 3 hemizygous
    gq: np.ndarray  # int32 (n, k), -1 when absent
    ps: np.ndarray  # int64 (n, k), -1 when absent or unphased
    alt_hap: np.ndarray | None  # int8 (n, k), 0 unknown

    def take(self, rows: np.ndarray) -> "FamilyGenotypes":
        return FamilyGenotypes(self.ids, self.zygosity[rows], self.gq[rows], self.ps[rows],
                               None if self.alt_hap is None else self.alt_hap[rows])

    def column(self, sample_id: str) -> int:
        return self.ids.index(sample_id)

    def has(self, sample_id: str | None) -> bool:
        return sample_id is not None and sample_id in self.ids


def sample_matrix(column: pa.ChunkedArray | pa.Array, n_samples: int, take: list[int], fill: int,
                  dtype, name: str, path: str) -> np.ndarray:
    """(rows, len(take)) matrix of a per-sample list column; nulls become `fill`."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if array.null_count:
        array = pc.fill_null(array, pa.scalar([fill] * n_samples, array.type))
    offsets = array.offsets.to_numpy()
    n_rows = len(array)
    if n_rows and not (offsets[-1] - offsets[0] == n_rows * n_samples and np.all(np.diff(offsets) == n_samples)):
        raise InputError(f"'{name}' lists do not have one element per sample ({n_samples})", path=path,
                         hint="re-run `variantprio ingest`: the file's sample metadata and genotypes disagree")
    values = array.values.slice(offsets[0], n_rows * n_samples) if n_rows else array.values.slice(0, 0)
    if values.null_count:
        values = pc.fill_null(values, fill)
    flat = values.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    return flat.reshape(n_rows, n_samples)[:, take] if n_samples else np.empty((n_rows, 0), dtype)


class StringCodes:
    """int32 codes of a string column read in batches, numbered in order of first appearance over all
    batches: the codes one dictionary encoding of the whole column gives, without holding it."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}

    def encode(self, array: pa.Array) -> np.ndarray:
        """Codes of one batch's non-null strings."""
        encoded = pc.dictionary_encode(array)
        codes = np.array([self._index.setdefault(c, len(self._index)) for c in encoded.dictionary.to_pylist()]
                         + [-1], dtype=np.int32)
        return codes[encoded.indices.to_numpy(zero_copy_only=False)]

    @property
    def names(self) -> np.ndarray:
        """The distinct strings (object array), in code order."""
        return np.array(list(self._index) + [None], dtype=object)[:-1]


@dataclass
class FamilyVariants:
    """Position columns of the variant table (contigs as codes into `chrom_names`) and the family's
    genotype matrices, row for row."""

    variant_idx: np.ndarray  # int64
    chrom: np.ndarray  # int32 code
    chrom_names: np.ndarray  # object
    pos: np.ndarray  # int64
    geno: FamilyGenotypes


def family_variants(batches: Iterable[pa.RecordBatch], n_rows: int, samples: list[str], family: Family,
                    path: str) -> FamilyVariants:
    """Stream `n_rows` rows of record batches into dense matrices of the family members present
    among `samples`: memory holds the family's columns only, however many samples the VCF has."""
    ids = [m.id for m in family if m.id in samples]
    take = [samples.index(i) for i in ids]
    n, k = len(samples), len(ids)
    chroms = StringCodes()
    out = FamilyVariants(np.empty(n_rows, np.int64), np.empty(n_rows, np.int32), np.empty(0, object),
                         np.empty(n_rows, np.int64),
                         FamilyGenotypes(ids, np.empty((n_rows, k), np.int8), np.empty((n_rows, k), np.int32),
                                         np.empty((n_rows, k), np.int64), None))
    start = 0
    for batch in batches:
        rows = slice(start, start + batch.num_rows)
        if rows.stop > n_rows:
            raise InputError("the variant table has more rows than its metadata says", path=path,
                             hint="re-run `variantprio ingest`")
        out.chrom[rows] = chroms.encode(batch.column(col.chrom))
        out.variant_idx[rows] = batch.column(col.variant_idx).to_numpy(zero_copy_only=False)
        out.pos[rows] = batch.column(col.pos).to_numpy(zero_copy_only=False)
        geno = out.geno
        geno.zygosity[rows] = sample_matrix(batch.column(col.zygosity), n, take, -1, np.int8, col.zygosity, path)
        geno.gq[rows] = sample_matrix(batch.column(col.gq), n, take, -1, np.int32, col.gq, path)
        phased = sample_matrix(batch.column(col.phased), n, take, 0, np.bool_, col.phased, path)
        ps = sample_matrix(batch.column(col.ps), n, take, -1, np.int64, col.ps, path)
        # A phased call without PS belongs to one phase set spanning the contig (VCF spec): PS 0.
        geno.ps[rows] = np.where(phased, np.maximum(ps, 0), -1)
        if ALT_HAPLOTYPE in batch.schema.names:
            if geno.alt_hap is None:
                geno.alt_hap = np.zeros((n_rows, k), np.int8)
            hap = sample_matrix(batch.column(ALT_HAPLOTYPE), n, take, 0, np.int8, ALT_HAPLOTYPE, path)
            geno.alt_hap[rows] = np.where(phased, hap, 0)
        start = rows.stop
    if start != n_rows:
        raise InputError(f"the variant table has {start} rows, its metadata says {n_rows}", path=path,
                         hint="re-run `variantprio ingest`")
    out.chrom_names = chroms.names
    return out


def sex_vectors(family: Family, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(is_male, is_female) boolean vectors over the genotyped members."""
    sexes = np.array([family[i].sex for i in ids], dtype=np.int8)
    return sexes == MALE, sexes == FEMALE
