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


@dataclass
class FamilyVariants:
    """Position columns of the variant table (contigs as codes into `chrom_names`) and the family's
    genotype matrices, row for row."""

    variant_idx: np.ndarray  # int64
    chrom: np.ndarray  # int32 code
    chrom_names: np.ndarray  # object
    pos: np.ndarray  # int64
    geno: FamilyGenotypes


def family_variants(batches: Iterable[pa.RecordBatch], samples: list[str], family: Family,
                    path: str) -> FamilyVariants:
    """Stream record batches into dense matrices of the family members present among `samples`:
    memory holds the family's columns only, however many other samples the VCF has."""
    ids = [m.id for m in family if m.id in samples]
    take = [samples.index(i) for i in ids]
    n = len(samples)
    names: dict[str, int] = {}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("idx", "chrom", "pos", "zyg", "gq", "ps", "hap")}
    for batch in batches:
        encoded = pc.dictionary_encode(batch.column("chrom"))
        codes = np.array([names.setdefault(c, len(names)) for c in encoded.dictionary.to_pylist()], dtype=np.int32)
        parts["chrom"].append(codes[encoded.indices.to_numpy(zero_copy_only=False)] if len(codes)
                              else np.empty(0, np.int32))
        parts["idx"].append(batch.column("variant_idx").to_numpy(zero_copy_only=False).astype(np.int64))
        parts["pos"].append(batch.column("pos").to_numpy(zero_copy_only=False).astype(np.int64))
        parts["zyg"].append(sample_matrix(batch.column("zygosity"), n, take, -1, np.int8, "zygosity", path))
        parts["gq"].append(sample_matrix(batch.column("gq"), n, take, -1, np.int32, "gq", path))
        phased = sample_matrix(batch.column("phased"), n, take, 0, np.bool_, "phased", path)
        ps = sample_matrix(batch.column("ps"), n, take, -1, np.int64, "ps", path)
        # A phased call without PS belongs to one phase set spanning the contig (VCF spec): PS 0.
        parts["ps"].append(np.where(phased, np.maximum(ps, 0), -1))
        if ALT_HAPLOTYPE in batch.schema.names:
            hap = sample_matrix(batch.column(ALT_HAPLOTYPE), n, take, 0, np.int8, ALT_HAPLOTYPE, path)
            parts["hap"].append(np.where(phased, hap, 0).astype(np.int8))
    k = len(ids)
    join = lambda key, dtype, shape=(0,): (np.concatenate(parts[key]) if parts[key]  # noqa: E731
                                          else np.empty(shape, dtype))
    geno = FamilyGenotypes(ids, join("zyg", np.int8, (0, k)), join("gq", np.int32, (0, k)),
                           join("ps", np.int64, (0, k)), join("hap", np.int8, (0, k)) if parts["hap"] else None)
    return FamilyVariants(join("idx", np.int64), join("chrom", np.int32), np.array(list(names), dtype=object),
                          join("pos", np.int64), geno)


def sex_vectors(family: Family, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(is_male, is_female) boolean vectors over the genotyped members."""
    sexes = np.array([family[i].sex for i in ids], dtype=np.int8)
    return sexes == MALE, sexes == FEMALE
