"""Parallel chunked reading of bgzipped VCF gives exactly the serial result, or falls back to it."""

from __future__ import annotations

import pytest

from variantprio.errors import InputError
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs, parallel
from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table
from conftest import write_vcf


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Parallel mode for small files, with chunks of a few BGZF blocks."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)


def bgzip(tmp_path, records, name="in.vcf"):
    return write_vcf(tmp_path / (name + ".gz"), records)


def test_bgzf_blocks_and_chunks_cover_the_file(tmp_path):
    from variantprio.bench.run.ingest import write_synthetic_vcf
    vcf = write_synthetic_vcf(tmp_path / "syn.vcf.gz", 4000, 2, seed=3)
    offsets = parallel.bgzf_block_offsets(str(vcf))
    assert offsets[0] == 0 and offsets[-1] == vcf.stat().st_size and len(offsets) > 5
    chunks = parallel.plan_chunks(offsets, chunk_bytes=1)
    text = b"".join(parallel._owned_text(str(vcf), c) for c in chunks)
    import gzip
    body = b"".join(l for l in gzip.open(vcf).readlines() if not l.startswith(b"#"))
    assert text == body  # every data line exactly once, in order
    assert parallel.bgzf_block_offsets(str(write_vcf(tmp_path / "p.vcf", []))) is None


def test_parallel_equals_serial(tmp_path, tiny_chunks):
    from variantprio.bench.run.ingest import write_synthetic_vcf
    vcf = write_synthetic_vcf(tmp_path / "syn.vcf.gz", 4000, 3, seed=9)
    assert len(parallel.plan_chunks(parallel.bgzf_block_offsets(str(vcf)), chunk_bytes=1)) > 3
    ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "p.parquet"), IngestOptions(threads=3, min_gq=10))
    ingest_run(IngestInputs(vcf), IngestOutputs(tmp_path / "s.parquet"), IngestOptions(threads=1, min_gq=10))
    (p, _), (s, _) = read_table(tmp_path / "p.parquet", "variants"), read_table(tmp_path / "s.parquet", "variants")
    assert p.num_rows > 3000 and p.equals(s)
    assert p.column("variant_idx").to_pylist() == list(range(p.num_rows))


def test_parallel_falls_back_for_exact_errors(tmp_path, tiny_chunks):
    records = [f"chr1 {100 + i} . A G 50 PASS . GT 0/1 0/1" for i in range(3000)]
    bad = bgzip(tmp_path, records[:2000] + ["chr1 7 . A G 50 PASS . GT 0/1 0/1"] + records[2000:])
    with pytest.raises(InputError, match="record 2001: unsorted input: chr1:7 comes after chr1:2099"):
        ingest_run(IngestInputs(bad), IngestOutputs(tmp_path / "o.parquet"), IngestOptions(threads=3))
    broken = bgzip(tmp_path, records[:2500] + ["chr1 x9 . A G 50 PASS . GT 0/1 0/1"], name="b.vcf")
    with pytest.raises(InputError, match="non-numeric POS 'x9'"):
        ingest_run(IngestInputs(broken), IngestOutputs(tmp_path / "o.parquet"), IngestOptions(threads=3))
    assert not (tmp_path / "o.parquet").exists()
