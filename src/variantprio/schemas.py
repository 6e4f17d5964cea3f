"""The Arrow schemas that pass between stages: the one contract of the pipeline.

Every stage reads and writes Parquet through `variantprio.tables`, which checks a table against
the schema named here and stamps the file with provenance metadata. Field docs live in each
field's metadata (key b"doc"), so `describe()` and the README are generated from this file.

Per-sample genotype data in the variant table are list columns with one element per sample, in
the order given by the file's `variantprio.samples` metadata (a JSON list of sample IDs).
"""

from __future__ import annotations

import pyarrow as pa

from .core.modes import MODES as MODE_RECORDS

SCHEMA_VERSION = "1"

# Zygosity codes in VARIANTS.zygosity (int8 per sample).
ZYG_MISSING = -1
ZYG_HOM_REF = 0
ZYG_HET = 1
ZYG_HOM_ALT = 2
ZYG_HEMI = 3  # haploid call carrying the ALT (chrX/chrY in males, chrM, GT "1")

# Modes of inheritance (core.modes is their one home), named as the HPO terms they stand for.
MODES = {m.code: m.hpo_term for m in MODE_RECORDS}


def _f(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={b"doc": doc.encode()})


_VARIANT_KEY = [
    _f("variant_idx", pa.int64(), "row number in variants.parquet: the join key between stages", False),
    _f("chrom", pa.string(), "contig, UCSC-style (chr1..chr22, chrX, chrY, chrM)", False),
    _f("pos", pa.int64(), "1-based position after splitting, trimming and (with FASTA) left-alignment", False),
    _f("ref", pa.string(), "reference allele", False),
    _f("alt", pa.string(), "alternate allele (one per row; symbolic SVs keep e.g. <DEL>)", False),
]

# In-house frequencies (annotate source kind `inhouse`): the hub's own cohort database, counted
# over unrelated individuals with the proband's family left out (variantprio.cohort).
_INHOUSE = [
    _f("inhouse_ac", pa.int32(), "in-house allele count (cohort database, unrelated individuals, the proband's family left out)"),
    _f("inhouse_an", pa.int32(), "in-house allele number (alleles counted at the site)"),
    _f("inhouse_af", pa.float64(),
       "in-house allele frequency inhouse_ac/inhouse_an; null when fewer than cohort.min_ac alleles (too few "
       "to tell a frequent variant from one recurring in patients)"),
    _f("inhouse_hom", pa.int32(), "in-house homozygote count"),
    _f("inhouse_hemi", pa.int32(), "in-house hemizygote count (chrX/chrY outside the PARs)"),
]

_MATCHED_TERM = pa.struct([
    ("patient_term", pa.string()),
    ("disease_term", pa.string()),
    ("score", pa.float32()),
])

VARIANTS = pa.schema(_VARIANT_KEY + [
    _f("id", pa.string(), "ID column of the input record (null for '.')"),
    _f("qual", pa.float32(), "QUAL (null for '.')"),
    _f("filter", pa.string(), "FILTER: PASS, or ';'-joined filter names, null for '.'"),
    _f("is_sv", pa.bool_(), "symbolic or breakend ALT (structural variant)", False),
    _f("sv_end", pa.int64(), "END of a structural variant, else null"),
    _f("gt", pa.list_(pa.int8()), "per sample: copies of this ALT in the genotype (0,1,2); -1 missing"),
    _f("zygosity", pa.list_(pa.int8()),
       "per sample: -1 missing, 0 hom-ref, 1 het, 2 hom-alt, 3 hemizygous (haploid ALT call)"),
    _f("phased", pa.list_(pa.bool_()), "per sample: genotype written with '|'"),
    _f("ps", pa.list_(pa.int64()), "per sample: FORMAT/PS phase set (null when absent)"),
    _f("alt_hap", pa.list_(pa.int8()),
       "per sample: haplotype holding this ALT in a phased call (1 first as in '1|0', 2 second as in "
       "'0|1'); 0 unknown, unphased, homozygous, haploid or missing"),
    _f("dp", pa.list_(pa.int32()), "per sample: FORMAT/DP (null when absent)"),
    _f("gq", pa.list_(pa.int32()), "per sample: FORMAT/GQ rounded (null when absent)"),
    _f("ad_ref", pa.list_(pa.int32()), "per sample: reads supporting REF (AD, null when absent)"),
    _f("ad_alt", pa.list_(pa.int32()), "per sample: reads supporting this ALT (AD, null when absent)"),
    _f("info_csq", pa.string(), "raw VEP CSQ entries for this ALT (',' joined), for the annotate stage"),
    _f("info_ann", pa.string(), "raw SnpEff ANN entries for this ALT"),
    _f("info_bcsq", pa.string(), "raw bcftools BCSQ entries"),
])

