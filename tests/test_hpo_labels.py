"""HPO terms typed as labels and synonyms (English or French) and the French labels a report shows:
on the miniature release with hand-written translations, then on the real release and the HPO
project's French translation in ../shared/hpo (the Pfeiffer syndrome terms)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import shared_data
from variantprio.cli import main
from variantprio.core.hpolabels import (
    CANDIDATE,
    ENGLISH,
    OFFICIAL,
    normalise,
    read_labels,
    read_synonyms,
    translation_file,
)
from variantprio.core.hpoterms import has_labels, split_terms
from variantprio.errors import InputError
from variantprio.phenotype import load_ontology, patient_terms
from variantprio.phenotype.labels import report_labels, resolved_terms, term_ids
from variantprio.phenotype.ontology import parse_obo
from variantprio.sheet import clean_terms

PFEIFFER_FR = "Brachydactylie (main); Crâniosynostose; Large pouce; Hallux large"
PFEIFFER_IDS = ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"]


@pytest.fixture(scope="module")
def mini_fr(mini_hpo_fr):
    return load_ontology(mini_hpo_fr)


@pytest.fixture(scope="module")
def release():
    return load_ontology(shared_data("hpo/2026-06-23"))


# --- entries as typed ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, entries", [
    ("HP:0001250, HP:0001263;HP:0000252 HP:0004322", ["HP:0001250", "HP:0001263", "HP:0000252", "HP:0004322"]),
    ("Crâniosynostose;  Large   pouce ; HP:0001250", ["Crâniosynostose", "Large pouce", "HP:0001250"]),
    ("Seizure\nShort stature", ["Seizure", "Short stature"]),
    (["HP:1 ", "", "Petite taille"], ["HP:1", "Petite taille"]),
    (None, []),
])
def test_entries_keep_labels_whole_and_split_id_lists(text, entries):
    assert split_terms(text) == entries


def test_sheet_cells_keep_labels_and_ids_keep_their_old_spelling():
    assert clean_terms("HP:0001250; HP:0001263 HP:0000252") == "HP:0001250,HP:0001263,HP:0000252"
    assert clean_terms(" Crâniosynostose ;Large  pouce;HP:0001250") == "Crâniosynostose; Large pouce; HP:0001250"
    assert has_labels("HP:0001250; Seizure") and not has_labels("HP:0001250,HP:0001263")


def test_matching_ignores_case_accents_apostrophes_and_spacing():
    assert normalise("  CRÂNIOSYNOSTOSE ") == normalise("craniosynostose")
    assert normalise("Pouce de l’autostoppeur") == normalise("pouce de l'AUTOSTOPPEUR")
    assert normalise("Large\t  pouce") == "large pouce"


# --- the translation files -----------------------------------------------------------------------

def test_official_labels_win_candidates_fill_in_and_definitions_are_not_labels(mini_hpo_fr):
    labels = read_labels(translation_file(mini_hpo_fr, "hp-fr-preprocessed.babelon.tsv"))
    assert labels["HP:0001250"].text == "Crise épileptique" and labels["HP:0001250"].status == OFFICIAL
    assert labels["HP:0000252"].text == "Microcéphalie" and labels["HP:0000252"].status == CANDIDATE
    assert "HP:0001263" not in labels


def test_synonym_cells_are_split_and_the_robot_header_line_skipped(mini_hpo_fr):
    synonyms = read_synonyms(translation_file(mini_hpo_fr, "hp-fr.synonyms.tsv"))
    assert synonyms["HP:0001250"] == ("convulsions", "crises convulsives")
    assert "ID" not in synonyms


def test_translations_are_found_beside_the_release_or_inside_it(mini_hpo_fr, tmp_path):
    assert translation_file(mini_hpo_fr, "hp-fr.synonyms.tsv") == mini_hpo_fr.parent / "translations" / \
        "hp-fr.synonyms.tsv"
    (tmp_path / "hp-fr.synonyms.tsv").write_text("")
    assert translation_file(tmp_path, "hp-fr.synonyms.tsv") == tmp_path / "hp-fr.synonyms.tsv"
    assert translation_file(tmp_path / "nowhere", "hp-fr.synonyms.tsv") is None
    assert translation_file(None, "hp-fr.synonyms.tsv") is None


def test_a_broken_translation_file_is_an_input_error(tmp_path):
    bad = tmp_path / "hp-fr-preprocessed.babelon.tsv"
    bad.write_text("id\tlabel\nHP:0000001\tTous\n")
    with pytest.raises(InputError, match="no column subject_id"):
        read_labels(bad)


def test_report_labels_mark_candidates_and_english_fallbacks(mini_fr):
    labels = report_labels(mini_fr, ["HP:0001250", "HP:0000252", "HP:0001263", "HP:9999999"], "fr")
    assert (labels["HP:0001250"].text, labels["HP:0001250"].status) == ("Crise épileptique", OFFICIAL)
    assert (labels["HP:0000252"].text, labels["HP:0000252"].status) == ("Microcéphalie", CANDIDATE)
    assert (labels["HP:0001263"].text, labels["HP:0001263"].status) == ("Global developmental delay", ENGLISH)
    assert "HP:9999999" not in labels
    assert report_labels(mini_fr, ["HP:0001250"], "en")["HP:0001250"].text == "Seizure"


def test_obo_exact_synonyms_are_read_and_others_are_not(tmp_path):
    obo = tmp_path / "hp.obo"
    obo.write_text('format-version: 1.2\n\n[Term]\nid: HP:0000001\nname: All\n'
                   'synonym: "Everything \\"at all\\"" EXACT []\nsynonym: "Some" NARROW []\n'
                   'synonym: "Whole" EXACT layperson [ORCID:1]\n')
    assert parse_obo(obo).synonyms == {"HP:0000001": ['Everything "at all"', "Whole"]}


# --- typed labels on the miniature release --------------------------------------------------------

def test_labels_and_synonyms_in_both_languages_resolve(mini_fr):
    typed = "crise EPILEPTIQUE; Short stature; convulsions; microcephalie; HP:0001263"
    assert resolved_terms(mini_fr, typed) == [
        ("crise EPILEPTIQUE", "HP:0001250"), ("Short stature", "HP:0004322"), ("convulsions", "HP:0001250"),
        ("microcephalie", "HP:0000252"), ("HP:0001263", "HP:0001263")]


def test_commas_between_labels_are_accepted(mini_fr):
    assert term_ids(mini_fr, "Petite taille, Crise épileptique") == ["HP:0004322", "HP:0001250"]


def test_an_ambiguous_label_is_an_error_naming_its_candidates(mini_fr):
    with pytest.raises(InputError) as err:
        term_ids(mini_fr, "Anomalie de la tete")
    text = err.value.one_line()
    assert "ambiguous HPO label 'Anomalie de la tete'" in text
    assert "HP:0000252 (Microcephaly)" in text and "HP:0000256 (Macrocephaly)" in text and "\n" not in text


def test_a_typo_is_an_error_suggesting_the_closest_labels_with_ids(mini_fr):
    with pytest.raises(InputError) as err:
        term_ids(mini_fr, "Petite taile")
    assert "unknown HPO label 'Petite taile'" in str(err.value) and "Petite taille = HP:0004322" in str(err.value)


def test_patient_terms_take_labels_for_observed_and_excluded(mini_fr):
    terms = patient_terms(mini_fr, hpo="Crise épileptique focale; Petite taille", exclude="Macrocéphalie")
    assert terms.observed == ["HP:0007359", "HP:0004322"] and terms.excluded == ["HP:0000256"]


def test_phenotype_cli_unknown_label_is_one_line_exit_2(mini_hpo_fr, tmp_path):
    result = CliRunner().invoke(main, ["phenotype", "--hpo", "Crise epileptik", "--hpo-dir", str(mini_hpo_fr),
                                       "--out", str(tmp_path / "p.parquet")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "error" in line]  # log lines aside
    assert len(lines) == 1 and lines[0].startswith("variantprio: error: --hpo: unknown HPO label 'Crise epileptik'")
    assert "Crise épileptique = HP:0001250" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "p.parquet").exists()


def test_phenotype_cli_scores_french_labels_like_their_ids(mini_hpo_fr, tmp_path):
    import pyarrow.parquet as pq

    runner = CliRunner()
    for name, terms in (("ids", "HP:0007359,HP:0004322"), ("fr", "crise épileptique focale; PETITE TAILLE")):
        result = runner.invoke(main, ["phenotype", "--hpo", terms, "--hpo-dir", str(mini_hpo_fr),
                                      "--out", str(tmp_path / f"{name}.parquet")])
        assert result.exit_code == 0, result.output
    ids, fr = (pq.read_table(tmp_path / f"{n}.parquet").to_pylist() for n in ("ids", "fr"))
    assert ids == fr and ids


def test_the_sheet_accepts_labels_and_validate_resolves_them(mini_hpo_fr, tmp_path):
    from variantprio.sheet import load_sample_sheet, sheet_problems

    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample_id\tfamily_id\tvcf\thpo\nP1\tF1\ta.vcf.gz\tCrise épileptique; Petite taille\n"
                     "P2\tF2\tb.vcf.gz\tPetite taile\n", encoding="utf-8")
    rows = load_sample_sheet(sheet)
    assert sheet_problems(rows) == []
    ontology = load_ontology(mini_hpo_fr)
    assert term_ids(ontology, clean_terms(rows.loc["P1", "hpo"])) == ["HP:0001250", "HP:0004322"]
    with pytest.raises(InputError, match="Petite taille = HP:0004322"):
        term_ids(ontology, clean_terms(rows.loc["P2", "hpo"]))


# --- the real release and the HPO project's French translation -----------------------------------

def test_pfeiffer_terms_typed_in_french_resolve(release):
    assert term_ids(release, PFEIFFER_FR) == PFEIFFER_IDS
    assert term_ids(release, "brachydactylie (MAIN);CRANIOSYNOSTOSE;large  pouce;hallux LARGE") == PFEIFFER_IDS
    assert term_ids(release, "Brachydactyly; Craniosynostosis; Broad thumb; Broad hallux") == PFEIFFER_IDS


def test_brachydactylie_alone_is_ambiguous_in_the_french_translation(release):
    """The translation gives 'Brachydactylie' as a synonym of five terms: never guessed, all listed."""
    with pytest.raises(InputError) as err:
        term_ids(release, "Brachydactylie")
    for term in ("HP:0001156", "HP:0001831", "HP:0005627"):
        assert term in str(err.value)


def test_a_french_typo_suggests_the_term(release):
    with pytest.raises(InputError, match=r"Crâniosynostose = HP:0001363"):
        term_ids(release, "Crâniosynostosse")


def test_the_french_report_label_of_craniosynostosis(release):
    assert report_labels(release, ["HP:0001363"], "fr")["HP:0001363"].text == "Crâniosynostose"


def test_the_embedded_release_has_no_translation_and_says_how_to_get_one(caplog):
    ontology = load_ontology()
    labels = report_labels(ontology, ["HP:0001250"], "fr")
    assert labels["HP:0001250"].status == ENGLISH
    assert "resources fetch hpo --lang fr" in caplog.text


def test_translation_files_of_shared_data_are_where_the_readme_says():
    assert Path(shared_data("hpo/translations/hp-fr-preprocessed.babelon.tsv")).is_file()
