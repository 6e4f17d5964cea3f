"""The Arrow schemas that pass between stages: the one contract of the pipeline.

Every stage reads and writes Parquet through `variantprio.tables`, which checks a table against
the schema named here and stamps the file with provenance metadata. Field docs live in each
field's metadata (key b"doc"), so `describe()` and the README are generated from this file.

Per-sample genotype data in the variant table are list columns with one element per sample, in
the order given by the file's `variantprio.samples` metadata (a JSON list of sample IDs).
"""

from __future__ import annotations

from typing import Iterable

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


def _as(field: pa.Field, doc: str | None = None, nullable: bool | None = None) -> pa.Field:
    """The same column (name and type) in another table, where it means something narrower or may
    not be null there: the name and type stay declared once."""
    out = field if nullable is None else field.with_nullable(nullable)
    return out if doc is None else out.with_metadata({b"doc": doc.encode()})


# --- columns that several tables carry: each declared once -------------------------------------------

_VARIANT_IDX = _f("variant_idx", pa.int64(), "row number in variants.parquet: the join key between stages",
                  False)
_LOCUS = [
    _f("chrom", pa.string(), "contig, UCSC-style (chr1..chr22, chrX, chrY, chrM)", False),
    _f("pos", pa.int64(), "1-based position after splitting, trimming and (with FASTA) left-alignment", False),
    _f("ref", pa.string(), "reference allele", False),
    _f("alt", pa.string(), "alternate allele (one per row; symbolic SVs keep e.g. <DEL>)", False),
]
_VARIANT_KEY = [_VARIANT_IDX, *_LOCUS]
_QUAL = _f("qual", pa.float32(), "QUAL of the input record (null for '.')")
_FILTER = _f("filter", pa.string(), "FILTER of the input record: PASS, or ';'-joined filter names, null for '.'")

_GENE_SYMBOL = _f("gene_symbol", pa.string(), "HGNC symbol (null for intergenic)")
_TRANSCRIPT_ID = _f("transcript_id", pa.string(), "transcript that carries the most severe consequence")
_IS_MANE = _f("is_mane", pa.bool_(), "transcript is MANE Select / canonical")
_CONSEQUENCE = _f("consequence", pa.string(), "most severe Sequence Ontology term for this gene")
_IMPACT = _f("impact", pa.string(), "HIGH, MODERATE, LOW or MODIFIER (VEP convention)")
_PROTEIN_CHANGE = [
    _f("hgvs_c", pa.string(), "HGVS coding notation when known"),
    _f("hgvs_p", pa.string(), "HGVS protein notation when known"),
    _f("p_synonymous", pa.float32(),
       "coding SNV annotated without a reference FASTA: probability it is synonymous, from its codon "
       "position and bases under the standard genetic code (null when the protein change is known)"),
    _f("p_stop_gained", pa.float32(), "as p_synonymous: probability the SNV creates a stop codon"),
]
_EXON_INTRON = [
    _f("exon", pa.string(), "exon number/total when known"),
    _f("intron", pa.string(), "intron number/total when known"),
]
# In-house frequencies (annotate source kind `inhouse`): the hub's own cohort database, counted
# over unrelated individuals with the proband's family left out (variantprio.cohort).
_INHOUSE = [
    _f("inhouse_ac", pa.int32(),
       "in-house allele count (cohort database, unrelated individuals, the proband's family left out)"),
    _f("inhouse_an", pa.int32(), "in-house allele number (alleles counted at the site)"),
    _f("inhouse_af", pa.float64(),
       "in-house allele frequency inhouse_ac/inhouse_an; null when fewer than cohort.min_ac alleles (too few "
       "to tell a frequent variant from one recurring in patients)"),
    _f("inhouse_hom", pa.int32(), "in-house homozygote count"),
    _f("inhouse_hemi", pa.int32(), "in-house hemizygote count (chrX/chrY outside the PARs)"),
]
# What the configured sources (annotate.sources) fill in; null when a source lacks the variant or gene.
_SOURCE_COLUMNS = [
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
]
# Follow the compound-het fit column: which variant pairs with this one, and how.
_COMPHET_PAIR = [
    _f("comphet_partner_idx", pa.int64(), "variant_idx of the best compound-het partner"),
    _f("comphet_phase", pa.string(), "'trans' (phase set or parents) or 'possible' (unphased)"),
]