# Written by ingest only when it lifted the VCF onto another build: an extra column after VARIANTS's.
LIFTED_FROM = _f("lifted_from", pa.string(),
                 "the variant as called, before liftover: chrom:pos:ref>alt on the VCF's own build")

ANNOTATIONS = pa.schema(_VARIANT_KEY + [
    _f("gene_symbol", pa.string(), "HGNC symbol (null for intergenic)"),
    _f("gene_id", pa.string(), "gene identifier of the gene model (e.g. Ensembl ENSG)"),
    _f("transcript_id", pa.string(), "transcript that carries the most severe consequence"),
    _f("is_mane", pa.bool_(), "transcript is MANE Select / canonical"),
    _f("consequence", pa.string(), "most severe Sequence Ontology term for this gene"),
    _f("impact", pa.string(), "HIGH, MODERATE, LOW or MODIFIER (VEP convention)"),
    _f("hgvs_c", pa.string(), "HGVS coding notation when known"),
    _f("hgvs_p", pa.string(), "HGVS protein notation when known"),
    _f("p_synonymous", pa.float32(),
       "coding SNV annotated without a reference FASTA: probability it is synonymous, from its codon "
       "position and bases under the standard genetic code (null when the protein change is known)"),
    _f("p_stop_gained", pa.float32(), "as p_synonymous: probability the SNV creates a stop codon"),
    _f("exon", pa.string(), "exon number/total when known"),
    _f("intron", pa.string(), "intron number/total when known"),
    _f("gnomad_af", pa.float64(), "population allele frequency (null: not in the source)"),
    _f("gnomad_popmax_af", pa.float64(), "highest population (grpmax/popmax) allele frequency"),
    _f("gnomad_hom", pa.int32(), "homozygote count in the population source"),
    _f("gnomad_hemi", pa.int32(), "hemizygote count in the population source"),
    *_INHOUSE,
    _f("clinvar_significance", pa.string(), "ClinVar CLNSIG"),
    _f("clinvar_stars", pa.int8(), "ClinVar review status as 0-4 gold stars"),
    _f("cadd_phred", pa.float32(), "CADD PHRED score"),
    _f("revel", pa.float32(), "REVEL score"),
    _f("alphamissense", pa.float32(), "AlphaMissense pathogenicity"),
    _f("spliceai_max", pa.float32(), "largest SpliceAI delta score"),
    _f("pli", pa.float32(), "gene constraint: pLI"),
    _f("loeuf", pa.float32(), "gene constraint: LOEUF (o/e LoF upper bound)"),
    _f("mis_z", pa.float32(), "gene constraint: missense Z"),
])

_COMPHET_PAIR = [  # follow the compound-het fit column: which variant pairs with this one, and how
    _f("comphet_partner_idx", pa.int64(), "variant_idx of the best partner in the pair"),
    _f("comphet_phase", pa.string(), "'trans' (phase set or parents) or 'possible' (unphased)"),
]


def _fit_fields() -> list[pa.Field]:
    fields = []
    for fit in (fit for mode in MODE_RECORDS for fit in mode.fits):
        fields.append(_f(fit.column, pa.bool_(), fit.doc, False))
        if fit.column == "fits_ar_comphet":
            fields += _COMPHET_PAIR
    return fields


SEGREGATION = pa.schema([
    _f("variant_idx", pa.int64(), "row in variants.parquet", False),
    _f("gene_symbol", pa.string(), "gene the mode was evaluated in (compound hets pair within it)"),
    *_fit_fields(),
])

GENE_PHENOTYPE = pa.schema([
    _f("gene_symbol", pa.string(), "HGNC symbol", False),
    _f("ncbi_gene_id", pa.int64(), "NCBI Gene ID"),
    _f("phenotype_score", pa.float64(),
       "calibrated phenotype match in [0,1], comparable across patients (higher is better)", False),
    _f("phenotype_raw", pa.float64(), "uncalibrated score of the chosen method (e.g. log10 LR)"),
    _f("disease_id", pa.string(), "best-matching disease for the gene (OMIM/ORPHA/DECIPHER)"),
    _f("disease_name", pa.string(), "name of that disease"),
    _f("disease_modes", pa.list_(pa.string()),
       "modes of inheritance (AD, AR, XR, XD, MT) of that disease and of the gene's other diseases "
       "that match nearly as well (empty: unknown, any mode)"),
    _f("matched_terms", pa.list_(_MATCHED_TERM), "patient term, best disease term, contribution"),
])

