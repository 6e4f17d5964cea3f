"""Ingest's `alt_hap` column: which haplotype of a phased call holds each ALT, so that the
inheritance stage can prove a compound heterozygote in trans from phase sets alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GT_HEADER, write_vcf
from variantprio.annotate import AnnotateInputs, AnnotateOptions, AnnotateOutputs
from variantprio.annotate import run as annotate_run
from variantprio.inheritance import InheritanceInputs, InheritanceOutputs
from variantprio.inheritance import run as inheritance_run
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs
from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table

META = GT_HEADER + '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">\n'

TEN_ALTS = ",".join(["C", "G", "T", "AC", "AG", "AT", "CC", "CG", "CT", "GG"])

# (chrom, pos, ref, alts, calls of S1 S2 S3); GT:PS for every sample.
RECORDS = [
    ("chr1", 100, "A", "G", ["0|1:100", "1|0:100", "0/1:."]),     # phased either way, unphased
    ("chr1", 200, "A", "G", ["1|1:100", ".|.:.", "1|0:."]),        # hom-alt, missing, phased without PS
    ("chr1", 300, "A", "G,T", ["1|2:100", "2|0:100", "0/2:."]),     # multi-allelic: one row per ALT
    ("chr1", 400, "A", TEN_ALTS, ["10|0:100", "0|10:100", "0/10:."]),  # allele 10: the slow GT path
    ("chrX", 5_000_000, "A", "G", ["1:.", "0|1:100", ".:."]),        # haploid calls have no phase
]

# (pos, alt) -> expected alt_hap of S1, S2, S3
EXPECTED = {
    (100, "G"): [2, 1, 0],
    (200, "G"): [0, 0, 1],
    (300, "G"): [1, 0, 0],
    (300, "T"): [2, 1, 0],
    (400, "GG"): [1, 2, 0],
    (5_000_000, "G"): [0, 2, 0],
}


def bgzipped_vcf(directory: Path, records, samples: list[str]) -> Path:
    """A bgzipped VCF of (chrom, pos, ref, alt, calls) records, FORMAT GT:PS."""
    fields = [(c, p, ".", r, a, 50, "PASS", ".", "GT:PS", *calls) for c, p, r, a, calls in records]
    return write_vcf(directory / "in.vcf.gz", fields, samples, contigs=("chr1", "chrX"), meta=META)


@pytest.mark.parametrize("reader", ["arrow", "cyvcf2"])
def test_alt_haplotype_of_each_row(tmp_path, reader):
    vcf = bgzipped_vcf(tmp_path, RECORDS, ["S1", "S2", "S3"])
    out = tmp_path / "variants.parquet"
    ingest_run(IngestInputs(vcf), IngestOutputs(out), IngestOptions(reader=reader))
    table, _ = read_table(out, "variants")
    assert table.schema.field("alt_hap").type.value_type.bit_width == 8
    rows = {(r["pos"], r["alt"]): r for r in table.to_pylist()}
    assert set(rows) >= set(EXPECTED)
    for key, want in EXPECTED.items():
        assert rows[key]["alt_hap"] == want, (reader, key)
    # Every other ALT of the 10-allele record: nobody carries it, so it is not kept at all.
    assert (400, "C") not in rows
    # A haplotype is only claimed for phased calls that carry this ALT.
    for r in table.to_pylist():
        for hap, phased, gt in zip(r["alt_hap"], r["phased"], r["gt"]):
            assert hap == 0 or (phased and gt == 1)


@pytest.mark.parametrize("reader", ["arrow", "cyvcf2"])
def test_polyploid_call_in_the_batch_keeps_diploid_haplotypes(tmp_path, reader):
    records = RECORDS + [("chrX", 6_000_000, "A", "G", ["0|1|1:100", "1|0:100", "0|0:100"])]
    vcf = bgzipped_vcf(tmp_path, records, ["S1", "S2", "S3"])
    out = tmp_path / "variants.parquet"
    ingest_run(IngestInputs(vcf), IngestOutputs(out), IngestOptions(reader=reader))
    rows = {(r["pos"], r["alt"]): r["alt_hap"] for r in read_table(out, "variants")[0].to_pylist()}
    assert rows[(6_000_000, "G")] == [0, 1, 0]
    assert {key: rows[key] for key in EXPECTED} == EXPECTED


def test_both_readers_agree(tmp_path):
    vcf = bgzipped_vcf(tmp_path, RECORDS, ["S1", "S2", "S3"])
    tables = []
    for reader in ("arrow", "cyvcf2"):
        out = tmp_path / f"{reader}.parquet"
        ingest_run(IngestInputs(vcf), IngestOutputs(out), IngestOptions(reader=reader))
        tables.append(read_table(out, "variants")[0].select(["pos", "alt", "phased", "ps", "alt_hap"]))
    assert tables[0].equals(tables[1])


# One gene on chr1 (1,000-3,000, single coding exon), GRCh38.
_ATTR = 'gene_id "ENSG9"; transcript_id "ENST9"; gene_name "PHASEG"; gene_type "protein_coding"; tag "MANE_Select";'
GTF = [
    "#!genome-build GRCh38",
    *("\t".join(["chr1", "TEST", feature, str(s), str(e), ".", "+", ".", _ATTR])
      for feature, s, e in [("transcript", 1000, 3000), ("exon", 1000, 3000), ("CDS", 1100, 2899),
                            ("stop_codon", 2900, 2902)]),
]


@pytest.mark.parametrize("second_call, fits, phase", [
    ("1|0:500", True, "trans"),  # the two ALTs on opposite haplotypes of one phase set
    ("0|1:500", False, None),    # both on the second haplotype: cis, no compound het
])
def test_phase_set_decides_compound_het(tmp_path, second_call, fits, phase):
    vcf = bgzipped_vcf(tmp_path, [("chr1", 1500, "C", "T", ["0|1:500"]), ("chr1", 2500, "C", "T", [second_call])],
                    ["P1"])
    gtf = tmp_path / "one_gene.gtf"
    gtf.write_text("\n".join(GTF) + "\n")
    variants, annotations, seg = (tmp_path / f"{n}.parquet" for n in ("variants", "annotations", "segregation"))
    ingest_run(IngestInputs(vcf), IngestOutputs(variants))
    annotate_run(AnnotateInputs(variants, gene_model=str(gtf)), AnnotateOutputs(annotations),
                 AnnotateOptions(cache_dir=str(tmp_path / "cache")))
    inheritance_run(InheritanceInputs(variants, annotations, "P1"), InheritanceOutputs(seg))
    rows = read_table(seg, "segregation")[0].to_pylist()
    assert [r["gene_symbol"] for r in rows] == ["PHASEG", "PHASEG"]
    assert [r["fits_ar_comphet"] for r in rows] == [fits, fits]
    assert [r["comphet_phase"] for r in rows] == [phase, phase]