_MATCHED_TERM = pa.struct([
    ("patient_term", pa.string()),
    ("disease_term", pa.string()),
    ("score", pa.float32()),
])
_PHENOTYPE_SCORE = _f("phenotype_score", pa.float64(),
                      "calibrated phenotype match in [0,1], comparable across patients (higher is better)")
_DISEASE_ID = _f("disease_id", pa.string(), "best-matching disease for the gene (OMIM/ORPHA/DECIPHER)")
_DISEASE_NAME = _f("disease_name", pa.string(), "name of that disease")
_MATCHED_TERMS = _f("matched_terms", pa.list_(_MATCHED_TERM), "patient term, best disease term, contribution")
# Evidence for genes without a human disease (phenotype.mouse, phenotype.network).
_MOUSE_MATCH = pa.struct([("patient_term", pa.string()), ("mouse_term", pa.string()), ("mouse_label", pa.string()),
                          ("ic", pa.float32())])
_MOUSE_SCORE = _f("mouse_score", pa.float64(),
                  "match of the patient's terms with the orthologous mouse gene's mutant phenotypes (MGI, "
                  "through uPheno HP-MP mappings): summed information content above the gene's average "
                  "(null: no mouse profile, or the component is off)")
_MOUSE_MATCHES = _f("mouse_matches", pa.list_(_MOUSE_MATCH),
                    "best-matching patient term / mouse (MP) term pairs with their information content, best first")
_NETWORK_SCORE = _f("network_score", pa.float64(),
                    "best interaction partner's human phenotype score times the share of this gene's random "
                    "walk on STRING that reaches it (null: not in the network, or the component is off)")
_NETWORK_NEIGHBOUR = _f("network_neighbour", pa.string(), "the interaction partner that network_score came from")
_NETWORK_NEIGHBOUR_SCORE = _f("network_neighbour_score", pa.float64(), "that partner's human phenotype score")
_CROSS_SPECIES = [_MOUSE_SCORE, _MOUSE_MATCHES, _NETWORK_SCORE, _NETWORK_NEIGHBOUR, _NETWORK_NEIGHBOUR_SCORE]
_VARIANT_SCORE = _f("variant_score", pa.float64(), "combined variant score in [0,1]")
_DE_NOVO = _f("de_novo", pa.bool_(), "de novo in the proband")
_ACMG_TAGS = _f("acmg_tags", pa.list_(pa.string()), "ACMG/AMP-style evidence tags (explanation only)")

# --- the tables ----------------------------------------------------------------------------------------

VARIANTS = pa.schema(_VARIANT_KEY + [
    _f("id", pa.string(), "ID column of the input record (null for '.')"),
    _QUAL,
    _FILTER,
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
    _GENE_SYMBOL,
    _f("gene_id", pa.string(), "gene identifier of the gene model (e.g. Ensembl ENSG)"),
    _TRANSCRIPT_ID,
    _IS_MANE,
    _CONSEQUENCE,
    _IMPACT,
    *_PROTEIN_CHANGE,
    *_EXON_INTRON,
    *_SOURCE_COLUMNS,
])


def _fit_fields() -> list[pa.Field]:
    fields = []
    for fit in (fit for mode in MODE_RECORDS for fit in mode.fits):
        fields.append(_f(fit.column, pa.bool_(), fit.doc, False))
        if fit.column == "fits_ar_comphet":
            fields += _COMPHET_PAIR
    return fields


SEGREGATION = pa.schema([
    _VARIANT_IDX,
    _as(_GENE_SYMBOL, "gene the mode was evaluated in (compound hets pair within it)"),
    *_fit_fields(),
])

GENE_PHENOTYPE = pa.schema([
    _as(_GENE_SYMBOL, "HGNC symbol", nullable=False),
    _f("ncbi_gene_id", pa.int64(), "NCBI Gene ID"),
    _as(_PHENOTYPE_SCORE, "calibrated human phenotype match in [0,1], comparable across patients (null: the "
                          "gene has no annotated disease and is listed for its mouse or network evidence)"),
    _f("phenotype_raw", pa.float64(), "uncalibrated score of the chosen method (e.g. log10 LR)"),
    _DISEASE_ID,
    _DISEASE_NAME,
    _f("disease_modes", pa.list_(pa.string()),
       "modes of inheritance (AD, AR, XR, XD, MT) of that disease and of the gene's other diseases "
       "that match nearly as well (empty: unknown, any mode)"),
    _MATCHED_TERMS,
    *_CROSS_SPECIES,
])

