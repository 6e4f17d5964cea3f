"""Which genome build each VCF of a batch is on, and which build's data annotate it.

A VCF's build comes from the sample sheet's `build` column, else its header (contig lengths, then
`##reference` / `assembly=` text), else the config's `genome_build` (assumed, with a warning). With
`liftover.to` set, a VCF on another build is lifted onto it on ingest and annotated with that
build's data. `validate`, `run` and the Snakefile all plan with these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .core.genome import mito_sequence, naming_style
from .errors import InputError
from .settings import WorkflowConfig

HOW_SHEET = "sample sheet"
HOW_ASSUMED = "assumed"


@dataclass(frozen=True)
class VcfBuild:
    """The build plan of one VCF."""

    vcf: str
    build: str  # the build the VCF was called on
    how: str  # HOW_SHEET, "contig lengths", "##reference" or HOW_ASSUMED
    target: str  # build of its variant tables: the liftover target, else `build`
    naming: str | None = None  # "chr" (chr1: hg19/hg38) or "bare" (1: b37), from the header's contigs
    mito: str | None = None  # "rCRS" or "hg19" (Yoruba chrM), see core.genome.mito_sequence

    @property
    def lifted(self) -> bool:
        return self.target != self.build


def stated_builds(samples: pd.DataFrame) -> dict[str, list[str]]:
    """VCF path -> the distinct non-empty `build` values its samples state in the sheet."""
    if "build" not in samples.columns:
        return {}
    stated: dict[str, list[str]] = {}
    for vcf, build in zip(samples["vcf"], samples["build"]):
        if build and build not in stated.setdefault(vcf, []):
            stated[vcf].append(build)
    return {vcf: builds for vcf, builds in stated.items() if builds}


def resolve_vcf_build(path: str, stated: str | None, config: WorkflowConfig) -> VcfBuild:
    """The plan of one VCF from its header; InputError when the header contradicts `stated`."""
    from .ingest.header import read_header, resolve_build

    header = read_header(path)
    if stated:
        try:
            build, _ = resolve_build(header, stated)
        except InputError as err:
            raise InputError(f"the sample sheet's build column says {stated}, but {err.message}", path=path,
                             hint="correct the build column, or lift the VCF over") from None
        how = HOW_SHEET
    else:
        build, how = resolve_build(header, None)
        if how == "default":
            build, how = config.genome_build, HOW_ASSUMED
    lengths: dict[str, int | None] = {name: None for name in header.contigs}
    lengths.update(header.contig_lengths)
    target = config.liftover.to if config.liftover.to and config.liftover.to != build else build
    return VcfBuild(path, build, how, target, naming_style(lengths), mito_sequence(build, lengths))


def plan_vcf_builds(samples: pd.DataFrame, config: WorkflowConfig) -> dict[str, VcfBuild]:
    """VCF path -> plan, for every VCF of the sheet. Never raises: a VCF that cannot be read (yet)
    is planned on the stated or default build; `validate` reports the problem itself."""
    stated = stated_builds(samples)
    plans = {}
    for vcf in dict.fromkeys(samples["vcf"]):
        said = (stated.get(vcf) or [None])[0]
        try:
            if not Path(vcf).is_file():
                raise InputError("not there yet")
            plans[vcf] = resolve_vcf_build(vcf, said, config)
        except InputError:
            build = said or config.genome_build
            to = config.liftover.to
            plans[vcf] = VcfBuild(vcf, build, HOW_SHEET if said else HOW_ASSUMED, to if to else build)
    return plans
