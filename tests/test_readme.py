"""The README's promises: exactly two set-up commands, and table schemas that match the code."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import README, readme_bash_blocks
from variantprio.schemas import schemas_markdown


def test_setup_section_has_exactly_two_commands():
    assert readme_bash_blocks("Set up") == ["pip install . && variantprio demo --out variantprio-demo", "bash .ci/run"]


def test_schema_section_is_generated_from_the_code():
    text = README.read_text()
    section = text.split("<!-- schemas:start", 1)[1].split("-->", 1)[1].split("<!-- schemas:end -->", 1)[0]
    assert section.strip() == schemas_markdown().strip(), "regenerate: python -m variantprio.schemas README.md"


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")
def test_readme_commands_run_verbatim_in_a_fresh_copy(readme_run, tmp_path):
    """The set-up command installs into a fresh virtualenv from a fresh copy of the repository, then
    every command of the Use section runs as written there, relative paths and all."""
    assert len(readme_run.commands) == 3
    for command, result in zip(readme_run.commands, readme_run.results):
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(readme_run.results) == len(readme_run.commands)
    venv, copy = readme_run.venv, readme_run.copy
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import variantprio; print(variantprio.__file__)"],
                               capture_output=True, text=True, env=readme_run.env, cwd=tmp_path)
    assert str(venv) in installed.stdout, "the demo did not run from the freshly installed package"
    assert (copy / "variantprio-demo" / "FAM1-child" / "report.html").is_file()
    assert (copy / "FAM1-results" / "FAM1-child" / "genes.parquet").is_file()
    assert (copy / "results" / "summary.tsv").is_file()  # the batch of the shipped config
