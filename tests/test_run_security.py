"""Hostile and awkward inputs to `run` and to a batch (issue 15): file names and sheet values are
data, never code; bad input fails in one line, early, leaving nothing behind and nothing outside OUT."""

from __future__ import annotations

import csv
import gzip
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from pysam.libcbgzf import BGZFile

from conftest import FAM1_CHILD, FAM1_TERMS, cli_env, fam1_run_args, run_cli, write_vcf
from variantprio.bundle import workflow_dir

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")

CHILD = FAM1_CHILD
TERMS = FAM1_TERMS
# Each name tries one shell trick; a canary file appears in the working directory if any runs.
HOSTILE = {
    "substitution": "x$(touch CANARY_sub)",
    "backticks": "x`touch CANARY_tick`",
    "semicolon": "x;touch CANARY_semi;",
    "spaces and quotes": "x 'y' \"z\"",
    "hash": "run#12",
}
FINAL = ("genes.parquet", "variants.parquet", "report.html", "candidates.tsv", "candidates.xlsx")


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _no_traceback(result: subprocess.CompletedProcess, out: Path | None = None) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    if out is not None and (out / "logs").is_dir():
        for log in (out / "logs").rglob("*.log"):
            assert "Traceback" not in log.read_text(errors="replace"), log


def _batch_config(directory: Path, sheet: Path, gene_model: Path, results: str = "results") -> Path:
    """A workflow config for a batch (values JSON-quoted: valid YAML whatever the path holds)."""
    config = directory / "config.yaml"
    config.write_text(f"samples: {json.dumps(str(sheet))}\nresults: {json.dumps(results)}\n"
                      f"gene_model: {json.dumps(str(gene_model))}\n")
    return config


def _snakemake(workdir: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    """Plain `snakemake` on the packaged workflow, as a batch user runs it."""
    return subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(workflow_dir() / "Snakefile"),
                           "--directory", str(workdir), "--configfile", str(config), "--cores", "2", *args],
                          capture_output=True, text=True, env=cli_env(), cwd=workdir)


@pytest.fixture()
def hostile_inputs(demo_inputs, tmp_path):
    """The demo trio's files copied under names that each try a shell trick."""
    root = tmp_path / HOSTILE["hash"] / HOSTILE["spaces and quotes"]
    root.mkdir(parents=True)
    vcf = root / f"{HOSTILE['substitution']}.vcf.gz"
    ped = root / f"{HOSTILE['backticks']}.ped"
    gtf = root / f"{HOSTILE['semicolon']}.gtf"
    shutil.copy(demo_inputs.vcfs["FAM1"], vcf)
    shutil.copy(demo_inputs.ped, ped)
    shutil.copy(demo_inputs.gene_model, gtf)
    return tmp_path, vcf, ped, gtf


def test_hostile_names_relative_paths_and_one_hpo_term_in_a_real_run(hostile_inputs):
    """One real run keeps three promises: file names are data (nothing runs, nothing is written
    outside --out), --vcf and --out may be relative to the working directory, and a single HPO term
    is a term list (the console, not only the report, warns that no frequency source was used)."""
    cwd, vcf, ped, gtf = hostile_inputs
    out = f"out {HOSTILE['substitution']} {HOSTILE['backticks']}/"
    before = _files(cwd)
    result = run_cli("run", "--vcf", str(vcf.relative_to(cwd)), "--ped", str(ped), "--sample", CHILD,
                     "--hpo", "HP:0001250", "--gene-model", str(gtf), "--out", out, cwd=cwd)
    _no_traceback(result, cwd / out)
    assert not list(cwd.rglob("CANARY*")), "a file name was executed by a shell"
    assert "SCN1A" in result.stdout
    assert pq.read_table(cwd / out / CHILD / "genes.parquet").num_rows > 0
    outside = {p for p in _files(cwd) - before if cwd / out not in p.parents and p != cwd / out}
    assert not outside, f"written outside --out: {sorted(outside)}"
    assert "posterior" in result.stdout and "combined score" not in result.stdout
    assert "no population frequency source" in result.stderr


