"""Reports in French (issue #18), in headless Chromium and with openpyxl: page language, headings,
French HPO chips from the HPO project's translation, the terms as typed beside their IDs, marked
candidate and English-fallback labels, locale numbers, no English UI string left, French TSV/XLSX
headers and sheet names, the batch summary; and the English report as it was."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from conftest import shared_data
from test_rank import _PHENOTYPE
from test_report import browser, make_results  # noqa: F401  (browser: the shared Chromium fixture)
from variantprio.cli import main
from variantprio.core.hpoterms import split_terms
from variantprio.core.modes import MODE_ORDER
from variantprio.i18n import LOCALE_DIR, gettext_for
from variantprio.report import write_batch_summary
from variantprio.report.tables import CANDIDATE_COLUMNS, SETTINGS_SHEET, SHEETS
from variantprio.tables import read_table

PFEIFFER_FR = "Brachydactylie (main); Crâniosynostose; Large pouce; Hallux large"
PFEIFFER_IDS = ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"]
ENGLISH_ONLY, CANDIDATE_ONLY = "HP:0002942", "HP:0000036"  # Thoracic kyphosis; Anomalie du pénis (candidate)
# SCN1A's disease shares three Pfeiffer terms; the broad hallux meets a term the translation lacks and
# CFTR's a term with only a candidate translation, so both marks show.
_MATCHED = [{"patient_term": t, "disease_term": t, "score": 1.5} for t in PFEIFFER_IDS[:3]] + \
    [{"patient_term": PFEIFFER_IDS[3], "disease_term": ENGLISH_ONLY, "score": 0.4}]
_CFTR = [dict(m, disease_term=CANDIDATE_ONLY if m["patient_term"] == PFEIFFER_IDS[0] else None) for m in _MATCHED]
PHENOTYPE = [(g, s, d, n, m, _MATCHED if g == "SCN1A" else _CFTR if g == "CFTR" else
              [dict(t, disease_term=None) for t in _MATCHED]) for g, s, d, n, m, _ in _PHENOTYPE]
_ = gettext_for("fr")


def _report(directory: Path, lang: str, terms: str) -> Path:
    release = shared_data("hpo/2026-06-23")
    return make_results(directory, hpo_terms=tuple(split_terms(terms)), phenotype=PHENOTYPE,
                        report={"lang": lang, "hpo_dir": release})


@pytest.fixture(scope="module")
def french(tmp_path_factory) -> Path:
    return _report(tmp_path_factory.mktemp("fr"), "fr", PFEIFFER_FR)


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> Path:
    return _report(tmp_path_factory.mktemp("en"), "en", ", ".join(PFEIFFER_IDS))


def _open(driver, sample_dir: Path) -> None:
    driver.get((sample_dir / "report.html").as_uri())
    assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


_SHOWN_TEXT = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const parent = walker.currentNode.parentElement;
  if (parent && !['SCRIPT', 'STYLE'].includes(parent.tagName) && walker.currentNode.textContent.trim())
    out.push(walker.currentNode.textContent.trim());
}
for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], option'))
  for (const name of ['title', 'placeholder', 'aria-label'])
    if (el.getAttribute(name)) out.push(el.getAttribute(name).trim());
return out;
"""


