"""`variantprio bench ingest`: time ingestion of a synthetic GATK-like VCF against `bcftools view`.

The reference run (`bcftools view -Ou`, a full parse to uncompressed BCF) happens in the same process
on the same file, so the printed ratio is comparable across machines. With `--threads N`, bcftools
gets `--threads N-1` (htslib's extra decompression threads): the same thread count as ours. At
N = 1 both decompress in one extra thread of execution at most: ours in a `bgzip -d` process
(single-threaded), bcftools in its main thread (`--threads 1` gains it ~5% here); ours also
encodes Parquet on a second thread, which bcftools, writing uncompressed BCF, has no work for.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.genome import CONTIG_LENGTHS
from ...errors import InputError

log = logging.getLogger(__name__)

_BASES = np.array(list("ACGT"))
_GATK_FORMAT = "GT:AD:DP:GQ:PL"


def _header(samples: list[str], build: str) -> str:
    lines = ["##fileformat=VCFv4.2", "##source=variantprio-bench (GATK-like synthetic)",
             '##FILTER=<ID=PASS,Description="All filters passed">',
             '##FILTER=<ID=LowQual,Description="Low quality">',
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
             '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
             '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled likelihoods">',
             '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
             '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
             '##INFO=<ID=AN,Number=1,Type=Integer,Description="Total alleles">',
             '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">',
             '##INFO=<ID=FS,Number=1,Type=Float,Description="Fisher strand">',
             '##INFO=<ID=MQ,Number=1,Type=Float,Description="Mapping quality">',
             '##INFO=<ID=QD,Number=1,Type=Float,Description="Quality by depth">',
             '##INFO=<ID=SOR,Number=1,Type=Float,Description="Strand odds ratio">']
    lines += [f"##contig=<ID={c},length={n}>" for c, n in CONTIG_LENGTHS[build].items()]
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                            *samples]))
    return "\n".join(lines) + "\n"


def _positions(rng: np.random.Generator, n: int, build: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (chromosome index, position) pairs spread over the main chromosomes by length."""
    lengths = np.array(list(CONTIG_LENGTHS[build].values())[:24], dtype=np.int64)
    per_chrom = rng.multinomial(n, lengths / lengths.sum())
    chrom_idx = np.repeat(np.arange(24), per_chrom)
    pos = np.concatenate([np.sort(rng.integers(1000, max(2000, int(l) - 1000), size=k))
                          for k, l in zip(per_chrom, lengths)])
    return chrom_idx, pos


