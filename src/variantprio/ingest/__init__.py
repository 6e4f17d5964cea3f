"""VCF/BCF ingestion: every real VCF in, the normalised VARIANTS table (schemas.VARIANTS) out.

Public API for other stages: `ingest_vcf(vcf, out, IngestOptions(...)) -> IngestSummary`, and the
cheap header-only `vcf_sample_names(path)` and `vcf_build(path)` used by `validate`.
"""

from __future__ import annotations

from .header import read_header, vcf_build, vcf_sample_names
from .pipeline import IngestOptions, IngestSummary, ingest_vcf

__all__ = ["IngestOptions", "IngestSummary", "ingest_vcf", "read_header", "vcf_build", "vcf_sample_names"]
