"""Driving the Snakemake workflow: sample sheets, up-front validation, `run` and `demo`.

The Snakefile and rules live at the repository top level; an installed wheel carries a copy in
`variantprio/_workflow/` (see setup.py). Snakemake runs as a subprocess so that its scheduler,
locking and resumability are exactly those of a command-line `snakemake` run.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from .bundle import workflow_dir
from .errors import InputError
from .inputs_check import InputCheck, check_inputs
from .rulelogs import failed_rules
from .runlock import RunLock, run_child
from .schemas import col
from .sheet import (
    SHEET_COLUMNS,
    clean_terms,
    load_sample_sheet,
    schema_problems,
    vcf_ids,
)
from .tables import atomic_path
from .units import percent_text
from .yamlfile import read_yaml

if TYPE_CHECKING:
    from .settings import WorkflowConfig


log = logging.getLogger(__name__)

__all__ = ["clean_terms", "load_sample_sheet", "schema_problems", "vcf_ids",
           "workflow_dir"]  # used by rules/

# Files a proband's run leaves for people to read; removed when the run fails, so that a stale
# result of an earlier run (other terms, other data) never passes for this run's answer.
FINAL_OUTPUTS = ("genes.parquet", "variants.parquet", "report.html", "candidates.tsv", "candidates.xlsx",
                 "candidates.vcf.gz", "candidates.vcf.gz.tbi")
# Settings of a user's workflow config that `run --config` applies (paths made absolute).
RUN_CONFIG_KEYS = ("genome_build", "gene_model", "fasta", "sources", "builds", "liftover", "ingest", "annotate",
                   "inheritance", "phenotype", "report", "resources")


def input_problems(samples: pd.DataFrame, config: dict) -> list[str]:
    """All input problems of a workflow run, as one line each (empty list: good to go)."""
    return check_inputs(samples, config).problems


def _absolute(path: str | None) -> str:
    return str(Path(path).resolve()) if path else ""


def _write_if_changed(path: Path, text: str) -> Path:
    """Keep mtimes stable when nothing changed, so Snakemake re-runs nothing on a repeat run."""
    if not path.exists() or path.read_text() != text:
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return path


@dataclass(frozen=True)
class RunSettings:
    """Settings of a one-proband `run` beyond the sample: data, build and report options."""

    gene_model: str = ""
    fasta: str = ""
    build: str | None = None
    config_file: str | None = None
    sources_file: str | None = None
    hpo_dir: str | None = None
    top: int | None = None
    lang: str | None = None
    liftover_to: str | None = None
    chain: str | None = None

    def config(self, samples_tsv: Path) -> dict:
        """The workflow config of this run: the user's config file (paths made absolute), then the
        explicit options on top. Results land directly in OUT/<sample>/. The gene model, FASTA and
        sources options are the data of the build the analysis runs on: the liftover target when
        lifting, else the VCF's."""
        config = user_run_config(self.config_file) if self.config_file else {}
        if self.sources_file:
            config["sources"] = _absolute_sources(_sources_of(self.sources_file), self.sources_file)
        config.update({"samples": str(samples_tsv), "results": "."})
        if self.liftover_to or self.chain:
            config["liftover"] = {"to": self.liftover_to or "", "chain": _absolute(self.chain)}
        config["genome_build"] = (self.liftover_to or self.build or config.get("genome_build") or "GRCh38")
        config["gene_model"] = _absolute(self.gene_model) or config.get("gene_model", "")
        config["fasta"] = _absolute(self.fasta) or config.get("fasta", "")
        if self.hpo_dir:
            config.setdefault("phenotype", {})["hpo_dir"] = _absolute(self.hpo_dir)
        if self.top:
            config.setdefault("report", {})["top"] = self.top
        if self.lang:
            config.setdefault("report", {})["lang"] = self.lang
        return config


def user_run_config(config_file: str) -> dict:
    """The run-relevant settings of a workflow config, with its relative paths resolved."""
    raw = load_config(config_file)
    config = {k: raw[k] for k in RUN_CONFIG_KEYS if k in raw}
    for key in ("gene_model", "fasta"):
        if config.get(key):
            config[key] = _absolute(config[key])
    if config.get("sources"):
        config["sources"] = _absolute_sources(config["sources"], config_file)
    if isinstance(config.get("builds"), dict):
        config["builds"] = {build: _absolute_data(data, config_file) for build, data in config["builds"].items()}
    if isinstance(config.get("liftover"), dict) and config["liftover"].get("chain"):
        config["liftover"] = {**config["liftover"], "chain": _absolute(config["liftover"]["chain"])}
    if (config.get("phenotype") or {}).get("hpo_dir"):
        config["phenotype"] = {**config["phenotype"], "hpo_dir": _absolute(config["phenotype"]["hpo_dir"])}
    return config