def test_every_path_option_reaches_each_rule_as_one_shell_word(hostile_inputs, mini_hpo):
    """Dry run: Snakemake prints each shell command; every hostile path must come back as a single
    word when the command is split the way a shell splits it."""
    cwd, vcf, ped, gtf = hostile_inputs
    odd = cwd / HOSTILE["semicolon"]
    odd.mkdir()
    fasta = odd / "ref $(touch CANARY_fa).fa"
    fasta.write_text(">chr1\nACGT\n")
    Path(f"{fasta}.fai").write_text("chr1\t4\t6\t4\t5\n")
    hpo_dir = odd / "hpo `touch CANARY_hpo`"
    shutil.copytree(mini_hpo, hpo_dir)
    source = odd / "gnomad;touch CANARY_src.vcf.gz"
    # A real, indexed (sites-only) gnomAD file: validate reads the header of every source.
    write_vcf(source, ["chr1 1 . A G . . AF=0.1"], samples=(), index=True,
              meta='##INFO=<ID=AF,Number=A,Type=Float,Description="AF">\n')
    sources = odd / "sources $(id).yaml"
    sources.write_text(f"sources:\n  - {{name: gnomAD, kind: gnomad, path: {json.dumps(str(source))}, "
                       "version: '4.1', build: GRCh38}\n")
    phenopacket = odd / "pp`touch CANARY_pp`.json"
    phenopacket.write_text('{"id": "x", "subject": {"id": "FAM1-child"}, "phenotypicFeatures": '
                           '[{"type": {"id": "HP:0001250", "label": "Seizure"}}]}')
    out = cwd / "dry out $(touch CANARY_out)"
    result = run_cli("run", "--vcf", str(vcf), "--ped", str(ped), "--sample", CHILD, "--phenopacket",
                     str(phenopacket), "--gene-model", str(gtf), "--fasta", str(fasta), "--hpo-dir", str(hpo_dir),
                     "--sources", str(sources), "--out", str(out), "--snakemake", "--dry-run", cwd=cwd)
    _no_traceback(result)
    commands = [line.removeprefix("Shell command: ") for line in (result.stdout + result.stderr).splitlines()
                if line.startswith("Shell command: variantprio ")]
    assert len(commands) >= 6, result.stdout + result.stderr
    words = [word for command in commands for word in shlex.split(command)]
    for path in (vcf, ped, gtf, fasta, hpo_dir, phenopacket):
        assert str(path) in words, f"{path} not passed as one word:\n" + "\n".join(commands)
    sources = words[words.index("--sources") + 1]  # annotate reads the effective config file
    assert re.fullmatch(r"\.variantprio/config-[0-9a-f]{12}\.yaml", sources), sources
    assert yaml.safe_load((out / sources).read_text())["sources"][0]["path"] == str(source)
    assert not list(cwd.rglob("CANARY*"))


def test_sheet_values_reach_no_shell_and_a_hash_is_data(hostile_inputs, tmp_path):
    """A batch through plain Snakemake: a `#` inside a path must not truncate the row, and every
    sheet and config value reaches the rules' commands as one word (a dry run prints them; the real
    run above executes such commands)."""
    cwd, vcf, ped, gtf = hostile_inputs
    sheet = cwd / "samples.tsv"
    sheet.write_text("# comment line\nsample_id\tfamily_id\tvcf\tped\thpo\n"
                     f"{CHILD}\tFAM1\t{vcf}\t{ped}\t{TERMS}\n")
    results = "res $(touch CANARY_res)"
    run = _snakemake(cwd, _batch_config(cwd, sheet, gtf, results=results), "--dry-run", "--printshellcmds")
    assert run.returncode == 0, run.stderr[-3000:]
    commands = [line.removeprefix("Shell command: ") for line in run.stdout.splitlines()
                if line.startswith("Shell command: variantprio ")]
    assert {shlex.split(c)[shlex.split(c).index("--config-sha256") + 2] for c in commands} >= {
        "ingest", "annotate", "inheritance", "phenotype", "rank", "report"}
    words = [word for command in commands for word in shlex.split(command)]
    assert str(vcf) in words and str(ped) in words and str(gtf) in words
    assert f"{results}/{CHILD}/genes.parquet" in words
    assert not list(cwd.rglob("CANARY*"))


