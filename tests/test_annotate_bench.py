"""The synthetic inputs of `variantprio bench annotate` are valid and every synthetic source joins."""

from __future__ import annotations

import pyarrow.parquet as pq
from test_annotate import gtf  # noqa: F401  (fixture)

from variantprio.annotate import AnnotateInputs, AnnotateOptions, AnnotateOutputs
from variantprio.annotate import run as annotate_run
from variantprio.bench.run.annotate import (
    run_annotate,
    synthetic_sources,
    synthetic_variants,
)
from variantprio.tables import read_table


def test_synthetic_genome_and_sources_join(tmp_path, gtf):  # noqa: F811
    variants = synthetic_variants(3000, tmp_path / "v.parquet")
    config = synthetic_sources(variants, tmp_path / "src")
    out = tmp_path / "a.parquet"
    annotate_run(AnnotateInputs(variants, gene_model=str(gtf), sources=str(config)), AnnotateOutputs(out),
                 AnnotateOptions(cache_dir=str(tmp_path / "c")))
    table, prov = read_table(out, "annotations")
    df = table.to_pandas()
    assert df.variant_idx.nunique() == 3000
    assert df.gnomad_af.notna().all() and df.cadd_phred.notna().all() and df.revel.notna().all()
    assert 0.05 < df.clinvar_significance.notna().mean() < 0.2
    assert set(prov.sources) >= {"gnomad", "clinvar", "cadd", "revel", "gene_model"}


def test_run_annotate_reports_time_and_rss(tmp_path, gtf):  # noqa: F811
    variants = synthetic_variants(500, tmp_path / "v.parquet")
    seconds, rss = run_annotate(variants, tmp_path / "a.parquet", gene_model=str(gtf),
                                cache_dir=str(tmp_path / "c"))
    assert seconds > 0 and rss > 50 and pq.read_metadata(tmp_path / "a.parquet").num_rows == 500


def test_genome_sources_bench_runs_every_join_and_they_agree(tmp_path, gtf):  # noqa: F811
    """The genome rows of `bench annotate`: tabix queries, bulk join, conversion, converted join."""
    from variantprio.bench.run.annotate import bench_genome_sources

    variants = synthetic_variants(2000, tmp_path / "v.parquet")
    common = {"gene_model": str(gtf), "threads": 2, "cache_dir": str(tmp_path / "c")}
    rows = bench_genome_sources(variants, tmp_path, 2000, common, tabix=True)
    assert [r[0].rsplit(", ", 1)[-1] for r in rows] == ["tabix queries", "bulk join of the bgzipped files",
                                                       "resources convert-source of the 4 sources (once)",
                                                       "converted to Parquet"]
    assert all(seconds > 0 and rss > 50 for _, _, seconds, rss in rows)
    tabix = pq.read_table(tmp_path / "genome.tabix.parquet")
    assert tabix.column("gnomad_af").null_count == 0
    for name in ("genome.bulk.parquet", "genome.converted.parquet"):
        assert pq.read_table(tmp_path / name).equals(tabix), name
