"""VARIANTS/ANNOTATIONS tables built directly in Arrow from genotype matrices, for tests and the
`bench inheritance` command (no VCF round trip: the stage under test is segregation itself)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..schemas import ANNOTATIONS, VARIANTS, col
from ..tables import Provenance, write_table
from .genotypes import ALT_HAPLOTYPE

# GT text -> (zygosity, phased, haplotype of the ALT): the calls the tests are written in.
_GT_CODES = {
    "./.": (-1, False, 0), ".": (-1, False, 0), ".|.": (-1, False, 0),
    "0/0": (0, False, 0), "0|0": (0, True, 0), "0": (0, False, 0),
    "0/1": (1, False, 0), "1/0": (1, False, 0), "0|1": (1, True, 2), "1|0": (1, True, 1),
    "1/1": (2, False, 0), "1|1": (2, True, 0), "1": (3, False, 0),
}


@dataclass
class GenotypeMatrix:
    zygosity: np.ndarray  # int8 (n, samples)
    phased: np.ndarray  # bool
    alt_hap: np.ndarray  # int8


def parse_genotypes(rows: list[list[str]]) -> GenotypeMatrix:
    """GT strings per variant and sample ("0/1", "1|0", "1", "./.") -> matrices."""
    codes = np.array([[_GT_CODES[g] for g in row] for row in rows], dtype=np.int8).reshape(len(rows), -1, 3)
    return GenotypeMatrix(codes[:, :, 0], codes[:, :, 1].astype(bool), codes[:, :, 2])


def _lists(matrix: np.ndarray, type_: pa.DataType, null_value: int | None = None) -> pa.ListArray:
    n, k = matrix.shape
    flat = matrix.reshape(-1)
    mask = (flat == null_value) if null_value is not None else None
    values = pa.array(flat, type_, mask=mask)
    return pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), values)


def variants_table(chrom: np.ndarray, pos: np.ndarray, zygosity: np.ndarray, *, gq: np.ndarray | None = None,
                   phased: np.ndarray | None = None, ps: np.ndarray | None = None,
                   alt_hap: np.ndarray | None = None) -> pa.Table:
    """VARIANTS table (ref A, alt G) from per-sample matrices; gq/ps -1 become nulls."""
    n, k = zygosity.shape
    gq = np.full((n, k), 60, np.int32) if gq is None else gq.astype(np.int32)
    phased = np.zeros((n, k), bool) if phased is None else phased
    ps = np.full((n, k), -1, np.int64) if ps is None else ps.astype(np.int64)
    gt = np.where(zygosity == 3, 1, zygosity).astype(np.int8)
    columns = {
        col.variant_idx: pa.array(np.arange(n, dtype=np.int64)),
        col.chrom: pa.array(np.asarray(chrom, dtype=object), pa.string()),
        col.pos: pa.array(np.asarray(pos, dtype=np.int64)),
        col.ref: pa.array(np.full(n, "A", dtype=object), pa.string()),
        col.alt: pa.array(np.full(n, "G", dtype=object), pa.string()),
        col.id: pa.nulls(n, pa.string()), col.qual: pa.nulls(n, pa.float32()),
        col.filter: pa.array(np.full(n, "PASS", dtype=object), pa.string()),
        col.is_sv: pa.array(np.zeros(n, bool)), col.sv_end: pa.nulls(n, pa.int64()),
        col.gt: _lists(gt, pa.int8()), col.zygosity: _lists(zygosity.astype(np.int8), pa.int8()),
        col.phased: _lists(phased, pa.bool_()), col.ps: _lists(ps, pa.int64(), -1),
        col.dp: _lists(np.full((n, k), 30, np.int32), pa.int32()), col.gq: _lists(gq, pa.int32(), -1),
        col.ad_ref: _lists(np.full((n, k), -1, np.int32), pa.int32(), -1),
        col.ad_alt: _lists(np.full((n, k), -1, np.int32), pa.int32(), -1),
        col.info_csq: pa.nulls(n, pa.string()), col.info_ann: pa.nulls(n, pa.string()),
        col.info_bcsq: pa.nulls(n, pa.string()),
    }
    columns[ALT_HAPLOTYPE] = (_lists(alt_hap.astype(np.int8), pa.int8()) if alt_hap is not None
                              else pa.nulls(n, pa.list_(pa.int8())))
    return pa.table(columns).select(VARIANTS.names)


def annotations_table(variant_idx: np.ndarray, chrom: np.ndarray, pos: np.ndarray, genes: np.ndarray,
                      af: np.ndarray | None = None) -> pa.Table:
    """ANNOTATIONS rows (one per variant x gene); af NaN/None = not in the population source."""
    n = len(variant_idx)
    af_values = np.full(n, np.nan) if af is None else np.asarray(af, dtype=float)
    columns = {f.name: pa.nulls(n, f.type) for f in ANNOTATIONS}
    columns.update({
        col.variant_idx: pa.array(np.asarray(variant_idx, np.int64)),
        col.chrom: pa.array(np.asarray(chrom, dtype=object), pa.string()),
        col.pos: pa.array(np.asarray(pos, np.int64)),
        col.ref: pa.array(np.full(n, "A", dtype=object), pa.string()),
        col.alt: pa.array(np.full(n, "G", dtype=object), pa.string()),
        col.gene_symbol: pa.array(np.asarray(genes, dtype=object), pa.string()),
        col.gnomad_popmax_af: pa.array(af_values, pa.float64(), mask=np.isnan(af_values)),
    })
    return pa.table(columns, schema=ANNOTATIONS)


def write_tables(directory: Path | str, samples: list[str], variants: pa.Table, annotations: pa.Table,
                 build: str = "GRCh38") -> tuple[Path, Path]:
    """variants.parquet and annotations.parquet under `directory` with matching provenance."""
    directory = Path(directory)
    prov = Provenance(genome_build=build, samples=list(samples))
    return (write_table(variants, directory / "variants.parquet", "variants", prov),
            write_table(annotations, directory / "annotations.parquet", "annotations", prov))
