"""`variantprio bench ...`: accuracy on solved cases and speed against reference tools."""

from __future__ import annotations

from pathlib import Path

import click

from .app import bench
from .options import file_option, hpo_dir_option, xspecies_option


@bench.command("ingest")
@click.option("--variants", "n_variants", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Records in the synthetic VCF.")
@click.option("--samples", "n_samples", type=click.IntRange(min=1), default=3, show_default=True,
              help="Samples (genotype columns) in the synthetic VCF.")
@click.option("--keep", type=click.Path(file_okay=False),
              help="Keep the synthetic VCF and output here (reused by later runs of the same size).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="--threads passed to `variantprio ingest`.")
@click.option("--vcf", type=click.Path(exists=True, dir_okay=False),
              help="Time this VCF instead of a synthetic one (e.g. ../shared/bench/background/pfeiffer-exome.grch38.vcf.gz).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Alternate the two tools this many times and keep each one's fastest run.")
def bench_ingest_cmd(n_variants: int, n_samples: int, keep: str | None, threads: int, vcf: str | None,
                     repeat: int) -> None:
    """Time `variantprio ingest` on a synthetic GATK-like VCF (or --vcf) against `bcftools view -Ou`
    on the same file in the same run: prints variants/s, peak RSS and the time ratio."""
    from ..bench.run.ingest import bench_ingest

    result = bench_ingest(n_variants, n_samples, Path(keep) if keep else None, threads=threads,
                          vcf=Path(vcf) if vcf else None, repeat=repeat)
    click.echo("\n".join(result.lines()))


@bench.command("annotate")
@click.option("--vcf", default="../shared/bench/background/pfeiffer-exome.grch38.vcf.gz", show_default=True,
              help="Exome VCF to ingest and annotate (also the `bcftools view` reference run).")
@click.option("--gene-model", default="../shared/bench/reference", show_default=True,
              help="Gene model: GENCODE reference-table directory, GTF/GFF3 or gene-model Parquet.")
@click.option("--genome-variants", type=click.IntRange(min=0), default=5_000_000, show_default=True,
              help="Size of the synthetic genome-wide variant table (0: skip the genome run).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True,
              help="--threads of each annotate run.")
@click.option("--genome-sources/--no-genome-sources", default=True, show_default=True,
              help="Also annotate the synthetic genome with 4 synthetic sources: bulk join of the bgzipped files, "
                   "`resources convert-source` of them, and the join of the converted Parquet.")
@click.option("--genome-tabix", is_flag=True,
              help="Also join the genome's sources by tabix queries (the path below the bulk threshold; minutes).")
@click.option("--keep", type=click.Path(file_okay=False), help="Keep inputs and outputs in this directory.")
def bench_annotate_cmd(vcf: str, gene_model: str, genome_variants: int, threads: int, genome_sources: bool,
                       genome_tabix: bool, keep: str | None) -> None:
    """Time `annotate` on an exome (gene model cold/warm cache, then + 4 synthetic tabixed sources)
    and on a synthetic genome (gene model, then + 4 sources joined in bulk): variants/s, peak RSS and
    the ratio to `bcftools view` of the exome."""
    from ..bench.run.annotate import bench_annotate
    from ..bench.run.vcf import resolve_data_path

    result = bench_annotate(resolve_data_path(vcf, what="exome VCF"),
                            resolve_data_path(gene_model, what="gene model"), genome_variants,
                            keep=Path(keep) if keep else None, threads=threads, genome_sources=genome_sources,
                            genome_tabix=genome_tabix)
    click.echo("\n".join(result.lines()))


@bench.command("inheritance")
@click.option("--variants", "n_variants", type=click.IntRange(min=1), default=5_000_000, show_default=True,
              help="Number of variants of the synthetic trio (generated in Arrow, 80% in genes).")
@click.option("--keep", type=click.Path(file_okay=False),
              help="Keep the synthetic tables and output here (reused by later runs of the same size).")
@click.option("--alt-haplotypes", is_flag=True,
              help="Phased hets also record which haplotype holds the ALT, so phase sets split compound-het groups.")
def bench_inheritance_cmd(n_variants: int, keep: str | None, alt_haplotypes: bool) -> None:
    """Time `variantprio inheritance` on a synthetic whole-genome trio: seconds, peak RSS, and the
    ratio to reading the same Parquet columns in the same run."""
    from ..bench.run.inheritance import bench_inheritance

    result = bench_inheritance(n_variants, Path(keep) if keep else None, alt_haplotypes=alt_haplotypes)
    click.echo("\n".join(result.lines()))


@bench.command("pipeline")
@click.option("--vcf", default="../shared/bench/background/pfeiffer-exome.grch38.vcf.gz", show_default=True,
              help="The real exome (bgzipped, indexed) run cold and warm, and copied for the batch.")
@click.option("--sample", "proband", help="Its proband (default: the VCF's first sample).")
@click.option("--gene-model", default="../shared/bench/reference", show_default=True,
              help="Gene model of every run (GENCODE reference-table directory, GTF or gene-model Parquet).")
@hpo_dir_option("The HPO release of every run (e.g. ../shared/hpo/2026-06-23)")
@click.option("--hpo", "terms", help="The proband's HPO terms in every run (comma separated IDs; default: the real "
                                     "exome's Pfeiffer syndrome: HP:0000244,HP:0011304,HP:0010055,HP:0000327).")
@click.option("--genome-variants", type=click.IntRange(min=0), default=5_000_000, show_default=True,
              help="Records of the synthetic trio genome run with four synthetic sources (0: skip it).")
@click.option("--batch", type=click.IntRange(min=0), default=20, show_default=True,
              help="Exomes in the Snakemake batch run on 2 cores (0: skip it).")
@click.option("--keep", type=click.Path(file_okay=False),
              help="Keep the generated inputs and every run's outputs here (a kept genome VCF is reused).")
@file_option("--out", help="Write every figure to this JSON as well.")
def bench_pipeline_cmd(vcf: str, proband: str | None, gene_model: str, hpo_dir: str | None, terms: str,
                       genome_variants: int, batch: int, keep: str | None, out: str | None) -> None:
    """Time whole runs as users meet them: the real exome via `run` (cold caches, then warm), a
    synthetic trio genome with four sources, and a Snakemake batch of exomes. Prints wall time,
    peak RSS and each stage, with the ratio to `bcftools view` of the same input in the same run."""
    from ..bench.run.pipeline import EXOME_TERMS, bench_pipeline
    from ..bench.run.vcf import resolve_data_path

    figures = bench_pipeline(resolve_data_path(vcf, what="exome VCF"), proband,
                             resolve_data_path(gene_model, what="gene model"),
                             Path(hpo_dir).resolve() if hpo_dir else None, genome_variants, batch,
                             keep=Path(keep).resolve() if keep else None, out=Path(out) if out else None,
                             terms=terms or EXOME_TERMS)
    for figure in figures:
        click.echo("\n".join(figure.lines()))


@bench.command("phenotype")
@click.option("--cases", required=True, type=click.Path(exists=True),
              help="Solved cases: ZIP or directory of GA4GH phenopackets (v2).")
@file_option("--out", required=True, help="Result JSON; per-case ranks go to OUT.ranks.parquet beside it.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Benchmark a reproducible random sample of this many cases (default: all).")
@click.option("--seed", default=1, show_default=True, help="Seed for the case sample.")
@click.option("--method", type=click.Choice(["lr", "resnik"]), default="lr", show_default=True,
              help="Phenotype scoring method.")
@hpo_dir_option("The release the cases are scored with")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Worker processes.")
@click.option("--fit-calibration", is_flag=True,
              help="Also fit the softmax temperature that makes phenotype_score a calibrated posterior.")
@click.option("--withhold-publication/--no-withhold-publication", default=True, show_default=True,
              help="Score each case without the annotation rows that cite only its own publication(s), "
                   "as a new patient would be (the full-knowledge metrics are reported too).")
@xspecies_option("Also rank with mouse phenotypes and the interaction network (both components), "
                 "combined by the rank model's weights, and report each combination")
def bench_phenotype_cmd(cases: str, out: str, limit: int | None, seed: int, method: str,
                        hpo_dir: str | None, jobs: int, fit_calibration: bool, withhold_publication: bool,
                        xspecies: str | None) -> None:
    """Rank all genes from each case's HPO terms alone and report where the causal gene lands
    (top-1/3/5/10, MRR; ties share the mean rank, unscorable genes are misses)."""
    from ..bench.run.phenotype import run_bench_phenotype

    result = run_bench_phenotype(cases, out, limit=limit, seed=seed, method=method, hpo_dir=hpo_dir,
                                 jobs=jobs, fit_calibration=fit_calibration,
                                 withhold_publication=withhold_publication, xspecies=xspecies)
    click.echo(result.summary_line())


@bench.command("vcf")
@click.option("--cases", required=True, type=click.Path(exists=True),
              help="Solved cases: ZIP or directory of GA4GH phenopackets (v2) with GRCh38 vcfRecords.")
@file_option("--out", required=True,
             help="Result JSON; per-case ranks go to OUT.cases.parquet and the plot to OUT.png beside it.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Benchmark a reproducible random sample of this many cases (default: all).")
@click.option("--seed", default=1, show_default=True, help="Seed for the case sample and the spiking.")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Worker processes (cases run in parallel).")
@click.option("--background", default="../shared/bench/background/pfeiffer-exome.grch38.vcf.gz",
              show_default=True,
              help="Background exome VCF the causal variants are spiked into.")
@click.option("--gene-model", default=None,
              help="Gene model for annotation (GENCODE reference-table directory or gene-model file) of --build "
                   "[default: ../shared/bench/reference, for GRCh37 ../shared/bench/reference-grch37].")
@click.option("--build", type=click.Choice(["GRCh38", "GRCh37"]), default="GRCh38", show_default=True,
              help="GRCh37: lift the background exome and the cases' GRCh38 causal variants with --chain, run "
                   "on GRCh37, and run the same cases on GRCh38 in the same process for the comparison.")
@click.option("--chain", type=click.Path(exists=True, dir_okay=False),
              help="GRCh38 -> GRCh37 UCSC chain for --build GRCh37 (hg38ToHg19.over.chain.gz, or one made by "
                   "`variantprio bench chain`).")
@click.option("--reference-gene-model", default="../shared/bench/reference", show_default=True,
              help="GRCh38 gene model of the comparison run of --build GRCh37.")
@click.option("--with-parents/--no-parents", default=False, show_default=True,
              help="Add synthetic parents (de novo for dominant cases, carriers for recessive ones) "
                   "instead of a singleton.")
@click.option("--keep", type=click.Path(file_okay=False),
              help="Keep every case's spiked VCF, PED and stage tables under this directory.")
@hpo_dir_option("The release the cases are scored with (e.g. ../shared/hpo/2026-06-23)")
@click.option("--constraint", type=click.Path(exists=True, dir_okay=False),
              help="gnomAD gene-constraint TSV (pLI, LOEUF, missense Z), joined as a `constraint` source.")
@click.option("--inhouse", type=click.Path(exists=True, dir_okay=False),
              help="In-house frequencies (a `cohort frequencies` export, e.g. from `bench synthetic-cohort`), "
                   "joined as an `inhouse` source.")
@click.option("--withhold-publication/--no-withhold-publication", "withhold", default=True, show_default=True,
              help="Score each case without the annotation rows that only its own publication supports "
                   "(as a new patient would meet the tool); the full release is measured beside it.")
@xspecies_option("Mouse phenotypes and interaction network the phenotype stage scores (both components)")
def bench_vcf_cmd(cases: str, out: str, limit: int | None, seed: int, jobs: int, background: str,
                  gene_model: str | None, build: str, chain: str | None, reference_gene_model: str,
                  with_parents: bool, keep: str | None, hpo_dir: str | None,
                  constraint: str | None, inhouse: str | None, withhold: bool, xspecies: str | None) -> None:
    """Spike solved cases into a real exome, run the full pipeline on each and report where the
    causal gene ranks (top-1/3/5/10, MRR), beside phenotype-only ranking on the same cases."""
    from ..bench.run.vcf import (
        DEFAULT_GENE_MODEL,
        DEFAULT_GENE_MODEL_GRCH37,
        BenchVcfOptions,
        resolve_data_path,
        run_bench_vcf,
    )

    gene_model = gene_model or str(DEFAULT_GENE_MODEL_GRCH37 if build == "GRCh37" else DEFAULT_GENE_MODEL)
    options = BenchVcfOptions(
        cases=Path(cases), out=Path(out), limit=limit, seed=seed, jobs=jobs,
        background=resolve_data_path(background, what="background VCF"),
        gene_model=resolve_data_path(gene_model, what="gene model"), build=build,
        chain=Path(chain).resolve() if chain else None,
        reference_gene_model=resolve_data_path(reference_gene_model, what="GRCh38 gene model")
        if build != "GRCh38" else None,
        with_parents=with_parents, keep=Path(keep) if keep else None,
        hpo_dir=Path(hpo_dir).resolve() if hpo_dir else None,
        constraint=Path(constraint).resolve() if constraint else None,
        inhouse=Path(inhouse).resolve() if inhouse else None, withhold=withhold,
        xspecies=Path(xspecies).resolve() if xspecies else None)
    result = run_bench_vcf(options)
    click.echo(result.summary_line())


@bench.command("chain")
@click.option("--reference", "ref38", default="../shared/bench/reference", show_default=True,
              help="GENCODE reference-table directory on GRCh38.")
@click.option("--reference-grch37", "ref37", default="../shared/bench/reference-grch37", show_default=True,
              help="The same tables lifted to GRCh37 (with UCSC's chain, each exon/CDS kept only when it kept its length).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Chain file to write (GRCh38 -> GRCh37; gzipped when it ends in .gz).")
def bench_chain_cmd(ref38: str, ref37: str, out: str) -> None:
    """Derive a GRCh38 -> GRCh37 chain from the paired reference tables, for `bench vcf --build GRCh37`
    where UCSC's hg38ToHg19 chain cannot be downloaded: exact on coding exons, an approximation in
    between (measured on gene ends, which it is not built from)."""
    from ..bench.prepare.chain import check_chain, derive_chain
    from ..bench.run.vcf import resolve_data_path

    r38 = resolve_data_path(ref38, what="GRCh38 reference tables")
    r37 = resolve_data_path(ref37, what="GRCh37 reference tables")
    stats = derive_chain(r38, r37, Path(out))
    check = check_chain(Path(out), r38, r37)
    click.echo(f"chain {out}: {stats.blocks} blocks in {stats.chains} chains ({stats.bases:,} GRCh38 bases) from "
               f"{stats.exon_pairs} exon/CDS pairs; gene ends lifted: {check['mapped']:,} of {check['gene_ends']:,} "
               f"mapped, {check['exact_of_mapped']:.2%} of those exactly where the UCSC lift put them")


@bench.command("synthetic-cohort")
@click.option("--background", default="../shared/bench/background/pfeiffer-exome.grch38.vcf.gz", show_default=True,
              help="The exome whose variants the synthetic cohort carries (the `bench vcf` background).")
@click.option("--people", default=300, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Unrelated synthetic people counted.")
@click.option("--seed", default=1, show_default=True, help="Seed for the drawn frequencies and genotypes.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="The export to write (the layout of `cohort frequencies`), for `bench vcf --inhouse`.")
def bench_synthetic_cohort_cmd(background: str, people: int, seed: int, out: str) -> None:
    """Write in-house frequencies of a synthetic hub cohort that carries the background exome's
    variants at frequencies drawn from the neutral site-frequency spectrum (see
    variantprio.cohort.background): the input of the in-house frequency effect benchmark."""
    from ..bench.run.vcf import resolve_data_path
    from ..cohort.background import background_cohort

    path = background_cohort(resolve_data_path(background, what="background VCF"), Path(out), people, seed)
    click.echo(f"wrote {path}: synthetic cohort of {people} people carrying the variants of {background}")


@bench.command("fit-rank")
@click.option("--keep", "keep_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="The --keep directory of a `bench vcf` run on development cases.")
@click.option("--cases-table", required=True, type=click.Path(exists=True, dir_okay=False),
              help="That run's per-case table (OUT.cases.parquet): says which gene each case solved.")
@file_option("--out", required=True,
             help="Model JSON to write (use it with `variantprio rank --model`, or ship it as the default).")
@click.option("--data-version", required=True,
              help="What the model was fitted on, recorded in the JSON (e.g. 'phenopacket-store dev, 400 cases').")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 50),
              help="Cross-validation folds: each case is ranked by weights fitted without it, to choose the "
                   "missing-phenotype prior and to report held-out accuracy.")
@click.option("--cross-species", type=click.Choice(["off", "all", "held"]), default="off", show_default=True,
              help="Mouse and network weights (runs made with `bench vcf --xspecies`): off keeps the shipped "
                   "ones and fits the four others; all fits all six; held fits only those two, with the shipped "
                   "phenotype, variant, de novo and no-fit weights held.")
def bench_fit_rank_cmd(keep_dir: str, cases_table: str, out: str, data_version: str, folds: int,
                       cross_species: str) -> None:
    """Fit the gene-combination weights (conditional logistic regression) on kept benchmark cases
    and print top-1/MRR of the current model and of the fitted one on held-out folds."""
    import json

    from ..bench.analyse.fit_rank import run_fit_rank

    report = run_fit_rank(Path(keep_dir), Path(cases_table), Path(out), data_version, folds, cross_species)
    click.echo(json.dumps(report, indent=1))