def _absolute_data(data, where: str):
    """One `builds.<build>` entry with absolute paths (left as is when malformed: the schema says why)."""
    if not isinstance(data, dict):
        return data
    out = {**data, **{key: _absolute(data[key]) for key in ("gene_model", "fasta") if data.get(key)}}
    if isinstance(data.get("sources"), list):
        out["sources"] = _absolute_sources(data["sources"], where)
    return out


def _sources_of(sources_file: str) -> list:
    content = read_yaml(sources_file, "sources file")
    sources = content.get("sources") if isinstance(content, dict) else content
    if not isinstance(sources, list):
        raise InputError("expected a `sources:` list", path=sources_file,
                         hint="see config/config.yaml for the format of a source entry")
    return sources


def _absolute_sources(sources: list, where: str) -> list:
    if not all(isinstance(s, dict) for s in sources):
        raise InputError("every source must be a mapping {name, kind, path, version, build}", path=where)
    return [{**s, "path": _absolute(s.get("path"))} if s.get("path") else s for s in sources]


def write_run_config(out_dir: Path, config: dict) -> Path:
    """OUT/.variantprio/config.yaml (only rewritten when it changed)."""
    return _write_if_changed(out_dir / ".variantprio" / "config.yaml", yaml.safe_dump(config, sort_keys=False))


# Snakemake profiles shipped in pipeline/profiles/: this machine, or a SLURM cluster.
SHIPPED_PROFILES = ("local", "slurm")


def profile_dir(profile: str) -> Path:
    """A shipped profile by name, or the directory of a user's own Snakemake profile (e.g. a copy
    of the slurm one with an account set)."""
    if profile in SHIPPED_PROFILES:
        return workflow_dir() / "pipeline" / "profiles" / profile
    path = Path(profile)
    if not (path / "config.yaml").is_file():
        raise InputError(f"no Snakemake profile {profile!r}", where="--profile",
                         hint=f"use {' or '.join(SHIPPED_PROFILES)}, or a directory holding a profile's config.yaml")
    return path.resolve()


