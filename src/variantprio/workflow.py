"""Driving the Snakemake workflow: sample sheets, up-front validation, `run` and `demo`.

The Snakefile and rules live at the repository top level; an installed wheel carries a copy in
`variantprio/_workflow/` (see setup.py). Snakemake runs as a subprocess so that its scheduler,
locking and resumability are exactly those of a command-line `snakemake` run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd
import yaml

from .errors import InputError
from .tables import CONFIG_HASH_VARIABLE
from .yamlfile import read_yaml


def config_sha256(config: dict) -> str:
    """Stable hash of a workflow configuration (key order does not matter)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()

log = logging.getLogger(__name__)

SHEET_COLUMNS = ["sample_id", "family_id", "vcf", "ped", "hpo", "excluded_hpo", "phenopacket"]
_TERM_SPLIT = re.compile(r"[\s,;]+")


def workflow_dir() -> Path:
    """Directory holding the Snakefile: the source checkout, else the copy inside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1], here / "_workflow"):
        if (candidate / "Snakefile").is_file() and (candidate / "rules").is_dir():
            return candidate
    raise InputError("the workflow files (Snakefile, rules/) are not installed",
                     hint="reinstall variantprio with pip")


def load_sample_sheet(path: Path | str) -> pd.DataFrame:
    """Sample sheet as strings indexed by sample_id; optional columns default to ''."""
    path = Path(path)
    if not path.is_file():
        raise InputError("sample sheet not found", path=str(path), hint="set `samples:` in the config")
    try:
        sheet = pd.read_csv(path, sep="\t", dtype=str, comment="#", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"not a readable TSV ({err})", path=str(path)) from None
    sheet.columns = [c.strip() for c in sheet.columns]
    missing = [c for c in ("sample_id", "family_id", "vcf") if c not in sheet.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=str(path), where="line 1",
                         hint=f"columns are {', '.join(SHEET_COLUMNS)} (tab-separated)")
    for column in SHEET_COLUMNS:
        if column not in sheet.columns:
            sheet[column] = ""
    sheet = sheet[SHEET_COLUMNS].apply(lambda col: col.str.strip())
    duplicated = sheet["sample_id"][sheet["sample_id"].duplicated()].tolist()
    if duplicated:
        raise InputError(f"duplicate sample_id(s) {', '.join(duplicated)}", path=str(path),
                         hint="one row per proband")
    return sheet.set_index("sample_id", drop=False)


def vcf_ids(vcf_paths) -> dict[str, str]:
    """Short, stable, unique IDs for result paths: the file stem, plus a hash when stems collide."""
    unique = list(dict.fromkeys(vcf_paths))
    stems = {p: re.sub(r"\.(vcf\.gz|vcf\.bgz|vcf|bcf)$", "", Path(p).name) for p in unique}
    counts = pd.Series(list(stems.values())).value_counts()
    return {p: stem if counts[stem] == 1 else f"{stem}-{hashlib.sha1(p.encode()).hexdigest()[:8]}"
            for p, stem in stems.items()}


def regex_escape(text: str) -> str:
    return re.escape(text)


def clean_terms(text: str) -> str:
    """Comma-joined HPO IDs from a sheet cell that may use commas, semicolons or spaces."""
    return ",".join(t for t in _TERM_SPLIT.split(text) if t)


@dataclass
class InputCheck:
    """Outcome of checking one sample sheet: every problem at once, plus what was checked."""

    problems: list[str] = field(default_factory=list)
    checked: list[tuple[str, str, str]] = field(default_factory=list)  # (sample, check, result)


def input_problems(samples: pd.DataFrame, config: dict) -> list[str]:
    """All input problems of a workflow run, as one line each (empty list: good to go)."""
    return check_inputs(samples, config).problems


def check_inputs(samples: pd.DataFrame, config: dict) -> InputCheck:
    """Validate every input of every sample before any heavy job (see `variantprio validate`)."""
    from .inputs_check import InputChecker  # heavy imports only when checking

    return InputChecker(config).check(samples)


def write_run_config(out_dir: Path, samples_tsv: Path, gene_model: str = "", fasta: str = "",
                     build: str = "GRCh38", extra: dict | None = None) -> Path:
    """Config for a one-off run whose results land directly in `out_dir/<sample>/`."""
    config = {"samples": str(samples_tsv.resolve()), "results": ".", "genome_build": build,
              "gene_model": str(Path(gene_model).resolve()) if gene_model else "",
              "fasta": str(Path(fasta).resolve()) if fasta else ""}
    config.update(extra or {})
    path = out_dir / ".variantprio" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    new_text = yaml.safe_dump(config, sort_keys=False)
    if not path.exists() or path.read_text() != new_text:  # keep mtimes stable for re-runs
        path.write_text(new_text)
    return path


def run_snakemake(config_file: Path, workdir: Path, cores: int = 2, dry_run: bool = False,
                  profile: str | None = None, extra_args: list[str] | None = None) -> None:
    """Run the packaged workflow; resumes an interrupted run (incomplete jobs are redone)."""
    wf = workflow_dir()
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(wf / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(config_file), "--cores", str(cores),
           "--rerun-incomplete", "--printshellcmds"]
    if profile:
        cmd += ["--profile", str(wf / "pipeline" / "profiles" / profile)]
    if dry_run:
        cmd.append("--dry-run")
    cmd += extra_args or []
    env = dict(os.environ)
    # Rules call `variantprio`: make the interpreter's own scripts directory win on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with _run_marker(Path(workdir)) as stale:
        if stale:
            log.warning("a previous run in %s was interrupted (pid %s is gone): removing its stale "
                        "Snakemake lock and resuming", workdir, stale)
            unlock = cmd[:cmd.index("--cores")] + ["--unlock"]
            subprocess.run(unlock, env=env, cwd=workdir, stdout=subprocess.DEVNULL, check=False)
        log.info("running: %s", " ".join(cmd))
        result = subprocess.run(cmd, env=env, cwd=workdir)
    if result.returncode != 0:
        logs = Path(workdir) / "logs"
        raise InputError(f"the Snakemake workflow failed (exit code {result.returncode})",
                         path=str(workdir), hint=f"see the messages above and the rule logs in {logs}")


@contextmanager
def _run_marker(workdir: Path) -> Iterator[int | None]:
    """Record this run's pid; yields the pid of an earlier run that died without cleaning up (its
    Snakemake lock is stale), None otherwise. A live earlier run is an error, not a stale lock."""
    marker = workdir / ".variantprio" / "run.pid"
    stale = None
    if marker.exists():
        try:
            pid = int(marker.read_text().strip())
        except ValueError:
            pid = 0
        if pid and _alive(pid):
            raise InputError(f"another variantprio run (pid {pid}) is using this directory", path=str(workdir),
                             hint="wait for it to finish or stop it, then re-run")
        stale = pid or None
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(os.getpid()))
    try:
        yield stale
    finally:
        marker.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_single_sample_sheet(out_dir: Path, sample: str, vcf: str, ped: str | None,
                              hpo: str | None, exclude: str | None, phenopacket: str | None,
                              family: str | None = None) -> Path:
    """Sample sheet with one proband, absolute paths (so the run does not depend on the cwd)."""
    if not (hpo or phenopacket):
        raise InputError("no phenotype given", where=f"sample {sample}",
                         hint="pass --hpo HP:...,HP:... or --phenopacket FILE")
    absolute = lambda p: str(Path(p).resolve()) if p else ""  # noqa: E731
    row = {"sample_id": sample, "family_id": family or sample, "vcf": absolute(vcf),
           "ped": absolute(ped), "hpo": clean_terms(hpo or ""), "excluded_hpo": clean_terms(exclude or ""),
           "phenopacket": absolute(phenopacket)}
    path = out_dir / ".variantprio" / "samples.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\t".join(SHEET_COLUMNS) + "\n" + "\t".join(row[c] for c in SHEET_COLUMNS) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def top_genes(out_dir: Path, samples: list[str]) -> dict[str, tuple[str, float] | None]:
    """First-ranked gene and its combined score per sample, read from genes.parquet."""
    from .tables import read_table

    tops: dict[str, tuple[str, float] | None] = {}
    for sample in samples:
        genes, _ = read_table(out_dir / sample / "genes.parquet", "genes",
                              columns=["rank", "gene_symbol", "combined_score"])
        if genes.num_rows == 0:
            tops[sample] = None
            continue
        best = genes.sort_by([("rank", "ascending")]).slice(0, 1).to_pylist()[0]
        tops[sample] = (best["gene_symbol"], best["combined_score"])
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
                   out: str | None) -> InputCheck:
    """`variantprio validate`: log every problem, write the check table, fail if any problem."""
    from .tables import atomic_path

    config = load_config(config_file)
    config["samples"] = samples_tsv
    if build:
        config["genome_build"] = build
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
    from .inheritance.pedigree import read_ped

    try:
        family = read_ped(ped).family_of(sample)
    except InputError:
        return None  # validation reports the PED problem with full context
    return getattr(family, "family_id", None) or getattr(family, "id", None)


def run_case(*, vcf: str, ped: str | None, hpo: str | None, exclude: str | None,
             phenopacket: str | None, sample: str, family: str | None, gene_model: str, fasta: str,
             build: str, out_dir: Path, cores: int, dry_run: bool) -> None:
    """`variantprio run`: one proband through the same workflow a batch uses."""
    out_dir.mkdir(parents=True, exist_ok=True)
    family = family or (_family_from_ped(ped, sample) if ped else None)
    sheet = write_single_sample_sheet(out_dir, sample, vcf, ped, hpo, exclude, phenopacket, family)
    config = write_run_config(out_dir, sheet, gene_model=gene_model, fasta=fasta, build=build)
    run_snakemake(config, out_dir, cores=cores, dry_run=dry_run)
    if not dry_run:
        print_results(out_dir, [sample])


def print_results(out_dir: Path, samples: list[str]) -> dict[str, tuple[str, float] | None]:
    """Tell the user where the results are and which gene ranked first."""
    tops = top_genes(out_dir, samples)
    for sample, top in tops.items():
        where = out_dir / sample
        first = f"{top[0]} (combined score {top[1]:.3f})" if top else "no candidate gene"
        print(f"{sample}: first-ranked gene {first}; report {where / 'report.html'}; "
              f"tables {where / 'genes.parquet'}, {where / 'variants.parquet'}")
    if (out_dir / "summary.html").exists():
        print(f"batch summary: {out_dir / 'summary.html'}")
    return tops
