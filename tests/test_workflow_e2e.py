"""The whole pipeline through real Snakemake runs: demo, shipped config, batches, re-runs (a killed run
resumes in test_run_lock)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import cli_env, run_cli
from variantprio.demo import DEMO_CASES, write_batch_data
from variantprio.workflow import workflow_dir

REPO = workflow_dir()
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")


def _planned_jobs(workdir: Path, configfile: Path) -> list[tuple[str, str]]:
    """(rule, sample-or-vcf wildcard) of every job a dry run would start."""
    out = subprocess.run(SNAKEMAKE + ["--directory", str(workdir), "--configfile", str(configfile),
                                      "--cores", "2", "--dry-run"], capture_output=True, text=True,
                         env=cli_env())
    assert out.returncode == 0, out.stdout + out.stderr
    jobs, rule = [], None
    for line in (out.stdout + out.stderr).splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line.strip()):
            rule = m.group(1)
            jobs.append((rule, ""))
        elif rule and (m := re.match(r"^wildcards: (.*)$", line.strip())):
            jobs[-1] = (rule, m.group(1))
    return jobs


@pytest.fixture(scope="module")
def demo_run(readme_run):
    """The demo as the README's set-up command ran it (`variantprio demo --out variantprio-demo` in a
    fresh install): the suite's one real run of the whole demo batch."""
    result = readme_run.results[0]
    assert result.returncode == 0, result.stderr[-3000:]
    return readme_run.copy / "variantprio-demo", result


def test_demo_ranks_each_planted_gene_first(demo_run):
    out, result = demo_run
    for case in DEMO_CASES:
        assert f"{case.child}: planted" in result.stdout
        genes = pq.read_table(out / case.child / "genes.parquet").to_pandas().sort_values("rank")
        assert genes.iloc[0]["gene_symbol"] == case.gene, genes.head(5).to_string()
        assert genes.iloc[0]["rank"] == 1.0
        for name in ("report.html", "variants.parquet", "candidates.tsv", "candidates.xlsx",
                     "candidates.vcf.gz"):
            assert (out / case.child / name).stat().st_size > 0
    assert (out / "summary.html").exists()


def test_demo_runs_each_job_once_and_records_its_time_in_benchmarks(demo_run):
    """Speed is measured, not asserted: every job leaves one Snakemake benchmark record (its seconds,
    memory and I/O), and no job runs twice -- each VCF is ingested and annotated once, each child
    goes through the per-sample stages once."""
    out, _ = demo_run
    vcfs = [f"{case.family}.trio" for case in DEMO_CASES]
    children = [case.child for case in DEMO_CASES]
    expected = ({f"{rule}/{v}" for rule in ("ingest", "annotate") for v in vcfs}
                | {f"{rule}/{c}" for rule in ("inheritance", "phenotype", "rank", "report") for c in children}
                | {"validate/all", "summary/all"})
    records = {p.relative_to(out / "benchmarks").with_suffix("").as_posix(): p
               for p in (out / "benchmarks").rglob("*.tsv")}
    assert set(records) == expected
    for job, path in records.items():
        header, *rows = path.read_text().splitlines()
        assert header.split("\t")[0] == "s" and len(rows) == 1, job  # one run of the job
        assert float(rows[0].split("\t")[0]) >= 0, job


def test_every_result_file_records_versions(demo_run):
    out, _ = demo_run
    files = list(out.rglob("*.parquet"))
    assert len(files) >= 2 * len(DEMO_CASES) + 4
    for path in files:
        meta = {k.decode(): v.decode() for k, v in pq.read_schema(path).metadata.items()}
        assert meta["variantprio.version"], path
        assert meta["variantprio.genome_build"] == "GRCh38", path
        assert meta["variantprio.schema"], path
        assert meta["variantprio.command"].startswith("variantprio "), path
        assert re.fullmatch(r"[0-9a-f]{64}", meta["variantprio.config_sha256"]), path
    phenotype_meta = pq.read_schema(out / DEMO_CASES[0].child / "genes.parquet").metadata
    assert b"HPO" in phenotype_meta[b"variantprio.sources"]


