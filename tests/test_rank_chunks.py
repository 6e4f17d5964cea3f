"""Rank in gene chunks: any chunk size gives the tables of one chunk, and a gene stays whole."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from conftest import FAM1_CHILD, parquet_differences

from variantprio.errors import InputError
from variantprio.rank import RankInputs, RankOptions, RankOutputs
from variantprio.rank import run as rank_run
from variantprio.rank.chunks import plan_chunks
from variantprio.rank.runs import merged_blocks, write_run
from variantprio.schemas import ANNOTATIONS
from variantprio.tables import Provenance, read_table, write_table


def _fam1_inputs(fam1_run: Path) -> RankInputs:
    vcf = fam1_run / "_vcf" / "FAM1.trio"
    child = fam1_run / FAM1_CHILD
    return RankInputs(vcf / "variants.parquet", vcf / "annotations.parquet", child / "segregation.parquet",
                      child / "gene_phenotype.parquet", FAM1_CHILD)


@pytest.mark.parametrize("chunk_rows", [1, 25])
def test_any_chunk_size_writes_the_tables_of_one_chunk(fam1_run, tmp_path, chunk_rows, caplog):
    inputs = _fam1_inputs(fam1_run)
    for name, rows in (("whole", 10**9), ("chunked", chunk_rows)):
        out = tmp_path / name
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="variantprio.rank"):
            rank_run(inputs, RankOutputs(out / "genes.parquet", out / "variants.parquet"), RankOptions(chunk_rows=rows))
        chunks = re.search(r"; (\d+) gene chunk\(s\)", caplog.text)
        assert chunks and (int(chunks[1]) == 1) == (name == "whole")
    assert parquet_differences(tmp_path / "whole", tmp_path / "chunked") == []
    assert sorted(p.name for p in (tmp_path / "chunked").iterdir()) == ["genes.parquet", "variants.parquet"]


def test_the_reference_run_has_several_genes_to_chunk(fam1_run):
    inputs = _fam1_inputs(fam1_run)
    plan = plan_chunks(inputs.annotations, np.arange(10**6), max_rows=1)
    assert len(plan.chunks) > 10  # so the chunked comparison above really interleaves many runs


def _annotation_rows(tmp_path: Path, rows: list[tuple[int, str, str | None]]) -> Path:
    table = pa.Table.from_pylist([{"variant_idx": i, "chrom": chrom, "pos": 100 + i, "ref": "A", "alt": "G",
                                   "gene_symbol": gene} for i, chrom, gene in rows], schema=ANNOTATIONS)
    return write_table(table, tmp_path / "annotations.parquet", "annotations", Provenance())


def test_a_gene_on_two_contigs_stays_in_one_chunk(tmp_path):
    # SHOX-like: the same symbol in both pseudo-autosomal regions, with other genes between.
    path = _annotation_rows(tmp_path, [(0, "chrX", "SHOX"), (1, "chrX", "GENE1"), (2, "chrX", None),
                                       (3, "chrY", "GENE2"), (4, "chrY", "SHOX"), (5, "chrY", "GENE2")])
    plan = plan_chunks(path, np.array([0, 1, 2, 3, 4, 5]), max_rows=1)
    assert [c.ann_rows.tolist() for c in plan.chunks] == [[0, 4], [1], [3, 5]]
    assert plan.intergenic == 1
    assert plan.chunks[0].variant_idx(plan).tolist() == [0, 4]


def test_only_segregating_variants_are_planned(tmp_path):
    path = _annotation_rows(tmp_path, [(0, "chr1", "A"), (1, "chr1", "A"), (2, "chr1", "B"), (3, "chr1", None)])
    plan = plan_chunks(path, np.array([1, 2]), max_rows=10)
    assert [c.ann_rows.tolist() for c in plan.chunks] == [[1, 2]]
    assert plan.intergenic == 0


def test_merged_runs_interleave_in_the_given_order(tmp_path):
    runs = [write_run(pa.table({"x": [0, 2, 5, 6]}), tmp_path / "a"), write_run(pa.table({"x": [1, 3, 4]}), tmp_path / "b")]
    run_of_row = np.array([0, 1, 0, 1, 1, 0, 0], dtype=np.int32)
    blocks = list(merged_blocks(runs, run_of_row, block_rows=3))
    assert [b.num_rows for b in blocks] == [3, 3, 1]
    assert pa.concat_tables(blocks).column("x").to_pylist() == list(range(7))


def test_a_rank_failing_between_chunks_leaves_no_spill_and_no_table(fam1_run, tmp_path):
    inputs = _fam1_inputs(fam1_run)
    table, prov = read_table(inputs.variants, "variants")
    shuffled = tmp_path / "variants.parquet"  # variant_idx no longer the row number
    write_table(table.take(pa.array(np.arange(table.num_rows)[::-1])), shuffled, "variants", prov)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="variant_idx is not the row number"):
        rank_run(RankInputs(shuffled, inputs.annotations, inputs.segregation, inputs.phenotype, inputs.proband),
                 RankOutputs(out / "genes.parquet", out / "variants.parquet"), RankOptions(chunk_rows=5))
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("case", ["nothing carried", "nothing segregating"])
def test_a_proband_without_candidates_gets_empty_tables_and_no_spill(tmp_path, case):
    from test_rank import _VARIANTS, write_rank_case

    if case == "nothing carried":
        variants = [{**v, "zyg": [0, 1, 1]} for v in _VARIANTS]
        paths = write_rank_case(tmp_path / "in", variants=variants)
    else:
        paths = write_rank_case(tmp_path / "in")
        seg, prov = read_table(paths["segregation"], "segregation")
        write_table(seg.slice(0, 0), paths["segregation"], "segregation", prov)
    out = tmp_path / "out"
    summary = rank_run(RankInputs(paths["variants"], paths["annotations"], paths["segregation"], paths["pheno"],
                                  "P1"), RankOutputs(out / "genes.parquet", out / "variants.parquet"),
                       RankOptions(chunk_rows=2))
    genes, _ = read_table(out / "genes.parquet", "genes")
    ranked, prov = read_table(out / "variants.parquet", "ranked_variants")
    assert genes.num_rows == 0 and ranked.num_rows == 0
    assert summary.counts == {"genes": 0, "variant_rows": 0} and prov.extra["variant_rows"] == 0
    assert sorted(p.name for p in out.iterdir()) == ["genes.parquet", "variants.parquet"]
