"""Mouse phenotypes and the interaction network (issue 20) on a miniature cross-species folder."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import run_cli
from variantprio.bench.run.phenotype import component_ranks, run_bench_phenotype
from variantprio.phenotype import PhenotypeInputs, PhenotypeOptions, PhenotypeOutputs, run
from variantprio.phenotype.mouse import build_mouse, mouse_files
from variantprio.phenotype.network import build_walks, network_file, network_scores
from variantprio.rank import load_model
from variantprio.schemas import col
from variantprio.tables import read_table

MP_OBO = """format-version: 1.2
data-version: releases/2099-02-03/mp.obo

[Term]
id: MP:0000001
name: mammalian phenotype

[Term]
id: MP:0003631
name: nervous system phenotype
is_a: MP:0000001

[Term]
id: MP:0002064
name: seizures
is_a: MP:0003631

[Term]
id: MP:0005382
name: craniofacial phenotype
is_a: MP:0000001

[Term]
id: MP:0000433
name: macrocephaly
is_a: MP:0005382

[Term]
id: MP:0005371
name: limbs phenotype
is_a: MP:0000001
"""

# NOVEL1 has no human disease, only mutant mice with seizures; GENEC (macrocephaly in humans) has
# mice with macrocephaly; the fillers make seizures rare among mouse genes (high IC).
PROFILES = {"NOVEL1": "MP:0002064", "GENEC": "MP:0000433", "FILL1": "MP:0005371", "FILL2": "MP:0005371",
            "FILL3": "MP:0005371,MP:0000433", "FILL4": "MP:0005371"}
MAPPINGS = [("HP:0001250", "MP:0002064"), ("HP:0007359", "MP:0002064"), ("HP:0000256", "MP:0000433"),
            ("HP:0000707", "MP:0003631")]
# GENEA (focal seizures in humans) has two partners: NOVEL2 (only GENEA) and HUB (GENEA and 30 others).
LINKS = [("GENEA", "NOVEL2", 900), ("GENEA", "HUB", 900)] + [("HUB", f"LEAF{i}", 900) for i in range(30)] \
    + [("GENEC", "FILL1", 800)]


def write_xspecies(root: Path) -> Path:
    (root / "ontology").mkdir(parents=True)
    (root / "mouse").mkdir()
    (root / "mappings").mkdir()
    (root / "ppi").mkdir()
    (root / "ontology" / "mp.obo").write_text(MP_OBO)
    (root / "mouse" / "phenorank2016_human_gene_to_mouse_MP.tsv").write_text(
        "ensembl_gene_id\tsymbol_orgHsEgDb_2022\tn_mouse_mutants\tmp_ids\n"
        + "".join(f"ENSG{i:011d}\t{g}\t1\t{terms}\n" for i, (g, terms) in enumerate(PROFILES.items())))
    (root / "mappings" / "hp_mp_mapping_union.tsv").write_text(
        "hp_id\tmp_id\tsource\tscore1\tscore2\n"
        + "".join(f"{hp}\t{mp}\tupheno_mp_hp_equivalent_2019\t\t\n" for hp, mp in MAPPINGS))
    with gzip.open(root / "ppi" / "string_v12_human_entrez_notextmining_700_top3_400.tsv.gz", "wt") as out:
        out.write("id_1\tid_2\tsymbol_1\tsymbol_2\tcombined_score\n")
        out.writelines(f"{i}\t{i + 1000}\t{a}\t{b}\t{w}\n" for i, (a, b, w) in enumerate(LINKS))
    return root


@pytest.fixture(scope="module")
def xspecies(tmp_path_factory) -> Path:
    return write_xspecies(tmp_path_factory.mktemp("xspecies"))


def _phenotype(mini_hpo: Path, xspecies: Path, out: Path, hpo: str = "HP:0007359", **options):
    run(PhenotypeInputs(hpo, release=mini_hpo, xspecies=xspecies), PhenotypeOutputs(out),
        PhenotypeOptions(**options))
    return read_table(out, "gene_phenotype")


def test_mouse_match_lists_the_pair_and_scores_an_unannotated_gene(mini_hpo, xspecies, tmp_path):
    table, _ = _phenotype(mini_hpo, xspecies, tmp_path / "gp.parquet", network=False)
    rows = {r[col.gene_symbol]: r for r in table.to_pylist()}
    novel, genec = rows["NOVEL1"], rows["GENEC"]
    assert novel[col.phenotype_score] is None  # no human disease: listed for its mouse evidence only
    assert novel[col.mouse_score] > 0 > genec[col.mouse_score]
    pair = novel[col.mouse_matches][0]
    assert (pair["patient_term"], pair["mouse_term"], pair["mouse_label"]) == ("HP:0007359", "MP:0002064", "seizures")
    assert genec[col.mouse_matches] == []  # its mice share nothing informative with a seizure
    assert all(r[col.network_score] is None for r in rows.values())  # component off


def test_unannotated_gene_with_mouse_match_outranks_unrelated_annotated_gene(mini_hpo, xspecies, tmp_path):
    """Same variant evidence: the mouse match lifts NOVEL1 above GENEC, whose human disease
    (macrocephaly) does not fit the seizures; without the mouse component it stays below. In this
    four-gene release an unrelated disease still holds a posterior near 0.1 (in the real one such
    genes sit near the missing prior), so the mouse weight here is a strong one, not the shipped fit."""
    table, _ = _phenotype(mini_hpo, xspecies, tmp_path / "gp.parquet", network=False)
    rows = {r[col.gene_symbol]: r for r in table.to_pylist()}
    model = dataclasses.replace(load_model(), w_mouse=25.0)

    def logit(gene: str, mouse: bool) -> float:
        row = rows[gene]
        pheno = row[col.phenotype_score] if row[col.phenotype_score] is not None else model.missing_phenotype_score
        m = np.array([row[col.mouse_score]]) if mouse else None
        return float(model.logit(np.array([pheno]), np.array([0.8]), np.array([False]), np.array([True]), m)[0])

    assert logit("NOVEL1", mouse=True) > logit("GENEC", mouse=True)
    assert logit("NOVEL1", mouse=False) < logit("GENEC", mouse=False)


def test_network_neighbour_propagates_and_hub_does_not_dominate(mini_hpo, xspecies, tmp_path):
    table, _ = _phenotype(mini_hpo, xspecies, tmp_path / "gp.parquet", mouse=False)
    rows = {r[col.gene_symbol]: r for r in table.to_pylist()}
    novel2, hub = rows["NOVEL2"], rows["HUB"]
    assert novel2[col.network_neighbour] == "GENEA" and hub[col.network_neighbour] == "GENEA"
    assert novel2[col.network_neighbour_score] == pytest.approx(rows["GENEA"][col.phenotype_score])
    # GENEA matches the seizure best; its specific partner gains more than the hub it shares with 30 genes.
    assert novel2[col.network_score] > 2 * hub[col.network_score] > 0
    assert rows["LEAF0"][col.network_score] < hub[col.network_score]


def test_walk_excludes_self_and_keeps_unseeded_genes_at_zero(xspecies):
    walks = build_walks(network_file(xspecies), top=5)
    score, best = network_scores(walks, ["GENEA"], np.array([1.0]))
    index = walks.gene_index
    assert score[index["GENEA"]] == 0 or walks.gene_symbols[best[index["GENEA"]]] != "GENEA"
    assert score[index["FILL1"]] == 0 and best[index["FILL1"]] == -1
    assert walks.proximity.getrow(index["HUB"]).nnz == 5  # top neighbours only


def test_provenance_names_every_source_version(mini_hpo, xspecies, tmp_path):
    _, prov = _phenotype(mini_hpo, xspecies, tmp_path / "gp.parquet")
    assert prov.sources["MP"] == "2099-02-03"
    assert prov.sources["mouse phenotypes"].startswith("MGI 2016")
    assert prov.sources["HP-MP mappings"] == "uPheno 2019..2019"
    assert prov.sources["interaction network"] == "STRING v12 (no text mining)"
    assert prov.sources["HPO annotations"] == "2099-01-01"
    assert prov.extra["components"] == {"human": True, "mouse": True, "network": True}


def test_components_off_leave_the_human_table(mini_hpo, xspecies, tmp_path):
    table, prov = _phenotype(mini_hpo, xspecies, tmp_path / "gp.parquet", mouse=False, network=False)
    assert "NOVEL1" not in table.column(col.gene_symbol).to_pylist()
    assert "MP" not in prov.sources and prov.extra["components"]["mouse"] is False


def test_missing_files_are_one_line_errors(tmp_path, mini_hpo):
    from variantprio.errors import InputError

    with pytest.raises(InputError, match="lacks ontology/mp.obo"):
        mouse_files(tmp_path)
    result = run_cli("phenotype", "--hpo", "HP:0001250", "--hpo-dir", str(mini_hpo), "--xspecies", str(tmp_path),
                     "--out", str(tmp_path / "gp.parquet"), check=False)
    assert result.returncode == 2 and "cross-species folder lacks" in result.stderr
    assert not (tmp_path / "gp.parquet").exists()


def test_bad_profile_table_names_the_file(tmp_path):
    root = write_xspecies(tmp_path / "x")
    (root / "mouse" / "phenorank2016_human_gene_to_mouse_MP.tsv").write_text("gene\tterms\nA\tMP:1\n")
    from variantprio.errors import InputError

    with pytest.raises(InputError, match="lacks column"):
        build_mouse(mouse_files(root))


def test_cli_scores_with_xspecies(mini_hpo, xspecies, tmp_path):
    out = tmp_path / "gp.parquet"
    run_cli("phenotype", "--hpo", "HP:0007359", "--hpo-dir", str(mini_hpo), "--xspecies", str(xspecies),
            "--no-network", "--out", str(out))
    genes = pq.read_table(out, columns=[col.gene_symbol, col.mouse_score]).to_pydict()
    assert "NOVEL1" in genes[col.gene_symbol]


def test_network_weight_shifts_no_score_when_the_component_was_off():
    """Regression: with the network component off (every network_score missing) the shipped model's
    network weight added w * ln(floor) to every gene, changing combined scores (not ranks) of runs
    that never asked for cross-species evidence."""
    model = load_model()
    assert model.w_network, "the shipped model has a network weight, which this test is about"
    off = model.xspecies_logit(np.full(3, np.nan), np.full(3, np.nan), 3)
    assert off.tolist() == [0.0, 0.0, 0.0]
    partly = model.xspecies_logit(None, np.array([0.5, np.nan, np.nan]), 3)
    assert partly[0] > partly[1] == partly[2]  # missing evidence where others have some: the floor


def _case(root: Path, case_id: str, gene: str, observed: list[str]) -> None:
    descriptor = {"geneContext": {"symbol": gene}, "allelicState": {"label": "heterozygous"}}
    packet = {"id": case_id, "subject": {"id": case_id}, "phenotypicFeatures": [{"type": {"id": t}} for t in observed],
              "metaData": {"externalReferences": [{"id": "PMID:77"}]},
              "interpretations": [{"diagnosis": {"disease": {"id": "OMIM:1", "label": "D"}, "genomicInterpretations": [
                  {"variantInterpretation": {"variationDescriptor": descriptor}}]}}]}
    (root / f"{case_id}.json").write_text(json.dumps(packet))


def test_bench_phenotype_ranks_each_component_combination(mini_hpo, xspecies, tmp_path, monkeypatch):
    """A gene no human disease names is a miss on human knowledge alone, and ranked once the mouse
    or the network scores it; the report lists every combination, split by annotated genes."""
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    cases = tmp_path / "cases"
    cases.mkdir()
    _case(cases, "novel_mouse", "NOVEL1", ["HP:0001250"])  # seizures: NOVEL1's mice have them
    _case(cases, "novel_partner", "NOVEL2", ["HP:0007359"])  # focal seizures: GENEA, NOVEL2's partner
    _case(cases, "known", "GENEA", ["HP:0007359"])
    result = run_bench_phenotype(cases, tmp_path / "b.json", hpo_dir=str(mini_hpo), jobs=1, xspecies=xspecies)
    frame = pd.read_parquet(result.ranks_path).set_index("case_id")
    assert frame["unannotated_gene"].to_dict() == {"novel_mouse": True, "novel_partner": True, "known": False}
    assert pd.isna(frame.loc["novel_mouse", "rank_human"]) and pd.isna(frame.loc["novel_partner", "rank_human"])
    assert frame.loc["novel_mouse", "rank_human_mouse"] >= 1 and pd.isna(frame.loc["novel_mouse", "rank_human_network"])
    assert frame.loc["novel_partner", "rank_human_network"] >= 1 and pd.isna(frame.loc["novel_partner", "rank_human_mouse"])
    assert frame.loc["known", "rank_human"] == 1
    assert (frame["rank"].notna() == [True, True, True]).all()  # the headline combines all three
    report = json.loads(result.json_path.read_text())
    assert report["components"] == ["human", "mouse", "network"]
    by = report["by_components"]
    assert by["human"]["unannotated_gene"]["n_cases"] == 2 and by["human"]["unannotated_gene"]["top10"] == 0.0
    assert by["human+mouse"]["unannotated_gene"]["top10"] == 0.5  # NOVEL1 only
    assert frame.loc["novel_mouse", "rank_mouse_only"] >= 1 and frame.loc["novel_partner", "rank_network_only"] >= 1
    assert set(by) == {"human", "human+mouse", "human+network", "human+mouse+network", "mouse alone", "network alone"}
    # Together, the 30 leaves the network reaches through HUB outrank NOVEL1, which it does not reach.
    assert by["human+mouse+network"]["top10"] == report["top10"] == pytest.approx(2 / 3, abs=1e-4)
    assert "mouse phenotypes" in report["data_sources"] and report["scoring_ms_per_case"]["median"] > 0
    assert "human+mouse top1" in result.summary_line()


def test_component_ranks_order_by_the_rank_models_phenotype_terms():
    import pyarrow as pa

    table = pa.table({col.gene_symbol: ["A", "B", "M"], col.phenotype_score: [0.6, 0.4, None],
                      col.mouse_score: [None, 0.0, 400.0], col.network_score: [None, None, None]})
    model = load_model()
    ranks = component_ranks(table, "M", model)
    assert ranks["rank_human_mouse"] == 1 and ranks["rank"] == 1  # a strong mouse match lifts it
    assert pd.isna(ranks["rank_human_network"])  # neither human nor network evidence: not ranked
    # By one score alone, among the genes it scores: M first of the two mouse-profiled genes, B second,
    # A (no mouse profile) and every gene on the network alone (no network score) a miss.
    assert ranks["rank_mouse_only"] == 1 and component_ranks(table, "B", model)["rank_mouse_only"] == 2
    assert pd.isna(component_ranks(table, "A", model)["rank_mouse_only"]) and pd.isna(ranks["rank_network_only"])
    assert component_ranks(table, "B", model)["rank_human_network"] == 2
