"""Results stay the same across a refactor: `parquet_differences` (conftest) compares every Parquet
table of two results directories in content, and these tests keep that comparison honest.

Before/after a change, run the demo on both versions and compare:

    variantprio demo --out /tmp/before            # e.g. with PYTHONPATH=<main checkout>/src
    variantprio demo --out /tmp/after             # with PYTHONPATH=<branch>/src
    python tests/test_outputs_stable.py /tmp/before /tmp/after
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from conftest import FAM1_CHILD, parquet_differences


def _rewrite(path: Path, change=lambda table: table, **metadata: bytes) -> None:
    """Write `change(table)` back in place with the file's provenance, updated by `metadata`
    (keys without the `variantprio.` prefix)."""
    kept = {k: v for k, v in pq.read_metadata(path).metadata.items() if k != b"ARROW:schema"}
    kept.update({f"variantprio.{k}".encode(): v for k, v in metadata.items()})
    pq.write_table(change(pq.read_table(path)).replace_schema_metadata(kept), path)


def test_a_copy_of_a_run_in_another_directory_has_no_differences(fam1_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fam1_run, copy)
    assert parquet_differences(fam1_run, copy) == []


def test_changed_rows_docs_and_missing_tables_are_each_reported(fam1_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fam1_run, copy)
    genes = copy / FAM1_CHILD / "genes.parquet"
    _rewrite(genes, lambda t: t.set_column(t.schema.get_field_index("combined_score"),
                                           t.schema.field("combined_score"),
                                           pc.multiply(t.column("combined_score"), 0.5)))
    segregation = copy / FAM1_CHILD / "segregation.parquet"
    _rewrite(segregation, lambda t: t.cast(pa.schema(
        [f.with_metadata({b"doc": b"reworded"}) if f.name == "gene_symbol" else f for f in t.schema])))
    (copy / FAM1_CHILD / "gene_phenotype.parquet").unlink()
    assert parquet_differences(fam1_run, copy) == [
        f"{FAM1_CHILD}/gene_phenotype.parquet: only in {fam1_run}",
        f"{FAM1_CHILD}/genes.parquet: rows differ",
        f"{FAM1_CHILD}/segregation.parquet: column docs differ (gene_symbol)",
    ]


def test_provenance_differences_are_reported_but_timings_are_not(fam1_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fam1_run, copy)
    annotations = next(copy.glob("_vcf/*/annotations.parquet"))
    metadata = pq.read_metadata(annotations).metadata
    assert b'"seconds"' in metadata[b"variantprio.extra"]
    retimed = metadata[b"variantprio.extra"].replace(b'"seconds": ', b'"seconds": 1000')
    _rewrite(annotations, extra=retimed)
    assert parquet_differences(fam1_run, copy) == []
    _rewrite(annotations, genome_build=b"GRCh37")
    name = str(annotations.relative_to(copy))
    assert parquet_differences(fam1_run, copy) == [f"{name}: metadata variantprio.genome_build differs"]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    found = parquet_differences(Path(sys.argv[1]), Path(sys.argv[2]))
    tables = len(list(Path(sys.argv[1]).rglob("*.parquet")))
    print("\n".join(found) if found else f"no differences: {tables} tables equal in content and provenance")
    sys.exit(1 if found else 0)