def _sample_column(rng: np.random.Generator, n: int, n_alt: np.ndarray) -> list[str]:
    """GATK-style GT:AD:DP:GQ:PL strings; multi-allelic sites get 1/2 or 0/1 genotypes."""
    dp = rng.integers(5, 60, size=n)
    kind = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])  # hom-ref, het, hom-alt
    gq = rng.integers(3, 99, size=n)
    alt_reads = np.where(kind == 0, 0, np.where(kind == 1, dp // 2, dp))
    out = []
    for i in range(n):
        k, d, a, q = int(kind[i]), int(dp[i]), int(alt_reads[i]), int(gq[i])
        if n_alt[i] == 1:
            gt = ("0/0", "0/1", "1/1")[k]
            out.append(f"{gt}:{d - a},{a}:{d}:{q}:{(0, 40, 400)[k]},{(30, 0, 30)[k]},{(600, 500, 0)[k]}")
        else:
            gt = ("0/1", "1/2", "0/2")[k]
            out.append(f"{gt}:{d - a},{a // 2},{a - a // 2}:{d}:{q}:90,0,300,90,300,600")
    return out


def write_synthetic_vcf(path: Path, n_variants: int, n_samples: int, build: str = "GRCh38",
                        seed: int = 1, chunk: int = 200_000) -> Path:
    """Bgzipped, tabix-indexed VCF with SNVs, indels (~12%), multi-allelics (~3%), 5% non-PASS."""
    rng = np.random.default_rng(seed)
    samples = [f"S{i + 1}" for i in range(n_samples)]
    chrom_names = list(CONTIG_LENGTHS[build])[:24]
    chrom_idx, pos = _positions(rng, n_variants, build)
    with open(path, "wb") as out:
        bgzip = subprocess.Popen(["bgzip", "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=out)
        assert bgzip.stdin is not None
        bgzip.stdin.write(_header(samples, build).encode())
        for start in range(0, n_variants, chunk):
            bgzip.stdin.write(_body_chunk(rng, chrom_names, chrom_idx[start:start + chunk],
                                          pos[start:start + chunk], n_samples).encode())
        bgzip.stdin.close()
        if bgzip.wait() != 0:
            raise RuntimeError("bgzip failed")
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)
    return path


def _body_chunk(rng: np.random.Generator, chrom_names: list[str], chrom_idx: np.ndarray,
                pos: np.ndarray, n_samples: int) -> str:
    n = len(pos)
    ref = _BASES[rng.integers(0, 4, size=n)]
    alt = _BASES[(np.searchsorted(_BASES, ref) + rng.integers(1, 4, size=n)) % 4]
    kind = rng.choice(4, size=n, p=[0.85, 0.06, 0.06, 0.03])  # SNV, insertion, deletion, multi
    ins = [r + "".join(_BASES[rng.integers(0, 4, size=int(k))]) for r, k in
           zip(ref[kind == 1], rng.integers(1, 6, size=int((kind == 1).sum())))]
    ref = ref.astype(object)
    alt = alt.astype(object)
    alt[kind == 1] = ins
    dels = rng.integers(1, 6, size=int((kind == 2).sum()))
    ref[kind == 2] = [r + "".join(_BASES[rng.integers(0, 4, size=int(k))]) for r, k in zip(ref[kind == 2], dels)]
    alt[kind == 2] = [r[0] for r in ref[kind == 2]]
    multi = kind == 3
    alt[multi] = [a + "," + a + "T" for a in alt[multi]]
    n_alt = np.where(multi, 2, 1)
    qual = rng.gamma(2.0, 200.0, size=n)
    filt = np.where(rng.random(n) < 0.05, "LowQual", "PASS")
    dp = rng.integers(20, 200, size=n)
    columns = [_sample_column(rng, n, n_alt) for _ in range(n_samples)]
    lines = []
    for i in range(n):
        ac = "1,1" if n_alt[i] == 2 else "1"
        info = (f"AC={ac};AF=0.5;AN={2 * n_samples};DP={dp[i]};FS=0.000;MQ=60.00;"
                f"QD={qual[i] / dp[i]:.2f};SOR=0.693")
        samples = "\t".join(col[i] for col in columns)
        lines.append(f"{chrom_names[chrom_idx[i]]}\t{pos[i]}\t.\t{ref[i]}\t{alt[i]}\t{qual[i]:.2f}\t"
                     f"{filt[i]}\t{info}\t{_GATK_FORMAT}\t{samples}\n")
    return "".join(lines)


@dataclass
class TimedRun:
    """Wall time and peak resident memory of one child process."""

    seconds: float
    peak_rss_mb: float


def _timed(cmd: list[str], stdout=subprocess.DEVNULL) -> TimedRun:
    """Run a command, measuring its wall time and peak RSS.

    Peak RSS is the VmHWM of the child and its own children (parallel workers), polled from /proc:
    unlike getrusage's ru_maxrss it belongs to the exec'd program alone, not to the pages it
    inherited from this (larger) Python process at fork. Worker peaks are summed (an upper bound).
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err)
        peaks: dict[int, int] = {}
        while proc.poll() is None:
            for pid in _process_tree(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), _vm_hwm_kb(pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode()[-500:]}")
    return TimedRun(seconds, sum(peaks.values()) / 1024)


def _process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo += [int(c) for c in children.read().split()]
        except OSError:
            pass
    return tree


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class IngestBenchResult:
    variants: int
    samples: int
    rows: int
    ours: TimedRun
    bcftools: TimedRun
    source: str = "synthetic GATK-like, bgzipped"
    repeats: int = 1
    threads: int = 1

    @property
    def ratio(self) -> float:
        return self.ours.seconds / self.bcftools.seconds

    def lines(self) -> list[str]:
        best = f" (fastest of {self.repeats}, runs alternating)" if self.repeats > 1 else ""
        return [
            f"input: {self.variants:,} records x {self.samples} samples ({self.source})",
            f"variantprio ingest: {self.ours.seconds:.2f} s{best}, {self.variants / self.ours.seconds:,.0f} "
            f"variants/s, peak RSS {self.ours.peak_rss_mb:.0f} MB, {self.rows:,} rows written",
            f"{' '.join(reference_command(self.threads))}:  {self.bcftools.seconds:.2f} s{best}, "
            f"peak RSS {self.bcftools.peak_rss_mb:.0f} MB",
            f"ratio (ours / bcftools): {self.ratio:.2f}x",
        ]


def bench_ingest(n_variants: int, n_samples: int, keep: Path | None = None, threads: int = 1,
                 vcf: Path | None = None, repeat: int = 1) -> IngestBenchResult:
    """Time bcftools and `variantprio ingest` one after the other on the synthetic VCF (generated
    first) or on `vcf`; with `repeat` > 1 the two alternate and each keeps its fastest run, which
    damps the noise of a shared machine."""
    import sys

    import pyarrow.parquet as pq

    if shutil.which("bcftools") is None:
        raise InputError("bcftools not found on PATH", hint="install bcftools to compare against it")
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="variantprio-bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if vcf is None:
            vcf = workdir / f"synthetic_{n_variants}x{n_samples}.vcf.gz"
            if not vcf.exists():
                log.info("writing %s", vcf)
                write_synthetic_vcf(vcf, n_variants, n_samples)
            source = "synthetic GATK-like, bgzipped"
        else:
            n_variants, n_samples, source = *_vcf_size(vcf), vcf.name
        out = workdir / "variants.parquet"
        reference, ours = [], []
        for _ in range(repeat):
            reference.append(_timed([*reference_command(threads), str(vcf)]))
            ours.append(_timed([sys.executable, "-m", "variantprio", "ingest", "--vcf", str(vcf), "--out",
                                str(out), "--no-pass-only", "--threads", str(threads)]))
        rows = pq.read_metadata(out).num_rows
        return IngestBenchResult(n_variants, n_samples, rows, _fastest(ours), _fastest(reference), source, repeat,
                                 threads)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def reference_command(threads: int) -> list[str]:
    """`bcftools view -Ou`, with as many threads as `variantprio ingest --threads` (less its input)."""
    return ["bcftools", "view", "-Ou", *(["--threads", str(threads - 1)] if threads > 1 else [])]


def _fastest(runs: list[TimedRun]) -> TimedRun:
    """The fastest run's time, with the highest peak RSS of all runs (memory is not noise)."""
    return TimedRun(min(r.seconds for r in runs), max(r.peak_rss_mb for r in runs))


def _vcf_size(vcf: Path) -> tuple[int, int]:
    """(records, samples) of a VCF, counted by bcftools."""
    samples = subprocess.run(["bcftools", "query", "-l", str(vcf)], capture_output=True, text=True, check=True)
    records = subprocess.run(["bcftools", "view", "-H", "-G", str(vcf)], capture_output=True, check=True)
    return records.stdout.count(b"\n"), len(samples.stdout.split())
