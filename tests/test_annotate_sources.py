"""Source joins by allele: gnomAD, ClinVar, SpliceAI VCFs, CADD/REVEL/AlphaMissense TSVs and gene
constraint, written in their real formats, bgzipped and tabix-indexed (htslib)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import write_vcf
from test_annotate import annotate_records, gtf  # noqa: F401  (fixture)
from variantprio.errors import InputError

GRCH38 = {"1": 248956422, "X": 156040895}
GRCH37 = {"1": 249250621, "X": 155270560}


def bgzip_tabix(path: Path, cols: tuple[int, int, int]) -> Path:
    """A score table bgzipped and tabix-indexed by the command-line tools (sequence, begin, end columns)."""
    subprocess.run(["bgzip", "-f", str(path)], check=True)
    gz = Path(str(path) + ".gz")
    subprocess.run(["tabix", "-f", "-s", str(cols[0]), "-b", str(cols[1]), "-e", str(cols[2]), str(gz)], check=True)
    return gz


def source_vcf(path: Path, info_header: str, records: list[str], lengths=GRCH38, prefix: str = "") -> Path:
    """A sites-only source VCF, bgzipped and tabix-indexed, at `path`.gz."""
    contigs = {prefix + c: n for c, n in lengths.items()}
    return write_vcf(Path(f"{path}.gz"), records, samples=(), contigs=contigs, meta=info_header, index=True)


GNOMAD_INFO = "".join(f'##INFO=<ID={k},Number=A,Type=Float,Description="{k}">\n'
                      for k in ("AF", "AF_grpmax", "nhomalt", "AC_XY"))
CLINVAR_INFO = ('##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Aggregate germline classification">\n'
                '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="ClinVar review status">\n')
SPLICEAI_INFO = ('##INFO=<ID=SpliceAI,Number=.,Type=String,Description="SpliceAIv1.3 variant annotation. '
                 'These include delta scores (DS) and delta positions (DP) for acceptor gain (AG), acceptor loss '
                 '(AL), donor gain (DG), and donor loss (DL). Format: ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|'
                 'DP_AG|DP_AL|DP_DG|DP_DL">\n')


@pytest.fixture()
def sources(tmp_path) -> dict[str, Path]:
    d = tmp_path / "src"
    d.mkdir()
    out = {}
    # gnomAD: Ensembl contig names; a multi-allelic SNV site and a multi-allelic indel site
    out["gnomad"] = source_vcf(d / "gnomad.vcf", GNOMAD_INFO, [
        "1 1101 . A G,T . PASS AF=0.001,0.2;AF_grpmax=0.002,0.3;nhomalt=0,5",
        "1 1250 . CAA C,CA . PASS AF=0.01,0.05;AF_grpmax=0.02,0.06;nhomalt=0,1",
        "X 5000000 . C T . PASS AF=0.003;AF_grpmax=0.004;nhomalt=1;AC_XY=3",
    ])
    out["clinvar"] = source_vcf(d / "clinvar.vcf", CLINVAR_INFO, [
        "1 1101 12345 A G . . CLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_multiple_submitters,_no_conflicts",
        "1 1101 12346 A T . . CLNSIG=Likely_benign;CLNREVSTAT=no_assertion_criteria_provided",
    ])
    out["spliceai"] = source_vcf(d / "spliceai.vcf", SPLICEAI_INFO, [
        "chr1 1101 . A G,T . . SpliceAI=G|GP|0.01|0.00|0.91|0.10|2|-1|0|5,T|GP|0.02|0.03|0.05|0.04|1|1|1|1",
    ], prefix="chr")
    cadd = d / "cadd.tsv"
    cadd.write_text("## CADD GRCh38-v1.7 (c) University of Washington\n#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n"
                    "1\t1101\tA\tC\t1.1\t12.0\n1\t1101\tA\tG\t3.2\t27.5\n1\t1101\tA\tT\t2.0\t20.1\n")
    out["cadd"] = bgzip_tabix(cadd, cols=(1, 2, 2))
    revel = d / "revel.tsv"
    revel.write_text("#chr\thg19_pos\tgrch38_pos\tref\talt\taaref\taaalt\tREVEL\tEnsembl_transcriptid\n"
                     "1\t1001\t1101\tA\tG\tK\tR\t0.3\tENST1\n1\t1001\t1101\tA\tG\tK\tR\t0.7\tENST1b\n")
    out["revel"] = bgzip_tabix(revel, cols=(1, 3, 3))
    am = d / "AlphaMissense_hg38.tsv"
    am.write_text("# Copyright 2023 DeepMind Technologies Limited\n#\n"
                  "#CHROM\tPOS\tREF\tALT\tgenome\tuniprot_id\ttranscript_id\tprotein_variant\tam_pathogenicity\t"
                  "am_class\nchr1\t1101\tA\tG\thg38\tP1\tENST1\tK34R\t0.8\tlikely_pathogenic\n")
    out["alphamissense"] = bgzip_tabix(am, cols=(1, 2, 2))
    constraint = d / "constraint.tsv"
    constraint.write_text("gene\ttranscript\tmane_select\tlof.pLI\tlof.oe_ci.upper\tmis.z_score\n"
                          "GP\tENST9\tfalse\t0.1\t1.5\t0.2\nGP\tENST1\ttrue\t0.98\t0.12\t3.4\n")
    out["constraint"] = constraint
    return out


def write_config(tmp_path: Path, sources: dict[str, Path], build: dict[str, str] | None = None) -> Path:
    build = build or {}
    lines = ["genome_build: GRCh38", "sources:"]
    for kind, path in sources.items():
        lines.append(f"  - {{name: {kind}-test, kind: {kind}, path: {path}, version: 'v1', "
                     f"build: {build.get(kind, 'GRCh38')}}}")
    config = tmp_path / "config.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


RECORDS = ["chr1 1101 . A G,T 50 PASS .", "chr1 1250 . CA C 50 PASS .", "chr1 1203 . A G 50 PASS .",
           "chrX 5000000 . C T 50 PASS ."]
X_CONTIG = "##contig=<ID=chrX,length=156040895>\n"


def test_all_sources_join_by_allele(tmp_path, gtf, sources):  # noqa: F811
    config = write_config(tmp_path, sources)
    df, prov = annotate_records(tmp_path, gtf, RECORDS, sources=str(config), extra_header=X_CONTIG, gt="1/2")
    gp = df[df.gene_symbol == "GP"].set_index(["pos", "alt"])
    g = gp.loc[(1101, "G")]
    assert (g.gnomad_af, g.gnomad_popmax_af, g.gnomad_hom) == (0.001, 0.002, 0)
    assert pd.isna(g.gnomad_hemi)
    assert (g.clinvar_significance, g.clinvar_stars) == ("Pathogenic", 2)
    assert g.spliceai_max == pytest.approx(0.91)
    assert g.cadd_phred == pytest.approx(27.5) and g.revel == pytest.approx(0.7)
    assert g.alphamissense == pytest.approx(0.8)
    assert (g.pli, g.loeuf, g.mis_z) == (pytest.approx(0.98), pytest.approx(0.12), pytest.approx(3.4))
    t = gp.loc[(1101, "T")]
    assert (t.gnomad_af, t.gnomad_hom, t.clinvar_significance, t.clinvar_stars) == (0.2, 5, "Likely benign", 0)
    assert t.spliceai_max == pytest.approx(0.05) and t.cadd_phred == pytest.approx(20.1) and pd.isna(t.revel)
    indel = gp.loc[(1250, "C")]  # CAA>CA in gnomAD trims to CA>C
    assert indel.gnomad_af == pytest.approx(0.05) and indel.gnomad_hom == 1
    absent = gp.loc[(1203, "G")]
    assert pd.isna(absent.gnomad_af) and pd.isna(absent.clinvar_significance) and absent.pli == pytest.approx(0.98)
    x = df[df.chrom == "chrX"].iloc[0]
    assert (x.gnomad_af, x.gnomad_hemi) == (0.003, 3)
    assert prov.sources["gnomad-test"] == "v1" and prov.extra["source_matches"]["clinvar-test"] == 2


def test_declared_build_mismatch_is_an_error(tmp_path, gtf, sources):  # noqa: F811
    config = write_config(tmp_path, {"cadd": sources["cadd"]}, build={"cadd": "GRCh37"})
    with pytest.raises(InputError, match="declared GRCh37 but the variants are GRCh38"):
        annotate_records(tmp_path, gtf, RECORDS[:1], sources=str(config), gt="1/2")
    assert not (tmp_path / "annotations.parquet").exists()


def test_source_header_build_mismatch_is_an_error(tmp_path, gtf):  # noqa: F811
    d = tmp_path / "s"
    d.mkdir()
    vcf = source_vcf(d / "gnomad37.vcf", GNOMAD_INFO, ["1 1101 . A G . PASS AF=0.1"], lengths=GRCH37)
    config = write_config(tmp_path, {"gnomad": vcf})
    with pytest.raises(InputError, match="its header says GRCh37"):
        annotate_records(tmp_path, gtf, RECORDS[:1], sources=str(config), gt="1/2")


def test_bad_sources_config(tmp_path, gtf):  # noqa: F811
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  - {name: x, kind: dbsnp, path: /nope, version: '1', build: GRCh38}\n")
    with pytest.raises(InputError, match="unknown source kind 'dbsnp'"):
        annotate_records(tmp_path, gtf, RECORDS[:1], sources=str(config), gt="1/2")
    config.write_text("sources:\n  - {name: x, kind: cadd, path: /nope/cadd.tsv.gz, version: '1', build: GRCh38}\n")
    with pytest.raises(InputError, match="file not found"):
        annotate_records(tmp_path, gtf, RECORDS[:1], sources=str(config), gt="1/2")


def test_untabixed_source_is_an_input_error(tmp_path, gtf):  # noqa: F811
    plain = tmp_path / "cadd.tsv"
    plain.write_text("#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n1\t1101\tA\tG\t3.2\t27.5\n")
    config = write_config(tmp_path, {"cadd": plain})
    with pytest.raises(InputError, match="tabix"):
        annotate_records(tmp_path, gtf, RECORDS[:1], sources=str(config), gt="1/2")


def test_constraint_table_with_a_gnomad_preamble_and_hash_header(tmp_path):
    """gnomAD's exported constraint table starts with '##' notes and a '#gene' header (issue 14)."""
    from variantprio.annotate.sourceconfig import SourceSpec
    from variantprio.annotate.sources import read_constraint

    path = tmp_path / "constraint.tsv"
    path.write_text("## created with command:\n## notes\n#gene\ttranscript\tpLI\toe_lof\toe_lof_lower\toe_lof_upper\n"
                    "MED13\tENST1\t1.0\t0.0\t0.0\t0.03\nTTN\tENST2\t0.0\t0.9\t0.8\t1.1\n")
    spec = SourceSpec(name="constraint", kind="constraint", path=path, version="2.1.1", build="GRCh38")
    table = read_constraint(spec).set_index("gene_symbol")
    assert table.loc["MED13", "pli"] == 1.0 and table.loc["MED13", "loeuf"] == 0.03
    assert table.loc["TTN", "loeuf"] == 1.1