def test_shipped_config_lints_and_dry_runs_the_rule_chain(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    lint = subprocess.run(SNAKEMAKE + ["--directory", str(tmp_path), "--lint"], capture_output=True,
                          text=True, env=cli_env())
    # Conda/container directives are deliberately absent (the package pins its own environment), and
    # the config hash ({VP}) is provenance stamped into the outputs, deliberately not a rerun trigger
    # (a params entry would re-run every stage when any setting changes); every other lint must be clean.
    lints = set(re.findall(r"^\s+\* (.+?):?$", lint.stdout + lint.stderr, flags=re.M))
    assert lints <= {"Specify a conda environment or container for each rule.",
                     "Shell command directly uses variable VP from outside of the rule"}, lint.stdout + lint.stderr
    rules = {rule for rule, _ in _planned_jobs(tmp_path, tmp_path / "config" / "config.yaml")}
    assert {"demo_data", "validate", "ingest", "annotate", "inheritance", "phenotype", "rank",
            "report", "summary", "all"} <= rules


# A batch like a lab's, as small as shows each kind of row (see demo.write_batch_data): one VCF holds
# a trio (B01) and a singleton (B02: the child alone sequenced, no PED row in the sheet). Every job
# pays the start-up of a process, so each family more costs the suite seconds, not milliseconds; a
# VCF per family is what the demo and the README's batch run.
BATCH_FAMILIES, BATCH_SHARED = 2, 2
EDITED = 1  # the sheet line (B01-child) the tests below break or edit


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    data = write_batch_data(root / "data", n_families=BATCH_FAMILIES, shared=BATCH_SHARED, singletons={1})
    config = root / "config.yaml"
    config.write_text(f"samples: {data.samples_tsv}\nresults: results\ngenome_build: GRCh38\n"
                      f"gene_model: {data.gene_model}\n")
    return root, data, config


def test_batch_error_in_one_sample_is_reported_before_any_job(batch, tmp_path):
    root, data, _ = batch
    lines = data.samples_tsv.read_text().splitlines()
    fields = lines[EDITED].split("\t")
    assert "HP:0001251" in fields[4]
    fields[4] = fields[4].replace("HP:0001251", "HP:9999999")  # unknown HPO term in one sample
    broken = tmp_path / "samples.tsv"
    broken.write_text("\n".join(lines[:EDITED] + ["\t".join(fields)] + lines[EDITED + 1:]) + "\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"samples: {broken}\nresults: results\ngenome_build: GRCh38\n"
                      f"gene_model: {data.gene_model}\n")
    run = subprocess.run(SNAKEMAKE + ["--directory", str(tmp_path), "--configfile", str(config),
                                      "--cores", "2"], capture_output=True, text=True, env=cli_env())
    assert run.returncode != 0
    assert f"B{EDITED:02d}-child" in run.stdout + run.stderr and "HP:9999999" in run.stdout + run.stderr
    assert not (tmp_path / "results").exists(), "a job ran although an input was wrong"


def test_batch_runs_and_an_hpo_edit_reruns_only_that_sample(batch):
    root, data, config = batch
    run = subprocess.run(SNAKEMAKE + ["--directory", str(root), "--configfile", str(config), "--cores", "2"],
                         capture_output=True, text=True, env=cli_env())
    assert run.returncode == 0, run.stderr[-3000:]
    samples = [line.split("\t")[0] for line in data.samples_tsv.read_text().splitlines()[1:]]
    assert len(samples) == BATCH_FAMILIES
    for sample in samples:
        assert (root / "results" / sample / "report.html").exists()
    # the shared VCF ingested once
    assert len(list((root / "results" / "_vcf").iterdir())) == BATCH_FAMILIES - BATCH_SHARED + 1
    assert sum(1 for line in data.samples_tsv.read_text().splitlines()[1:] if not line.split("\t")[3]) == 1
    assert _planned_jobs(root, config) == []

    lines = data.samples_tsv.read_text().splitlines()
    fields = lines[EDITED].split("\t")
    fields[4] += ",HP:0001250"
    lines[EDITED] = "\t".join(fields)
    data.samples_tsv.write_text("\n".join(lines) + "\n")
    planned = _planned_jobs(root, config)
    per_sample = {(rule, wc) for rule, wc in planned if wc}
    assert {rule for rule, _ in per_sample} == {"phenotype", "rank", "report"}
    assert {wc for _, wc in per_sample} == {f"sample={fields[0]}"}
    assert {rule for rule, wc in planned if not wc} <= {"validate", "summary", "all"}


def test_slurm_profile_dry_run_submits_every_rule_with_partition_and_memory(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    config = tmp_path / "config" / "config.yaml"
    config.write_text(config.read_text().replace("slurm_partition: normal", "slurm_partition: genomics")
                      .replace("mem_mb_annotate: 4000", "mem_mb_annotate: 6000"))
    # as a user starts it: the shipped profile found by name (tests/test_slurm_cluster.py runs it for real)
    run = run_cli("batch", "--config", str(config), "--directory", str(tmp_path), "--profile", "slurm", "--dry-run")
    assert f"Using profile {REPO / 'pipeline' / 'profiles' / 'slurm'}" in run.stderr
    # a job's block: its `rule X:` line (indented inside a group job) down to the next timestamp
    jobs = re.findall(r"^\s*(?:local)?rule (\w+):\n(.*?)(?=^\s*\[|\Z)", run.stdout, flags=re.M | re.S)
    resources = {rule: body for rule, body in jobs}
    assert {"ingest", "annotate", "inheritance", "phenotype", "rank", "report"} <= set(resources)
    for rule in ("ingest", "annotate", "inheritance", "phenotype", "rank", "report"):
        assert "slurm_partition=genomics" in resources[rule], resources[rule]
    assert "mem_mb=6000" in resources["annotate"]
    # one cluster job per VCF and one per proband (the shipped config: two trios, a VCF each)
    groups = re.findall(r"Group job (\w+) ", run.stdout)
    assert sorted(groups) == ["proband", "proband", "vcf", "vcf"], groups
    assert "executor: slurm" in (REPO / "pipeline" / "profiles" / "slurm" / "config.yaml").read_text()