GENES = pa.schema([
    _f("rank", pa.float64(), "1 = best; tied genes share the mean rank", False),
    _f("gene_symbol", pa.string(), "HGNC symbol", False),
    _f("combined_score", pa.float64(), "probability-like combined score in [0,1]", False),
    _f("posterior", pa.float64(),
       "probability that this gene explains the case if one of the ranked genes does: combined-score "
       "odds normalised over all candidate genes (sums to 1; calibrated on development cases)", False),
    _f("phenotype_score", pa.float64(), "calibrated phenotype score (GENE_PHENOTYPE)"),
    _f("variant_score", pa.float64(), "score of the best variant or compound-het pair in [0,1]"),
    _f("mode", pa.string(), "mode of inheritance the best variant(s) fit (AD, AR, XR, XD, MT)"),
    _f("best_variant", pa.string(), "chrom:pos:ref>alt of the best variant (pair joined by ' + ')"),
    _f("best_variant_idx", pa.int64(), "variant_idx of the best variant"),
    _f("n_variants", pa.int32(), "candidate variants in the gene"),
    _f("disease_id", pa.string(), "best-matching disease"),
    _f("disease_name", pa.string(), "its name"),
    _f("matched_terms", pa.list_(_MATCHED_TERM), "patient term, best disease term, contribution"),
    _f("segregates", pa.bool_(), "the best variant(s) fit a mode allowed by the disease (else penalised)"),
    _f("de_novo", pa.bool_(), "the best variant is de novo"),
    _f("acmg_tags", pa.list_(pa.string()), "ACMG/AMP-style evidence tags of the best variant(s), as explanation"),
])

_GENOTYPE = pa.struct([
    ("sample", pa.string()),
    ("gt", pa.string()),
    ("dp", pa.int32()),
    ("gq", pa.int32()),
    ("ad_ref", pa.int32()),
    ("ad_alt", pa.int32()),
])

RANKED_VARIANTS = pa.schema([
    _f("gene_rank", pa.float64(), "rank of the gene in genes.parquet", False),
    _f("gene_symbol", pa.string(), "gene the variant was scored in", False),
    _f("variant_idx", pa.int64(), "row in the input variants.parquet (join key)", False),
    _f("variant", pa.string(), "chrom:pos:ref>alt", False),
    _f("chrom", pa.string(), "contig, UCSC-style", False),
    _f("pos", pa.int64(), "1-based position", False),
    _f("ref", pa.string(), "reference allele", False),
    _f("alt", pa.string(), "alternate allele", False),
    _f("variant_score", pa.float64(), "combined variant score in [0,1]", False),
    _f("score_consequence", pa.float64(), "consequence severity in [0,1]"),
    _f("score_rarity", pa.float64(), "rarity in [0,1] (1 = absent/ultra-rare; null: no frequency data)"),
    _f("score_clinvar", pa.float64(), "ClinVar evidence in [0,1] (0 benign .. 1 pathogenic; null: not in ClinVar)"),
    _f("score_insilico", pa.float64(), "in-silico deleteriousness (CADD/REVEL/AlphaMissense) in [0,1]"),
    _f("score_splice", pa.float64(), "SpliceAI delta in [0,1]"),
    _f("score_constraint", pa.float64(), "gene constraint (pLI/LOEUF/missense Z) in [0,1]"),
    _f("is_best", pa.bool_(), "the variant (or pair) that gives the gene its variant score", False),
    _f("fitting_modes", pa.list_(pa.string()), "modes of inheritance the variant fits in this family"),
    _f("fits_allowed_mode", pa.bool_(), "fits a mode allowed by the gene's disease (any mode if unknown)", False),
    _f("de_novo", pa.bool_(), "de novo in the proband"),
    _f("comphet_partner_idx", pa.int64(), "variant_idx of the compound-het partner"),
    _f("comphet_phase", pa.string(), "'trans' or 'possible'"),
    _f("consequence", pa.string(), "most severe Sequence Ontology term"),
    _f("impact", pa.string(), "HIGH, MODERATE, LOW or MODIFIER"),
    _f("transcript_id", pa.string(), "transcript of the consequence"),
    _f("is_mane", pa.bool_(), "MANE Select / canonical transcript"),
    _f("hgvs_c", pa.string(), "HGVS coding notation"),
    _f("hgvs_p", pa.string(), "HGVS protein notation"),
    _f("p_synonymous", pa.float32(), "no-FASTA estimate: probability the coding SNV is synonymous"),
    _f("p_stop_gained", pa.float32(), "no-FASTA estimate: probability the coding SNV gains a stop"),
    _f("frame_restored_by", pa.string(),
       "frameshift whose frame nearby indel(s) of the proband restore (listed; scored as in-frame)"),
    _f("exon", pa.string(), "exon number/total"),
    _f("intron", pa.string(), "intron number/total"),
    _f("gnomad_af", pa.float64(), "population allele frequency"),
    _f("gnomad_popmax_af", pa.float64(), "highest population allele frequency"),
    _f("gnomad_hom", pa.int32(), "population homozygote count"),
    _f("gnomad_hemi", pa.int32(), "population hemizygote count"),
    *_INHOUSE,
    _f("clinvar_significance", pa.string(), "ClinVar CLNSIG"),
    _f("clinvar_stars", pa.int8(), "ClinVar review stars"),
    _f("cadd_phred", pa.float32(), "CADD PHRED"),
    _f("revel", pa.float32(), "REVEL"),
    _f("alphamissense", pa.float32(), "AlphaMissense"),
    _f("spliceai_max", pa.float32(), "largest SpliceAI delta"),
    _f("pli", pa.float32(), "pLI"),
    _f("loeuf", pa.float32(), "LOEUF"),
    _f("mis_z", pa.float32(), "missense Z"),
    _f("acmg_tags", pa.list_(pa.string()), "ACMG/AMP-style evidence tags (explanation only)"),
    _f("filter", pa.string(), "FILTER of the input record"),
    _f("qual", pa.float32(), "QUAL of the input record"),
    _f("genotypes", pa.list_(_GENOTYPE), "every family member: sample, GT (0/1, 1/1, 1 = hemizygous), DP, GQ, AD"),
])

