"""Inheritance on what `variantprio ingest` really stores from a bgzipped VCF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conftest import GT_HEADER, write_vcf
from variantprio.core.genome import CONTIG_LENGTHS
from variantprio.inheritance import InheritanceInputs, InheritanceOutputs
from variantprio.inheritance import run as inheritance_run
from variantprio.inheritance.synthetic import annotations_table
from variantprio.ingest import IngestInputs, IngestOutputs
from variantprio.ingest import run as ingest_run
from variantprio.tables import Provenance, read_table, write_table

SAMPLES = ("kid", "dad", "mum", "other_kid")
PED = "F kid dad mum 1 2\nF dad 0 0 1 1\nF mum 0 0 2 1\nG other_kid 0 0 2 2\n"
RECORDS = [
    # chrom pos ref alt | kid dad mum other_kid
    ("chr1", 1000, "C", "T", "0/1:60", "0/0:50", "0/0:45", "0/0:60"),     # de novo
    ("chr1", 2000, "C", "T", "0/1:60", "0/0:50", "0/0:8", "0/0:60"),      # mother's hom-ref is low quality
    ("chr2", 1000, "C", "T", "0/1:60", "0/1:50", "0/0:45", "0/0:60"),     # comphet, from dad
    ("chr2", 2000, "C", "T", "0/1:60", "0/0:50", "0/1:45", "0/0:60"),     # comphet, from mum
    ("chr3", 1000, "C", "T", "1/1:60", "0/1:50", "0/1:45", "0/0:60"),     # AR hom
    ("chrX", 5000000, "C", "T", "1:60", "0:50", "0/1:45", "0/0:60"),      # XR hemizygous son
    ("chrX", 100000, "C", "T", "0/1:60", "0/0:50", "0/0:45", "0/0:60"),   # PAR1: autosomal
    ("chr4", 1000, "C", "T", "0|1:60", "0/0:50", "0/0:45", "0/1:60"),     # phased pair, one phase set
    ("chr4", 2000, "C", "T", "1|0:60", "0/0:50", "0/0:45", "0/1:60"),
    ("chr5", 1000, "C", "T,G", "1/2:60", "0/1:50", "0/2:45", "0/0:60"),   # multiallelic: T from dad, G from mum
]


META = ('##FILTER=<ID=PASS,Description="All filters passed">\n' + GT_HEADER
        + '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">\n'
        + '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">\n')


def _vcf(path: Path) -> Path:
    """The trio's bgzipped VCF, records sorted in the header's contig order (as `bcftools sort` would)."""
    order = list(CONTIG_LENGTHS["GRCh38"])
    records = sorted(RECORDS, key=lambda r: (order.index(r[0]), r[1]))
    return write_vcf(path, [(c, p, ".", r, a, 50, "PASS", ".", "GT:GQ", *calls) for c, p, r, a, *calls in records],
                     SAMPLES, contigs=order, meta=META)


def test_ingested_trio_segregates(tmp_path):
    vcf = _vcf(tmp_path / "fam.vcf.gz")
    ped = tmp_path / "fam.ped"
    ped.write_text(PED)
    variants_path = tmp_path / "variants.parquet"
    ingest_run(IngestInputs(vcf), IngestOutputs(variants_path))
    variants, prov = read_table(variants_path, "variants", columns=["variant_idx", "chrom", "pos", "alt"])
    assert prov.samples == list(SAMPLES)
    chrom = variants.column("chrom").to_numpy(zero_copy_only=False)
    pos = variants.column("pos").to_numpy()
    genes = np.array([f"{c}_{p // 1000}" if c != "chr2" else "CH" for c, p in zip(chrom, pos)], dtype=object)
    genes[chrom == "chr4"] = "PHASED"
    genes[chrom == "chr5"] = "MULTI"
    ann = annotations_table(variants.column("variant_idx").to_numpy(), chrom, pos, genes)
    annotations_path = write_table(ann, tmp_path / "annotations.parquet", "annotations", Provenance(samples=prov.samples))
    out = tmp_path / "segregation.parquet"
    inheritance_run(InheritanceInputs(variants_path, annotations_path, "kid", ped), InheritanceOutputs(out))
    seg = read_table(out, "segregation")[0].to_pandas()
    key = {(c, p, a): i for i, c, p, a in zip(*(variants.column(n).to_pylist()
                                                 for n in ("variant_idx", "chrom", "pos", "alt")))}
    by = seg.set_index("variant_idx")
    row = lambda c, p, a="T": by.loc[key[(c, p, a)]]  # noqa: E731
    assert row("chr1", 1000)["de_novo"] and row("chr1", 1000)["fits_ad"]
    assert row("chr1", 2000)["fits_ad"] and not row("chr1", 2000)["de_novo"]
    assert row("chr2", 1000)["comphet_phase"] == "trans" and row("chr2", 1000)["comphet_partner_idx"] == key[("chr2", 2000, "T")]
    assert row("chr3", 1000)["fits_ar_hom"]
    assert row("chrX", 5000000)["fits_xr"] and not row("chrX", 5000000)["fits_ad"]
    assert row("chrX", 100000)["fits_ad"] and not row("chrX", 100000)["fits_xd"]
    # ingest stores which haplotype holds the ALT (alt_hap): '0|1' + '1|0' in one phase set are in trans.
    assert row("chr4", 1000)["comphet_phase"] == "trans"
    # A 1/2 call is het for each ALT: one from each parent.
    assert row("chr5", 1000, "T")["comphet_partner_idx"] == key[("chr5", 1000, "G")]
    assert row("chr5", 1000, "T")["comphet_phase"] == "trans"


def test_rank_reads_the_segregation_contract(tmp_path):
    """The rank stage pairs our compound hets and gates by the disease's modes."""
    import pyarrow as pa

    from variantprio.inheritance.synthetic import parse_genotypes, variants_table, write_tables
    from variantprio.rank import RankInputs, RankOutputs
    from variantprio.rank import run as rank_run
    from variantprio.schemas import GENE_PHENOTYPE

    rows = [("chr1", 100, "DN", ["0/1", "0/0", "0/0"]), ("chr2", 100, "CH", ["0/1", "0/1", "0/0"]),
            ("chr2", 200, "CH", ["0/1", "0/0", "0/1"]), ("chr3", 100, "INH", ["0/1", "0/1", "0/0"])]
    geno = parse_genotypes([r[3] for r in rows])
    chrom, pos = np.array([r[0] for r in rows], dtype=object), np.array([r[1] for r in rows])
    ann = annotations_table(np.arange(len(rows)), chrom, pos, np.array([r[2] for r in rows], dtype=object))
    ann = ann.set_column(ann.schema.get_field_index("consequence"), "consequence",
                         pa.array(["missense_variant"] * len(rows)))
    v, a = write_tables(tmp_path, ["kid", "dad", "mum"], variants_table(chrom, pos, geno.zygosity), ann)
    ped = tmp_path / "trio.ped"
    ped.write_text("F kid dad mum 1 2\nF dad 0 0 1 1\nF mum 0 0 2 1\n")
    inheritance_run(InheritanceInputs(v, a, "kid", ped), InheritanceOutputs(tmp_path / "seg.parquet"))
    pheno = pa.Table.from_pylist([dict(gene_symbol=g, ncbi_gene_id=None, phenotype_score=0.5, phenotype_raw=0.5,
                                       disease_id=f"OMIM:{i}", disease_name=g, disease_modes=[m], matched_terms=[])
                                  for i, (g, m) in enumerate([("DN", "AD"), ("CH", "AR"), ("INH", "AD")])],
                                 schema=GENE_PHENOTYPE)
    write_table(pheno, tmp_path / "pheno.parquet", "gene_phenotype", Provenance())
    rank_run(RankInputs(v, a, tmp_path / "seg.parquet", tmp_path / "pheno.parquet", "kid"),
             RankOutputs(tmp_path / "genes.parquet", tmp_path / "ranked.parquet"))
    genes = read_table(tmp_path / "genes.parquet", "genes")[0].to_pandas().set_index("gene_symbol")
    assert genes.loc["DN", "segregates"] and genes.loc["DN", "de_novo"]
    assert genes.loc["CH", "segregates"] and genes.loc["CH", "mode"] == "AR"
    assert " + " in genes.loc["CH", "best_variant"]
    assert not genes.loc["INH", "segregates"]
