"""Every stage of a proband in this one process: the files, contracts and provenance of the
Snakemake workflow, without paying Python start-up and knowledge loading once per job.

`variantprio run` uses this; batches and clusters keep the Snakemake workflow. The stages get the
options the rules in `rules/*.smk` derive from the same typed config, run with the results
directory as working directory as Snakemake jobs do, so both paths write identical tables (a test
compares them). Per-VCF tables (ingest, annotate) whose inputs, config and contract are unchanged
are reused, so re-running a patient with new terms redoes only the per-proband stages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .builds import VcfBuild, plan_vcf_builds
from .core.hpoterms import split_terms
from .memory import peak_rss_mb, reset_peak_rss
from .schemas import SCHEMAS
from .settings import BuildData, WorkflowConfig
from .sheet import clean_terms, vcf_ids
from .summary import Summary
from .tables import atomic_path, set_config_sha256

log = logging.getLogger(__name__)

# Per stage call: wall seconds and peak RSS, under OUT/benchmarks/ as Snakemake writes its own.
STAGE_TIMES = "stages.tsv"
# Threads of the ingest and annotate rules (rules/ingest.smk, rules/annotate.smk).
PER_VCF_THREADS = 2


@dataclass(frozen=True)
class StageTime:
    """One stage call: what it worked on, its wall time and the process's peak RSS during it."""

    stage: str
    target: str  # VCF id or sample
    seconds: float
    peak_rss_mb: float
    reused: bool = False


@dataclass
class InProcessRun:
    """A batch's stages in order, timed; `config` is the effective workflow config (defaults filled)."""

    sheet: pd.DataFrame
    config: WorkflowConfig
    cores: int = 2
    times: list[StageTime] = dataclasses.field(default_factory=list)

    def run(self, out_dir: Path, validation: pd.DataFrame | None = None) -> list[StageTime]:
        """Write every output of the batch under `out_dir` (already locked by the caller)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.chdir(out_dir):
            set_config_sha256(self.config.sha256)
            config_file = self.config.write_effective(".variantprio")
            if validation is not None:
                self._write_validation(validation)
            plans = plan_vcf_builds(self.sheet, self.config)
            ids = vcf_ids(self.sheet["vcf"])
            for vcf, vcf_id in ids.items():
                self._per_vcf(vcf, vcf_id, plans[vcf], config_file)
            for sample, row in self.sheet.iterrows():
                self._per_sample(str(sample), row, ids[row["vcf"]], plans[row["vcf"]])
            self._timed("summary", "all", self._summary)
            self._write_times()
        return self.times

    # --- per VCF ---------------------------------------------------------------------------

    def _per_vcf(self, vcf: str, vcf_id: str, plan: VcfBuild, config_file: Path) -> None:
        from . import annotate, ingest

        data = self.config.build_data(plan.target) or BuildData()
        variants, annotations = _vcf_tables(vcf_id)
        threads = min(PER_VCF_THREADS, self.cores)
        filters = self.config.ingest
        lifted = {"liftover_to": plan.target, "chain": self.config.liftover.chain} if plan.lifted else {}
        options = ingest.IngestOptions(build=plan.build, pass_only=filters.pass_only, min_gq=filters.min_gq,
                                       min_dp=filters.min_dp, min_ab=filters.min_ab, threads=threads, **lifted)
        inputs = [vcf, self.config.liftover.chain if plan.lifted else "", data.fasta]
        self._timed("ingest", vcf_id, lambda: ingest.run(
            ingest.IngestInputs(vcf, None, data.fasta or None), ingest.IngestOutputs(variants), options),
            reuse=_up_to_date(variants, inputs, "variants", self.config.sha256))
        model_inputs = [str(variants), data.gene_model, data.fasta, *(s.path for s in data.sources)]
        self._timed("annotate", vcf_id, lambda: annotate.run(
            annotate.AnnotateInputs(variants, data.gene_model or None, data.fasta or None,
                                    config_file if data.sources else None),
            annotate.AnnotateOutputs(annotations),
            annotate.AnnotateOptions(threads=threads,
                                     bulk_join_min_variants=self.config.annotate.bulk_join_min_variants)),
            reuse=_up_to_date(annotations, model_inputs, "annotations", self.config.sha256))

    # --- per proband -----------------------------------------------------------------------

    def _per_sample(self, sample: str, row: pd.Series, vcf_id: str, plan: VcfBuild) -> None:
        from . import inheritance, phenotype, rank, report

        variants, annotations = _vcf_tables(vcf_id)
        segregation = Path(sample, "segregation.parquet")
        scores = Path(sample, "gene_phenotype.parquet")
        genes, ranked = Path(sample, "genes.parquet"), Path(sample, "variants.parquet")
        hpo_dir = self.config.phenotype.hpo_dir or None
        self._timed("inheritance", sample, lambda: inheritance.run(
            inheritance.InheritanceInputs(variants, annotations, sample, row["ped"] or None),
            inheritance.InheritanceOutputs(segregation),
            inheritance.InheritanceOptions(**dataclasses.asdict(self.config.inheritance))))
        observed, excluded = clean_terms(row["hpo"]), clean_terms(row["excluded_hpo"])
        terms = ({"phenopacket": row["phenopacket"]} if row["phenopacket"]
                 else {"observed": observed or None, "excluded": excluded or None})
        pheno = self.config.phenotype
        self._timed("phenotype", sample, lambda: phenotype.run(
            phenotype.PhenotypeInputs(**terms, release=hpo_dir, xspecies=pheno.xspecies_dir or None),
            phenotype.PhenotypeOutputs(scores),
            phenotype.PhenotypeOptions(pheno.method, plan.target, mouse=pheno.mouse, network=pheno.network)))
        self._timed("rank", sample, lambda: rank.run(
            rank.RankInputs(variants, annotations, segregation, scores, sample), rank.RankOutputs(genes, ranked),
            rank.RankOptions(None)))
        shown = tuple(split_terms(observed)) if observed else None
        settings = self.config.report
        self._timed("report", sample, lambda: report.run(
            report.ReportInputs(genes, ranked, sample, hpo_dir, variants, shown, self.config.cohort.db or None),
            report.ReportOutputs(sample), report.ReportOptions(settings.top, None, settings.lang)))
        if self.config.cohort.add and self.config.cohort.db:
            self._timed("cohort_add", sample, lambda: self._cohort_add(sample))

    def _cohort_add(self, sample: str) -> Summary:
        from .cohort.load import add_results
        from .cohort.schema import open_cohort

        with open_cohort(self.config.cohort.db, write=True) as store:
            add_results(store, [Path(".")], samples_tsv=Path(self.config.samples), only=[sample],
                        capture=self.config.cohort.capture)
        return Summary("cohort_add", "", ())

    def _summary(self) -> Summary:
        from .report import write_batch_summary

        html, tsv = write_batch_summary(".", "summary.html", samples=self.config.samples, logs="logs",
                                        lang=self.config.report.lang)
        return Summary("summary", "", (html, tsv))

    def _write_validation(self, checked: pd.DataFrame) -> None:
        with atomic_path("validation.tsv") as tmp:
            checked.to_csv(tmp, sep="\t", index=False)

    def _write_times(self) -> None:
        """benchmarks/stages.tsv: what the Snakemake path's benchmarks/<rule>/ files tell, in one table."""
        with atomic_path(Path("benchmarks", STAGE_TIMES)) as tmp:
            pd.DataFrame([dataclasses.asdict(t) for t in self.times]).to_csv(tmp, sep="\t", index=False)

    def _timed(self, stage: str, target: str, call: Callable[[], Summary], reuse: bool = False) -> None:
        if reuse:
            log.info("%s %s: reusing the existing table (inputs, config and contract unchanged)", stage, target)
            self.times.append(StageTime(stage, target, 0.0, peak_rss_mb(), reused=True))
            return
        reset_peak_rss()
        started = time.perf_counter()
        summary = call()
        seconds = time.perf_counter() - started
        summary.log(log)
        log.info("%s %s done in %.1f s", stage, target, seconds)
        self.times.append(StageTime(stage, target, seconds, peak_rss_mb()))


