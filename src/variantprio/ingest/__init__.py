"""VCF/BCF ingestion: every real VCF in, the normalised VARIANTS table (schemas.VARIANTS) out.

Entry point: `run(IngestInputs(vcf, ped, fasta), IngestOutputs(variants), IngestOptions(...)) -> Summary`
(the shape of every stage, see `variantprio.summary`), and the cheap header-only
`vcf_sample_names(path)` and `vcf_build(path)` used by `validate`.

Layout: `header` (header facts, build, file checks) -> a reader yielding `RawBatch`es, one row per
record (`textreader`, the fast default: `textlines` cuts text blocks into lines and columns,
`byteranges` holds them as byte ranges, `formatfields` decodes every sample's GT/AD/DP/GQ/PS at
once; `reader`: cyvcf2, the reference parser; `parallel`: BGZF byte-range chunks over processes) ->
`normalise.BatchNormaliser` (sort check, REF check, `split` split/remap, `core.alleles`
trim/left-align, `annotations` per-ALT CSQ/ANN, quality filters, `duplicates` exact copies) ->
Parquet through `tables.TableWriter` (normalise and write on a second thread: `background`). `IngestOptions` is in `options`; samples and PED checks in
`core.samples`/`core.pedigree`.
"""

from __future__ import annotations

from .header import read_header, vcf_build, vcf_sample_names
from .options import IngestOptions
from .pipeline import IngestInputs, IngestOutputs, run

__all__ = ["IngestInputs", "IngestOptions", "IngestOutputs", "read_header", "run", "vcf_build", "vcf_sample_names"]
