"""The ingest stage's entry-point shape (see `summary`): what it reads, what it writes, and the
options of how (`IngestOptions`, shared by the serial and parallel paths)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..settings import IngestSettings


@dataclass(frozen=True)
class IngestInputs:
    """The VCF/BCF; a PED restricts and checks the samples; an indexed FASTA checks REF and left-aligns.
    Paths as given: the provenance records them so."""

    vcf: str | Path
    ped: str | Path | None = None
    fasta: str | Path | None = None


@dataclass(frozen=True)
class IngestOutputs:
    variants: str | Path  # variants.parquet (schema `variants`), written atomically


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
