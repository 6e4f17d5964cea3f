"""One run per output directory (issue 15): a second run is refused before it writes anything, and
a run killed (in-process; with --snakemake its wrapper alone, then its whole process group) resumes
to identical results."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import FAM1_CHILD, FAM1_TERMS, cli_env, fam1_run_args, parquet_differences, run_cli

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")

CHILD = FAM1_CHILD
TERMS_A = FAM1_TERMS
TERMS_B = "HP:0001156,HP:0000252"
_args = fam1_run_args


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "variantprio", *args], env=cli_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for(condition, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def _snakemake_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-f", "-P", str(pid), "snakemake"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): read its state
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.fixture(scope="module")
def reference(fam1_run):
    """An undisturbed run of the same arguments (`_args(..., TERMS_A)`), shared with other modules."""
    return fam1_run


def _second_run_is_refused_before_it_writes(demo_inputs, out: Path) -> None:
    """A run into `out` with other terms, while the first works: exit 2 in one line, and the first
    run's sample sheet and config untouched."""
    sheet = (out / ".variantprio" / "samples.tsv").read_text()
    config = (out / ".variantprio" / "config.yaml").read_text()
    second = run_cli(*_args(demo_inputs, out, TERMS_B), check=False, timeout=120)
    assert second.returncode == 2
    assert "another variantprio run" in second.stderr and "Traceback" not in second.stderr
    assert (out / ".variantprio" / "samples.tsv").read_text() == sheet, "the refused run rewrote the sheet"
    assert (out / ".variantprio" / "config.yaml").read_text() == config


def _kill_once(proc: subprocess.Popen, out: Path, written: str, group: bool, workflow: bool = True) -> None:
    """`kill -9` of the run (its wrapper alone, or its whole process group) once `written` exists:
    the workflow must not live on unsupervised, and the run must not have finished."""
    if workflow:  # on a busy machine `written` may be left from the run before: first see the workflow start
        _wait_for(lambda: _snakemake_children(proc.pid) or proc.poll() is not None)
    _wait_for(lambda: list(out.glob(written)))
    children = _snakemake_children(proc.pid) if workflow else []
    assert children or not workflow, "the workflow child was not found"
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)  # the wrapper only: its workflow must not live on unsupervised
    proc.communicate()
    assert not (out / CHILD / "report.html").exists(), "the run finished before the kill"
    _wait_for(lambda: not any(_alive(pid) for pid in children), seconds=60)


def test_second_run_is_refused_and_a_run_killed_twice_resumes_to_identical_results(demo_inputs, reference,
                                                                                   tmp_path):
    """While a run works, a second run into its --out is refused before it writes. Then `kill -9` of
    the wrapper alone once the variants are written, and of the next run's whole process group (an
    interrupted demo) once the segregation is: the run after that resumes to the undisturbed
    results, scored with the first run's terms. The Snakemake path and the one-process path (the
    reference) write the same tables."""
    out = tmp_path / "out"
    args = [*_args(demo_inputs, out, TERMS_A), "--snakemake"]
    proc = _start(args)
    _wait_for(lambda: (out / ".snakemake").is_dir())
    _second_run_is_refused_before_it_writes(demo_inputs, out)
    _kill_once(proc, out, "_vcf/*/variants.parquet", group=False)
    _kill_once(_start(args), out, f"{CHILD}/segregation.parquet", group=True)
    rerun = run_cli(*args)
    assert "Traceback" not in rerun.stderr
    # The reference ran in-process: the same tables, written by another command line.
    assert parquet_differences(reference, out, ignore=("variantprio.command",)) == []
    command = pq.read_schema(out / CHILD / "gene_phenotype.parquet").metadata[b"variantprio.command"].decode()
    assert TERMS_A in command and TERMS_B not in command


def test_an_in_process_run_killed_after_ingest_resumes_reusing_the_variant_table(demo_inputs, reference,
                                                                                 tmp_path):
    """`kill -9` of a one-process run once ingest has written: nothing half-written is left, and the
    next run keeps that table (not rewritten) and ends with the undisturbed results."""
    out = tmp_path / "out"
    args = _args(demo_inputs, out, TERMS_A)
    _kill_once(_start(args), out, "_vcf/*/variants.parquet", group=True, workflow=False)
    assert not (out / CHILD / "genes.parquet").exists(), "the run finished before the kill"
    variants = next(out.glob("_vcf/*/variants.parquet"))
    written = variants.stat().st_mtime_ns
    rerun = run_cli(*args)
    assert "reusing the existing table" in rerun.stderr, rerun.stderr[-2000:]
    assert variants.stat().st_mtime_ns == written
    assert parquet_differences(reference, out) == []


# Regression (this stop): a wrapper killed while Snakemake selected jobs left the workflow deadlocked
# for good, holding the directory's lock: the kernel's SIGTERM ran Snakemake's handler, which waits
# for the scheduler lock its own main thread held. This child deadlocks the same way on SIGTERM.
_DEADLOCKS_ON_SIGTERM = """
import pathlib, signal, threading, time
scheduler = threading.Lock()
def exit_gracefully(*_):
    with scheduler:  # held by the interrupted main thread below: never acquired
        pass
signal.signal(signal.SIGTERM, exit_gracefully)
with scheduler:  # selecting jobs
    pathlib.Path("selecting").write_text("")
    while True:
        time.sleep(0.05)
"""
_WRAPPER = """
import os, pathlib, sys
from variantprio.runlock import RunLock, run_child
out = pathlib.Path(sys.argv[1])
with RunLock(out) as lock:
    run_child([sys.executable, "-c", sys.argv[2]], env=dict(os.environ), cwd=out, lock=lock)
"""


def test_regression_workflow_deadlocked_by_sigterm_stops_when_its_wrapper_is_killed(tmp_path):
    from variantprio.runlock import RunLock

    out = tmp_path / "out"
    out.mkdir()
    wrapper = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(out), _DEADLOCKS_ON_SIGTERM], env=cli_env(),
                               start_new_session=True, stderr=subprocess.DEVNULL)
    _wait_for(lambda: (out / "selecting").exists(), seconds=60)
    children = [int(p) for p in subprocess.run(["pgrep", "-P", str(wrapper.pid)], capture_output=True,
                                               text=True).stdout.split()]
    assert len(children) == 1
    os.kill(wrapper.pid, signal.SIGKILL)  # the wrapper alone, as a crash or the OOM killer would
    wrapper.wait()
    try:
        _wait_for(lambda: not _alive(children[0]), seconds=20)
    finally:
        if _alive(children[0]):
            os.kill(children[0], signal.SIGKILL)
    with RunLock(out) as lock:  # the directory is free again
        assert lock.stale
