"""`variantprio bench phenotype` on hand-written phenopackets scored against the mini HPO release."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import cli_env
from variantprio.bench.run.phenotype import run_bench_phenotype

MINI = Path(__file__).parent / "data" / "phenotype_hpo"


def _packet(case_id: str, gene: str, observed: list[str], excluded: list[str] = (), disease: str = "OMIM:1",
            pmids: tuple[str, ...] = ()) -> dict:
    features = [{"type": {"id": t}} for t in observed] + [{"type": {"id": t}, "excluded": True} for t in excluded]
    descriptor = {"geneContext": {"symbol": gene}, "allelicState": {"label": "heterozygous"}}
    return {"id": case_id, "subject": {"id": case_id, "sex": "FEMALE"}, "phenotypicFeatures": features,
            "metaData": {"externalReferences": [{"id": p, "description": "paper"} for p in pmids]},
            "interpretations": [{"diagnosis": {"disease": {"id": disease, "label": "D"},
                                               "genomicInterpretations": [
                                                   {"variantInterpretation": {"variationDescriptor": descriptor}}]}}]}


@pytest.fixture
def cases(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "cases"
    packets = [
        _packet("b_first", "GENEB", ["HP:0000252", "HP:0004322"], disease="OMIM:100002"),  # rank 1
        _packet("a_first", "GENEA", ["HP:0007359"], disease="OMIM:100001"),  # Epilepsy A: rank 1
        _packet("c_second", "GENEC", ["HP:0000252", "HP:0004322"]),      # GENEB wins: rank 2
        _packet("tied", "GENEA", ["HP:0000486"], ["HP:0000256"]),        # C first, A ties with B
        _packet("absent", "GENEZ", ["HP:0000252"]),                      # gene not annotated: a miss
        _packet("new_term", "GENEB", ["HP:0000252", "HP:9999998"]),      # term of a newer release: skipped
    ]
    for packet in packets:
        (root / f"{packet['id']}.json").parent.mkdir(parents=True, exist_ok=True)
        (root / f"{packet['id']}.json").write_text(json.dumps(packet))
    return root


def test_ranks_metrics_misses_and_side_files(cases, tmp_path):
    result = run_bench_phenotype(cases, tmp_path / "out" / "bench.json", hpo_dir=str(MINI), jobs=1,
                                 fit_calibration=True)
    ranks = pd.read_parquet(result.ranks_path).set_index("case_id")["rank"]
    assert ranks["b_first"] == 1 and ranks["a_first"] == 1 and ranks["c_second"] == 2
    assert ranks["tied"] == 2.5  # GENEC alone has Strabismus; A and B tie for ranks 2-3: mean rank
    assert pd.isna(ranks["absent"]) and ranks["new_term"] == 1
    report = json.loads(result.json_path.read_text())
    assert report["n_cases"] == 6 and report["gene_not_scored"] == 1 and report["term_errors"] == 0
    assert report["cases_with_unknown_terms_skipped"] == 1
    assert report["top1"] == pytest.approx(3 / 6, abs=1e-4) and report["top3"] == pytest.approx(5 / 6, abs=1e-4)
    assert report["mrr"] == pytest.approx((1 + 1 + 1 / 2 + 1 / 2.5 + 1) / 6, abs=1e-4)
    assert report["hpo_version"] == "2099-01-01" and report["calibration"]["temperature"] > 0
    # Only two diagnoses are in the release (the others name OMIM:1, a disease it does not have).
    assert report["diagnosis_in_release"]["n"] == 2 and report["diagnosis_in_release"]["top1"] == 1.0


def test_cli_prints_one_summary_line(cases, tmp_path):
    out = tmp_path / "cli.json"
    run = subprocess.run([sys.executable, "-m", "variantprio", "bench", "phenotype", "--cases", str(cases),
                          "--out", str(out), "--hpo-dir", str(MINI), "--jobs", "2"],
                         capture_output=True, text=True, env={**cli_env(), "VARIANTPRIO_CACHE": str(tmp_path / "c")})
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") == 1 and "6 cases" in run.stdout and "top1 50.0%" in run.stdout
    assert out.exists() and out.with_suffix(".ranks.parquet").exists()


RELEASE = Path(__file__).parent / "data" / "hpo_release_mini"


@pytest.fixture
def cited_cases(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "cited"
    root.mkdir()
    packets = [
        # Macrocephaly C was curated from PMID:3 alone: withheld, GENEC keeps only Orpha C.
        _packet("macro", "GENEC", ["HP:0000256", "HP:0000486"], disease="OMIM:100003", pmids=("PMID:3",)),
        # Epilepsy A from PMID:1 and 'PMID:1;PMID:2': both papers withheld leave GENEA unknown (a miss).
        _packet("gone", "GENEA", ["HP:0007359"], disease="OMIM:100001", pmids=("PMID:1", "PMID:2")),
        # A paper no annotation cites: the same rank either way.
        _packet("micro", "GENEB", ["HP:0000252", "HP:0004322"], disease="OMIM:100002", pmids=("PMID:77",)),
    ]
    for packet in packets:
        (root / f"{packet['id']}.json").write_text(json.dumps(packet))
    return root


def test_withheld_publications_lead_the_report_with_full_knowledge_beside(cited_cases, tmp_path):
    result = run_bench_phenotype(cited_cases, tmp_path / "w.json", hpo_dir=str(RELEASE), jobs=1)
    frame = pd.read_parquet(result.ranks_path).set_index("case_id")
    assert (frame["rank_full_knowledge"] == 1).all()
    assert frame.loc["macro", "rank"] > 1 and pd.isna(frame.loc["gone", "rank"]) and frame.loc["micro", "rank"] == 1
    assert frame["self_cited"].to_dict() == {"macro": True, "gone": True, "micro": False}
    assert frame.loc["macro", "withheld_rows"] == 3 and frame.loc["micro", "withheld_rows"] == 0
    report = result.report
    assert report["withhold_publication"] is True
    assert report["n_cases"] == 3 and report["top1"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["full_knowledge"]["top1"] == 1.0 and report["full_knowledge"]["n_cases"] == 3
    assert report["self_cited"]["n_cases"] == 2 and report["self_cited"]["top1"] == 0.0
    assert report["self_cited"]["full_knowledge"]["top1"] == 1.0
    assert report["not_self_cited"]["n_cases"] == 1 and report["not_self_cited"]["top1"] == 1.0
    assert report["hpo_release"]["annotations_version"] == "2099-02-02" and report["hpo_version"] == "2099-02-02"
    assert report["cases_with_rows_withheld"] == 2 and report["missed"] == 1  # 'gone' stays in the denominator
    assert json.loads(result.json_path.read_text())["top1"] == report["top1"]

    off = run_bench_phenotype(cited_cases, tmp_path / "f.json", hpo_dir=str(RELEASE), jobs=1,
                              withhold_publication=False).report
    assert off["withhold_publication"] is False and off["top1"] == 1.0 and off["full_knowledge"]["top1"] == 1.0


def test_cli_switches_withholding_off(cited_cases, tmp_path):
    out = tmp_path / "off.json"
    run = subprocess.run([sys.executable, "-m", "variantprio", "bench", "phenotype", "--cases", str(cited_cases),
                          "--out", str(out), "--hpo-dir", str(RELEASE), "--jobs", "1", "--no-withhold-publication"],
                         capture_output=True, text=True, env={**cli_env(), "VARIANTPRIO_CACHE": str(tmp_path / "c")})
    assert run.returncode == 0, run.stderr
    assert "full knowledge" in run.stdout and json.loads(out.read_text())["top1"] == 1.0
