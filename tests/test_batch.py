"""`variantprio batch`: a config's sample sheet through the packaged workflow with a named profile (its dry
run through the slurm profile is in test_workflow_e2e, its real run in test_slurm_cluster)."""

from __future__ import annotations

import pytest

from conftest import run_cli
from variantprio.demo import write_batch_data


@pytest.fixture()
def batch_config(tmp_path):
    data = write_batch_data(tmp_path / "data", n_families=1, shared=1)
    config = tmp_path / "config.yaml"
    config.write_text(f"samples: {data.samples_tsv}\nresults: results\ngenome_build: GRCh38\n"
                      f"gene_model: {data.gene_model}\n")
    return config


def test_an_unknown_profile_is_one_line_and_nothing_is_written(batch_config, tmp_path):
    work = tmp_path / "work"
    result = run_cli("batch", "--config", str(batch_config), "--directory", str(work), "--profile", "slurmm",
                     check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "variantprio: error: --profile: no Snakemake profile 'slurmm' (fix: use local or slurm, or a directory "
        "holding a profile's config.yaml)"]
    assert not work.exists()


def test_a_missing_config_is_one_line(tmp_path):
    result = run_cli("batch", "--config", str(tmp_path / "nope.yaml"), "--directory", str(tmp_path), check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"variantprio: error: {tmp_path / 'nope.yaml'}: config file not found "
                                     "(fix: pass --config config/config.yaml)")

