"""The synthetic hub cohort of the in-house frequency effect benchmark (`bench synthetic-cohort`)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

from conftest import run_cli, write_vcf
from variantprio.cohort.background import HET, HOM, draw_population_af, synthetic_counts


def test_neutral_spectrum_makes_a_carried_variant_mostly_common_and_homozygotes_more_so():
    rng = np.random.default_rng(7)
    het = draw_population_af(np.full(200_000, HET, np.int8), rng)
    hom = draw_population_af(np.full(200_000, HOM, np.int8), rng)
    # densities (1 - p) and p on [1e-4, 1): P(p < 0.01) is 1.99% and 0.01%, the means 1/3 and 2/3
    assert abs((het < 0.01).mean() - 0.0199) < 0.002 and (hom < 0.01).mean() < 0.0005
    assert abs(het.mean() - 1 / 3) < 0.01 and abs(hom.mean() - 2 / 3) < 0.01
    assert het.min() >= 1e-4 and hom.max() < 1


def test_hardy_weinberg_counts_over_the_cohort():
    rng = np.random.default_rng(3)
    af = np.full(20_000, 0.2)
    counts = synthetic_counts(af, 500, rng)
    assert (counts["an"] == 1000).all()
    assert abs(counts["ac"].mean() / 1000 - 0.2) < 0.005
    assert abs(counts["n_hom"].mean() / 500 - 0.04) < 0.003  # p^2
    assert (counts["ac"] >= 2 * counts["n_hom"]).all()


def test_export_carries_the_background_and_is_read_as_an_inhouse_source(tmp_path):
    from variantprio.annotate.sourceconfig import load_sources
    from variantprio.annotate.sources import join_sources
    from variantprio.cohort.synthetic import _filled

    records = [f"chr1 {100 + 10 * i} . A G 50 PASS . GT:GQ:DP {'1/1' if i % 5 == 0 else '0/1'}:60:30"
               for i in range(60)]
    vcf = write_vcf(tmp_path / "bg.vcf.gz", records, samples=("BG",), index=True)
    out = tmp_path / "inhouse.parquet"
    run_cli("bench", "synthetic-cohort", "--background", str(vcf), "--people", "200", "--out", str(out))
    table = pq.read_table(out)
    meta = table.schema.metadata
    assert meta[b"variantprio.schema"] == b"inhouse_frequencies"
    assert len(json.loads(meta[b"variantprio.counted_samples"])) == 200
    assert table.num_rows >= 55 and set(table.column("an").to_pylist()) == {400}
    assert all(1 <= ac <= 400 for ac in table.column("ac").to_pylist())
    # annotate joins it like any in-house export (the spiked proband is not among the counted people)
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - {{name: hub, kind: inhouse, path: '{out}', version: synthetic, build: GRCh38}}\n")
    keys = {"chrom": ["chr1", "chr1"], "pos": [100, 105], "ref": ["A", "A"], "alt": ["G", "G"]}
    annotated, _ = join_sources(_filled("annotations", 2, {"variant_idx": np.arange(2), **keys}),
                                load_sources(config), "GRCh38", ["proband"])
    assert annotated.column("inhouse_an").to_pylist() == [400, None]  # a spiked private variant stays unseen
