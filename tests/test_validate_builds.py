"""`validate` catches every build mismatch before any job, one line each: the VCF's build against
the gene model's and each source's, hg19 against b37 (chrM/MT), a sheet build the header
contradicts, a build without data, a chain of the wrong direction; and it warns when a VCF's build
had to be assumed."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from conftest import FAM1_CHILD, clinvar_vcf, run_cli, write_vcf
from variantprio.cli import main
from variantprio.core.genome import CONTIG_LENGTHS, MT_HG19_LENGTH

CALL = "chr1 1000 . A G 50 PASS . GT 0/1"
B37_CALL = "1 1000 . A G 50 PASS . GT 0/1"


def gtf(path, build: str):
    path.write_text(f"#!genome-build {build}\n" + "\t".join(
        ["chr1", "T", "exon", "900", "1100", ".", "+", ".",
         'gene_id "G1"; transcript_id "T1"; gene_name "GENE1"; gene_type "protein_coding";']) + "\n")
    return path


def b37_vcf(path, sample: str = "P1"):
    contigs = {"1": CONTIG_LENGTHS["GRCh37"]["chr1"], "MT": 16569}
    return write_vcf(path, [B37_CALL], samples=(sample,), contigs=contigs)


def hg19_vcf(path):
    contigs = {"chr1": CONTIG_LENGTHS["GRCh37"]["chr1"], "chrM": MT_HG19_LENGTH}
    return write_vcf(path, [CALL], samples=("P1",), contigs=contigs)


def grch38_vcf(path, sample: str = "P1"):
    return write_vcf(path, [CALL], samples=(sample,), contigs=("chr1", "chrM"))


def validate(tmp_path, vcf, config: dict, build_column: str = ""):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample_id\tfamily_id\tvcf\thpo\tbuild\nP1\tF1\t{vcf}\tHP:0001250\t{build_column}\n")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump({"samples": str(sheet), **config}))
    out = tmp_path / "checks.tsv"
    result = CliRunner().invoke(main, ["validate", "--samples", str(sheet), "--config", str(config_file),
                                       "--out", str(out)])
    return result, out


def problems(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "P1:" in line or "config:" in line]


def one_problem(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr
    found = problems(result)
    assert len(found) == 1, result.stderr
    for fragment in fragments:
        assert fragment in found[0], found[0]
    return found[0]


def source(name: str, path, build: str, kind: str = "clinvar") -> dict:
    return {"name": name, "kind": kind, "path": str(path), "version": "1", "build": build}


def test_grch37_vcf_against_a_grch38_gene_model(tmp_path):
    vcf = b37_vcf(tmp_path / "p1.vcf")
    result, _ = validate(tmp_path, vcf, {"genome_build": "GRCh37", "gene_model": str(gtf(tmp_path / "g.gtf", "GRCh38"))})
    one_problem(result, "p1.vcf is GRCh37 with b37 names (1) (by its contig lengths)", "gene model", "is GRCh38", "builds.GRCh37.gene_model")


def test_grch37_vcf_against_a_grch38_source(tmp_path):
    vcf = b37_vcf(tmp_path / "p1.vcf")
    clinvar = clinvar_vcf(tmp_path / "clinvar.vcf.gz", "GRCh38", [("chr1", 1000, "A", "G")])
    result, _ = validate(tmp_path, vcf, {"genome_build": "GRCh37", "sources": [source("ClinVar", clinvar, "GRCh38")]})
    one_problem(result, "is GRCh37", "source ClinVar is declared GRCh38")


def test_source_whose_header_contradicts_its_declared_build(tmp_path):
    vcf = grch38_vcf(tmp_path / "p1.vcf")
    clinvar = clinvar_vcf(tmp_path / "clinvar.vcf.gz", "GRCh37", [("1", 1000, "A", "G")])
    result, _ = validate(tmp_path, vcf, {"sources": [source("ClinVar", clinvar, "GRCh38")]})
    one_problem(result, "source ClinVar", "is GRCh37 by its header, though declared GRCh38")


def test_hg19_chr_names_against_b37_sources(tmp_path):
    """chr1 and 1 are matched both ways; but hg19's chrM is another sequence than b37's MT."""
    vcf = hg19_vcf(tmp_path / "p1.vcf")
    clinvar = clinvar_vcf(tmp_path / "clinvar.vcf.gz", "GRCh37", [("1", 1000, "A", "G"), ("MT", 73, "A", "G")])
    result, _ = validate(tmp_path, vcf, {"genome_build": "GRCh37", "sources": [source("ClinVar", clinvar, "GRCh37")]})
    one_problem(result, "hg19's chrM", "source ClinVar uses the rCRS mitochondrion (MT/chrM, 16569 bp)",
                "bcftools view -t ^chrM,MT")
    b37 = b37_vcf(tmp_path / "p2.vcf")  # the same source with a b37 VCF: fine, and so are chr names alone
    result, _ = validate(tmp_path, b37, {"genome_build": "GRCh37", "sources": [source("ClinVar", clinvar, "GRCh37")]})
    assert result.exit_code == 0, result.output


def test_vcf_without_contig_lengths_and_no_stated_build_is_a_warning(tmp_path):
    vcf = write_vcf(tmp_path / "p1.vcf", [CALL], samples=("P1",), contigs={"chr1": None})
    result, out = validate(tmp_path, vcf, {})
    assert result.exit_code == 0, result.output
    assert "no contig lengths" in result.stderr and "assumed GRCh38" in result.stderr
    checks = pd.read_csv(out, sep="\t")
    build = checks[checks["check"] == "build"]["result"].tolist()
    assert len(build) == 2 and build[0].startswith("WARN: ") and "sheet's build column" in build[0]
    result, out = validate(tmp_path, vcf, {}, build_column="GRCh38")  # stated: no warning
    assert result.exit_code == 0 and "assumed" not in result.stderr


def test_sheet_build_that_the_header_contradicts(tmp_path):
    vcf = b37_vcf(tmp_path / "p1.vcf")
    result, _ = validate(tmp_path, vcf, {}, build_column="GRCh38")
    one_problem(result, "build column says GRCh38", "genome build mismatch", "1 has length 249250621")


def test_a_build_without_data_and_a_chain_of_the_wrong_direction(tmp_path):
    vcf = b37_vcf(tmp_path / "p1.vcf")
    result, _ = validate(tmp_path, vcf, {"gene_model": str(gtf(tmp_path / "g.gtf", "GRCh38"))})
    one_problem(result, "p1.vcf is GRCh37", "the config has no data for GRCh37", "add builds.GRCh37")
    chain = tmp_path / "hg38ToHg19.over.chain"
    b37, b38 = CONTIG_LENGTHS["GRCh37"]["chr1"], CONTIG_LENGTHS["GRCh38"]["chr1"]
    chain.write_text(f"chain 1 chr1 {b38} + 0 100 chr1 {b37} + 0 100 1\n100\n\n")
    result, _ = validate(tmp_path, vcf, {"gene_model": str(gtf(tmp_path / "g.gtf", "GRCh38")),
                                         "liftover": {"to": "GRCh38", "chain": str(chain)}})
    assert result.exit_code == 2
    found = problems(result)
    assert any("lifts onto GRCh37, not liftover.to GRCh38" in p for p in found), found
    assert any("lifts from GRCh38" in p for p in found) and all("\n" not in p for p in found)


def test_mixed_builds_with_per_build_data_validate_clean(tmp_path):
    vcf37, vcf38 = b37_vcf(tmp_path / "p37.vcf", "P37"), grch38_vcf(tmp_path / "p38.vcf", "P38")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample_id\tfamily_id\tvcf\thpo\nP37\tF1\t{vcf37}\tHP:0001250\nP38\tF2\t{vcf38}\tHP:0001250\n")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"samples": str(sheet), "gene_model": str(gtf(tmp_path / "g38.gtf", "GRCh38")),
                                      "builds": {"GRCh37": {"gene_model": str(gtf(tmp_path / "g37.gtf", "GRCh37"))}}}))
    out = tmp_path / "checks.tsv"
    result = CliRunner().invoke(main, ["validate", "--samples", str(sheet), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    checks = pd.read_csv(out, sep="\t")
    builds = dict(zip(checks[checks["check"] == "build"]["sample"], checks[checks["check"] == "build"]["result"]))
    assert builds == {"P37": "GRCh37 (contig lengths)", "P38": "GRCh38 (contig lengths)"}


def test_run_with_build_grch37_and_a_grch38_gene_model_stops_before_any_job(tmp_path, demo_inputs):
    """The issue's first report: this died in annotate with `message: None`."""
    out = tmp_path / "out"
    result = run_cli("run", "--vcf", str(demo_inputs.vcfs["FAM1"]), "--sample", FAM1_CHILD, "--hpo", "HP:0001250",
                     "--build", "GRCh37", "--gene-model", str(gtf(tmp_path / "g.gtf", "GRCh38")), "--out", str(out),
                     check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "build column says GRCh37" in result.stderr and "genome build mismatch" in result.stderr
    assert not (out / "_vcf").exists() and not (out / FAM1_CHILD).exists()


@pytest.mark.parametrize("bad", [{"builds": {"hg19": {"gene_model": "x"}}},
                                 {"builds": {"GRCh37": {"genes": "x"}}},
                                 {"liftover": {"to": "GRCh38"}},
                                 {"liftover": {"chain": "hg19ToHg38.over.chain.gz"}},
                                 {"gene_model": "a.gtf", "builds": {"GRCh38": {"gene_model": "b.gtf"}}}])
def test_malformed_build_config_is_one_line(tmp_path, bad):
    vcf = grch38_vcf(tmp_path / "p1.vcf")
    result, _ = validate(tmp_path, vcf, bad)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert any("config" in line for line in result.stderr.splitlines()), result.stderr