def _vcf_tables(vcf_id: str) -> tuple[Path, Path]:
    """A VCF's variants and annotations tables, where the rules write them (results directory = cwd)."""
    return Path("_vcf", vcf_id, "variants.parquet"), Path("_vcf", vcf_id, "annotations.parquet")


def _up_to_date(output: Path, inputs: list[str], table: str, config_sha256: str) -> bool:
    """As Snakemake decides: the output exists, is newer than every input file, and was written
    under the same config and column contract (a changed setting or schema redoes the stage)."""
    if not output.is_file():
        return False
    newest = max((Path(p).stat().st_mtime for p in inputs if p and Path(p).exists()), default=0.0)
    if output.stat().st_mtime < newest:
        return False
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(output)
    except Exception:  # noqa: BLE001 - an unreadable table is simply rebuilt
        return False
    written_under = (schema.metadata or {}).get(b"variantprio.config_sha256", b"").decode()
    columns = [(f.name, f.type, f.nullable) for f in schema]
    return written_under == config_sha256 and columns[:len(SCHEMAS[table])] == [
        (f.name, f.type, f.nullable) for f in SCHEMAS[table]]


def planned_stages(sheet: pd.DataFrame) -> list[tuple[str, str]]:
    """(stage, VCF id or sample) in the order `InProcessRun.run` calls them (for --dry-run)."""
    ids = vcf_ids(sheet["vcf"])
    stages = [(stage, vcf_id) for vcf_id in ids.values() for stage in ("ingest", "annotate")]
    stages += [(stage, str(sample)) for sample in sheet.index
               for stage in ("inheritance", "phenotype", "rank", "report")]
    return stages + [("summary", "all")]
