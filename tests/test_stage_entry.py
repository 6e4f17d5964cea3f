"""Every stage has one entry-point shape, `run(inputs, outputs, options) -> Summary`, and its CLI
command prints the summary's line and logs its counts and skips."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging

import pytest
from click.testing import CliRunner

from conftest import FAM1_CHILD, write_vcf
from variantprio.cli import main
from variantprio.summary import Summary

STAGES = ("ingest", "annotate", "inheritance", "phenotype", "rank", "report")


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_exposes_run_of_inputs_outputs_and_options(stage):
    run = importlib.import_module(f"variantprio.{stage}").run
    params = list(inspect.signature(run).parameters.values())
    assert [p.name for p in params][:2] == ["inputs", "outputs"] and len(params) == 3
    assert inspect.signature(run).return_annotation in (Summary, "Summary")
    for param in params:
        kind = getattr(importlib.import_module(run.__module__), param.annotation)
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen, (stage, param.name)
    assert params[2].default is not inspect.Parameter.empty, "options have defaults"


def test_summary_logs_counts_and_only_what_was_skipped(caplog):
    summary = Summary("ingest", "2 variants", (), {"rows": 2, "trimmed": 0}, {"rows failing FILTER": 3, "copies": 0})
    with caplog.at_level(logging.INFO):
        summary.log(logging.getLogger("t"))
    assert caplog.messages == ["ingest: rows 2", "ingest: skipped 3 rows failing FILTER"]


def test_stage_command_prints_the_result_line_and_logs_the_skips(tmp_path):
    vcf = write_vcf(tmp_path / "in.vcf", ["chr1 100 . A G 50 PASS . GT 0/1 0/0",
                                          "chr1 200 . C T 50 LowQual . GT 0/1 0/0"])
    out = tmp_path / "v.parquet"
    result = CliRunner().invoke(main, ["ingest", "--vcf", str(vcf), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"1 variants from 2 records -> {out}\n"
    assert "ingest: skipped 1 rows whose FILTER is not PASS (--pass-only)" in result.stderr


def test_rank_and_report_summaries_name_their_files_and_counts(fam1_run, tmp_path):
    from variantprio import rank, report

    sample, vcf_dir = fam1_run / FAM1_CHILD, next(fam1_run.glob("_vcf/*"))
    ranked = rank.run(rank.RankInputs(vcf_dir / "variants.parquet", vcf_dir / "annotations.parquet",
                                      sample / "segregation.parquet", sample / "gene_phenotype.parquet", FAM1_CHILD),
                      rank.RankOutputs(tmp_path / "genes.parquet", tmp_path / "variants.parquet"))
    assert ranked.outputs == (tmp_path / "genes.parquet", tmp_path / "variants.parquet")
    assert ranked.done.startswith(f"{ranked.counts['genes']} genes ranked (top: SCN1A)")
    shown = report.run(report.ReportInputs(tmp_path / "genes.parquet", tmp_path / "variants.parquet", FAM1_CHILD),
                       report.ReportOutputs(tmp_path / "report"), report.ReportOptions(top=2))
    assert all(path.exists() for path in shown.outputs) and shown.counts["genes"] == 2
    assert shown.skipped == {"ranked genes below the top 2 (--top)": ranked.counts["genes"] - 2}
