"""`variantprio bench pipeline` on the demo trio: whole `run`s timed cold and warm, a small synthetic
genome with four sources, each stage listed, and the ratio to `bcftools view` of the same input."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from conftest import FAM1_CHILD, run_cli

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")

STAGES = ["ingest", "annotate", "inheritance", "phenotype", "rank", "report", "summary"]


def test_one_process_run_records_each_stage(fam1_run):
    times = pd.read_csv(fam1_run / "benchmarks" / "stages.tsv", sep="\t")
    assert times["stage"].tolist() == STAGES
    assert set(times["target"]) == {"FAM1.trio", FAM1_CHILD, "all"}
    assert (times["seconds"] >= 0).all() and (times["peak_rss_mb"] > 50).all()  # each stage its own peak
    assert not times["reused"].any()


def test_bench_pipeline_times_exome_cold_warm_and_a_genome(demo_inputs, mini_hpo, tmp_path):
    out = tmp_path / "figures.json"
    result = run_cli("bench", "pipeline", "--vcf", str(demo_inputs.vcfs["FAM1"]), "--sample", FAM1_CHILD,
                     "--gene-model", str(demo_inputs.gene_model), "--hpo-dir", str(mini_hpo),
                     "--hpo", "HP:0001250", "--genome-variants", "3000", "--batch", "0", "--keep", str(tmp_path / "work"),
                     "--out", str(out))
    figures = json.loads(out.read_text())
    assert [f["scenario"] for f in figures] == ["exome cold", "exome warm", "genome 3,000 x 3, 4 sources"]
    for figure in figures:
        assert figure["seconds"] > 0 and figure["peak_rss_mb"] > 0 and figure["bcftools_seconds"] > 0
        assert [s["stage"] for s in figure["stages"]] == STAGES
    assert "bcftools view" in result.stdout and "x)" in result.stdout
    # the genome's run used the four synthetic sources and the trio
    sources = (tmp_path / "work" / "sources" / "sources.yaml").read_text()
    assert all(kind in sources for kind in ("gnomad", "clinvar", "cadd", "revel"))
    assert (tmp_path / "work" / "genome" / "S1" / "genes.parquet").is_file()
