"""Untrusted text in the report outputs: no formula injection into TSV/XLSX (OWASP CSV injection)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from test_report import make_results
from variantprio.report import load_report_data
from variantprio.report.cells import neutralise, neutralise_frame
from variantprio.report.tables import write_tsv, write_xlsx

HYPERLINK = '=HYPERLINK("https://evil.example/x","open")'
PAYLOADS = [HYPERLINK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def test_neutralise_prefixes_formula_text_and_leaves_numbers():
    assert [neutralise(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    assert neutralise("SCN1A") == "SCN1A" and neutralise(-0.5) == -0.5 and neutralise(None) is None
    import pandas as pd

    frame = neutralise_frame(pd.DataFrame({"score": [-0.5, 1.0], "text": ["-0.5", "ok"]}))
    assert frame["score"].tolist() == [-0.5, 1.0] and frame["text"].tolist() == ["'-0.5", "ok"]


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory) -> tuple[Path, list[str]]:
    """A real report's data with formula payloads in gene, disease, HGVS, variant and sample text."""
    sample_dir = make_results(tmp_path_factory.mktemp("poison"))
    data = load_report_data(sample_dir / "genes.parquet", sample_dir / "variants.parquet", "P1")
    genes, variants = data.genes, data.variants
    genes.loc[0, "disease_name"] = HYPERLINK
    genes.loc[1, "disease_id"] = "@SUM(A1)"
    top = genes.loc[0, "gene_symbol"]
    best = variants.index[(variants["gene_symbol"] == top) & variants["is_best"]][0]
    variants.loc[best, "hgvs_c"] = "-2+3"
    variants.loc[best, "hgvs_p"] = "+cmd|' /C calc'!A0"
    variants.loc[best, "consequence"] = "@SUM(A1)"
    variants.at[best, "genotypes"] = [dict(g, sample="=1+1") if g["sample"] == "P1" else g
                                      for g in variants.at[best, "genotypes"]]
    genes.loc[0, "best_variant"] = "=cmd:1:A>T"
    out = tmp_path_factory.mktemp("poison-out")
    write_tsv(data, out / "candidates.tsv")
    write_xlsx(data, out / "candidates.xlsx")
    return out, [HYPERLINK, "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0", "=cmd:1:A>T"]


def test_xlsx_has_no_formula_cells_and_keeps_the_text(poisoned):
    out, payloads = poisoned
    wb = openpyxl.load_workbook(out / "candidates.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    for payload in payloads:
        assert payload in seen  # shown literally, not prefixed or dropped
    numbers = wb["All candidates"]
    header = [c.value for c in numbers[1]]
    assert numbers.cell(2, header.index("posterior") + 1).data_type == "n"


def test_tsv_cells_with_formula_text_start_with_a_quote(poisoned):
    out, payloads = poisoned
    lines = (out / "candidates.tsv").read_text().splitlines()
    rows = list(csv.reader([line for line in lines if not line.startswith("#")], delimiter="\t"))
    cells = [c for row in rows for c in row]
    for payload in payloads:
        assert "'" + payload in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert all(line.startswith("#") for line in lines[:1])
