"""`variantprio run --lang fr` with phenotypes typed as French labels, through the real Snakemake
workflow: the rules pass the labels (quoted) to the phenotype stage and the report, and `--lang` to
the report and the batch summary."""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from conftest import FAM1_CHILD, fam1_run_args, run_cli, shared_data
from variantprio.tables import read_table

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools missing (.ci/run installs it)")

# FAM1's terms (HP:0002069, HP:0002123, HP:0001263) as a French clinical note would write them, in
# mixed case, one with an apostrophe-free accent-less spelling and one in English.
TYPED = "crises convulsives généralisées TONICO-CLONIQUES; Epilepsie myoclonique generalisee; " \
        "Global developmental delay"


def test_run_in_french_with_french_labels(demo_inputs, tmp_path):
    out = tmp_path / "fr"
    release = shared_data("hpo/2026-06-23")
    run_cli(*fam1_run_args(demo_inputs, out, TYPED), "--hpo-dir", str(release), "--lang", "fr", timeout=900)
    sample = out / FAM1_CHILD
    html = (sample / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "Résumé du patient" in html
    for typed, term in (("crises convulsives généralisées TONICO-CLONIQUES", "HP:0002069"),
                        ("Epilepsie myoclonique generalisee", "HP:0002123"),
                        ("Global developmental delay", "HP:0001263")):
        assert f'<q class="typed">{typed}</q> → ' in html and term in html
    assert "Retard de développement global" in html
    genes, prov = read_table(sample / "genes.parquet", "genes")
    scored = {m["patient_term"] for ms in genes.column("matched_terms").to_pylist() if ms for m in ms}
    assert scored == {"HP:0002069", "HP:0002123", "HP:0001263"}
    assert "gene_symbol" in genes.column_names  # the contract stays English
    assert openpyxl.load_workbook(sample / "candidates.xlsx").sheetnames[0] == "Tous les candidats"
    assert '<html lang="fr">' in (out / "summary.html").read_text(encoding="utf-8")
