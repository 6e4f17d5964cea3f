"""The cluster path on a real scheduler: a one-node SLURM started on this machine runs a 3-proband
batch through `variantprio batch --profile slurm` (pipeline/profiles/slurm, the Snakemake SLURM
executor plugin), and every Parquet table equals that of the same batch run locally.

How the throwaway cluster is set up (Debian's `slurm-wlm` and `munge`; `.ci/run` installs them):
- munged on the default socket (/run/munge/munge.socket.2) with a key of its own, or the machine's
  munged when one already answers there (configless slurmd authenticates its config request before
  it has a config naming another socket);
- slurmctld and slurmd in the foreground, their config, state, spool and logs in a temp dir; one
  partition for the batch beside the default one, select/cons_tres by CPU,
  proctrack/linuxproc, task/none: no cgroups. The batch partition is oversubscribed (FORCE:4): each
  proband job asks for two CPUs (Snakemake sizes a group for inheritance beside phenotype, though
  the job-step plugin runs a group's steps in turn), and on a 2-core test machine the two would
  otherwise run one after another, each paying the executor's growing status-check interval;
- slurmd runs "configless" (`--conf-server`): the executor's job step strips every SLURM_* variable,
  SLURM_CONF included, before its `srun` (snakemake-executor-plugin-slurm issue #164), so the step
  finds the config where configless slurmd puts it, /run/slurm/conf. That link is machine-wide: a
  file lock serialises test sessions, a link left by a killed session is removed, and a machine
  whose /etc/slurm/slurm.conf would shadow it is refused;
- no slurmdbd: `sacct` only says "accounting storage is disabled", so the batch passes
  `--slurm-status-command squeue` (the plugin's own alternative; MinJobAge=300 keeps finished jobs
  visible to squeue) and a 1 s first status check. The profile keeps the plugin's default, sacct,
  which real clusters with accounting answer;
- stopped again after the test, on failure too: jobs cancelled, daemons terminated, the link and the
  temp dir removed.

When SLURM cannot run here (packages missing, no root and no passwordless sudo, a SLURM already
configured), the test FAILS and says why; it never skips.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import cli_env, parquet_differences

from variantprio.demo import write_batch_data
from variantprio.runlock import (  # daemons stop with the test, even when it is killed
    _die_with_parent,
    _lock,
)

BINARIES = ("munged", "munge", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel")
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")
CONFIGLESS_LINK = Path("/run/slurm/conf")  # where configless slurmd links the config it fetched
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")  # read before the configless link by srun in a job step
SESSION_LOCK = Path(tempfile.gettempdir()) / "variantprio-slurm-test.lock"
# The batch's partition is not the cluster's default one: its jobs land there only if the profile
# passes the config's slurm_partition on.
PARTITION = "variantprio"
# Memory (MB) per rule group in the batch's config, and what each cluster job must ask for: the VCF's job
# the annotate step's, a proband's job its inheritance and phenotype steps' side by side.
MEM_MB = {"mem_mb_ingest": 1000, "mem_mb_annotate": 3000, "mem_mb_sample": 1200}


def _as_root(cmd: list[str]) -> list[str]:
    return cmd if os.geteuid() == 0 else ["sudo", "-n", *cmd]


def _why_slurm_cannot_run() -> str | None:
    """The reason this machine cannot host the throwaway cluster, or None."""
    missing = [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]
    if missing:
        return (f"{', '.join(missing)} not installed (apt-get install slurm-wlm munge; .ci/run installs them)")
    if os.geteuid() != 0 and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode != 0:
        return "slurmd must start as root: run the tests as root or with passwordless sudo"
    if SYSTEM_CONF.exists():
        return (f"{SYSTEM_CONF} exists: this machine has a SLURM of its own, which the test's job steps would "
                "talk to; run this test where SLURM is installed but not configured (CI)")
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _daemon(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _node_hardware() -> dict[str, str]:
    """CPUs and RealMemory as slurmd detects them (`slurmd -C`), so the node never drains as 'low'."""
    found = dict(re.findall(r"(\w+)=(\S+)", subprocess.run([_daemon("slurmd"), "-C"], capture_output=True,
                                                           text=True).stdout))
    return {"CPUs": found.get("CPUs", str(os.cpu_count() or 1)), "RealMemory": found.get("RealMemory", "1000")}


def _left_by_a_killed_session(link: Path) -> bool:
    """The configless link points nowhere, or into a test cluster whose slurmd is gone (a killed test
    session: its daemons died with it, its temp dir stayed)."""
    target = Path(os.path.realpath(link))
    if not target.exists():
        return True
    root = target.parent.parent  # <root>/spool/conf-cache
    if not root.name.startswith("variantprio-slurm-"):
        return False
    try:
        os.kill(int((root / "slurmd.pid").read_text()), 0)
    except PermissionError:
        return False  # alive, and root's
    except (OSError, ValueError):
        return True  # no pid file, or no such process
    return False


class Cluster:
    """A one-node SLURM in `root`: start(), env (SLURM_CONF for clients), logs(), stop()."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = socket.gethostname().split(".")[0]
        self.conf = root / "slurm.conf"
        self.env = {**cli_env(), "SLURM_CONF": str(self.conf)}
        self.procs: dict[str, subprocess.Popen] = {}

    def _write_conf(self) -> int:
        hardware = _node_hardware()
        port = _free_port()
        r = self.root
        self.conf.write_text(f"""\
ClusterName=variantprio
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={port}
SlurmdPort={_free_port()}
SlurmctldParameters=enable_configless
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
MinJobAge=300
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={hardware['CPUs']} RealMemory={hardware['RealMemory']} State=UNKNOWN
PartitionName=other Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
PartitionName={PARTITION} Nodes={self.host} Default=NO MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
""")
        return port

    def _spawn(self, name: str, cmd: list[str]) -> None:
        out = open(self.root / "log" / f"{name}.out", "w")
        self.procs[name] = subprocess.Popen(_as_root(cmd), stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=self.env, preexec_fn=_die_with_parent)
        out.close()

    def _wait(self, what: str, ready, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not ready():
            dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
            if dead or time.monotonic() > deadline:
                why = f"{', '.join(dead)} exited" if dead else f"not within {seconds:.0f} s"
                pytest.fail(f"SLURM test cluster: {what}: {why}\n{self.logs()}", pytrace=False)
            time.sleep(0.3)

    def _munge_answers(self) -> bool:
        munge = subprocess.run(["munge", "-n", "-S", str(MUNGE_SOCKET)], capture_output=True)
        return munge.returncode == 0

    def start(self) -> None:
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True)
        if CONFIGLESS_LINK.is_symlink() and _left_by_a_killed_session(CONFIGLESS_LINK):
            stale = Path(os.path.realpath(CONFIGLESS_LINK)).parent.parent
            if stale.name.startswith("variantprio-slurm-"):
                subprocess.run(_as_root(["rm", "-rf", str(stale)]), check=True)
            subprocess.run(_as_root(["rm", "-f", str(CONFIGLESS_LINK)]), check=True)
        if CONFIGLESS_LINK.exists():
            pytest.fail(f"SLURM test cluster: {CONFIGLESS_LINK} -> {os.path.realpath(CONFIGLESS_LINK)} exists: a "
                        "configless slurmd of another SLURM runs on this machine", pytrace=False)
        if not self._munge_answers():
            key = self.root / "munge.key.tmp"
            key.write_bytes(os.urandom(1024))
            subprocess.run(_as_root(["install", "-D", "-m", "0400", "-o", "root", str(key),
                                     str(self.root / "munge" / "munge.key")]), check=True)
            key.unlink()
            subprocess.run(_as_root(["mkdir", "-p", str(MUNGE_SOCKET.parent)]), check=True)
            self._spawn("munged", [_daemon("munged"), "--foreground", "--force", f"--socket={MUNGE_SOCKET}",
                                   f"--key-file={self.root}/munge/munge.key", f"--pid-file={self.root}/munged.pid",
                                   f"--seed-file={self.root}/munge/seed", f"--log-file={self.root}/log/munged.log"])
            self._wait("munged answering", self._munge_answers, 15)
        port = self._write_conf()
        self._spawn("slurmctld", [_daemon("slurmctld"), "-D", "-i", "-f", str(self.conf)])
        self._wait("slurmctld answering", lambda: self._run("scontrol", "ping").returncode == 0
                   and "UP" in self._run("scontrol", "ping").stdout, 30)
        self._spawn("slurmd", [_daemon("slurmd"), "-D", "--conf-server", f"127.0.0.1:{port}", "-N", self.host])
        self._wait(f"node {self.host} idle in partition {PARTITION}",
                   lambda: self._run("sinfo", "-h", "-n", self.host, "-p", PARTITION, "-o", "%T").stdout.strip()
                   == "idle", 60)

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), capture_output=True, text=True, env=self.env, timeout=30)

    def jobs(self) -> list[tuple[str, ...]]:
        """State, partition, memory and time limit of every job the cluster ran (finished ones stay
        listed for MinJobAge)."""
        out = self._run("squeue", "-h", "--states=all", "-o", "%T|%P|%m|%l").stdout
        return sorted(tuple(line.split("|")) for line in out.splitlines())

    def logs(self, lines: int = 40) -> str:
        """The last lines of every daemon log, for a failure message (read as root: the daemons wrote them)."""
        parts = []
        for path in sorted((self.root / "log").glob("*")):
            tail = subprocess.run(_as_root(["tail", "-n", str(lines), str(path)]), capture_output=True, text=True)
            parts.append(f"--- {path.name} (last {lines} lines)\n{tail.stdout}{tail.stderr}")
        return "\n".join(parts)

    def stop(self) -> None:
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--user", getpass.getuser()], env=self.env, capture_output=True, timeout=30)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()  # sudo relays SIGTERM to the daemon
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pid_file = self.root / f"{name}.pid"
                if pid_file.exists():
                    subprocess.run(_as_root(["kill", "-KILL", pid_file.read_text().strip()]), capture_output=True)
                proc.kill()
                proc.wait(timeout=15)
        if CONFIGLESS_LINK.is_symlink() and os.readlink(CONFIGLESS_LINK).startswith(str(self.root)):
            subprocess.run(_as_root(["rm", "-f", str(CONFIGLESS_LINK)]), capture_output=True)
        subprocess.run(_as_root(["rm", "-rf", str(self.root)]), capture_output=True)