GENES = pa.schema([
    _f("rank", pa.float64(), "1 = best; tied genes share the mean rank", False),
    _as(_GENE_SYMBOL, "HGNC symbol", nullable=False),
    _f("combined_score", pa.float64(), "probability-like combined score in [0,1]", False),
    _f("posterior", pa.float64(),
       "probability that this gene explains the case if one of the ranked genes does: combined-score "
       "odds normalised over all candidate genes (sums to 1; calibrated on development cases)", False),
    _as(_PHENOTYPE_SCORE, "calibrated phenotype score (GENE_PHENOTYPE)"),
    _as(_VARIANT_SCORE, "score of the best variant or compound-het pair in [0,1]"),
    _f("mode", pa.string(), "mode of inheritance the best variant(s) fit (AD, AR, XR, XD, MT)"),
    _f("best_variant", pa.string(), "chrom:pos:ref>alt of the best variant (pair joined by ' + ')"),
    _f("best_variant_idx", pa.int64(), "variant_idx of the best variant"),
    _f("n_variants", pa.int32(), "candidate variants in the gene"),
    _DISEASE_ID,
    _DISEASE_NAME,
    _MATCHED_TERMS,
    _f("segregates", pa.bool_(), "the best variant(s) fit a mode allowed by the disease (else penalised)"),
    _as(_DE_NOVO, "the best variant is de novo"),
    _as(_ACMG_TAGS, "ACMG/AMP-style evidence tags of the best variant(s), as explanation"),
    *_CROSS_SPECIES,
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
    _as(_GENE_SYMBOL, "gene the variant was scored in", nullable=False),
    _VARIANT_IDX,
    _f("variant", pa.string(), "chrom:pos:ref>alt", False),
    *_LOCUS,
    _as(_VARIANT_SCORE, nullable=False),
    _f("score_consequence", pa.float64(), "consequence severity in [0,1]"),
    _f("score_rarity", pa.float64(), "rarity in [0,1] (1 = absent/ultra-rare; null: no frequency data)"),
    _f("score_clinvar", pa.float64(), "ClinVar evidence in [0,1] (0 benign .. 1 pathogenic; null: not in ClinVar)"),
    _f("score_insilico", pa.float64(), "in-silico deleteriousness (CADD/REVEL/AlphaMissense) in [0,1]"),
    _f("score_splice", pa.float64(), "SpliceAI delta in [0,1]"),
    _f("score_constraint", pa.float64(), "gene constraint (pLI/LOEUF/missense Z) in [0,1]"),
    _f("is_best", pa.bool_(), "the variant (or pair) that gives the gene its variant score", False),
    _f("fitting_modes", pa.list_(pa.string()), "modes of inheritance the variant fits in this family"),
    _f("fits_allowed_mode", pa.bool_(), "fits a mode allowed by the gene's disease (any mode if unknown)", False),
    _DE_NOVO,
    *_COMPHET_PAIR,
    _CONSEQUENCE,
    _IMPACT,
    _TRANSCRIPT_ID,
    _IS_MANE,
    *_PROTEIN_CHANGE,
    _f("frame_restored_by", pa.string(),
       "frameshift whose frame nearby indel(s) of the proband restore (listed; scored as in-frame)"),
    *_EXON_INTRON,
    *_SOURCE_COLUMNS,
    _ACMG_TAGS,
    _FILTER,
    _QUAL,
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


class ColumnNames:
    """Every column of the contract by attribute, `col.gene_symbol == "gene_symbol"`: code names a
    column through the schemas above, so each name is spelled once (in its field) and a misspelt one
    is an AttributeError where it is used instead of a silently empty lookup."""

    def __init__(self, schemas: Iterable[pa.Schema]) -> None:
        object.__setattr__(self, "_names", frozenset(n for schema in schemas for n in schema.names))

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"no table of the contract has a column {name!r}")
        return name

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the contract's column names are read-only")

    def __dir__(self) -> list[str]:
        return sorted(self._names)


col = ColumnNames(SCHEMAS.values())


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

