"""`bench vcf` runner: tie-aware ranks, metrics, breakdowns, outputs, CLI and a small end-to-end run."""

from __future__ import annotations

import json
import math
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import shared_data
from variantprio.bench.analyse.metrics import rank_metrics, summarise, tie_aware_rank
from variantprio.bench.analyse.plots import write_plot
from variantprio.bench.run.vcf import missing_stages, resolve_data_path
from variantprio.cli import main
from variantprio.errors import InputError

def test_tie_aware_rank_shares_the_mean_rank_and_misses_are_nan():
    genes = pd.Series(["A", "B", "C", "D"])
    scores = pd.Series([0.9, 0.5, 0.5, 0.5])
    assert tie_aware_rank(genes, scores, "A") == 1
    assert tie_aware_rank(genes, scores, "C") == 3  # ranks 2,3,4 shared -> 3
    assert math.isnan(tie_aware_rank(genes, scores, "Z"))
    # missing scores rank last, not first
    assert tie_aware_rank(pd.Series(["A", "B"]), pd.Series([None, 0.1]), "A") == 2


def test_rank_metrics_count_misses_as_zero_reciprocal_rank():
    m = rank_metrics(pd.Series([1.0, 2.0, 4.0, float("nan")]))
    assert m["n"] == 4 and m["missed"] == 1
    assert m["top1"] == 0.25 and m["top3"] == 0.5 and m["top5"] == 0.75 and m["top10"] == 0.75
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0.25 + 0) / 4, abs=1e-4)
    # a tie at rank 1.5 is not a top-1 hit
    assert rank_metrics(pd.Series([1.5]))["top1"] == 0.0


def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": ["a", "b", "c", "d"], "mode": ["AD", "AD", "AR", "XR"],
        "genotype": ["het", "het", "comphet", "hemi"], "variant_class": ["SNV", "deletion", "SNV", "SNV"],
        "consequence": ["missense_variant", None, "stop_gained", "missense_variant"],
        "rank": [1.0, 12.0, 2.0, float("nan")], "phenotype_rank": [3.0, 40.0, 1.0, 7.0]})


def test_summary_breaks_down_by_mode_class_and_consequence():
    s = summarise(_results(), "rank")
    assert s["by_mode"]["AD"]["n"] == 2 and s["by_mode"]["AD"]["top1"] == 0.5
    assert s["by_mode"]["XR"]["missed"] == 1
    assert s["by_variant_class"]["deletion"]["top10"] == 0.0
    assert s["by_consequence"]["unknown"]["n"] == 1
    assert s["by_genotype"]["comphet"]["top3"] == 1.0


def test_plot_is_a_png(tmp_path):
    path = write_plot(_results(), tmp_path / "plot.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resolve_data_path_falls_back_to_repo_root(tmp_path, monkeypatch):
    (tmp_path / "repo").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "x.vcf.gz").write_text("x")
    monkeypatch.chdir(tmp_path)  # ../shared does not exist from here
    assert resolve_data_path("../shared/x.vcf.gz", tmp_path / "repo") == (tmp_path / "shared" / "x.vcf.gz")
    with pytest.raises(InputError, match="background VCF not found"):
        resolve_data_path("../shared/absent.vcf.gz", tmp_path / "repo", what="background VCF")


