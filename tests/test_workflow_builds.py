"""GRCh37 and GRCh38 samples in one batch: one real `snakemake` call, each VCF annotated with its own
build's gene model and sources; the same case via liftover ranks the same gene first."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import (B37_SHIFT, FAM1_CHILD, cli_env, clinvar_vcf, demo_vcf_on_grch37, gene_model_on, run_cli,
                      shift_chain)
from variantprio.tables import read_table
from variantprio.workflow import workflow_dir

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(workflow_dir() / "Snakefile")]
FAM2_CHILD = "FAM2-child"

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")


def planted(vcf, child: str, father: str, mother: str) -> tuple[str, int, str, str]:
    """The first record the child carries that no parent does (de novo), else the planted deletion."""
    with gzip.open(vcf, "rt") as handle:
        for line in handle:
            if line.startswith("#CHROM"):
                samples = line.rstrip("\n").split("\t")[9:]
            elif not line.startswith("#"):
                f = line.rstrip("\n").split("\t")
                gt = {s: v.split(":")[0] for s, v in zip(samples, f[9:])}
                de_novo = gt[child] == "0/1" and gt[father] == gt[mother] == "0/0"
                deletion = gt[child] == "0/1" and len(f[3]) == 2 and len(f[4]) == 1
                if de_novo or deletion:
                    return f[0], int(f[1]), f[3], f[4]
    raise AssertionError("no planted variant")


@pytest.fixture(scope="module")
def mixed(demo_inputs, tmp_path_factory):
    """FAM1 called on GRCh38 (chr names), FAM2 on GRCh37 (b37 names, assembly=b37); one config with
    the data of both builds; one snakemake call."""
    root = tmp_path_factory.mktemp("mixed")
    data = root / "data"
    data.mkdir()
    vcf38 = demo_inputs.vcfs["FAM1"]
    vcf37 = demo_vcf_on_grch37(demo_inputs.vcfs["FAM2"], data / "FAM2.b37.vcf.gz")
    gtf38 = gene_model_on(demo_inputs.gene_model, data / "demo-genes.grch38.gtf", "GRCh38")
    gtf37 = gene_model_on(demo_inputs.gene_model, data / "demo-genes.grch37.gtf", "GRCh37", B37_SHIFT)
    v38 = planted(vcf38, "FAM1-child", "FAM1-father", "FAM1-mother")
    v37 = planted(vcf37, "FAM2-child", "FAM2-father", "FAM2-mother")
    clinvar38 = clinvar_vcf(data / "clinvar.grch38.vcf.gz", "GRCh38", [v38])
    clinvar37 = clinvar_vcf(data / "clinvar.grch37.vcf.gz", "GRCh37", [v37])
    sheet = data / "samples.tsv"
    terms = {c: ",".join(h) for c, h in (("FAM1", ("HP:0002069", "HP:0002123", "HP:0001263")),
                                         ("FAM2", ("HP:0006528", "HP:0002110", "HP:0001738")))}
    sheet.write_text("sample_id\tfamily_id\tvcf\tped\thpo\tbuild\n"
                     f"FAM1-child\tFAM1\t{vcf38}\t{demo_inputs.ped}\t{terms['FAM1']}\t\n"
                     f"FAM2-child\tFAM2\t{vcf37}\t{demo_inputs.ped}\t{terms['FAM2']}\t\n")
    config = {"samples": str(sheet), "results": "results", "genome_build": "GRCh38", "gene_model": str(gtf38),
              "sources": [{"name": "ClinVar", "kind": "clinvar", "path": str(clinvar38), "version": "38-test",
                           "build": "GRCh38"}],
              "builds": {"GRCh37": {"gene_model": str(gtf37), "sources": [
                  {"name": "ClinVar", "kind": "clinvar", "path": str(clinvar37), "version": "37-test",
                   "build": "GRCh37"}]}}}
    config_file = root / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    run = subprocess.run(SNAKEMAKE + ["--directory", str(root), "--configfile", str(config_file), "--cores", "2"],
                         capture_output=True, text=True, env=cli_env(), timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    return root, {"FAM1": (vcf38, v38), "FAM2": (vcf37, v37)}, data


def test_mixed_batch_annotates_each_vcf_with_its_own_builds_data(mixed):
    root, planted_variants, _ = mixed
    results = root / "results"
    tops = {}
    for sample, build, version, model in ((FAM1_CHILD, "GRCh38", "38-test", "grch38"),
                                          (FAM2_CHILD, "GRCh37", "37-test", "grch37")):
        genes, prov = read_table(results / sample / "genes.parquet", "genes")
        tops[sample] = genes.sort_by("rank").column("gene_symbol")[0].as_py()
        assert prov.genome_build == build, sample
        assert prov.sources["ClinVar"] == version and model in prov.sources["gene_model"], prov.sources
    assert tops == {FAM1_CHILD: "SCN1A", FAM2_CHILD: "CFTR"}
    # The planted variant of each found its build's ClinVar record: b37 "7" and GRCh38 "chr" names alike.
    for family, (vcf, (chrom, pos, ref, alt)) in planted_variants.items():
        vcf_id = vcf.name.split(".vcf")[0]
        ann = pq.read_table(results / "_vcf" / vcf_id / "annotations.parquet").to_pandas()
        hit = ann[(ann["pos"] == pos) & (ann["ref"] == ref) & (ann["alt"] == alt)]
        assert hit["clinvar_significance"].tolist()[:1] == ["Pathogenic"], family


def test_batch_summary_and_report_show_each_samples_build(mixed):
    root, _, _ = mixed
    summary = pd.read_csv(root / "results" / "summary.tsv", sep="\t")
    assert list(summary.columns[:3]) == ["sample", "status", "genome_build"]
    assert dict(zip(summary["sample"], summary["genome_build"])) == {FAM1_CHILD: "GRCh38", FAM2_CHILD: "GRCh37"}
    html = (root / "results" / FAM2_CHILD / "report.html").read_text()
    assert 'class="build-badge"' in html and "GRCh37" in html
    assert "GRCh37" in (root / "results" / "summary.html").read_text()


def test_same_case_via_liftover_and_native_grch37_ranks_the_same_gene_first(mixed, demo_inputs, tmp_path):
    """FAM2's b37 VCF lifted onto GRCh38 on ingest and annotated with the GRCh38 data gives the same first
    gene as the native GRCh37 batch run; the report names the chain and both positions. The stages run
    in-process here; that `run --snakemake --liftover-to --chain` hands them to the ingest rule is the dry run below."""
    from variantprio import annotate, ingest, inheritance, phenotype, rank, report
    root, planted_variants, data = mixed
    chain = shift_chain(tmp_path / "b37ToHg38.test.over.chain")
    vcf37, (chrom, pos, ref, alt) = planted_variants["FAM2"]
    terms = "HP:0006528,HP:0002110,HP:0001738"
    dry = run_cli("run", "--vcf", str(vcf37), "--ped", str(demo_inputs.ped), "--sample", FAM2_CHILD, "--hpo", terms,
                  "--gene-model", str(data / "demo-genes.grch38.gtf"), "--liftover-to", "GRCh38", "--chain", str(chain),
                  "--out", str(tmp_path / "dry"), "--snakemake", "--dry-run")
    assert "--build GRCh37" in dry.stdout and f"--liftover-to GRCh38 --chain {chain}" in dry.stdout, dry.stdout

    t = tmp_path
    ingest.run(ingest.IngestInputs(vcf37, demo_inputs.ped), ingest.IngestOutputs(t / "variants.parquet"),
               ingest.IngestOptions(liftover_to="GRCh38", chain=str(chain)))
    annotate.run(annotate.AnnotateInputs(t / "variants.parquet", gene_model=data / "demo-genes.grch38.gtf"),
                 annotate.AnnotateOutputs(t / "annotations.parquet"), annotate.AnnotateOptions(cache_dir=str(t / "cache")))
    inheritance.run(inheritance.InheritanceInputs(t / "variants.parquet", t / "annotations.parquet", FAM2_CHILD,
                                                  demo_inputs.ped), inheritance.InheritanceOutputs(t / "segregation.parquet"))
    phenotype.run(phenotype.PhenotypeInputs(observed=terms), phenotype.PhenotypeOutputs(t / "gene_phenotype.parquet"),
                  phenotype.PhenotypeOptions(genome_build="GRCh38"))
    rank.run(rank.RankInputs(t / "variants.parquet", t / "annotations.parquet", t / "segregation.parquet",
                             t / "gene_phenotype.parquet", FAM2_CHILD), rank.RankOutputs(t / "genes.parquet", t / "ranked.parquet"))
    native = read_table(root / "results" / FAM2_CHILD / "genes.parquet", "genes")[0].sort_by("rank")
    lifted, prov = read_table(t / "genes.parquet", "genes")
    assert lifted.sort_by("rank").column("gene_symbol")[0].as_py() == native.column("gene_symbol")[0].as_py() == "CFTR"
    assert prov.genome_build == "GRCh38" and prov.extra["liftover"]["chain_file"] == chain.name
    ranked = pq.read_table(t / "ranked.parquet").to_pandas()
    best = ranked[(ranked["gene_symbol"] == "CFTR") & ranked["is_best"]]
    assert (pos - B37_SHIFT) in best["pos"].tolist()
    report.run(report.ReportInputs(t / "genes.parquet", t / "ranked.parquet", FAM2_CHILD,
                                   input_variants=t / "variants.parquet"), report.ReportOutputs(t / "report"))
    html = (t / "report" / "report.html").read_text()
    assert chain.name in html and f"chr{chrom}:{pos}:{ref}&gt;{alt}" in html
