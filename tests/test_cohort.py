"""The cohort database, with identical behaviour on DuckDB and on a live PostgreSQL (one suite,
parametrised by the `cohort_db` fixture): known counts over synthetic families, related
individuals counted once, the proband's family left out, idempotent adds, history across
re-analyses, `changes` after an HPO release swap, read-only `query`, and clear review errors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from variantprio.cli import main
from variantprio.cohort import frequencies as fq
from variantprio.cohort.schema import SCHEMA_VERSION, migrate, open_cohort
from variantprio.cohort.store import connect
from variantprio.cohort.synthetic import SyntheticFamily, write_results_dir
from variantprio.errors import InputError

V1, V2, V3, V4 = ("chr1", 100, "A", "T"), ("chr1", 200, "C", "G"), ("chrX", 5_000_000, "G", "A"), ("chr2", 300, "G", "C")


def _family(fid, members, variants, zyg, genes, terms=("HP:0001250",)) -> SyntheticFamily:
    chrom, pos, ref, alt = (np.array([v[i] for v in variants]) for i in range(4))
    return SyntheticFamily(fid, members[0][0], members, chrom, pos, ref, alt, np.array(zyg),
                           genes=genes, terms=list(terms))


GENES_1 = [(f"G{i}", 1.0 - i / 20) for i in range(1, 13)]  # G1 best ... G12 ranked 12th


def _batch1(out):
    """F1 trio (child, father, mother), F2 male singleton, F3 child + mother sequenced (father not)."""
    f1 = _family("F1", [("F1-c", "F1-f", "F1-m", 2, True), ("F1-f", None, None, 1, False),
                        ("F1-m", None, None, 2, False)],
                 [V1, V2, V3], [[1, 1, 0], [2, 1, 1], [1, 0, 1]], GENES_1)
    f2 = _family("F2", [("F2-c", None, None, 1, True)], [V1, V3], [[1], [3]], [("H1", 0.9)])
    f3 = _family("F3", [("F3-c", "F3-f", "F3-m", 1, True), ("F3-m", None, None, 2, False),
                        ("F3-f", None, None, 1, False)],
                 [V2, V1], [[1, -1], [0, 2]], [("K1", 0.8)])
    f3.sequenced = ["F3-c", "F3-m"]
    return write_results_dir(out, [f1, f2, f3])


def _batch2(out):
    """F1 re-analysed with a new HPO release and a re-sequenced trio (one more variant, V4)."""
    genes = [("G12", 0.99), ("GNEW", 0.98)] + GENES_1[:10]
    f1 = _family("F1", [("F1-c", "F1-f", "F1-m", 2, True), ("F1-f", None, None, 1, False),
                        ("F1-m", None, None, 2, False)],
                 [V1, V2, V3, V4], [[1, 1, 0], [2, 1, 1], [1, 0, 1], [1, 1, 0]], genes)
    f1.vcf_name = "F1-reseq.vcf.gz"
    return write_results_dir(out, [f1], hpo_version="2026-06-23")


def _counts(store, absent="reference") -> dict:
    table = fq.cohort_frequencies(store, absent)
    return {(r["chrom"], r["pos"], r["ref"], r["alt"]): (r["ac"], r["an"], r["n_hom"], r["n_hemi"])
            for r in table.to_pylist()}


def _cli(*args):
    return CliRunner().invoke(main, list(args))


def test_known_counts_over_unrelated_individuals(cohort_db, tmp_path):
    result = _cli("cohort", "add", "--db", cohort_db, str(_batch1(tmp_path / "b1")))
    assert result.exit_code == 0, result.output
    with open_cohort(cohort_db, write=False) as store:
        counted = fq.counted_individuals(store).column("sample_id").to_pylist()
        # founders of F1 (not the child), F2's singleton, F3's sequenced founder (mother)
        assert counted == ["F1-f", "F1-m", "F2-c", "F3-m"]
        assert _counts(store) == {V1: (4, 8, 1, 0), V2: (2, 6, 0, 0), V3: (2, 6, 0, 1)}
        assert _counts(store, "called") == {V1: (4, 8, 1, 0), V2: (2, 4, 0, 0), V3: (2, 4, 0, 1)}
        assert fq.lookup(store, *V1)["af"] == 0.5
        assert fq.lookup(store, "chr9", 1, "A", "C") is None


def test_idempotent_add_and_reanalysis_kept_once_per_person(cohort_db, tmp_path):
    b1, b2 = _batch1(tmp_path / "b1"), _batch2(tmp_path / "b2")
    assert _cli("cohort", "add", "--db", cohort_db, str(b1)).exit_code == 0
    with open_cohort(cohort_db, write=False) as store:
        tables = ("analysis", "genotype", "callset", "sample", "analysis_gene", "variant")
        before = {t: store.scalar(f"SELECT count(*) FROM {t}") for t in tables}
    again = _cli("cohort", "add", "--db", cohort_db, str(b1))
    assert again.exit_code == 0 and "analyses added: 0" in again.output
    with open_cohort(cohort_db, write=False) as store:
        assert {t: store.scalar(f"SELECT count(*) FROM {t}") for t in tables} == before
    assert _cli("cohort", "add", "--db", cohort_db, str(b2)).exit_code == 0
    with open_cohort(cohort_db, write=False) as store:
        versions = store.rows("SELECT a.hpo_version FROM analysis a JOIN sample s ON s.sample_key = a.sample_key "
                              "WHERE s.sample_id = 'F1-c' ORDER BY a.analysis_id")
        assert versions == [("2025-01-16",), ("2026-06-23",)]  # the old analysis is kept
        counts = _counts(store)
        # F1's parents were sequenced twice: still counted once each (their latest callset)
        assert counts[V1] == (4, 8, 1, 0) and counts[V4] == (1, 8, 0, 0)


def test_proband_family_left_out_for_its_own_annotation(cohort_db, tmp_path):
    from variantprio.annotate.sourceconfig import load_sources
    from variantprio.annotate.sources import join_sources
    from variantprio.cohort.synthetic import _filled

    _cli("cohort", "add", "--db", cohort_db, str(_batch1(tmp_path / "b1")))
    config = tmp_path / "sources.yaml"
    config.write_text(f"cohort: {{min_ac: 1}}\nsources:\n  - {{name: hub, kind: inhouse, path: '{cohort_db}', "
                      "version: now, build: GRCh38}\n")
    keys = {"chrom": ["chr1", "chr1", "chrX", "chr5"], "pos": [100, 200, 5_000_000, 7], "ref": ["A", "C", "G", "A"],
            "alt": ["T", "G", "A", "G"]}
    table = _filled("annotations", 4, {"variant_idx": np.arange(4), **keys})
    out, matched = join_sources(table, load_sources(config), "GRCh38", ["F1-c", "F1-f", "F1-m"])
    got = out.select(["inhouse_ac", "inhouse_an", "inhouse_hom", "inhouse_hemi"]).to_pylist()
    assert got[:3] == [{"inhouse_ac": 3, "inhouse_an": 4, "inhouse_hom": 1, "inhouse_hemi": 0},
                       {"inhouse_ac": 0, "inhouse_an": 2, "inhouse_hom": 0, "inhouse_hemi": 0},
                       {"inhouse_ac": 1, "inhouse_an": 3, "inhouse_hom": 0, "inhouse_hemi": 1}]
    assert got[3]["inhouse_an"] is None  # never seen in the cohort
    assert out.column("inhouse_af").to_pylist()[:3] == [0.75, None, 1 / 3]  # AF unset below min_ac alleles


def test_history_review_and_changes_after_hpo_release_swap(cohort_db, tmp_path):
    _cli("cohort", "add", "--db", cohort_db, str(_batch1(tmp_path / "b1")))
    ok = _cli("cohort", "review", "--db", cohort_db, "--sample", "F1-c", "--variant", "chr1:200:C:G",
              "--class", "likely_pathogenic", "--note", "fits; 'quoted'; DROP TABLE review", "--by", "dr a")
    assert ok.exit_code == 0, ok.output
    _cli("cohort", "add", "--db", cohort_db, str(_batch2(tmp_path / "b2")))
    assert _cli("cohort", "review", "--db", cohort_db, "--sample", "F1-c", "--variant", "1:200:C:G",
                "--class", "not_causal", "--note", "segregation", "--by", "dr b").exit_code == 0
    with open_cohort(cohort_db, write=False) as store:
        assert store.rows("SELECT class, note, author FROM review ORDER BY review_id") == [
            ("likely_pathogenic", "fits; 'quoted'; DROP TABLE review", "dr a"), ("not_causal", "segregation", "dr b")]
    changes = _cli("cohort", "changes", "--db", cohort_db)
    assert changes.exit_code == 0, changes.output
    rows = [line.split("\t") for line in changes.output.strip().splitlines()]
    header, body = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert "gene_symbol" in header
    assert {(r["sample_id"], r["gene_symbol"], r["change"]) for r in body} == {
        ("F1-c", "G12", "moved_into_top"), ("F1-c", "GNEW", "new")}
    assert {r["solved"] for r in body} == {"False"}  # the latest decision is not causal
    later = _cli("cohort", "changes", "--db", cohort_db, "--since", "2999-01-01")
    assert later.output.strip().count("\n") == 0


@pytest.mark.parametrize("args, message", [
    (["--sample", "F1-c", "--variant", "chr1-200-C-G"], "malformed variant ID"),
    (["--sample", "F9-x", "--variant", "chr1:200:C:G"], "F9-x"),
    (["--sample", "F2-c", "--variant", "chr1:200:C:G"], "carries no variant"),
])
def test_bad_review_is_one_clear_line_and_changes_nothing(cohort_db, tmp_path, args, message):
    _cli("cohort", "add", "--db", cohort_db, str(_batch1(tmp_path / "b1")))
    result = _cli("cohort", "review", "--db", cohort_db, *args, "--class", "vus", "--note", "x", "--by", "me")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    with open_cohort(cohort_db, write=False) as store:
        assert store.scalar("SELECT count(*) FROM review") == 0


def test_query_is_read_only_and_parameter_safe(cohort_db, tmp_path):
    _cli("cohort", "add", "--db", cohort_db, str(_batch1(tmp_path / "b1")))
    for sql in ("DROP TABLE sample", "UPDATE sample SET sex = 0", "DELETE FROM review",
                "SELECT 1; DROP TABLE sample", "INSERT INTO review SELECT * FROM review"):
        result = _cli("cohort", "query", "--db", cohort_db, "--sql", sql)
        assert result.exit_code == 2 and "query refused or failed" in result.output, (sql, result.output)
    with open_cohort(cohort_db, write=False) as store:
        assert store.scalar("SELECT count(*) FROM sample") == 7 and store.scalar("SELECT min(sex) FROM sample") == 1
    result = _cli("cohort", "query", "--db", cohort_db, "--sql",
                  "SELECT sample_id, status FROM case_status WHERE sample_id = $1", "--param", "F1-c' OR '1'='1")
    assert result.exit_code == 0 and result.output.strip() == "sample_id\tstatus"  # the value is data, no match
    carriers = _cli("cohort", "query", "--db", cohort_db, "--sql",
                    "SELECT sample_id FROM carriers WHERE chrom = $1 AND pos = 100 ORDER BY sample_id", "--param", "chr1")
    assert carriers.output.split() == ["sample_id", "F1-c", "F1-f", "F2-c", "F3-m"]


def test_frequencies_export_and_snapshot(cohort_db, tmp_path):
    _cli("cohort", "add", "--db", cohort_db, str(_batch1(tmp_path / "b1")))
    out = tmp_path / "inhouse.parquet"
    result = _cli("cohort", "frequencies", "--db", cohort_db, "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == ["chrom", "pos", "ref", "alt", "ac", "an", "af", "n_hom", "n_hemi"]
    assert table.slice(0, 1).to_pylist()[0] == {"chrom": "chr1", "pos": 100, "ref": "A", "alt": "T", "ac": 4, "an": 8,
                                                "af": 0.5, "n_hom": 1, "n_hemi": 0}
    excl = tmp_path / "without-f1.parquet"
    assert _cli("cohort", "frequencies", "--db", cohort_db, "--out", str(excl), "--exclude-sample", "F1-c").exit_code == 0
    assert pq.read_table(excl).slice(0, 1).to_pylist()[0]["ac"] == 3
    snap = _cli("cohort", "export", "--db", cohort_db, "--out", str(tmp_path / "snap"))
    assert snap.exit_code == 0, snap.output
    assert pq.read_table(tmp_path / "snap" / "analysis.parquet").num_rows == 3
    assert not list((tmp_path / "snap").glob(".*tmp"))


def test_schema_versions_migrate_up_and_refuse_newer(cohort_db):
    with connect(cohort_db) as store:
        assert migrate(store, up_to=1) == [1]
    with pytest.raises(InputError, match="cohort migrate"):
        open_cohort(cohort_db, write=False)
    with open_cohort(cohort_db, write=True) as store:  # a writer migrates
        assert store.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
        store.execute("INSERT INTO schema_version VALUES (99, $1, 'future', 'x')", (store.scalar("SELECT max(applied_at) FROM schema_version"),))
    for write in (True, False):
        with pytest.raises(InputError, match="newer than this variantprio"):
            open_cohort(cohort_db, write=write)


def test_add_checks_everything_before_loading(tmp_path):
    db = str(tmp_path / "c.duckdb")
    good = _batch1(tmp_path / "b1")
    bad = _batch2(tmp_path / "b2")
    (bad / "_vcf" / "F1-reseq" / "variants.parquet").write_text("not parquet")
    result = _cli("cohort", "add", "--db", db, str(good), str(bad))
    assert result.exit_code == 2 and "variants.parquet" in result.output
    with open_cohort(db, write=False) as store:
        assert store.scalar("SELECT count(*) FROM analysis") == 0  # nothing of the good directory either
    missing = _cli("cohort", "add", "--db", db, str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "results directory not found" in missing.output


def test_inhouse_frequency_demotes_like_gnomad():
    import pandas as pd

    from variantprio.rank.variant_score import rarity

    nan = pd.Series([np.nan, np.nan, np.nan])
    score = rarity(nan, nan, nan, nan, pd.Series([0.05, 1e-5, np.nan]), pd.Series([0, 0, 3]))
    assert score[0] == 0 and score[1] == 1 and np.isnan(score[2])
    from variantprio.inheritance.segregate import gene_rows

    ann = pa.table({"variant_idx": [0, 1], "chrom": ["chr1", "chr1"], "pos": [1, 2], "gene_symbol": ["A", "A"],
                    "gnomad_af": pa.array([None, 1e-5], pa.float64()), "gnomad_popmax_af": pa.array([None, None], pa.float64()),
                    "inhouse_af": pa.array([0.04, None], pa.float64())})
    assert list(gene_rows(ann).freq) == [0.04, 1e-5]  # filtered per mode like a gnomAD frequency


def test_report_shows_inhouse_counts_and_earlier_decisions(cohort_db, tmp_path, fam1_run):
    from variantprio.report.html import inhouse_text

    assert inhouse_text({"inhouse_ac": 3, "inhouse_an": 40, "inhouse_hom": 1}) == "3/40, 1 hom"
    assert inhouse_text({"inhouse_an": None}) == ""
    added = _cli("cohort", "add", "--db", cohort_db, str(fam1_run))
    assert added.exit_code == 0 and "analyses added: 1 (FAM1-child)" in added.output, added.output
    best = pq.read_table(fam1_run / "FAM1-child" / "genes.parquet").column("best_variant")[0].as_py()
    chrom, pos, change = best.split(":")
    variant = f"{chrom}:{pos}:{change.replace('>', ':')}"
    assert _cli("cohort", "review", "--db", cohort_db, "--sample", "FAM1-child", "--variant", variant,
                "--class", "pathogenic", "--note", "de novo <b>", "--by", "lab").exit_code == 0
    out = tmp_path / "report"
    result = _cli("report", "--genes", str(fam1_run / "FAM1-child" / "genes.parquet"),
                  "--variants", str(fam1_run / "FAM1-child" / "variants.parquet"), "--proband", "FAM1-child",
                  "--out-dir", str(out), "--cohort-db", cohort_db)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "earlier: FAM1-child pathogenic (lab," in html and "de novo &lt;b&gt;" in html
    assert "inhouse_ac_an" in (out / "candidates.tsv").read_text()
