"""Report outputs from real rank tables: HTML (in headless Chromium), TSV, XLSX, VCF (bcftools),
batch summary. Every output is checked against genes.parquet."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from test_rank import _PHENOTYPE, _VARIANTS, write_rank_case
from variantprio.cli import main
from variantprio.rank import RankInputs, RankOutputs
from variantprio.rank import run as rank_run
from variantprio.report import ReportInputs, ReportOptions, ReportOutputs, write_batch_summary
from variantprio.report import run as report_run
from variantprio.report.tables import SETTINGS_SHEET, SHEETS
from variantprio.tables import read_table

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def make_results(directory: Path, proband_dir: str = "P1", hpo_terms: tuple[str, ...] = ("HP:0002069", "HP:0001250"),
                 with_input_variants: bool = False, report: dict | None = None, **case) -> Path:
    """results/<sample>/ with genes.parquet + variants.parquet from the rank stage, and the report
    (`with_input_variants`: the report also reads ingest's table for the VCF IDs; `report`: more
    of the report's inputs or options, e.g. hpo_dir and lang)."""
    sample_dir = directory / proband_dir
    paths = write_rank_case(directory / f"inputs-{proband_dir}", **case)
    rank_run(RankInputs(paths["variants"], paths["annotations"], paths["segregation"], paths["pheno"], "P1"),
             RankOutputs(sample_dir / "genes.parquet", sample_dir / "variants.parquet"))
    inputs = dict(report or {})
    options = {name: inputs.pop(name) for name in ("top", "title", "lang") if name in inputs}
    report_run(ReportInputs(sample_dir / "genes.parquet", sample_dir / "variants.parquet", "P1",
                            input_variants=paths["variants"] if with_input_variants else None, hpo_terms=hpo_terms,
                            **inputs),
               ReportOutputs(sample_dir), ReportOptions(**{"top": 50, **options}))
    return sample_dir


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    return make_results(tmp_path_factory.mktemp("results"))


@pytest.fixture(scope="module")
def genes(results) -> pd.DataFrame:
    return read_table(results / "genes.parquet", "genes")[0].to_pandas()


def test_tsv_agrees_with_genes_parquet(results, genes):
    tsv = pd.read_csv(results / "candidates.tsv", sep="\t", comment="#")
    assert tsv["gene_symbol"].tolist() == genes["gene_symbol"].tolist()
    assert tsv["rank"].tolist() == genes["rank"].tolist()
    assert tsv["combined_score"].to_numpy() == pytest.approx(genes["combined_score"].to_numpy(), rel=1e-3)
    assert tsv["posterior"].to_numpy() == pytest.approx(genes["posterior"].to_numpy(), rel=1e-3, abs=1e-6)
    top = tsv.iloc[0]
    assert top["gene_symbol"] == "SCN1A" and top["hgvs_p"] == "p.Ile100fs"
    assert "P1:0/1" in top["genotypes"] and "FATHER:0/0" in top["genotypes"]
    assert "PVS1" in top["acmg_tags"]
    cftr = tsv.set_index("gene_symbol").loc["CFTR"]
    assert cftr["hgvs_p"] == "p.Gly551Asp + p.Arg553Ter"  # both halves of the pair


def test_xlsx_has_mode_sheets_frozen_header_and_filters(results, genes):
    wb = openpyxl.load_workbook(results / "candidates.xlsx")
    assert tuple(wb.sheetnames) == SHEETS + (SETTINGS_SHEET,)
    for ws in wb.worksheets[:len(SHEETS)]:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.cell(1, 2).value == "gene_symbol"
    everything = wb["All candidates"]
    assert [everything.cell(r, 2).value for r in range(2, everything.max_row + 1)] == genes["gene_symbol"].tolist()
    assert [wb["AR"].cell(r, 2).value for r in range(2, wb["AR"].max_row + 1)] == ["CFTR"]
    assert [wb["AD"].cell(r, 2).value for r in range(2, wb["AD"].max_row + 1)] == ["SCN1A"]
    assert wb["MT"].max_row == 1  # header only: no gene fits mitochondrial inheritance
    header = [everything.cell(1, c).value for c in range(1, everything.max_column + 1)]
    for column in ("posterior", "combined_score"):
        assert everything.cell(2, header.index(column) + 1).value == pytest.approx(genes[column].iloc[0])


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_vcf_passes_bcftools_and_agrees_with_genes(results, genes):
    vcf = results / "candidates.vcf.gz"
    assert (results / "candidates.vcf.gz.tbi").exists()
    view = subprocess.run(["bcftools", "view", str(vcf)], capture_output=True, text=True)
    assert view.returncode == 0, view.stderr
    assert "##contig=<ID=chr2,length=242193529>" in view.stdout
    query = subprocess.run(["bcftools", "query", "-f", "%CHROM\t%POS\t%VP_GENE\t%VP_RANK\t%VP_COMBINED\t[%GT,]\n",
                            str(vcf)], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in query.stdout.splitlines()]
    by_gene = genes.set_index("gene_symbol")
    assert len(rows) == 6  # the carried, genic candidates of the five genes
    for chrom, pos, gene, rank, combined, gts in rows:
        assert float(rank) == by_gene.loc[gene, "rank"]
        assert float(combined) == pytest.approx(by_gene.loc[gene, "combined_score"], rel=1e-3)
    scn1a = next(r for r in rows if r[2] == "SCN1A")
    assert scn1a[5] == "0/1,0/0,0/0,"
    dmd = next(r for r in rows if r[2] == "DMD")
    assert dmd[5].startswith("1,")  # hemizygous proband: haploid GT
    region = subprocess.run(["bcftools", "view", "-H", "-r", "chr7", str(vcf)], capture_output=True, text=True,
                            check=True)  # uses the index
    assert len(region.stdout.splitlines()) == 2
    flagged = subprocess.run(["bcftools", "view", "-H", "-i", "INFO/VP_BEST=1", str(vcf)], capture_output=True,
                             text=True, check=True)
    assert len(flagged.stdout.splitlines()) == 6


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_vcf_with_structural_variant_passes_bcftools(tmp_path):
    sv = dict(_VARIANTS[0], pos=166_100_000, ref="G", alt="<DEL>", consequence="transcript_ablation", gene="SCN1A")
    sample_dir = make_results(tmp_path, variants=_VARIANTS + [sv])
    view = subprocess.run(["bcftools", "view", "-H", str(sample_dir / "candidates.vcf.gz")],
                          capture_output=True, text=True)
    assert view.returncode == 0, view.stderr
    assert "\tG\t<DEL>\t" in view.stdout and "[W::" not in view.stderr


def test_html_is_self_contained_and_lists_genes_in_rank_order(results, genes):
    html = (results / "report.html").read_text()
    assert "<link rel=\"stylesheet\"" not in html and not re.search(r'src="(?:https?:)?//', html)
    assert "url(http" not in html and "@import" not in html  # nothing is loaded from the network
    # the only network addresses are outbound links, each opened without a referrer or opener
    for tag in re.findall(r"<a [^>]*https?://[^>]*>", html):
        assert 'rel="noopener noreferrer"' in tag and re.search(r'href="https://', tag)
    positions = [html.index(f"<strong>{g}</strong></a>") for g in genes["gene_symbol"]]
    assert positions == sorted(positions)
    assert "HP:0001250" in html and "Dravet syndrome" in html and "<svg" in html
    assert "FATHER" in html and "hand-set" in html  # family genotypes, data versions incl. the model


def test_html_escapes_untrusted_text(tmp_path):
    pheno = [(g, s, d, "<script>alert(1)</script>" if g == "SCN1A" else n, m, t) for g, s, d, n, m, t in _PHENOTYPE]
    sample_dir = make_results(tmp_path, phenotype=pheno)
    html = (sample_dir / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html


def test_html_shows_the_codon_position_estimate_of_fasta_less_coding_snvs(tmp_path):
    estimated = [dict(v, consequence="coding_sequence_variant", impact="MODIFIER", hgvs_p=None,
                      p_synonymous=0.93, p_stop_gained=0.0) if v["gene"] == "TTN" else v for v in _VARIANTS]
    sample_dir = make_results(tmp_path, variants=estimated)
    variants = read_table(sample_dir / "variants.parquet", "ranked_variants")[0].to_pandas()
    assert variants.loc[variants["gene_symbol"] == "TTN", "p_synonymous"].tolist() == [pytest.approx(0.93)]
    html = (sample_dir / "report.html").read_text()
    assert html.count("est. 93% synonymous, 0% stop gained") == 1  # TTN's row only


def test_html_names_the_indel_that_restores_a_frameshift(tmp_path):
    from test_rank import _frameshift

    pair = [_frameshift(33_576_378, "G", "GA", "SON", [2, 1, 1]), _frameshift(33_576_390, "GA", "G", "SON", [2, 1, 1])]
    sample_dir = make_results(tmp_path, variants=_VARIANTS + pair,
                              phenotype=_PHENOTYPE + [("SON", 0.5, "OMIM:617140", "ZTTK syndrome", ["AD"], [])])
    html = (sample_dir / "report.html").read_text()
    assert "frame restored by chr21:33576390:GA&gt;G" in html and "frame restored by chr21:33576378:G&gt;GA" in html


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_no_candidates_still_gives_valid_outputs(tmp_path):
    not_carried = [dict(v, zyg=[0, 1, 1]) for v in _VARIANTS]
    sample_dir = make_results(tmp_path, variants=not_carried)
    assert read_table(sample_dir / "genes.parquet", "genes")[0].num_rows == 0
    view = subprocess.run(["bcftools", "view", "-H", str(sample_dir / "candidates.vcf.gz")],
                          capture_output=True, text=True)
    assert view.returncode == 0 and view.stdout == ""
    assert "no candidate variants" in (sample_dir / "report.html").read_text()
    assert openpyxl.load_workbook(sample_dir / "candidates.xlsx")["All candidates"].max_row == 1


def test_batch_summary_one_row_per_sample_with_links(tmp_path):
    make_results(tmp_path / "results", "P1")
    make_results(tmp_path / "results", "P2", phenotype=[p for p in _PHENOTYPE if p[0] != "SCN1A"])
    html, tsv = write_batch_summary(tmp_path / "results", tmp_path / "results" / "summary.html")
    table = pd.read_csv(tsv, sep="\t")
    assert len(table) == 2 and table["report"].tolist() == ["P1/report.html", "P2/report.html"]
    assert table["sample"].tolist() == ["P1", "P2"] and table["top_gene"].tolist() == ["SCN1A", "CFTR"]
    text = html.read_text()
    assert 'href="P1/report.html"' in text and 'href="P2/report.html"' in text


def _sample_sheet(path: Path, samples: list[str]) -> Path:
    rows = ["# a comment line", "sample_id\tfamily_id\tvcf"] + [f"{s}\tF{i}\tin/run#{i}.vcf.gz" for i, s in enumerate(samples)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_batch_summary_lists_every_sample_of_the_sheet_with_its_status(tmp_path):
    results, logs = tmp_path / "results", tmp_path / "logs"
    make_results(results, "P1")
    (results / "P2").mkdir()
    (results / "P2" / "genes.parquet").write_bytes(b"PAR1 not really parquet")  # corrupt
    (logs / "phenotype").mkdir(parents=True)
    (logs / "phenotype" / "P3.log").write_text("loading HPO\nvariantprio: error: first (fix: x)\n"
                                              "variantprio: error: hpo.txt:3: unknown term HP:9 (fix: check it)\n")
    (logs / "rank").mkdir()
    (logs / "rank" / "P5.log").write_text("Traceback (most recent call last):\n  File x\n"
                                         "pyarrow.lib.ArrowNotImplementedError: boom\n")
    sheet = _sample_sheet(tmp_path / "samples.tsv", ["P1", "P2", "P3", "NA", "P5", "=cmd"])
    html, tsv = write_batch_summary(results, results / "summary.html", samples=sheet, logs=logs)
    table = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False).set_index("sample")
    assert table.index.tolist() == ["P1", "P2", "P3", "NA", "P5", "'=cmd"]  # sheet order, NA stays a name
    assert table["status"].tolist() == ["ok", "failed", "failed", "not run", "failed", "not run"]
    assert table.loc["P1", "top_gene"] == "SCN1A" and table.loc["P1", "error"] == ""
    assert "not a readable Parquet file" in table.loc["P2", "error"]
    assert table.loc["P3", "error"] == "hpo.txt:3: unknown term HP:9 (fix: check it)"
    assert table.loc["P5", "error"] == "pyarrow.lib.ArrowNotImplementedError: boom"
    text = html.read_text()
    assert "1 ok, 3 failed, 2 not run" in text and 'id="batch-status"' in text
    assert "unknown term HP:9" in text and 'href="P1/report.html"' in text


def test_batch_summary_without_sheet_keeps_the_old_behaviour_and_bad_sheets_are_input_errors(tmp_path):
    from variantprio.errors import InputError

    make_results(tmp_path / "results", "P1")
    _, tsv = write_batch_summary(tmp_path / "results", tmp_path / "summary.html")
    assert pd.read_csv(tsv, sep="\t")["status"].tolist() == ["ok"]
    (tmp_path / "bad.tsv").write_text("id\tvcf\nP1\tx.vcf\n")
    with pytest.raises(InputError, match="missing column"):
        write_batch_summary(tmp_path / "results", tmp_path / "summary.html", samples=tmp_path / "bad.tsv")


# --- CLI ------------------------------------------------------------------------------------

def test_cli_report_and_batch(results, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--genes", str(results / "genes.parquet"), "--variants",
                                       str(results / "variants.parquet"), "--proband", "P1", "--out-dir",
                                       str(out), "--top", "2", "--title", "Case 7"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"report.html", "candidates.tsv", "candidates.xlsx",
                                                "candidates.vcf.gz", "candidates.vcf.gz.tbi"}
    assert len(pd.read_csv(out / "candidates.tsv", sep="\t", comment="#")) == 2
    assert "<title>Case 7</title>" in (out / "report.html").read_text()
    batch = CliRunner().invoke(main, ["report-batch", "--results", str(results.parent), "--out",
                                      str(tmp_path / "summary.html")])
    assert batch.exit_code == 0, batch.output
    assert (tmp_path / "summary.tsv").exists()


@pytest.mark.parametrize("problem", ["wrong proband", "missing genes", "variants as genes", "empty batch"])
def test_cli_report_bad_input_is_one_line_exit_2(results, tmp_path, problem):
    args = ["report", "--genes", str(results / "genes.parquet"), "--variants", str(results / "variants.parquet"),
            "--proband", "P1", "--out-dir", str(tmp_path / "out")]
    if problem == "wrong proband":
        args[args.index("--proband") + 1] = "P9"
    elif problem == "missing genes":
        args[2] = str(tmp_path / "nope.parquet")
    elif problem == "variants as genes":
        args[2] = str(results / "variants.parquet")
    else:
        (tmp_path / "empty").mkdir()
        args = ["report-batch", "--results", str(tmp_path / "empty"), "--out", str(tmp_path / "s.html")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "report.html").exists()


# --- the report in a real browser -----------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian chromium/chromedriver not installed (/usr/bin/chromium, /usr/bin/chromedriver); "
                    "the CI script installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="variantprio-chromium-")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                "--window-size=1400,1800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _visible_genes(driver) -> list[str]:
    rows = driver.find_elements("css selector", "#gene-table tbody tr")
    return [r.find_elements("css selector", "td")[1].text for r in rows if r.is_displayed()]


def test_report_in_headless_chromium(browser, results, genes, tmp_path):
    from selenium.webdriver.support.ui import Select

    browser.get((results / "report.html").as_uri())
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert browser.title == "variantprio report: P1"
    assert _visible_genes(browser) == genes["gene_symbol"].tolist()
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000

    header = browser.find_elements("css selector", "#gene-table thead th")
    header[1].click()  # Gene: ascending
    assert _visible_genes(browser) == sorted(genes["gene_symbol"])
    header[1].click()  # descending
    assert _visible_genes(browser) == sorted(genes["gene_symbol"], reverse=True)
    header[4].click()  # Combined: ascending
    assert _visible_genes(browser) == genes["gene_symbol"].tolist()[::-1]

    browser.find_element("id", "gene-filter").send_keys("cystic")
    assert _visible_genes(browser) == ["CFTR"]
    assert browser.find_element("css selector", '[data-count="gene-table"]').text == "Showing 1 of 5"
    browser.find_element("id", "gene-filter").clear()
    browser.execute_script("document.getElementById('gene-filter').dispatchEvent(new Event('input'))")
    Select(browser.find_element("id", "mode-filter")).select_by_value("AD")
    assert _visible_genes(browser) == ["SCN1A"]
    Select(browser.find_element("id", "mode-filter")).select_by_value("")
    browser.find_element("id", "seg-filter").click()
    assert set(_visible_genes(browser)) == set(genes.loc[genes["segregates"], "gene_symbol"])
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_batch_summary_in_headless_chromium(browser, results, tmp_path):
    html, _ = write_batch_summary(results.parent, results.parent / "summary.html")
    browser.get(html.as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    link = browser.find_element("link text", "report")
    link.click()
    assert browser.title == "variantprio report: P1"


# --- HPO labels -----------------------------------------------------------------------------

def test_hpo_labels_from_the_phenotype_ontology_object(monkeypatch):
    """The label lookup adapts to the phenotype stage's loader (a names mapping here)."""
    import sys
    import types

    from variantprio.report import hpo_labels

    class Ontology:
        names = {"HP:0001250": "Seizure"}

    stub = types.ModuleType("variantprio.phenotype")
    stub.load_ontology = lambda: Ontology()
    monkeypatch.setitem(sys.modules, "variantprio.phenotype", stub)
    assert hpo_labels(["HP:0001250", "HP:9999999"]) == {"HP:0001250": "Seizure"}


def test_hpo_labels_with_the_real_phenotype_stage():
    try:
        import variantprio.phenotype  # noqa: F401
    except ImportError:
        pytest.skip("variantprio.phenotype not built yet: the report shows HPO IDs only")
    from variantprio.report import hpo_labels

    assert hpo_labels(["HP:0001250"]).get("HP:0001250") == "Seizure"


def test_posterior_is_shown_as_a_percentage_that_never_claims_certainty(results, genes):
    from variantprio.report.html import environment

    pct = environment().filters["pct"]
    assert (pct(0.9995), pct(0.0004), pct(0.4567), pct(None)) == (">99.9%", "<0.1%", "45.7%", "–")
    html = (results / "report.html").read_text()
    assert f"posterior {pct(genes['posterior'].iloc[0])}" in html
    assert "100.0%" not in html and ">0.0%<" not in html


@pytest.mark.parametrize("batch_size", [1, 2, 65536])
def test_streamed_ranked_rows_equal_the_whole_table_filter_and_counts(results, batch_size):
    """The report streams the ranked variants (a genome's are too large to hold): the rows kept, the
    evidence counts and the distinct variants must be those of the whole table, whatever the batches."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from variantprio.report.data import read_ranked_rows
    from variantprio.report.evidence import column_counts

    path = results / "variants.parquet"
    whole, _ = read_table(path, "ranked_variants")
    symbols = whole.column("gene_symbol").unique().to_pylist()
    assert len(symbols) >= 2 and whole.num_rows > 2
    for wanted in ([], symbols[:1], symbols[-1:], symbols[::2], symbols):
        ranked = read_ranked_rows(path, wanted, batch_size=batch_size)
        expected = whole.filter(pc.is_in(whole.column("gene_symbol"), pa.array(wanted, pa.string())))
        assert ranked.rows.equals(expected) and ranked.rows.schema.equals(whole.schema, check_metadata=True)
        assert ranked.rows.to_pandas().equals(expected.to_pandas())
        assert ranked.evidence_counts == column_counts(whole)
        assert ranked.distinct_variants == pc.count_distinct(whole.column("variant_idx")).as_py()
