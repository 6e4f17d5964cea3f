"""`variantprio bench inheritance`: time segregation of a synthetic whole-genome trio.

The tables are generated directly in Arrow (no VCF), so the timing is the stage alone. The
reference in the same run is a plain read of the same Parquet columns: the printed ratio says
how much the mode tests cost on top of I/O. The stage runs in a child process so its peak RSS
is its own.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ...core.genome import CONTIG_LENGTHS
from ...inheritance.segregate import ANNOTATION_COLUMNS, VARIANT_COLUMNS
from ...inheritance.synthetic import annotations_table, variants_table, write_tables
from ...schemas import col

TRIO = ["kid", "dad", "mum"]
TRIO_PED = "FAM kid dad mum 1 2\nFAM dad 0 0 1 1\nFAM mum 0 0 2 1\n"
_ZYG_P = [0.05, 0.35, 0.40, 0.20]  # missing, hom-ref, het, hom-alt per sample


@dataclass
class InheritanceBench:
    variants: int
    gene_rows: int
    read_seconds: float
    segregate_seconds: float
    peak_rss_mb: float
    output_rows: int

    def lines(self) -> list[str]:
        return [f"segregation of a {self.variants:,}-variant trio ({self.gene_rows:,} variant x gene rows)",
                f"  segregate: {self.segregate_seconds:.1f} s, peak RSS {self.peak_rss_mb:,.0f} MB, "
                f"{self.output_rows:,} output rows",
                f"  reference (read the same Parquet columns): {self.read_seconds:.1f} s; "
                f"ratio {self.segregate_seconds / max(self.read_seconds, 1e-9):.1f}x"]


def synthetic_trio(directory: Path, n: int, seed: int = 7, alt_haplotypes: bool = False) -> tuple[Path, Path, Path]:
    """variants/annotations Parquet of a trio over the genome, about 80% of variants in genes;
    with `alt_haplotypes` phased hets also say which haplotype holds the ALT (phase sets count)."""
    rng = np.random.default_rng(seed)
    names = list(CONTIG_LENGTHS["GRCh38"])[:25]
    lengths = np.array(list(CONTIG_LENGTHS["GRCh38"].values())[:25], dtype=float)
    per_chrom = rng.multinomial(n, lengths / lengths.sum())
    chrom = np.repeat(np.array(names, dtype=object), per_chrom)
    pos = np.concatenate([np.sort(rng.integers(1, int(l), size=k)) for k, l in zip(per_chrom, lengths)])
    zyg = (rng.choice(4, size=(n, 3), p=_ZYG_P) - 1).astype(np.int8)
    zyg[rng.random(n) < 0.5, 0] = 1  # the proband carries most of its VCF's variants
    male_x = chrom == "chrX"
    zyg[:, :2] = np.where(male_x[:, None] & (zyg[:, :2] >= 1), 3, zyg[:, :2])  # kid and dad hemizygous
    phased = rng.random((n, 3)) < 0.3
    ps = np.where(phased, (pos // 50_000)[:, None], -1)
    hap = np.where(phased & (zyg == 1), rng.integers(1, 3, size=(n, 3)), 0) if alt_haplotypes else None
    variants = variants_table(chrom, pos, zyg, gq=rng.integers(0, 99, size=(n, 3)), phased=phased, ps=ps,
                              alt_hap=hap)
    in_gene = rng.random(n) < 0.8
    idx = np.flatnonzero(in_gene)
    genes = np.char.add("G", (idx // 250).astype(str)).astype(object)
    af = np.where(rng.random(len(idx)) < 0.3, np.nan, 10 ** rng.uniform(-6, -0.3, size=len(idx)))
    annotations = annotations_table(idx, chrom[idx], pos[idx], genes, af)
    v, a = write_tables(directory, TRIO, variants, annotations)
    ped = directory / "trio.ped"
    ped.write_text(TRIO_PED)
    return v, a, ped


def _run_segregate(v: str, a: str, ped: str, out: str) -> None:
    from ... import inheritance

    inheritance.run(inheritance.InheritanceInputs(v, a, "kid", ped), inheritance.InheritanceOutputs(out))


def _has_alt_haplotypes(variants: Path) -> bool:
    """The kept table was generated with ALT haplotypes (the column exists either way)."""
    if col.alt_hap not in pq.read_schema(variants).names:
        return False
    column = pq.read_table(variants, columns=[col.alt_hap]).column(0)
    return column.null_count < len(column)


def bench_inheritance(n_variants: int, keep: Path | None = None, alt_haplotypes: bool = False) -> InheritanceBench:
    """Generate (or reuse under `keep`) the trio tables, read them once, then time `segregate`."""
    with tempfile.TemporaryDirectory(prefix="vp_bench_inheritance_") as tmp:
        directory = keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        v, a, ped = directory / "variants.parquet", directory / "annotations.parquet", directory / "trio.ped"
        if not (v.exists() and a.exists() and pq.read_metadata(v).num_rows == n_variants
                and _has_alt_haplotypes(v) == alt_haplotypes):
            v, a, ped = synthetic_trio(directory, n_variants, alt_haplotypes=alt_haplotypes)
        started = time.perf_counter()
        pq.read_table(v, columns=VARIANT_COLUMNS)
        pq.read_table(a, columns=ANNOTATION_COLUMNS)
        read_seconds = time.perf_counter() - started
        out = directory / "segregation.parquet"
        context = multiprocessing.get_context("spawn")
        child = context.Process(target=_run_segregate, args=(str(v), str(a), str(ped), str(out)))
        started = time.perf_counter()
        child.start()
        child.join()
        seconds = time.perf_counter() - started
        if child.exitcode != 0:
            raise RuntimeError(f"segregate failed in the benchmark child (exit {child.exitcode})")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return InheritanceBench(n_variants, pq.read_metadata(a).num_rows, read_seconds, seconds, peak_kb / 1024,
                                pq.read_metadata(out).num_rows)
