"""The family's genotypes as dense numpy matrices (variants x members), from VARIANTS list columns.

List columns hold one element per VCF sample; flattening them and reshaping to (rows, samples)
is zero-copy-ish and lets every mode test be a few array comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .pedigree import FEMALE, MALE, Family

# Optional VARIANTS column (list<int8> per sample): which haplotype of a phased call carries
# this ALT (1 = first, 2 = second, 0 unknown). Read when present; without it a phase set cannot
# tell cis from trans, and compound hets fall back on the parents.
ALT_HAPLOTYPE = "alt_hap"


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


def family_genotypes(table: pa.Table, samples: list[str], family: Family, path: str) -> FamilyGenotypes:
    """Dense matrices for the family members present among `samples` (other families ignored)."""
    ids = [m.id for m in family if m.id in samples]
    take = [samples.index(i) for i in ids]
    n = len(samples)
    zyg = sample_matrix(table.column("zygosity"), n, take, -1, np.int8, "zygosity", path)
    gq = sample_matrix(table.column("gq"), n, take, -1, np.int32, "gq", path)
    ps = sample_matrix(table.column("ps"), n, take, -1, np.int64, "ps", path)
    phased = sample_matrix(table.column("phased"), n, take, 0, np.bool_, "phased", path)
    # A phased call without PS belongs to one phase set spanning the contig (VCF spec): PS 0.
    ps = np.where(phased, np.maximum(ps, 0), -1)
    hap = None
    if ALT_HAPLOTYPE in table.column_names:
        hap = sample_matrix(table.column(ALT_HAPLOTYPE), n, take, 0, np.int8, ALT_HAPLOTYPE, path)
        hap = np.where(phased, hap, 0).astype(np.int8)
    return FamilyGenotypes(ids, zyg, gq, ps, hap)


def sex_vectors(family: Family, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(is_male, is_female) boolean vectors over the genotyped members."""
    sexes = np.array([family[i].sex for i in ids], dtype=np.int8)
    return sexes == MALE, sexes == FEMALE
