"""Spiking causal variants into a background exome: valid files, fair records, right genotypes."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

from conftest import write_vcf
from variantprio.bench.prepare.phenopackets import Case, CausalVariant
from variantprio.bench.prepare.spike import Background, SpikeOptions, spike_case

# The meta-information of a GATK exome like the shared background (contigs without lengths).
_META = """##FILTER=<ID=PASS,Description="All filters passed">
##FORMAT=<ID=AD,Number=.,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Float,Description="Genotype Quality">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled likelihoods">
##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele Frequency">
##INFO=<ID=AN,Number=1,Type=Integer,Description="Total alleles">
##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP Membership">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=DiseaseGene,Number=1,Type=String,Description="Disease-gene association">
##INFO=<ID=SPIKED,Number=0,Type=Flag,Description="Variant has been spiked-in">
"""
_CONTIGS = ("chr1", "chr2", "chrX", "chrY")

_HET = "AC=1;AF=0.5;AN=2;DB;DP={dp}\tGT:AD:DP:GQ:PL\t0/1:{r},{a}:{dp}:99:300,0,400"
_HOM = "AC=2;AF=1;AN=2;DB;DP={dp}\tGT:AD:DP:GQ:PL\t1/1:0,{dp}:{dp}:45.5:800,45,0"


def _record(chrom: str, pos: int, ref: str, alt: str, hom: bool, dp: int, rsid: str) -> str:
    fmt = (_HOM if hom else _HET).format(dp=dp, r=dp // 2, a=dp - dp // 2)
    return f"{chrom}\t{pos}\t{rsid}\t{ref}\t{alt}\t{10.0 * dp:.2f}\tPASS\t{fmt}"


@pytest.fixture(scope="module")
def background(tmp_path_factory) -> Background:
    """A small real-format exome: hets and homs, SNVs and indels, on autosomes, chrX and chrY."""
    lines = []
    for i in range(60):
        chrom = ["chr1", "chr2", "chrX"][i % 3]
        pos = 100_000 + 5_000 * i
        ref, alt = ("A", "G") if i % 4 else ("AT", "A")
        lines.append(_record(chrom, pos, ref, alt, hom=i % 5 == 0, dp=10 + i, rsid=f"rs{1000 + i}"))
    lines.append(_record("chr1", 150_100, "C", "T", hom=False, dp=30, rsid="rs77"))  # overlaps a spike
    lines.append(_record("chrY", 3_000_000, "G", "A", hom=True, dp=12, rsid="rs99"))
    lines.append(_record("chrX", 100_000 + 5_000 * 61, "C", "A", hom=True, dp=40, rsid="."))
    lines.sort(key=lambda l: (_CONTIGS.index(l.split("\t")[0]), int(l.split("\t")[1])))
    vcf = write_vcf(tmp_path_factory.mktemp("bg") / "background.vcf.gz", lines, samples=("manuel",),
                    fileformat="VCFv4.1", meta=_META, contigs=dict.fromkeys(_CONTIGS), index=True)
    return Background.load(vcf)


def _case(genotype: str, sex: str = "FEMALE", chrom: str = "chr1") -> Case:
    state = {"het": "heterozygous", "hom": "homozygous", "hemi": "hemizygous", "comphet": "heterozygous"}[genotype]
    variants = [CausalVariant(chrom, 150_100, "C", "G", state)]
    if genotype == "comphet":
        variants.append(CausalVariant(chrom, 170_003, "TA", "T", state))
    return Case(case_id=f"case_{genotype}_{sex}", source="x.json", sex=sex, observed=("HP:0001250",),
                excluded=(), gene_symbol="GENE1", disease_id="OMIM:1", disease_label="d",
                variants=tuple(variants), n_without_vcf_record=0)


def _records(vcf: Path) -> list[list[str]]:
    out = subprocess.run(["bcftools", "view", "-H", str(vcf)], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines()]


def _at(vcf: Path, chrom: str, pos: int) -> list[str]:
    out = subprocess.run(["bcftools", "view", "-H", "-r", f"{chrom}:{pos}", str(vcf)],
                         capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in out.stdout.splitlines() if line.split("\t")[1] == str(pos)]
    assert len(rows) == 1, rows
    return rows[0]


def _gt(row: list[str], sample: int = 0) -> str:
    return row[9 + sample].split(":")[0]


@pytest.mark.parametrize("parents", [False, True])
@pytest.mark.parametrize("genotype", ["het", "hom", "comphet"])
def test_spiked_vcf_is_sorted_indexed_and_accepted_by_bcftools(background, tmp_path, genotype, parents):
    spiked = spike_case(_case(genotype), background, tmp_path, SpikeOptions(with_parents=parents))
    assert spiked.vcf.name.endswith(".vcf.gz") and Path(f"{spiked.vcf}.tbi").exists()
    rows = _records(spiked.vcf)
    order = ["chr1", "chr2", "chrX", "chrY"]
    keys = [(order.index(r[0]), int(r[1])) for r in rows]
    assert keys == sorted(keys)
    # bgzip magic (BGZF extra field) and an index that answers region queries
    assert Path(spiked.vcf).read_bytes()[:4] == b"\x1f\x8b\x08\x04"
    assert _at(spiked.vcf, "chr1", 150_100)[4] == "G"
    assert subprocess.run(["bcftools", "index", "-n", str(spiked.vcf)], capture_output=True, text=True,
                          check=True).stdout.strip() == str(len(rows))
    n_samples = 3 if parents else 1
    assert all(len(r) == 9 + n_samples for r in rows)


def test_ids_blanked_and_benchmark_markers_dropped(background, tmp_path):
    spiked = spike_case(_case("het"), background, tmp_path)
    with gzip.open(spiked.vcf, "rt") as handle:
        text = handle.read()
    assert "SPIKED" not in text and "DiseaseGene" not in text
    rows = _records(spiked.vcf)
    assert {r[2] for r in rows} == {"."}
    assert "##contig=<ID=chr1,length=248956422>" in text  # GRCh38 lengths let ingest confirm the build


def test_spiked_record_is_clone_of_a_background_call_of_same_genotype_and_class(background, tmp_path):
    spiked = spike_case(_case("het"), background, tmp_path, SpikeOptions(phase_singletons=False))
    row = _at(spiked.vcf, "chr1", 150_100)
    assert row[8] == "GT:AD:DP:GQ:PL"
    het_snv = background.table[(background.table["gt"] == 1) & background.table["is_snv"]]
    assert row[9] in set(het_snv["sample"])  # real FORMAT values, not invented ones
    assert row[7] in set(het_snv["info"]) and row[5] in set(het_snv["qual"])


def test_overlapping_background_call_is_replaced(background, tmp_path):
    spiked = spike_case(_case("het"), background, tmp_path)
    assert spiked.removed_background == 1
    assert _at(spiked.vcf, "chr1", 150_100)[3:5] == ["C", "G"]


def test_compound_het_singleton_is_phased_in_trans(background, tmp_path):
    spiked = spike_case(_case("comphet"), background, tmp_path)
    first, second = _at(spiked.vcf, "chr1", 150_100), _at(spiked.vcf, "chr1", 170_003)
    assert first[8].endswith(":PS")
    assert {_gt(first), _gt(second)} == {"0|1", "1|0"}
    assert first[9].split(":")[-1] == second[9].split(":")[-1] != "."
    # every het call is phased, so phasing does not single out the spikes
    het_rows = [r for r in _records(spiked.vcf) if _gt(r) in ("0|1", "1|0", "0/1")]
    assert all(_gt(r) in ("0|1", "1|0") for r in het_rows)


def test_compound_het_trio_is_in_trans_through_parents(background, tmp_path):
    spiked = spike_case(_case("comphet"), background, tmp_path, SpikeOptions(with_parents=True))
    first, second = _at(spiked.vcf, "chr1", 150_100), _at(spiked.vcf, "chr1", 170_003)
    assert [_gt(first, i) for i in range(3)] == ["0/1", "0/1", "0/0"]
    assert [_gt(second, i) for i in range(3)] == ["0/1", "0/0", "0/1"]
    assert spiked.ped.read_text().splitlines()[2].split("\t") == [
        "FAM_case_comphet_FEMALE", "proband", "father", "mother", "2", "2"]


def test_dominant_trio_spike_is_de_novo_and_recessive_parents_are_carriers(background, tmp_path):
    options = SpikeOptions(with_parents=True, background_de_novo=0.0)
    het = spike_case(_case("het"), background, tmp_path / "het", options)
    assert [_gt(_at(het.vcf, "chr1", 150_100), i) for i in range(3)] == ["0/1", "0/0", "0/0"]
    hom = spike_case(_case("hom"), background, tmp_path / "hom", options)
    assert [_gt(_at(hom.vcf, "chr1", 150_100), i) for i in range(3)] == ["1/1", "0/1", "0/1"]
    # without de novo noise every other call of the proband has a carrier parent (Mendelian)
    others = [r for r in _records(het.vcf) if int(r[1]) != 150_100]
    assert others and all("1" in _gt(r, 1) + _gt(r, 2) for r in others)


@pytest.mark.parametrize("parents", [False, True])
def test_hemizygous_male_on_chrx(background, tmp_path, parents):
    spiked = spike_case(_case("hemi", sex="MALE", chrom="chrX"), background, tmp_path,
                        SpikeOptions(with_parents=parents))
    row = _at(spiked.vcf, "chrX", 150_100)
    assert _gt(row) == "1/1"  # diploid-style male chrX call, like the background's own chrX calls
    proband = [line.split("\t") for line in spiked.ped.read_text().splitlines() if "\tproband\t" in line][0]
    assert proband[4] == "1" and proband[5] == "2"
    if parents:
        assert [_gt(row, 1), _gt(row, 2)] == ["0/0", "0/1"]  # carrier mother, unaffected father
    assert any(r[0] == "chrY" for r in _records(spiked.vcf))


def test_homozygous_xr_daughter_has_affected_hemizygous_father(background, tmp_path):
    spiked = spike_case(_case("hom", sex="FEMALE", chrom="chrX"), background, tmp_path,
                        SpikeOptions(with_parents=True))
    row = _at(spiked.vcf, "chrX", 150_100)
    assert [_gt(row, i) for i in range(3)] == ["1/1", "1/1", "0/1"]
    father = spiked.ped.read_text().splitlines()[0].split("\t")
    assert father[1] == "father" and father[5] == "2"


def test_female_case_has_no_chry_calls(background, tmp_path):
    spiked = spike_case(_case("het", sex="FEMALE"), background, tmp_path)
    assert not any(r[0] == "chrY" for r in _records(spiked.vcf))


def test_trio_background_has_few_apparent_de_novo_calls(background, tmp_path):
    spiked = spike_case(_case("hom"), background, tmp_path,
                        SpikeOptions(with_parents=True, background_de_novo=3.0))
    rows = _records(spiked.vcf)
    de_novo = [r for r in rows if _gt(r) == "0/1" and _gt(r, 1) == "0/0" and _gt(r, 2) == "0/0"]
    assert len(de_novo) <= 10
    # AC/AN recomputed over the three samples for every record
    assert all("AN=6" in r[7] or "AN=4" in r[7] for r in rows)


def test_same_seed_same_file_other_seed_differs(background, tmp_path):
    a = spike_case(_case("comphet"), background, tmp_path / "a", SpikeOptions(seed=3))
    b = spike_case(_case("comphet"), background, tmp_path / "b", SpikeOptions(seed=3))
    c = spike_case(_case("comphet"), background, tmp_path / "c", SpikeOptions(seed=4))
    text = lambda p: gzip.open(p, "rt").read()  # noqa: E731
    assert text(a.vcf) == text(b.vcf) != text(c.vcf)


def test_case_without_vcf_record_is_refused(background, tmp_path):
    from variantprio.errors import InputError

    case = Case("sv", "x.json", "MALE", (), (), "G", None, None, (), n_without_vcf_record=1)
    with pytest.raises(InputError, match="without a vcfRecord"):
        spike_case(case, background, tmp_path)


def test_missing_background_is_an_input_error(tmp_path):
    from variantprio.errors import InputError

    with pytest.raises(InputError, match="background VCF not found"):
        Background.load(tmp_path / "absent.vcf.gz")