@pytest.mark.parametrize("change, message", [
    (lambda a, d: a.__setitem__(a.index("--hpo") + 1, "HP:001005"), "HP:001005"),
    (lambda a, d: a.__setitem__(a.index("--vcf") + 1, str(d / "missing.vcf.gz")), "vcf file not found"),
    (lambda a, d: a.__setitem__(a.index("--hpo") + 1, "HP:9999999"), "HP:9999999"),
    (lambda a, d: a.__setitem__(a.index("--sample") + 1, "NOBODY"), "sample NOBODY not in"),
    (lambda a, d: a.__setitem__(a.index("--out") + 1, str(d / "a-file" / "out")), "not writable"),
])
def test_input_errors_are_one_line_before_any_job(demo_inputs, tmp_path, change, message):
    (tmp_path / "a-file").write_text("a file where a directory should be")
    args = ["run", "--vcf", str(demo_inputs.vcfs["FAM1"]), "--sample", CHILD, "--hpo", TERMS,
            "--gene-model", str(demo_inputs.gene_model), "--out", str(tmp_path / "out")]
    change(args, tmp_path)
    result = run_cli(*args, check=False, timeout=60)
    assert result.returncode == 2, result.stderr
    _no_traceback(result)
    assert message in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("variantprio: error:")]
    assert errors and all(len(line) < 400 for line in errors), result.stderr
    assert not (tmp_path / "out" / ".snakemake").exists(), "Snakemake started although an input was wrong"


def test_vcf_without_gt_is_refused_before_snakemake_starts(demo_inputs, tmp_path):
    vcf = Path(__file__).parent / "data" / "issue_15_no_gt.vcf"
    sample = next(line for line in vcf.read_text().splitlines() if line.startswith("#CHROM")).split("\t")[9]
    result = run_cli("run", "--vcf", str(vcf), "--sample", sample, "--hpo", "HP:0001250",
                     "--gene-model", str(demo_inputs.gene_model), "--out", str(tmp_path / "out"), check=False,
                     timeout=60)
    assert result.returncode == 2 and "no GT field" in result.stderr
    _no_traceback(result)
    assert not (tmp_path / "out" / ".snakemake").exists()


@pytest.mark.parametrize("engine", ["in-process", "snakemake"])
def test_failed_rule_prints_its_reason_and_leaves_no_results(demo_inputs, fam1_run, tmp_path, engine):
    out = tmp_path / "out"
    shutil.copytree(fam1_run, out)  # an earlier successful run of the same case in --out
    args = fam1_run_args(demo_inputs, out) + (["--snakemake"] if engine == "snakemake" else [])
    assert (out / CHILD / "genes.parquet").exists()
    broken = tmp_path / "broken.gtf"
    broken.write_text("chr1\tx\tgene\tnot-a-number\t10\t.\t+\t.\tgene_id \"G\";\n")
    args[args.index("--gene-model") + 1] = str(broken)
    result = run_cli(*args, check=False)
    assert result.returncode == 2
    _no_traceback(result)
    # Through Snakemake the failed rule's log names the reason; in-process the stage's own one line.
    where = r"logs/annotate/\S+\.log: .*" if engine == "snakemake" else r"variantprio: error: \S*"
    assert re.search(where + r"broken\.gtf", result.stderr), result.stderr[-2000:]
    assert "message: None" not in result.stderr.splitlines()[-1]
    for name in FINAL:
        assert not (out / CHILD / name).exists(), f"{name} of the earlier run passes for this run's result"


