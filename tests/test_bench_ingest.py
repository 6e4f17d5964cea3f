"""`variantprio bench ingest`: a ratio against bcftools on a synthetic cohort or a given VCF."""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import run_cli, write_vcf

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")


def test_synthetic_cohort_with_repeats(tmp_path):
    out = run_cli("bench", "ingest", "--variants", "300", "--samples", "4", "--repeat", "2", "--threads", "2",
                  "--keep", str(tmp_path)).stdout
    assert "300 records x 4 samples (synthetic" in out and "fastest of 2" in out
    assert re.search(r"ratio \(ours / bcftools\): \d+\.\d+x", out)
    assert "bcftools view -Ou --threads 1:" in out  # as many threads as ours (less the input's)
    assert (tmp_path / "synthetic_300x4.vcf.gz").exists()


def test_a_given_vcf_is_counted_and_timed(tmp_path):
    vcf = write_vcf(tmp_path / "given.vcf.gz", [f"chr1 {100 + i} . A G 50 PASS . GT:DP 0/1:9 0/0:8" for i in range(7)])
    out = run_cli("bench", "ingest", "--vcf", str(vcf), "--keep", str(tmp_path / "work")).stdout
    assert "7 records x 2 samples (given.vcf.gz)" in out and "7 rows written" in out
    assert "bcftools view -Ou:" in out  # --threads 1: no extra thread