def english_ui_strings() -> list[str]:
    """Catalog messages whose French differs from the English, as a reader would see them."""
    with open(LOCALE_DIR / "fr" / "LC_MESSAGES" / "variantprio.po", "rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    out = []
    for m in messages:
        for english, french in zip(m.id if isinstance(m.id, tuple) else (m.id,),
                                   m.string if isinstance(m.string, tuple) else (m.string,)):
            if english != french:
                out.append(english)
    return out


def test_french_report_in_chromium(browser, french):  # noqa: F811
    _open(browser, french)
    assert browser.execute_script("return document.documentElement.lang") == "fr"
    assert browser.title == "variantprio : rapport de P1"
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert headings == ["Résumé du patient", "Termes HPO utilisés", "Meilleurs gènes candidats",
                        "Paramètres d’analyse et versions des données"]
    chips = {c.find_element("css selector", "code").text: c.text
             for c in browser.find_elements("css selector", "#hpo .chips .chip")}
    assert list(chips) == PFEIFFER_IDS
    assert chips["HP:0001363"] == "Crâniosynostose HP:0001363"
    assert chips["HP:0011304"] == "Large pouce HP:0011304" and chips["HP:0010055"] == "Hallux large HP:0010055"
    typed = [li.text for li in browser.find_elements("css selector", "#typed-terms li")]
    assert typed[1] == "Crâniosynostose → Crâniosynostose HP:0001363" and len(typed) == 4
    headers = [th.text for th in browser.find_elements("css selector", "#gene-table thead th")]
    assert headers[:5] == ["Rang", "Gène", "Maladies (modes)", "Variants compatibles", "A posteriori"]
    posterior = browser.find_element("css selector", "#top-card .headline-score").text
    assert re.fullmatch(r"a posteriori [<>]?\d+,\d\s%", posterior), posterior  # a no-break space in the page
    assert re.fullmatch(r"\d+ affichés sur \d+", browser.find_element("css selector", '[data-count="gene-table"]').text)
    marks = {m.get_attribute("data-label-status"): m for m in browser.find_elements("css selector", ".label-mark")}
    assert marks["english"].text == "libellé anglais" and marks["candidate"].text == "traduction candidate"
    assert "Thoracic kyphosis" in marks["english"].find_element("xpath", "..").text
    assert "Anomalie du pénis" in browser.find_element("id", "gene-SCN1A").text or \
        "Anomalie du pénis" in browser.find_element("id", "gene-CFTR").text
    note = browser.find_element("id", "disease-names-note").text
    assert note == "Les noms de maladies sont donnés tels que la source les écrit, en anglais."
    assert "Dravet syndrome" in browser.find_element("id", "gene-table").text  # as the source gives it
    acmg = browser.find_element("css selector", "#gene-SCN1A .acmg-block").text
    assert "PVS1" in acmg and "perte de fonction prédite" in acmg and "predicted loss of function" not in acmg
    shot = french / "report-fr.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000


def test_french_report_leaves_no_english_ui_string(browser, french):  # noqa: F811
    """Every text node and tooltip checked against the catalog's English: none may be left over."""
    _open(browser, french)
    shown = browser.execute_script(_SHOWN_TEXT)
    body = " ".join(shown)
    left = []
    for english in english_ui_strings():
        if "%(" in english or "{" in english:  # with placeholders: any text node it would have made
            pattern = re.compile(".+?".join(map(re.escape, re.split(r"%\(\w+\)[sd]|\{\w+\}", english))))
            if any(pattern.fullmatch(text) for text in shown):
                left.append(english)
        elif english in shown or (len(english.split()) >= 3 and english in body):
            left.append(english)
    assert not left, f"English UI strings in the French report: {left}"


def test_english_report_is_unchanged_in_chromium(browser, english):  # noqa: F811
    _open(browser, english)
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert browser.title == "variantprio report: P1"
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert headings == ["Patient summary", "HPO terms used", "Top candidate genes", "Analysis settings and data versions"]
    chips = [c.text for c in browser.find_elements("css selector", "#hpo .chips .chip")]
    assert "Craniosynostosis HP:0001363" in chips
    assert not browser.find_elements("css selector", ".label-mark, #typed-terms, #disease-names-note")
    posterior = browser.find_element("css selector", "#top-card .headline-score").text
    assert re.fullmatch(r"posterior [<>]?\d+\.\d%", posterior), posterior
    assert re.fullmatch(r"Showing \d+ of \d+", browser.find_element("css selector", '[data-count="gene-table"]').text)


def test_french_xlsx_opens_with_french_headers_and_sheet_names(french):
    wb = openpyxl.load_workbook(french / "candidates.xlsx")
    assert wb.sheetnames == ["Tous les candidats", *MODE_ORDER, "Paramètres"]
    header = [c.value for c in wb["Tous les candidats"][1]]
    assert header[:3] == ["rang", "gène", "a posteriori"] and "nom_maladie_anglais" in header
    assert header == [_(t) for t in ("rank", "gene_symbol", "posterior")] + header[3:]
    genes = read_table(french / "genes.parquet", "genes")[0].to_pandas()
    assert [wb["Tous les candidats"].cell(r, 2).value for r in range(2, wb["Tous les candidats"].max_row + 1)] \
        == genes["gene_symbol"].tolist()
    assert [c.value for c in wb["Paramètres"][1]] == ["paramètre", "valeur"]
    settings = {r[0].value: r[1].value for r in wb["Paramètres"].iter_rows(min_row=2)}
    assert settings["Termes HPO tels que saisis"].startswith("Brachydactylie (main) = HP:0001156; Crâniosynostose")
    assert "Pathogène" in " ".join(str(v) for v in header) or wb["Tous les candidats"].cell(2, header.index(
        "classe_acmg") + 1).value.split(" (")[0] in {_(c) for c in
                                                       ("Pathogenic", "Likely pathogenic", "Uncertain significance",
                                                        "Likely benign", "Benign")}


def test_french_tsv_headers_while_parquet_keeps_the_english_contract(french):
    tsv = pd.read_csv(french / "candidates.tsv", sep="\t", comment="#")
    assert list(tsv.columns) == [_(c) for c in ("rank", "gene_symbol", "posterior")] + list(tsv.columns[3:])
    assert "gène" in tsv.columns and "gene_symbol" not in tsv.columns
    assert (french / "candidates.tsv").read_text(encoding="utf-8").startswith("# variantprio ")
    assert "candidats de P1" in (french / "candidates.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert "gene_symbol" in read_table(french / "genes.parquet", "genes")[0].column_names


def test_english_tables_keep_their_column_names_and_sheets(english):
    wb = openpyxl.load_workbook(english / "candidates.xlsx")
    assert tuple(wb.sheetnames) == SHEETS + (SETTINGS_SHEET,)
    assert [c.value for c in wb[SHEETS[0]][1]] == CANDIDATE_COLUMNS
    assert list(pd.read_csv(english / "candidates.tsv", sep="\t", comment="#").columns) == CANDIDATE_COLUMNS


def test_french_batch_summary(french, tmp_path):
    results = french.parent
    html, tsv = write_batch_summary(results, tmp_path / "summary.html", lang="fr")
    table = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)
    assert list(table.columns[:5]) == ["échantillon", "statut", "assemblage_génome", "conversion_assemblage", "erreur"]
    assert table["statut"].tolist() == ["réussi"]
    text = html.read_text(encoding="utf-8")
    assert '<html lang="fr">' in text and "Meilleur candidat par échantillon" in text and ">réussi<" in text
    assert "Top candidate per sample" not in text


def test_cli_report_lang_fr_and_an_unknown_language(french, tmp_path):
    runner = CliRunner()
    args = ["report", "--genes", str(french / "genes.parquet"), "--variants", str(french / "variants.parquet"),
            "--proband", "P1", "--hpo-dir", str(shared_data("hpo/2026-06-23")), "--hpo-terms", PFEIFFER_FR]
    result = runner.invoke(main, args + ["--out-dir", str(tmp_path / "fr"), "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert '<html lang="fr">' in (tmp_path / "fr" / "report.html").read_text(encoding="utf-8")
    bad = runner.invoke(main, args + ["--out-dir", str(tmp_path / "de"), "--lang", "de"])
    assert bad.exit_code == 2 and "'de' is not one of 'en', 'fr'" in bad.output and "Traceback" not in bad.output
    typo = runner.invoke(main, args[:-1] + ["Crâniosynostosse", "--out-dir", str(tmp_path / "typo"), "--lang", "fr"])
    assert typo.exit_code == 2 and "Crâniosynostose = HP:0001363" in typo.output
    assert not (tmp_path / "typo" / "report.html").exists()
    for command in (["report"], ["report-batch"], ["run"]):
        help_text = runner.invoke(main, command + ["--help"]).output
        assert "--lang [en|fr]" in help_text


def test_words_computed_for_variants_are_french():
    from variantprio.report.html import clinvar_text, consequence_text, frequency_text, protein_text

    fasta_less = {"consequence": "coding_sequence_variant", "hgvs_p": None}
    assert consequence_text(fasta_less, "fr") == "modification codante"
    assert protein_text(fasta_less, "fr") == "faux-sens ou synonyme : non déterminé (pas de FASTA de référence)"
    assert consequence_text({"consequence": "stop_gained"}, "fr") == "stop gained"  # SO terms stay as written
    assert frequency_text(None, "gnomAD", "fr") == "absent de gnomAD" and frequency_text(None, None, "fr") == \
        "aucune donnée"
    assert frequency_text(2.5e-5, "gnomAD", "fr") == "2,50E-05" and frequency_text(0.01234, "gnomAD", "fr") == "0,0123"
    assert clinvar_text("Likely_pathogenic/Pathogenic", True, "fr") == "Probablement pathogène/Pathogène"
    assert clinvar_text("drug_response", True, "fr") == "drug response"  # no French in the catalog: as written
    assert clinvar_text(None, True, "fr") == "absent de ClinVar"