def test_one_corrupt_vcf_fails_only_its_sample_and_the_summary_lists_every_sample(demo_inputs, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_inputs.directory, data)
    broken = data / "FAM2.trio.vcf.gz"
    lines = gzip.open(broken, "rt").read().splitlines(keepends=True)
    with BGZFile(str(broken), "wb") as handle:  # header and records in separate bgzip blocks
        handle.write("".join(x for x in lines if x.startswith("#")).encode())
        handle.flush()
        records_block = handle.tell() >> 16
        handle.write("".join(x for x in lines if not x.startswith("#")).encode())
    raw = bytearray(broken.read_bytes())
    middle = records_block + (len(raw) - records_block) // 2
    raw[middle:middle + 64] = bytes(64)  # damage the records mid-stream: the header still reads fine
    broken.write_bytes(bytes(raw))
    sheet = data / "samples.tsv"
    sheet.write_text(sheet.read_text().replace(str(demo_inputs.directory), str(data)))
    run = _snakemake(tmp_path, _batch_config(tmp_path, sheet, data / "demo-genes.gtf"), "--keep-going")
    assert run.returncode != 0
    for log in (tmp_path / "logs").rglob("*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log
    with open(tmp_path / "results" / "summary.tsv", newline="") as handle:
        rows = {row["sample"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert rows["FAM1-child"]["status"] == "ok" and rows["FAM1-child"]["top_gene"] == "SCN1A"
    assert int(rows["FAM1-child"]["variants_read"]) > 0 and "HPO" in rows["FAM1-child"]["versions"]
    assert rows["FAM2-child"]["status"] == "failed"
    assert "corrupt" in rows["FAM2-child"]["error"] and "FAM2.trio.vcf.gz" in rows["FAM2-child"]["error"]
    assert not (tmp_path / "results" / "FAM2-child" / "genes.parquet").exists()


@pytest.mark.parametrize("terms, accepted", [("HP:0001156", True), ("HP:0001250; HP:001005", False),
                                             ("", False)])
def test_validate_and_snakemake_accept_and_refuse_the_same_sheets(demo_inputs, tmp_path, terms, accepted):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample_id\tfamily_id\tvcf\tped\thpo\n"
                     f"{CHILD}\tFAM1\t{demo_inputs.vcfs['FAM1']}\t{demo_inputs.ped}\t{terms}\n")
    config = _batch_config(tmp_path, sheet, demo_inputs.gene_model)
    validate = run_cli("validate", "--samples", str(sheet), "--config", str(config), check=False, timeout=120)
    dry = _snakemake(tmp_path, config, "--dry-run")
    assert (validate.returncode == 0) is accepted, validate.stderr
    assert (dry.returncode == 0) is accepted, dry.stderr[-2000:]
    _no_traceback(validate)
    if not accepted:
        reason = "HP:001005" if terms else "no phenotype"
        assert reason in validate.stderr and reason in dry.stdout + dry.stderr
        assert "jsonschema" not in dry.stdout + dry.stderr and "$schema" not in dry.stdout + dry.stderr


def test_sizes_read_as_people_read_them():
    from variantprio.units import size_text

    assert size_text(0) == "0 B" and size_text(1536) == "1.5 KB" and size_text(20_000_000) == "20.0 MB"
    assert size_text(3.2e9) == "3.2 GB"


def test_a_full_disk_is_one_line_saying_no_space_left(tmp_path):
    import errno

    from click.testing import CliRunner

    from variantprio import cli

    @cli.main.command("fill-disk-for-test")
    def fill() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.parquet"))

    try:
        result = CliRunner().invoke(cli.main, ["fill-disk-for-test"])
    finally:
        cli.main.commands.pop("fill-disk-for-test")
    assert result.exit_code == 2
    assert "No space left on device" in result.output and "out.parquet" in result.output
    assert "Traceback" not in result.output
