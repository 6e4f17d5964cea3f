"""The kinds of annotation source a config may list, and how their files are laid out: allele-level
VCFs and score tables (joined by chrom, pos, ref, alt), gene-level constraint and the in-house cohort."""

from __future__ import annotations

VCF_KINDS = ("gnomad", "clinvar", "spliceai")
SCORE_KINDS = ("cadd", "revel", "alphamissense")  # tab-separated score tables
POSITIONAL_KINDS = VCF_KINDS + SCORE_KINDS
KINDS = ("gnomad", "clinvar", "cadd", "revel", "alphamissense", "spliceai", "constraint", "inhouse")
