"""The README's promises: exactly two set-up commands, and table schemas that match the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from variantprio.schemas import schemas_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_setup_section_has_exactly_two_commands():
    setup = README.read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", setup, flags=re.S)
    assert [b.strip() for b in blocks] == ["pip install . && variantprio demo --out variantprio-demo",
                                           "bash .ci/run"]


def test_schema_section_is_generated_from_the_code():
    text = README.read_text()
    section = text.split("<!-- schemas:start", 1)[1].split("-->", 1)[1].split("<!-- schemas:end -->", 1)[0]
    assert section.strip() == schemas_markdown().strip(), "regenerate: python -m variantprio.schemas README.md"



def _bash_blocks(section: str) -> list[str]:
    text = README.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")
def test_readme_commands_run_verbatim_in_a_fresh_copy(tmp_path):
    """The set-up command installs into a fresh virtualenv from a fresh copy of the repository, then
    every command of the Use section runs as written there, relative paths and all."""
    repo = README.parent
    files = subprocess.run(["git", "-C", str(repo), "ls-files", "-co", "--exclude-standard"], capture_output=True,
                           text=True, check=True).stdout.split()
    copy = tmp_path / "variantprio"
    for name in files:
        if (repo / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, copy / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, PATH=os.pathsep.join([str(venv / "bin"), os.environ["PATH"]]), VIRTUAL_ENV=str(venv))
    env.pop("PYTHONPATH", None)
    commands = _bash_blocks("Set up")[:1] + _bash_blocks("Use")
    assert len(commands) == 3
    for command in commands:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=copy, env=env,
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import variantprio; print(variantprio.__file__)"],
                               capture_output=True, text=True, env=env, cwd=tmp_path)
    assert str(venv) in installed.stdout, "the demo did not run from the freshly installed package"
    assert (copy / "variantprio-demo" / "FAM1-child" / "report.html").is_file()
    assert (copy / "FAM1-results" / "FAM1-child" / "genes.parquet").is_file()
    assert (copy / "results" / "summary.tsv").is_file()  # the batch of the shipped config