def _session_lock(seconds: float = 900) -> int:
    """One throwaway cluster per machine at a time (the configless link and munge socket are shared)."""
    fd = os.open(SESSION_LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    if not _lock(fd, seconds):
        os.close(fd)
        pytest.fail(f"SLURM test cluster: another test session held {SESSION_LOCK} for {seconds:.0f} s",
                    pytrace=False)
    return fd


@pytest.fixture(scope="module")
def slurm_cluster() -> Iterator[Cluster]:
    """A running one-node SLURM; stopped and removed afterwards, also when starting it failed."""
    reason = _why_slurm_cannot_run()
    if reason:
        pytest.fail(f"the SLURM cluster test cannot run here: {reason}", pytrace=False)
    fd = _session_lock()
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="variantprio-slurm-")))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        os.close(fd)


def _batch(config: Path, workdir: Path, profile: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "variantprio", "batch", "--config", str(config), "--directory", str(workdir),
            "--profile", profile, *(["--", *extra] if extra else [])]


def _job_logs(workdir: Path) -> str:
    """The SLURM logs the executor keeps of failed jobs."""
    logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    return "\n".join(f"--- {path}\n{path.read_text(errors='replace')[-3000:]}" for path in logs)


def test_a_batch_on_slurm_gives_the_tables_of_a_local_run(slurm_cluster, tmp_path):
    """Two probands (a trio and a singleton in one VCF) through the slurm profile: one cluster job for
    the VCF, one per proband, each in the config's partition with the memory of its steps and the
    profile's run times, all completed; the same batch run locally (the stages in this process, whose
    tables equal the workflow's: tests/test_run_lock.py) writes the same tables. Two probands, not
    three: the executor checks job status at growing intervals (1 s after a submission, then 11 s
    later, then 21 s...), and on two cores a third proband job pushes the wave from the 12 s check
    to the 33 s one, a wait that holds a test worker idle."""
    from variantprio.inprocess import InProcessRun
    from variantprio.sheet import load_sample_sheet
    from variantprio.workflow import workflow_config

    data = write_batch_data(tmp_path / "data", n_families=2, shared=2, singletons={1})
    settings = {"samples": str(data.samples_tsv), "results": ".", "genome_build": "GRCh38",
                "gene_model": str(data.gene_model), "resources": {"slurm_partition": PARTITION, **MEM_MB}}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings))
    InProcessRun(load_sample_sheet(data.samples_tsv), workflow_config(settings)).run(tmp_path / "local")
    try:
        cluster = subprocess.run(_batch(config, tmp_path / "slurm", "slurm", "--slurm-status-command", "squeue",
                                        "--slurm-init-seconds-before-status-checks", "1"),
                                 capture_output=True, text=True, env=slurm_cluster.env, timeout=600)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the batch on SLURM did not finish in {err.timeout} s\n{err.stderr}\n{slurm_cluster.logs()}")
    assert cluster.returncode == 0, (f"{cluster.stdout[-3000:]}\n{cluster.stderr[-6000:]}\n"
                                     f"{_job_logs(tmp_path / 'slurm')}\n{slurm_cluster.logs()}")
    # run times (profile): the VCF's ingest and annotate 120 min each; a proband's steps 60 min each,
    # sized for inheritance beside phenotype (Snakemake's group rule; the job step runs them in turn)
    vcf_job = ("COMPLETED", PARTITION, f"{MEM_MB['mem_mb_annotate']}M", "4:00:00")
    proband_job = ("COMPLETED", PARTITION, f"{2 * MEM_MB['mem_mb_sample']}M", "3:00:00")
    jobs = slurm_cluster.jobs()
    assert jobs == sorted([vcf_job] + [proband_job] * 2), f"{jobs}\n{cluster.stderr[-4000:]}"
    assert "Group job proband" in cluster.stderr and "localrule summary" in cluster.stderr
    samples = [line.split("\t")[0] for line in data.samples_tsv.read_text().splitlines()[1:]]
    assert len(samples) == 2
    for sample in samples:
        assert (tmp_path / "slurm" / sample / "report.html").is_file()
    tables = [p for p in (tmp_path / "slurm").rglob("*.parquet") if ".snakemake" not in p.parts]
    assert len(tables) >= 4 * len(samples) + 2, tables
    assert parquet_differences(tmp_path / "local", tmp_path / "slurm", ignore=("variantprio.command",)) == []


def test_a_machine_without_slurm_gets_a_reason_to_fail_with(monkeypatch):
    """What the fixture fails with (never a skip) when a package is missing."""
    monkeypatch.setattr(sys.modules[__name__], "BINARIES", (*BINARIES, "slurmctld-absent"))
    assert _why_slurm_cannot_run() == ("slurmctld-absent not installed (apt-get install slurm-wlm munge; "
                                       ".ci/run installs them)")
