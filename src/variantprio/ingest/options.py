"""`IngestOptions`: which samples and calls ingest keeps and how it reads; shared by the serial and
parallel paths."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import IngestSettings


@dataclass(frozen=True)
class IngestOptions:
    """Which samples and calls to keep (config `ingest:` plus CLI options), and how to read."""

    samples: tuple[str, ...] | None = None
    build: str | None = None
    pass_only: bool = IngestSettings.pass_only
    min_gq: int = IngestSettings.min_gq
    min_dp: int = IngestSettings.min_dp
    min_ab: float = IngestSettings.min_ab
    threads: int = 1
    batch_size: int = 5_000  # records per parsed batch: memory scales with it, speed hardly
    # "auto"/"arrow": columnar reader (text VCF directly, BCF through `bcftools view`);
    # "cyvcf2": per-record htslib reader, the reference the tests compare against
    reader: str = "auto"
    # Liftover onto `liftover_to` with the UCSC chain file `chain`; `fasta` is then the target
    # build's (REF checked after lifting). Records left out are listed in `liftover_rejects`
    # (default: beside the output, <name>.liftover-rejected.tsv).
    liftover_to: str | None = None
    chain: str | None = None
    liftover_rejects: str | None = None