def test_resolve_data_path_defaults_to_the_checkout_the_module_is_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_path("pyproject.toml") == Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_cli_missing_background_is_one_line_exit_2(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    result = CliRunner().invoke(main, ["bench", "vcf", "--cases", str(cases), "--out", str(tmp_path / "o.json"),
                                       "--background", str(tmp_path / "absent.vcf.gz")])
    assert result.exit_code == 2
    assert "background VCF not found" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o.json").exists()


def _small_inputs(tmp_path: Path, packets: Path, exome: Path, reference: Path) -> tuple[Path, Path, Path]:
    """3 real dev cases (het, hom, compound het on chr1-22), a 3-contig background, gene model subset."""
    import json as _json

    chosen: dict[str, tuple[str, bytes]] = {}
    with zipfile.ZipFile(packets) as archive:
        for name in sorted(archive.namelist()):
            packet = _json.loads(archive.read(name))
            gis = [g["variantInterpretation"]["variationDescriptor"]
                   for i in packet["interpretations"] for g in i["diagnosis"].get("genomicInterpretations", [])]
            if not gis or not all("vcfRecord" in d for d in gis):
                continue
            chroms = {d["vcfRecord"]["chrom"] for d in gis}
            if chroms != {"chr17"}:
                continue
            states = [d["allelicState"]["label"] for d in gis]
            kind = "comphet" if len(states) == 2 else states[0]
            chosen.setdefault(kind, (name, archive.read(name)))
            if len(chosen) == 3:
                break
    cases = tmp_path / "cases"
    for name, raw in chosen.values():
        (cases / name).parent.mkdir(parents=True, exist_ok=True)
        (cases / name).write_bytes(raw)
    background = tmp_path / "bg.vcf.gz"
    subprocess.run(["bcftools", "view", "-r", "chr17", "-Oz", "-o", str(background), str(exome)], check=True)
    subprocess.run(["tabix", "-p", "vcf", str(background)], check=True)
    return cases, background, _gene_model_subset(reference, tmp_path / "reference", "chr17")


def _gene_model_subset(reference: Path, out: Path, chrom: str) -> Path:
    """The GENCODE reference tables restricted to one chromosome (same files, same formats)."""
    import gzip

    out.mkdir()
    for source in reference.iterdir():
        with gzip.open(source, "rt") as src, gzip.open(out / source.name, "wt") as dst:
            for line in src:
                if line.startswith(("#", "chrom\t")) or line.startswith(chrom + "\t"):
                    dst.write(line)
    return out


def test_end_to_end_three_cases(tmp_path):
    if missing_stages():
        pytest.skip(f"pipeline stages not in this build yet: {missing_stages()}")
    shared = [shared_data(p) for p in ("bench/phenopackets-dev.zip", "bench/background/pfeiffer-exome.grch38.vcf.gz",
                                       "bench/reference")]
    constraint = shared_data("reference/gnomad.v2.1.1.gene-constraints.tsv")
    cases, background, gene_model = _small_inputs(tmp_path, *shared)
    out = tmp_path / "res" / "bench.json"
    result = CliRunner().invoke(main, ["bench", "vcf", "--cases", str(cases), "--out", str(out),
                                       "--background", str(background), "--gene-model", str(gene_model),
                                       "--jobs", "1", "--keep", str(tmp_path / "keep"),
                                       "--constraint", str(constraint)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["n_cases"] + report["n_failed"] == 3 and report["n_failed"] == 0
    assert report["evidence"]["population_frequencies"] is False and report["evidence"]["clinvar"] is False
    assert report["evidence"]["withhold_publication"] is True and report["evidence"]["gene_constraint"]
    assert report["self_cited"]["n_cases"] + report["not_self_cited"]["n_cases"] == 3
    assert set(report["full_knowledge"]) == {"full_pipeline", "phenotype_only"}
    for key in ("top1", "top3", "top5", "top10", "mrr"):
        assert 0 <= report[key] <= 1 and key in report["phenotype_only"]
    per_case = pq.read_table(out.with_name("bench.cases.parquet")).to_pandas()
    assert len(per_case) == 3 and set(per_case["genotype"]) == {"het", "hom", "comphet"}
    assert (per_case["rank"].fillna(1e9) >= 1).all()
    assert out.with_name("bench.png").read_bytes()[:4] == b"\x89PNG"
    assert "full pipeline top1" in result.output and "phenotype only" in result.output
    from variantprio.bench.prepare.phenopackets import read_cases
    from variantprio.phenotype import load_ontology

    links = load_ontology().annotations.links
    covered = sum(links(c.disease_id, c.gene_symbol) for c in read_cases(cases))
    assert report["diagnosis_in_release"]["n_cases"] == covered
    assert report["diagnosis_in_release"]["full_pipeline"]["n"] == covered
    assert f"diagnosis in the HPO release ({covered} cases)" in result.output
    kept = sorted(p.name for p in (tmp_path / "keep").iterdir())
    assert len(kept) == 3 and (tmp_path / "keep" / kept[0] / "genes.parquet").exists()
