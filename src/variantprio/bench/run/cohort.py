"""`variantprio bench cohort`: add synthetic exomes to a cohort database, export the in-house
frequencies and time single-variant AC/AN lookups, on DuckDB (and PostgreSQL when given a URL).

Each exome is a singleton proband whose genotypes are drawn from one pool of sites with log-uniform
allele frequencies (1e-4 .. 0.5), sized so that an exome carries about `n_variants` of them. The
adds and the export run as `variantprio cohort ...` subprocesses, one `cohort add` per results
directory of `batch` exomes, so wall time and peak RSS are those of the commands a user runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...cohort.synthetic import SyntheticFamily, write_results_dir
from .ingest import _timed

_CHROMS = [f"chr{i}" for i in range(1, 23)] + ["chrX"]


@dataclass
class EngineResult:
    engine: str
    add_seconds: float
    frequencies_seconds: float
    peak_rss_mb: float
    lookup_ms: list[float]
    variants_exported: int

    def line(self) -> str:
        ms = sorted(self.lookup_ms)
        return (f"{self.engine}: add {self.add_seconds:.0f} s + frequencies {self.frequencies_seconds:.1f} s = "
                f"{self.add_seconds + self.frequencies_seconds:.0f} s total, peak RSS {self.peak_rss_mb:.0f} MB, "
                f"{self.variants_exported:,} variants exported; AC/AN lookup median {statistics.median(ms):.1f} ms, "
                f"max {ms[-1]:.1f} ms over {len(ms)} variants")


@dataclass
class CohortBenchResult:
    exomes: int
    variants_per_exome: float
    genotypes: int
    generate_seconds: float
    engines: list[EngineResult] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{self.exomes} synthetic exomes, {self.variants_per_exome:,.0f} variants each on average, "
                f"{self.genotypes:,} genotypes (generated in {self.generate_seconds:.0f} s, not timed below)",
                *[e.line() for e in self.engines]]


def synthetic_batches(directory: Path, exomes: int, n_variants: int, batch: int, seed: int = 1
                      ) -> tuple[list[Path], int, np.ndarray]:
    """Results directories of `batch` singleton exomes each; returns them, the genotype count and
    the site keys (for lookups)."""
    rng = np.random.default_rng(seed)
    af = 10 ** rng.uniform(-4, np.log10(0.5), 400_000)
    n_sites = int(n_variants / np.mean(1 - (1 - af) ** 2))
    af = 10 ** rng.uniform(-4, np.log10(0.5), n_sites)
    chrom_idx = np.sort(rng.integers(0, len(_CHROMS), n_sites))
    pos = np.empty(n_sites, np.int64)
    for c in range(len(_CHROMS)):  # distinct sorted positions per chromosome, 100 bp apart at least
        at = np.flatnonzero(chrom_idx == c)
        slots = rng.permutation(1_400_000)[:len(at)]
        pos[at] = 3_000_000 + np.sort(slots) * 100
    chrom = np.array(_CHROMS, dtype=object)[chrom_idx]
    bases = np.array(["A", "C", "G", "T"], dtype=object)
    ref_i = rng.integers(0, 4, n_sites)
    ref, alt = bases[ref_i], bases[(ref_i + rng.integers(1, 4, n_sites)) % 4]
    on_x = chrom == "chrX"
    dirs, genotypes = [], 0
    for start in range(0, exomes, batch):
        families = []
        for i in range(start, min(start + batch, exomes)):
            sex = int(rng.integers(1, 3))
            copies = rng.binomial(2, af)
            if sex == 1:
                copies = np.where(on_x, np.minimum(copies, 1) * 3, copies)  # hemizygous calls on chrX
            rows = np.flatnonzero(copies > 0)
            sample = f"EX{i:05d}"
            families.append(SyntheticFamily(
                f"FAM{i:05d}", sample, [(sample, None, None, sex, True)], chrom[rows], pos[rows], ref[rows],
                alt[rows], copies[rows].reshape(-1, 1), genes=[(f"GENE{g}", 1 - g / 30) for g in range(20)]))
            genotypes += len(rows)
        dirs.append(write_results_dir(directory / f"batch{start // batch:03d}", families))
    return dirs, genotypes, np.stack([chrom, pos, ref, alt], axis=1)


def _variantprio(*args: str) -> float:
    """Run `variantprio ARGS`; its peak RSS in MB (polled VmHWM, see bench.ingest)."""
    return _timed([sys.executable, "-m", "variantprio", *args]).peak_rss_mb


def run_engine(engine: str, db: str, dirs: list[Path], keys: np.ndarray, out: Path, lookups: int = 200,
               seed: int = 2) -> EngineResult:
    """Add every directory (one `cohort add` each), export frequencies, then time lookups."""
    from ...cohort.frequencies import lookup
    from ...cohort.schema import open_cohort

    t0 = time.perf_counter()
    rss = max(_variantprio("cohort", "add", "--db", db, str(d)) for d in dirs)
    add_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    export = out / f"inhouse-{engine}.parquet"
    rss = max(rss, _variantprio("cohort", "frequencies", "--db", db, "--out", str(export)))
    frequencies_seconds = time.perf_counter() - t1
    import pyarrow.parquet as pq

    exported = pq.ParquetFile(export).metadata.num_rows
    rng = np.random.default_rng(seed)
    times = []
    with open_cohort(db, write=False) as store:
        lookup(store, *keys[0])  # first query warms the connection
        for row in keys[rng.integers(0, len(keys), lookups)]:
            t = time.perf_counter()
            lookup(store, row[0], int(row[1]), row[2], row[3])
            times.append((time.perf_counter() - t) * 1000)
    return EngineResult(engine, add_seconds, frequencies_seconds, rss, times, exported)


def bench_cohort(exomes: int, n_variants: int, batch: int, *, postgres: str | None = None,
                 keep: Path | None = None) -> CohortBenchResult:
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="variantprio-bench-cohort-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    dirs, genotypes, keys = synthetic_batches(work / "results", exomes, n_variants, batch)
    result = CohortBenchResult(exomes, genotypes / exomes, genotypes, time.perf_counter() - t0)
    db = work / "cohort.duckdb"
    db.unlink(missing_ok=True)
    result.engines.append(run_engine("duckdb", str(db), dirs, keys, work))
    if postgres:
        result.engines.append(run_engine("postgres", postgres, dirs, keys, work))
    return result
