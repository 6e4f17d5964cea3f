"""The generated demo dataset is a valid, realistic trio input (checked with real bcftools/cyvcf2)."""

import shutil
import subprocess

import pytest
from cyvcf2 import VCF

from variantprio.demo import DEMO_CASES, write_demo_data


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo_data(tmp_path_factory.mktemp("demo"))


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed (.ci/run installs it)")
def test_demo_vcfs_pass_bcftools_and_are_indexed(demo):
    for vcf in demo.vcfs.values():
        out = subprocess.run(["bcftools", "view", "-H", str(vcf)], capture_output=True, text=True, check=True)
        n_records = len(out.stdout.splitlines())
        assert 150 <= n_records <= 600  # "a few hundred variants"
        assert (vcf.parent / (vcf.name + ".tbi")).exists()
        # bcftools refuses a region query on unsorted or unindexed input.
        subprocess.run(["bcftools", "view", "-H", "-r", "chr1", str(vcf)], capture_output=True, check=True)


def _planted_calls(demo, case):
    """Genotypes (child, father, mother) of records in the planted gene's CDS span."""
    spans = []
    for line in demo.gene_model.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) > 8 and fields[2] == "transcript" and f'gene_name "{case.gene}"' in fields[8]:
            spans.append((fields[0], int(fields[3]), int(fields[4])))
    (chrom, start, end), = spans
    vcf = VCF(str(demo.vcfs[case.family]))
    assert vcf.samples == [case.child, case.father, case.mother]
    return [(v.POS, v.gt_types.tolist()) for v in vcf(f"{chrom}:{start}-{end}")]


def test_de_novo_case_has_exactly_one_de_novo_variant_in_planted_gene(demo):
    case = next(c for c in DEMO_CASES if c.mode == "de_novo")
    # cyvcf2 gt_types: 0 hom-ref, 1 het, 3 hom-alt
    de_novo = [pos for pos, gts in _planted_calls(demo, case) if gts == [1, 0, 0]]
    assert len(de_novo) == 1


def test_comphet_case_has_one_variant_from_each_parent(demo):
    case = next(c for c in DEMO_CASES if c.mode == "comphet")
    calls = _planted_calls(demo, case)
    from_mother = [pos for pos, gts in calls if gts == [1, 0, 1]]
    from_father = [pos for pos, gts in calls if gts == [1, 1, 0]]
    assert from_mother and from_father


def test_ped_and_sheet_name_every_vcf_sample(demo):
    ped_ids = {line.split("\t")[1] for line in demo.ped.read_text().splitlines()
               if line and not line.startswith("#")}
    for vcf in demo.vcfs.values():
        assert set(VCF(str(vcf)).samples) <= ped_ids
    sheet = demo.samples_tsv.read_text().splitlines()
    assert len(sheet) == 1 + len(DEMO_CASES)


def test_generation_is_deterministic(tmp_path):
    a = write_demo_data(tmp_path / "a")
    b = write_demo_data(tmp_path / "b")
    assert a.gene_model.read_text() == b.gene_model.read_text()
    assert VCF(str(a.vcfs["FAM1"])).raw_header == VCF(str(b.vcfs["FAM1"])).raw_header
    assert [str(v) for v in VCF(str(a.vcfs["FAM2"]))] == [str(v) for v in VCF(str(b.vcfs["FAM2"]))]
