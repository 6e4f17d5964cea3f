"""The kinds of annotation source a config may list, and how their files are laid out: allele-level
VCFs and score tables (joined by chrom, pos, ref, alt), gene-level constraint and the in-house cohort."""

from __future__ import annotations

from pathlib import Path

VCF_KINDS = ("gnomad", "clinvar", "spliceai")
SCORE_KINDS = ("cadd", "revel", "alphamissense")  # tab-separated score tables
POSITIONAL_KINDS = VCF_KINDS + SCORE_KINDS
KINDS = ("gnomad", "clinvar", "cadd", "revel", "alphamissense", "spliceai", "constraint", "inhouse")

# A source converted by `variantprio resources convert-source` is a directory of Parquet files whose
# `_common_metadata` records what was converted (annotate.sourcedataset).
CONVERTED_METADATA = "_common_metadata"


def is_converted_source(path: str | Path) -> bool:
    """A directory written by `resources convert-source` (told by its metadata file, cheaply)."""
    return (Path(path) / CONVERTED_METADATA).is_file()
