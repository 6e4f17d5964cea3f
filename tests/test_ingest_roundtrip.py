"""Hypothesis round trip: random valid VCF records in, the same variants (split, trimmed) out."""

from __future__ import annotations

from pathlib import Path
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs

from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table
from conftest import write_vcf

BASES = "ACGT"
allele_st = st.text(BASES, min_size=1, max_size=4)


@st.composite
def record_st(draw, n_samples: int):
    ref = draw(allele_st)
    alts = draw(st.lists(allele_st.filter(lambda a: a != ref), min_size=1, max_size=3, unique=True))
    n_alleles = len(alts) + 1
    calls = []
    for _ in range(n_samples):
        ploidy = draw(st.sampled_from([1, 2, 2, 2]))
        alleles = [draw(st.one_of(st.integers(0, n_alleles - 1), st.just(None))) for _ in range(ploidy)]
        ad = [draw(st.integers(0, 50)) for _ in range(n_alleles)]
        calls.append((alleles, draw(st.booleans()), ad))
    return ref, alts, calls


def expected_rows(chrom: str, pos: int, ref: str, alts: list[str], calls) -> list[dict]:
    """Independent model of the contract: one row per ALT, gt = copies of that ALT, trimmed alleles."""
    rows = []
    for k, alt in enumerate(alts, start=1):
        gt, zyg = [], []
        for alleles, _, _ in calls:
            called = [a for a in alleles if a is not None]
            copies = sum(a == k for a in called)
            gt.append(-1 if not called else copies)
            if not called:
                zyg.append(-1)
            elif copies == 0:
                zyg.append(0)
            elif len(alleles) == 1:
                zyg.append(3)
            else:
                zyg.append(2 if copies == len(alleles) else 1)
        if max(gt) < 1:
            continue  # no sample carries this ALT: not a variant of these samples
        r, a, p = ref, alt, pos
        while len(r) > 1 and len(a) > 1 and r[-1] == a[-1]:
            r, a = r[:-1], a[:-1]
        while len(r) > 1 and len(a) > 1 and r[0] == a[0]:
            r, a, p = r[1:], a[1:], p + 1
        rows.append({"chrom": chrom, "pos": p, "ref": r, "alt": a, "gt": gt, "zygosity": zyg,
                     "ad_ref": [c[2][0] for c in calls], "ad_alt": [c[2][k] for c in calls]})
    return rows


def vcf_line(chrom: str, pos: int, ref: str, alts: list[str], calls) -> str:
    samples = []
    for alleles, phased, ad in calls:
        gt = ("|" if phased else "/").join("." if a is None else str(a) for a in alleles)
        samples.append(f"{gt}:{','.join(map(str, ad))}")
    return " ".join([chrom, str(pos), ".", ref, ",".join(alts), "50", "PASS", ".", "GT:AD", *samples])


@pytest.mark.parametrize("reader", ["arrow", "cyvcf2"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_records_round_trip(reader, data):
    n_samples = data.draw(st.integers(1, 3))
    records = data.draw(st.lists(record_st(n_samples), min_size=0, max_size=25))
    lines, expected, pos = [], [], 1000
    for i, (ref, alts, calls) in enumerate(records):
        chrom = "chr1" if i < len(records) // 2 else "chrX"
        pos = 1000 if i == len(records) // 2 else pos + data.draw(st.integers(1, 30))
        lines.append(vcf_line(chrom, pos, ref, alts, calls))
        expected += expected_rows(chrom, pos, ref, alts, calls)
    with tempfile.TemporaryDirectory() as tmp:
        vcf = write_vcf(Path(tmp) / "in.vcf", lines, samples=tuple(f"S{i}" for i in range(n_samples)))
        ingest_run(IngestInputs(vcf), IngestOutputs(Path(tmp) / "o.parquet"),
                   IngestOptions(reader=reader, batch_size=data.draw(st.sampled_from([3, 1000]))))
        table, _ = read_table(Path(tmp) / "o.parquet", "variants")
    got = table.select(["chrom", "pos", "ref", "alt", "gt", "zygosity", "ad_ref", "ad_alt"]).to_pylist()
    assert got == expected
    assert table.column("variant_idx").to_pylist() == list(range(len(expected)))
