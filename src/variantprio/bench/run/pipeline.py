"""`variantprio bench pipeline`: whole runs timed as a user meets them, stage by stage, beside
`bcftools view` of the same input in the same run (the yardstick that travels across machines).

Three scenarios: the real exome through `variantprio run` with empty caches (cold) and again with
them built (warm); a synthetic trio genome with four synthetic sources; a batch of exomes through
the Snakemake workflow. Wall time and peak RSS are those of the whole process tree.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ...errors import InputError
from ...inprocess import STAGE_TIMES
from .ingest import TimedRun, _timed, write_synthetic_vcf

log = logging.getLogger(__name__)

# Pfeiffer syndrome, the real exome's diagnosis: brachyturricephaly, broad thumbs and halluces.
EXOME_TERMS = "HP:0000244,HP:0011304,HP:0010055,HP:0000327"


@dataclass
class Figures:
    """One timed run: wall time and peak RSS of the process tree, per stage, and the yardstick."""

    scenario: str
    seconds: float
    peak_rss_mb: float
    bcftools_seconds: float
    stages: list[dict] = field(default_factory=list)  # stage, seconds, peak_rss_mb

    def lines(self) -> list[str]:
        ratio = self.seconds / self.bcftools_seconds if self.bcftools_seconds else float("nan")
        out = [(f"{self.scenario}: {self.seconds:.1f} s wall, peak RSS {self.peak_rss_mb:.0f} MB; "
                f"bcftools view {self.bcftools_seconds:.2f} s ({ratio:.1f}x)")]
        out += [f"  {row['stage']:<12} {row['seconds']:7.2f} s   peak RSS {row['peak_rss_mb']:6.0f} MB"
                for row in self.stages]
        return out


@contextlib.contextmanager
def _cache_at(directory: Path):
    """Children run with VARIANTPRIO_CACHE=directory (a cold run starts from an empty one)."""
    before = os.environ.get("VARIANTPRIO_CACHE")
    os.environ["VARIANTPRIO_CACHE"] = str(directory)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("VARIANTPRIO_CACHE", None)
        else:
            os.environ["VARIANTPRIO_CACHE"] = before


def bcftools_seconds(vcfs: list[Path]) -> float:
    """`bcftools view` of every input, one after the other: the reference of the same run."""
    if shutil.which("bcftools") is None:
        raise InputError("bcftools not found on PATH", hint="install bcftools to compare against it")
    return sum(_timed(["bcftools", "view", "-Ou", "-o", os.devnull, str(vcf)]).seconds for vcf in vcfs)


def _in_process_stages(out: Path) -> list[dict]:
    table = pd.read_csv(out / "benchmarks" / STAGE_TIMES, sep="\t")
    per = table.groupby("stage", sort=False).agg(seconds=("seconds", "sum"), peak_rss_mb=("peak_rss_mb", "max"))
    return [{"stage": stage, **row} for stage, row in per.to_dict("index").items()]


def _run(args: list[str]) -> TimedRun:
    return _checked([sys.executable, "-m", "variantprio", "run", *args])


def _checked(cmd: list[str]) -> TimedRun:
    try:
        return _timed(cmd)
    except RuntimeError as err:  # the run's own one-line error is the last line of its message
        raise InputError(f"a benchmarked run failed: {str(err).strip().splitlines()[-1]}") from None


def bench_exome(vcf: Path, proband: str, gene_model: Path, hpo_dir: Path | None, work: Path,
                terms: str = EXOME_TERMS) -> list[Figures]:
    """The real exome through `run`: cold (empty cache: gene model and HPO built), then warm."""
    yardstick = bcftools_seconds([vcf])
    args = ["--vcf", str(vcf), "--sample", proband, "--hpo", terms, "--gene-model", str(gene_model),
            *(["--hpo-dir", str(hpo_dir)] if hpo_dir else [])]
    figures = []
    with _cache_at(work / "cache"):
        for label in ("exome cold", "exome warm"):
            out = work / label.replace(" ", "-")
            timed = _run([*args, "--out", str(out)])
            figures.append(Figures(label, timed.seconds, timed.peak_rss_mb, yardstick, _in_process_stages(out)))
    return figures


def bench_genome(n_variants: int, gene_model: Path, hpo_dir: Path | None, work: Path,
                 terms: str = EXOME_TERMS) -> Figures:
    """A synthetic trio genome (GATK-like records) with four synthetic sources at its sites."""
    from ... import ingest
    from .annotate import synthetic_sources

    vcf = work / f"genome-{n_variants}.trio.vcf.gz"
    if not vcf.exists():
        log.info("writing a synthetic %d-record trio genome to %s", n_variants, vcf)
        write_synthetic_vcf(vcf, n_variants, 3)
    ped = work / "trio.ped"
    ped.write_text("T1\tS1\tS2\tS3\t1\t2\nT1\tS2\t0\t0\t1\t1\nT1\tS3\t0\t0\t2\t1\n")
    sites = work / "genome-sites.parquet"
    if not sites.exists():
        ingest.run(ingest.IngestInputs(vcf), ingest.IngestOutputs(sites), ingest.IngestOptions(pass_only=False))
    sources = work / "sources" / "sources.yaml"
    if not sources.exists():  # a kept run's sources are reused
        sources = synthetic_sources(sites, work / "sources")
    yardstick = bcftools_seconds([vcf])
    out = work / "genome"
    with _cache_at(work / "cache"):
        timed = _run(["--vcf", str(vcf), "--ped", str(ped), "--sample", "S1", "--hpo", terms,
                      "--gene-model", str(gene_model), "--sources", str(sources), "--out", str(out),
                      *(["--hpo-dir", str(hpo_dir)] if hpo_dir else [])])
    return Figures(f"genome {n_variants:,} x 3, 4 sources", timed.seconds, timed.peak_rss_mb, yardstick,
                   _in_process_stages(out))


def bench_batch(vcf: Path, proband: str, n_exomes: int, gene_model: Path, hpo_dir: Path | None, work: Path,
                terms: str = EXOME_TERMS, cores: int = 2) -> Figures:
    """`n_exomes` exomes through the Snakemake workflow: copies of the real one, each with its sample
    renamed (P01, P02, ...) so that every copy is its own VCF and proband."""
    import yaml

    batch = work / "batch"
    vcfs = [_renamed_copy(vcf, proband, f"P{i + 1:02d}", batch / "data") for i in range(n_exomes)]
    sheet = batch / "samples.tsv"
    pd.DataFrame([{"sample_id": f"P{i + 1:02d}", "family_id": f"F{i + 1:02d}", "vcf": str(path), "ped": "",
                   "hpo": terms, "excluded_hpo": "", "phenopacket": ""} for i, path in enumerate(vcfs)]
                 ).to_csv(sheet, sep="\t", index=False)
    config = batch / "config.yaml"
    config.write_text(yaml.safe_dump({"samples": str(sheet), "results": "results", "gene_model": str(gene_model),
                                      "phenotype": {"hpo_dir": str(hpo_dir) if hpo_dir else ""}}))
    yardstick = bcftools_seconds(vcfs)
    with _cache_at(work / "cache"):
        timed = _checked([sys.executable, "-m", "variantprio", "batch", "--config", str(config), "--directory",
                          str(batch), "--profile", "local", "--cores", str(cores)])
    return Figures(f"batch of {n_exomes} exomes (Snakemake, {cores} cores)", timed.seconds, timed.peak_rss_mb,
                   yardstick, _rule_stages(batch / "benchmarks"))


def _renamed_copy(vcf: Path, sample: str, new_name: str, directory: Path) -> Path:
    """A copy of the VCF whose sample `sample` is called `new_name` (bcftools reheader), indexed."""
    import subprocess

    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{new_name}.vcf.gz"
    if not out.exists():
        names = directory / f"{new_name}.names.txt"
        names.write_text(f"{sample} {new_name}\n")
        subprocess.run(["bcftools", "reheader", "-s", str(names), "-o", str(out), str(vcf)], check=True)
        subprocess.run(["tabix", "-f", "-p", "vcf", str(out)], check=True)
    return out


def _rule_stages(benchmarks: Path) -> list[dict]:
    """Per rule: Snakemake's benchmark files summed (seconds) and their largest max_rss."""
    rows = []
    for rule in sorted(p for p in benchmarks.iterdir() if p.is_dir()):
        tables = [pd.read_csv(f, sep="\t") for f in rule.glob("*.tsv")]
        if tables:
            table = pd.concat(tables)
            rss = pd.to_numeric(table["max_rss"], errors="coerce").max()
            rows.append({"stage": rule.name, "seconds": float(table["s"].sum()),
                         "peak_rss_mb": float(0 if pd.isna(rss) else rss)})
    return rows


def bench_pipeline(vcf: Path, proband: str | None, gene_model: Path, hpo_dir: Path | None, genome_variants: int,
                   batch: int, keep: Path | None = None, out: Path | None = None, terms: str = EXOME_TERMS
                   ) -> list[Figures]:
    """Every scenario asked for (0 variants / 0 exomes skips one); the JSON has every figure."""
    from ...ingest.header import read_header

    proband = proband or read_header(str(vcf)).samples[0]
    with tempfile.TemporaryDirectory(prefix="vp-bench-pipeline-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        figures = bench_exome(vcf, proband, gene_model, hpo_dir, work, terms)
        if genome_variants:
            figures.append(bench_genome(genome_variants, gene_model, hpo_dir, work, terms))
        if batch:
            figures.append(bench_batch(vcf, proband, batch, gene_model, hpo_dir, work, terms))
    if out:
        from ...tables import atomic_path

        with atomic_path(out) as path:
            path.write_text(json.dumps([asdict(f) for f in figures], indent=2))
    return figures