SCHEMAS: dict[str, pa.Schema] = {
    "variants": VARIANTS,
    "annotations": ANNOTATIONS,
    "segregation": SEGREGATION,
    "gene_phenotype": GENE_PHENOTYPE,
    "genes": GENES,
    "ranked_variants": RANKED_VARIANTS,
}


# Where each table lives in a results directory (documentation only).
TABLE_FILES = {
    "variants": "`results/_vcf/<vcf>/variants.parquet`: ingest, one row per variant (ALT)",
    "annotations": "`results/_vcf/<vcf>/annotations.parquet`: annotate, one row per variant x gene",
    "segregation": "`results/<sample>/segregation.parquet`: inheritance, one row per carried variant x gene",
    "gene_phenotype": "`results/<sample>/gene_phenotype.parquet`: phenotype, one row per annotated gene",
    "genes": "`results/<sample>/genes.parquet`: rank, one row per candidate gene",
    "ranked_variants": "`results/<sample>/variants.parquet`: rank, one row per candidate variant x gene",
}


def schemas_markdown() -> str:
    """All table schemas as the README's schema section (kept in sync by a test)."""
    parts = []
    for name in SCHEMAS:
        parts.append(f"### `{name}`: {TABLE_FILES[name]}\n\n{describe(name)}")
    return "\n\n".join(parts)


def describe(name: str) -> str:
    """Markdown table of one schema's fields, for the README and `variantprio schema`."""
    rows = ["| column | type | meaning |", "|---|---|---|"]
    for field in SCHEMAS[name]:
        doc = (field.metadata or {}).get(b"doc", b"").decode()
        rows.append(f"| `{field.name}` | `{field.type}` | {doc} |")
    return "\n".join(rows)


def _write_readme_section(readme: str) -> None:
    """`python -m variantprio.schemas README.md`: refresh the README's generated schema section."""
    from pathlib import Path

    path = Path(readme)
    head, rest = path.read_text().split("<!-- schemas:start", 1)
    marker, rest = rest.split("-->", 1)
    tail = rest.split("<!-- schemas:end -->", 1)[1]
    path.write_text(f"{head}<!-- schemas:start{marker}-->\n\n{schemas_markdown()}\n\n<!-- schemas:end -->{tail}")


def schema_fingerprint(name: str) -> str:
    """Short hash of a table's columns and types: the workflow passes it as a rule parameter, so
    Snakemake re-runs a stage whose output contract changed (files of older versions lack columns)."""
    import hashlib

    text = ";".join(f"{f.name}:{f.type}:{f.nullable}" for f in SCHEMAS[name])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


if __name__ == "__main__":
    import sys

    _write_readme_section(sys.argv[1])

