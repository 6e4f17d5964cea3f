"""Fixtures shared by the test modules: the CLI as a user runs it, and the generated demo inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from variantprio.demo import DemoData, write_demo_data


def cli_env() -> dict[str, str]:
    """The environment of a user shell: this interpreter's `variantprio` first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_cli(*args: str, cwd: Path | None = None, check: bool = True, timeout: float = 600
            ) -> subprocess.CompletedProcess:
    """`variantprio ARGS` in a subprocess; with `check`, a non-zero exit fails the test with its output."""
    result = subprocess.run([sys.executable, "-m", "variantprio", *args], capture_output=True, text=True,
                            cwd=cwd, env=cli_env(), timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"variantprio {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory) -> DemoData:
    """The demo's two trios, gene model and PED, generated once per session (read-only for tests)."""
    return write_demo_data(tmp_path_factory.mktemp("demo-inputs"))
