"""What the report says (issue #16): evidence banner, no-data wording, one headline score, diseases
and modes, scored HPO terms, outbound links, protein effects, ACMG pre-classification, print layout,
and the settings carried by the TSV/XLSX/VCF."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pysam
import pytest

from test_rank import _PHENOTYPE, _VARIANTS
from test_report import browser, make_results  # noqa: F401  (browser: the shared Chromium fixture)
from variantprio.rank.acmg import AUTOMATIC_LABEL
from variantprio.tables import read_table

NO_FREQUENCY = {"clinvar": "2025-01"}  # ClinVar configured, no population source
# The phenotype stage lists every scored patient term per gene; unmatched ones have no disease term.
SCN1A_TERMS = [{"patient_term": "HP:0002069", "disease_term": "HP:0002069", "score": 2.5},
               {"patient_term": "HP:0001250", "disease_term": None, "score": -0.3}]
PHENOTYPE = [(g, s, d, n, m, SCN1A_TERMS if g == "SCN1A" else [dict(t, disease_term=None) for t in SCN1A_TERMS])
             for g, s, d, n, m, _ in _PHENOTYPE]
WITH_IDS = [dict(v, id="rs121918622" if v["gene"] == "SCN1A" else None) for v in _VARIANTS]


def _without_frequencies(variants: list[dict]) -> list[dict]:
    return [dict(v, af=None, hom=None) for v in variants]


@pytest.fixture(scope="module")
def no_frequency(tmp_path_factory) -> Path:
    """A run without any population frequency source."""
    return make_results(tmp_path_factory.mktemp("nofreq"), variants=_without_frequencies(_VARIANTS),
                        phenotype=PHENOTYPE, sources=NO_FREQUENCY)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    """gnomAD and ClinVar configured, rsIDs from the input VCF, every gene scored on two HPO terms."""
    return make_results(tmp_path_factory.mktemp("full"), variants=WITH_IDS, phenotype=PHENOTYPE,
                        hpo_terms=("HP:0002069", "HP:0001250", "HP:0000118"), with_input_variants=True)


def _html(sample_dir: Path) -> str:
    return (sample_dir / "report.html").read_text()


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# --- evidence and missing data --------------------------------------------------------------

def test_without_a_frequency_source_frequencies_read_no_data_and_the_banner_warns(no_frequency):
    html = _html(no_frequency)
    assert "not found" not in html and "absent from" not in html
    assert 'class="banner alert"' in html and "No population frequency source was used" in html
    missing = re.search(r'<ul id="missing-evidence">(.*?)</ul>', html, re.S).group(1)
    assert "Population frequency" in missing and "ClinVar" not in missing
    assert 'class="num nodata">no data' in html
    assert "PM2_Supporting" not in html  # no "absent from population data" evidence without the data


def test_with_a_frequency_source_a_missing_frequency_is_absent_from_gnomad(full):
    html = _html(full)
    assert "not found" not in html and "No population frequency source" not in html
    scn1a = html[html.index('id="gene-SCN1A"'):html.index('id="gene-CFTR"')]
    assert "absent from gnomAD" in scn1a and "not in ClinVar" in scn1a
    assert "✓ Population frequency (gnomAD) <span class=\"muted\">(gnomad 4.1)" in html


# --- headline, top card, HPO terms ----------------------------------------------------------

def test_posterior_is_the_one_headline_of_top_card_gene_table_and_panel(full):
    from variantprio.report.html import environment

    genes = read_table(full / "genes.parquet", "genes")[0].to_pandas()
    headline = environment().filters["pct"](genes["posterior"].iloc[0])
    html = _html(full)
    card = html[html.index('id="top-card"'):html.index('id="phenotype-card"')]
    assert f"posterior {headline}" in card
    row = html[html.index("<tbody>", html.index('id="gene-table"')):]
    assert f'headline-score" data-sort="{genes["posterior"].iloc[0]}">{headline}' in row
    panel = html[html.index('id="gene-SCN1A"'):]
    assert f'<span class="headline-score">posterior {headline}</span>' in panel


def test_hpo_count_is_the_terms_the_phenotype_stage_scored(full):
    html = _html(full)
    assert "2 HPO terms used" in html  # HP:0000118 was given but not scored
    assert "1 given term not used" in html and "HP:0000118" in html


def test_top_card_lists_every_disease_with_its_modes_apart_from_the_variant_fit(tmp_path):
    pytest.importorskip("variantprio.phenotype")
    ror2 = dict(_VARIANTS[0], pos=94_000_000, chrom="chr9", gene="ROR2", consequence="missense_variant",
                hgvs_p="p.Arg184Cys", impact="MODERATE")
    phenotype = [("ROR2", 0.99, "OMIM:268310", "Robinow syndrome, autosomal recessive", ["AR", "AD"], [])]
    sample_dir = make_results(tmp_path, variants=[ror2], phenotype=phenotype)
    html = _html(sample_dir)
    card = _text(html[html.index('id="top-card"'):html.index('id="phenotype-card"')])
    card = " ".join(card.split())
    assert "ROR2" in card and "variants fit: AD" in card
    assert "Robinow syndrome, autosomal recessive OMIM:268310 (AR)" in card
    assert "Brachydactyly, type B1 OMIM:113000 (AD)" in card
    assert "autosomal recessive · AD" not in card


# --- links -----------------------------------------------------------------------------------

def test_links_are_built_from_validated_ids(full):
    html = _html(full)
    hrefs = set(re.findall(r'<a class="ext" href="([^"]+)" target="_blank" rel="noopener noreferrer">', html))
    assert "https://omim.org/entry/607208" in hrefs
    assert "https://hpo.jax.org/browse/term/HP:0002069" in hrefs
    assert "https://www.ncbi.nlm.nih.gov/snp/rs121918622" in hrefs
    assert "https://www.ncbi.nlm.nih.gov/clinvar/?term=rs121918622" in hrefs
    assert "https://gnomad.broadinstitute.org/variant/2-166000100-AT-A?dataset=gnomad_r4" in hrefs
    assert any(h.startswith("https://genome.ucsc.edu/cgi-bin/hgTracks?db=hg38&amp;position=chr2%3A") for h in hrefs)


def test_unexpected_ids_get_no_link():
    from variantprio.report.links import disease_url, hpo_url, variant_links

    assert disease_url('OMIM:1" onmouseover="x') is None and disease_url("DECIPHER:1") is None
    assert hpo_url("HP:123") is None and hpo_url("javascript:alert(1)") is None
    assert variant_links("chr2", 5, "A", "<DEL>", "GRCh38").keys() == {"ClinVar", "UCSC"}
    assert variant_links("chrUn_KI270", 5, "A", "T", "GRCh38", "rs1;x") == {
        "ClinVar": "https://www.ncbi.nlm.nih.gov/clinvar/?term=rs1", "dbSNP": "https://www.ncbi.nlm.nih.gov/snp/rs1"}
    assert variant_links("chr2", 5, "A", "T", None) == {}


# --- protein effects, ACMG, long lists -------------------------------------------------------

def test_fasta_less_coding_snv_says_missense_or_synonymous_is_not_determined(tmp_path):
    estimated = [dict(v, consequence="coding_sequence_variant", impact="MODIFIER", hgvs_p=None,
                      p_synonymous=0.3, p_stop_gained=0.05) if v["gene"] == "TTN" else v for v in _VARIANTS]
    html = _html(make_results(tmp_path, variants=estimated))
    ttn = _text(html[html.index('id="gene-TTN"'):])
    assert "missense or synonymous: not determined" in ttn
    assert "coding sequence variant" not in html and "MODIFIER" not in ttn


def test_acmg_pre_classification_is_labelled_automatic(full):
    html = _html(full)
    assert AUTOMATIC_LABEL in html
    scn1a = _text(html[html.index('id="gene-SCN1A"'):html.index('id="gene-CFTR"')])
    assert "ACMG-style classification" in scn1a and "Pathogenic" in scn1a and "PVS1" in scn1a


def test_long_variant_lists_collapse_after_the_first_few(tmp_path):
    many = [dict(_VARIANTS[4], pos=23_400_000 + 10 * i, seg=dict(fits_ad=True)) for i in range(8)]
    html = _html(make_results(tmp_path, variants=_VARIANTS + many))
    panel = html[html.index('id="gene-MYH7"'):]
    panel = panel[:panel.index("</section>")]
    assert '<details class="more-variants"><summary>4 more variants in MYH7</summary>' in panel
    assert "@page { size: A4" in html and "beforeprint" in html


# --- TSV / XLSX / VCF -------------------------------------------------------------------------

def test_matched_hpo_lists_only_terms_that_matched_and_settings_are_carried(full):
    tsv = pd.read_csv(full / "candidates.tsv", sep="\t", comment="#").set_index("gene_symbol")
    assert tsv.loc["SCN1A", "matched_hpo"] == "HP:0002069"
    assert pd.isna(tsv.loc["CFTR", "matched_hpo"])  # scored terms, none matched
    assert tsv.loc["SCN1A", "acmg_class"].startswith("Pathogenic")
    header = [line for line in (full / "candidates.tsv").read_text().splitlines() if line.startswith("#")]
    for expected in ("# source: gnomad: 4.1", "# source: hpo: 2025-01-16", "# candidate genes: 5",
                     "# HPO terms scored: 2: HP:0002069, HP:0001250", "# tool: variantprio "):
        assert any(line.startswith(expected) for line in header), expected
    settings = openpyxl.load_workbook(full / "candidates.xlsx")["Settings"]
    values = {settings.cell(r, 1).value: settings.cell(r, 2).value for r in range(2, settings.max_row + 1)}
    assert values["source: clinvar"] == "2025-01" and values["candidate variants"] == "6"
    assert values["evidence: Population frequency (gnomAD)"].startswith("yes")


def test_settings_mark_missing_evidence(no_frequency):
    header = (no_frequency / "candidates.tsv").read_text()
    assert "# evidence: Population frequency (gnomAD): NO DATA" in header


def test_candidates_vcf_keeps_rsids_and_allele_depths(full):
    with pysam.VariantFile(str(full / "candidates.vcf.gz")) as vcf:
        records = {r.info["VP_GENE"][0]: r for r in vcf}
        assert records["SCN1A"].id == "rs121918622" and records["CFTR"].id is None
        assert records["SCN1A"].samples["P1"]["AD"] == (15, 15)
        assert records["SCN1A"].samples["FATHER"]["AD"] == (28, 0)


# --- in headless Chromium --------------------------------------------------------------------

def test_banner_links_and_acmg_label_in_chromium(browser, no_frequency, full):  # noqa: F811
    browser.get((no_frequency / "report.html").as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    banner = browser.find_element("id", "evidence")
    assert banner.is_displayed() and "No population frequency source was used" in banner.text
    assert "Population frequency" in browser.find_element("id", "missing-evidence").text
    body = browser.find_element("tag name", "body").text
    assert "not found" not in body and "no data" in body

    browser.get((full / "report.html").as_uri())
    body = browser.find_element("tag name", "body").text
    assert "not found" not in body and AUTOMATIC_LABEL in body
    omim = browser.find_elements("css selector", 'a[href="https://omim.org/entry/607208"]')
    assert omim and all(a.get_attribute("rel") == "noopener noreferrer" for a in omim)
    hpo = browser.find_elements("css selector", 'a[href="https://hpo.jax.org/browse/term/HP:0002069"]')
    assert hpo and hpo[0].is_displayed()
    assert browser.find_elements("css selector", 'a[href="https://www.ncbi.nlm.nih.gov/snp/rs121918622"]')


def test_print_layout_fits_a4_in_chromium(browser, full, tmp_path):  # noqa: F811
    import base64

    browser.get((full / "report.html").as_uri())
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                      "preferCSSPageSize": True})
    data = base64.b64decode(pdf["data"])
    assert data.startswith(b"%PDF") and len(data) > 10_000
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.set_window_size(760, 1100)  # about the width of an A4 page's printable area at 96 dpi
    try:
        overflow = browser.execute_script(
            "return Array.from(document.querySelectorAll('#gene-table, table.variants'))"
            ".map(t => t.getBoundingClientRect().right - document.documentElement.clientWidth)"
            ".filter(x => x > 1).length;")
        assert overflow == 0
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.set_window_size(1400, 1800)