def run_snakemake(config_file: Path, workdir: Path, lock: RunLock, cores: int = 2, dry_run: bool = False,
                  profile: str | None = None, extra_args: list[str] | None = None) -> None:
    """Run the packaged workflow under `lock`; resumes an interrupted run (incomplete jobs are redone)."""
    wf = workflow_dir()
    workdir, config_file = workdir.resolve(), config_file.resolve()
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(wf / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(config_file), "--cores", str(cores),
           "--rerun-incomplete", "--printshellcmds", "--keep-going"]
    if profile:
        cmd += ["--profile", str(profile_dir(profile))]
    if dry_run:
        cmd.append("--dry-run")
    cmd += extra_args or []
    env = dict(os.environ)
    # Rules call `variantprio`: make the interpreter's own scripts directory win on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if lock.stale or any((workdir / ".snakemake" / "locks").glob("*")):
        # We hold the directory lock, so no earlier wrapper nor its workflow is alive: their lock is stale.
        log.warning("a previous run in %s was interrupted: removing its stale Snakemake lock and resuming",
                    workdir)
        unlock = cmd[:cmd.index("--cores")] + ["--unlock"]
        subprocess.run(unlock, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    log.info("running: %s", " ".join(cmd))
    started = time.time()
    returncode = run_child(cmd, env=env, cwd=workdir, lock=lock)
    if returncode != 0:
        for line in failed_rules(workdir / "logs", since=started):
            print(f"variantprio: {line}", file=sys.stderr)
        raise InputError(f"the workflow failed (exit code {returncode})", path=str(workdir),
                         hint=f"see the messages above and the rule logs in {workdir / 'logs'}")


def run_batch(config_file: Path, workdir: Path, *, profile: str, cores: int, dry_run: bool = False,
              snakemake_args: list[str] | None = None) -> None:
    """`variantprio batch`: the packaged workflow over a config's sample sheet, on this machine or a
    cluster (`profile`), from `workdir` (relative paths in the config resolve there, as with
    `snakemake --directory`); one batch per directory at a time."""
    config_file = Path(config_file)
    if not config_file.is_file():
        raise InputError("config file not found", path=str(config_file), hint="pass --config config/config.yaml")
    profile_dir(profile)  # an unknown profile is an error before the directory is locked
    with RunLock(workdir.resolve()) as lock:
        run_snakemake(config_file, workdir, lock, cores=cores, dry_run=dry_run, profile=profile,
                      extra_args=snakemake_args)


def single_sample_sheet(sample: str, vcf: str, ped: str | None, hpo: str | None, exclude: str | None,
                        phenopacket: str | None, family: str | None = None, build: str | None = None
                        ) -> pd.DataFrame:
    """The one-proband sheet of `run`, absolute paths (so the run does not depend on the cwd)."""
    if not (hpo or phenopacket):
        raise InputError("no phenotype given", where=f"sample {sample}",
                         hint="pass --hpo HP:...,HP:... or --phenopacket FILE")
    row = {"sample_id": sample, "family_id": family or sample, "vcf": _absolute(vcf),
           "ped": _absolute(ped), "hpo": clean_terms(hpo or ""), "excluded_hpo": clean_terms(exclude or ""),
           "phenopacket": _absolute(phenopacket), "build": build or ""}
    bad = [f"{key} {value!r}" for key, value in row.items() if any(c in value for c in "\t\n\r")]
    if bad:
        raise InputError(f"tabs and line breaks are not allowed in {', '.join(bad)}", where=f"sample {sample}")
    return pd.DataFrame([row], columns=SHEET_COLUMNS).set_index("sample_id", drop=False)


def write_sample_sheet(out_dir: Path, sheet: pd.DataFrame) -> Path:
    """OUT/.variantprio/samples.tsv (only rewritten when it changed)."""
    text = sheet[SHEET_COLUMNS].to_csv(sep="\t", index=False, quoting=3, lineterminator="\n")
    return _write_if_changed(out_dir / ".variantprio" / "samples.tsv", text)


def top_genes(out_dir: Path, samples: list[str]) -> dict[str, tuple[str, float] | None]:
    """First-ranked gene and its posterior per sample, read from genes.parquet."""
    from .tables import read_table

    tops: dict[str, tuple[str, float] | None] = {}
    for sample in samples:
        genes, _ = read_table(out_dir / sample / "genes.parquet", "genes",
                              columns=[col.rank, col.gene_symbol, col.posterior])
        if genes.num_rows == 0:
            tops[sample] = None
            continue
        best = genes.sort_by([(col.rank, "ascending")]).slice(0, 1).to_pylist()[0]
        tops[sample] = (best[col.gene_symbol], best[col.posterior])
    return tops


def load_config(config_file: Path | str | None) -> dict:
    """The workflow config as a dict ({} without a file); relative paths stay as written."""
    if not config_file:
        return {}
    config = read_yaml(config_file, "config file")
    if not isinstance(config, dict):
        raise InputError("expected a mapping of settings", path=str(config_file))
    return config


def validate_batch(samples_tsv: str, config_file: str | None, build: str | None,
                   out: str | None, hpo_dir: str | None = None) -> InputCheck:
    """`variantprio validate`: log every problem, write the check table, fail if any problem."""
    config = load_config(config_file)
    config["samples"] = samples_tsv
    if build:
        config["genome_build"] = build
    if hpo_dir:
        config["phenotype"] = {**(config.get("phenotype") or {}), "hpo_dir": hpo_dir}
    config.setdefault("genome_build", "GRCh38")
    sheet = load_sample_sheet(samples_tsv)
    report = check_inputs(sheet, config)
    if out:
        with atomic_path(out) as tmp:
            pd.DataFrame(report.checked, columns=["sample", "check", "result"]).to_csv(
                tmp, sep="\t", index=False)
    for problem in report.problems:
        log.error(problem)
    if report.problems:
        raise InputError(f"{len(report.problems)} input problem(s) in {len(sheet)} sample(s), listed above",
                         path=samples_tsv, hint="fix them all, then re-run")
    log.info("all inputs of %d sample(s) look good (%d checks)", len(sheet), len(report.checked))
    return report


def _family_from_ped(ped: str, sample: str) -> str | None:
    from .core.pedigree import read_ped

    try:
        family = read_ped(ped).family_of(sample)
    except InputError:
        return None  # validation reports the PED problem with full context
    return getattr(family, "family_id", None) or getattr(family, "id", None)


def fail_on_problems(problems: list[str], what: str) -> None:
    """Print every problem on its own line, then stop with one summary error."""
    for problem in problems:
        print(f"variantprio: error: {problem}", file=sys.stderr)
    if problems:
        raise InputError(f"{len(problems)} input problem(s), listed above; nothing was run", where=what,
                         hint="fix them all, then re-run")


def run_case(*, vcf: str, ped: str | None, hpo: str | None, exclude: str | None,
             phenopacket: str | None, sample: str, family: str | None, settings: RunSettings,
             out_dir: Path, cores: int, dry_run: bool, snakemake: bool = False) -> None:
    """`variantprio run`: one proband through the same stages a batch uses, in this process (or,
    with `snakemake`, through the workflow). Every input is checked, and the directory locked,
    before anything is written."""
    out_dir = out_dir.resolve()
    family = family or (_family_from_ped(ped, sample) if ped and Path(ped).is_file() else None)
    sheet = single_sample_sheet(sample, vcf, ped, hpo, exclude, phenopacket, family, settings.build)
    sheet_path = out_dir / ".variantprio" / "samples.tsv"
    config = settings.config(sheet_path)
    problems = schema_problems(config, "config.schema.yaml", "config")
    check = None if problems else check_inputs(sheet, {**config, "results": str(out_dir)})
    fail_on_problems(problems or check.problems, f"sample {sample}")
    if snakemake:
        run_locked(out_dir, sheet, config, [sample], cores=cores, dry_run=dry_run)
    else:
        run_in_process(out_dir, sheet, config, [sample], cores=cores, dry_run=dry_run, check=check)


def workflow_config(config: dict) -> WorkflowConfig:
    """The config a Snakemake run of `config` sees: the shipped config/config.yaml with `config`
    layered on top, key by key (as `--configfile` does), defaults filled in."""
    from .settings import WorkflowConfig

    shipped = load_config(workflow_dir() / "config" / "config.yaml")
    return WorkflowConfig.from_mapping(_layered(shipped, config))


def _layered(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _layered(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def run_in_process(out_dir: Path, sheet: pd.DataFrame, config: dict, probands: list[str], *, cores: int,
                   dry_run: bool = False, check: InputCheck | None = None) -> dict[str, tuple[str, float] | None]:
    """Lock OUT and run every stage here; whatever stops it removes the probands' final outputs."""
    from .inprocess import InProcessRun, planned_stages

    if dry_run:
        for stage, target in planned_stages(sheet):
            print(f"would run {stage} ({target})")
        return {}
    runner = InProcessRun(sheet, workflow_config(config), cores=cores)
    checked = pd.DataFrame(check.checked if check else [], columns=["sample", "check", "result"])
    _under_lock(out_dir, sheet, config, probands, lambda _config, _lock: runner.run(out_dir, validation=checked),
                BaseException)
    return print_results(out_dir, probands)


def run_locked(out_dir: Path, sheet: pd.DataFrame, config: dict, probands: list[str], *, cores: int,
               dry_run: bool = False) -> dict[str, tuple[str, float] | None]:
    """Run the workflow for the sheet under OUT's lock; a failed workflow removes the probands' final outputs."""
    _under_lock(out_dir, sheet, config, probands,
                lambda config_file, lock: run_snakemake(config_file, out_dir, lock, cores=cores, dry_run=dry_run),
                InputError)
    return {} if dry_run else print_results(out_dir, probands)


def _under_lock(out_dir: Path, sheet: pd.DataFrame, config: dict, probands: list[str],
                work: Callable[[Path, RunLock], object], failure: type[BaseException]) -> None:
    """Lock OUT, write the sheet and config, do `work`; when it raises `failure`, remove the probands'
    final outputs (a stale genes.parquet must not pass for this run's result)."""
    with RunLock(out_dir) as lock:
        write_sample_sheet(out_dir, sheet)
        config_file = write_run_config(out_dir, config)
        try:
            work(config_file, lock)
        except failure:
            removed = remove_final_outputs(out_dir, probands)
            if removed:
                print(f"variantprio: removed {removed} result file(s) of the failed run", file=sys.stderr)
            raise


def remove_final_outputs(out_dir: Path, probands: list[str]) -> int:
    removed = 0
    for sample in probands:
        for name in FINAL_OUTPUTS:
            path = out_dir / sample / name
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def print_results(out_dir: Path, samples: list[str]) -> dict[str, tuple[str, float] | None]:
    """Tell the user where the results are and which gene ranked first."""
    tops = top_genes(out_dir, samples)
    for sample, top in tops.items():
        where = out_dir / sample
        first = f"{top[0]} (posterior {percent_text(top[1])})" if top else "no candidate gene"
        print(f"{sample}: first-ranked gene {first}; report {where / 'report.html'}; "
              f"tables {where / 'genes.parquet'}, {where / 'variants.parquet'}")
    if (out_dir / "summary.html").exists():
        print(f"batch summary: {out_dir / 'summary.html'}")
    return tops

