"""One subcommand per pipeline stage (ingest, annotate, inheritance, phenotype, rank, report,
report-batch) and `schema`."""

from __future__ import annotations

import logging

import click

from ..errors import InputError
from ..settings import (
    AnnotateSettings,
    IngestSettings,
    InheritanceSettings,
    PhenotypeSettings,
    ReportSettings,
)
from ..summary import Summary
from .app import main
from .options import file_option, hpo_dir_option, lang_option, xspecies_option

log = logging.getLogger("variantprio")


def announce(summary: Summary) -> None:
    """What every stage command does with its stage's summary: the counts and skips to the log, the
    one-line result (if any) to stdout."""
    summary.log(log)
    if summary.done:
        click.echo(summary.done)


@main.command("ingest")
@file_option("--vcf", required=True, help="Input VCF or BCF (plain, gzip or bgzip; multi-sample and gVCF allowed).")
@file_option("--out", required=True, help="Output variants Parquet (schema `variants`), written atomically.")
@click.option("--samples", help="Comma-separated sample IDs to keep (default: all, or the PED's members).")
@file_option("--ped", help="Pedigree: chosen samples are checked against it (and it restricts the samples).")
@file_option("--fasta", help="Indexed reference FASTA: REF is checked against it and indels are left-aligned.")
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
              help="Threads: 1 parses in one thread, 2 decodes text blocks on a second thread (Parquet is "
                   "always written on its own thread, bgzip decompresses in its own process); 3+ read a "
                   "bgzipped VCF in parallel chunks, one process per extra thread.")
@click.option("--liftover-to", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Lift the variants onto this build (needs --chain); --fasta is then the target build's and "
                   "REF is checked after lifting. Records that cannot be lifted safely are listed, not kept.")
@file_option("--chain", help="UCSC chain file for --liftover-to (e.g. hg19ToHg38.over.chain.gz, plain or gzipped).")
@file_option("--liftover-rejects",
              help="TSV listing every record left out by the liftover and why "
                   "(default: beside --out, <name>.liftover-rejected.tsv).")
def ingest_cmd(vcf: str, out: str, samples: str | None, ped: str | None, fasta: str | None,
               build: str | None, pass_only: bool, min_gq: int, min_dp: int, min_ab: float,
               threads: int, liftover_to: str | None, chain: str | None, liftover_rejects: str | None) -> None:
    """Read a VCF/BCF into the normalised variant table: multi-allelics split, alleles trimmed
    (left-aligned with --fasta), genotypes as ALT counts, quality filters applied and counted;
    with --liftover-to and --chain, lifted onto another build."""
    from .. import ingest

    chosen = tuple(s.strip() for s in samples.split(",") if s.strip()) if samples else None
    options = ingest.IngestOptions(samples=chosen, build=build, pass_only=pass_only, min_gq=min_gq, min_dp=min_dp,
                                   min_ab=min_ab, threads=threads, liftover_to=liftover_to, chain=chain,
                                   liftover_rejects=liftover_rejects)
    announce(ingest.run(ingest.IngestInputs(vcf, ped, fasta), ingest.IngestOutputs(out), options))


@main.command("annotate")
@file_option("--variants", required=True, help="variants.parquet written by `variantprio ingest` (schema `variants`).")
@file_option("--out", required=True,
             help="Output annotations Parquet (schema `annotations`): one row per variant x gene, atomic.")
@click.option("--gene-model", type=click.Path(),
              help="GTF/GFF3 (gz or plain), gene-model Parquet, or GENCODE reference-table directory; "
                   "variants without CSQ/ANN/BCSQ get consequences from it (text models cached on first use).")
@file_option("--fasta", help="Indexed reference FASTA: protein consequences (missense, stop gained, ...).")
@file_option("--sources", help="Config YAML whose `sources:` list names gnomAD/ClinVar/score/constraint files to join "
                              "(its `builds.<build>.sources` when it lists the variants' build).")
@click.option("--bulk-join-min-variants", type=click.IntRange(min=0),
              default=AnnotateSettings.bulk_join_min_variants, show_default=True,
              help="Above this many variants, each allele-level source is read once in order (into a temporary "
                   "Parquet beside --out) instead of by one tabix query per region; 0: always.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="Threads for the interval join.")
def annotate_cmd(variants: str, out: str, gene_model: str | None, fasta: str | None, sources: str | None,
                 bulk_join_min_variants: int, threads: int) -> None:
    """Consequence per variant and gene (the VCF's VEP/SnpEff/bcftools annotations, else the gene
    model), most severe per gene with MANE transcripts preferred, plus joined sources."""
    from .. import annotate

    announce(annotate.run(annotate.AnnotateInputs(variants, gene_model, fasta, sources),
                          annotate.AnnotateOutputs(out),
                          annotate.AnnotateOptions(threads=threads, bulk_join_min_variants=bulk_join_min_variants)))


@main.command("inheritance")
@file_option("--variants", required=True,
             help="variants.parquet (schema `variants`) holding the genotypes of the proband's family.")
@file_option("--annotations", required=True,
             help="annotations.parquet of the same variants (schema `annotations`): genes and frequencies.")
@click.option("--proband", required=True, help="Proband sample ID as in the VCF header (and the PED).")
@file_option("--ped",
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
@file_option("--out", required=True,
             help="Output segregation.parquet (schema `segregation`): one row per carried variant x gene.")
def inheritance_cmd(variants: str, annotations: str, proband: str, ped: str | None, max_af_ad: float,
                    max_af_ar_hom: float, max_af_comphet: float, max_af_mt: float, min_parent_gq: int,
                    out: str) -> None:
    """Test every variant the proband carries against each mode of inheritance (AD, de novo, AR
    homozygous and compound-het, XR, XD, MT) in the proband's family."""
    from .. import inheritance

    options = inheritance.InheritanceOptions(max_af_ad=max_af_ad, max_af_ar_hom=max_af_ar_hom,
                                             max_af_comphet=max_af_comphet, max_af_mt=max_af_mt,
                                             min_parent_gq=min_parent_gq)
    announce(inheritance.run(inheritance.InheritanceInputs(variants, annotations, proband, ped),
                             inheritance.InheritanceOutputs(out), options))


@main.command("phenotype")
@click.option("--hpo", help="Observed HPO terms: IDs, comma separated (HP:0001250,HP:0001263), or labels and exact "
                            "synonyms in English or French, ';' separated ('Crâniosynostose; Large pouce'); "
                            "case, accents and spacing do not matter, an unknown or ambiguous label is an error.")
@click.option("--exclude", help="HPO terms explicitly excluded (absent) in the patient: IDs or labels, as --hpo.")
@file_option("--hpo-file",
             help="Text file of observed HPO terms, one per line ('#' comments, labels after the id are fine).")
@file_option("--phenopacket", help="GA4GH phenopacket JSON (v1 or v2): observed and excluded terms are taken from it.")
@click.option("--method", type=click.Choice(["lr", "resnik"]), default=PhenotypeSettings.method, show_default=True,
              help="lr: likelihood-ratio model (tuned); resnik: symmetric Resnik best-match average.")
@hpo_dir_option("The release the patient is scored against")
@xspecies_option("Mouse phenotypes and interaction network scored beside the human diseases")
@click.option("--mouse/--no-mouse", default=PhenotypeSettings.mouse, show_default=True,
              help="Score the orthologous mouse gene's mutant phenotypes (with --xspecies).")
@click.option("--network/--no-network", default=PhenotypeSettings.network, show_default=True,
              help="Spread the human phenotype scores over the STRING interaction network (with --xspecies).")
@click.option("--build", type=click.Choice(["GRCh37", "GRCh38"]), default=None,
              help="Genome build of the run, recorded in the output's metadata (scores do not depend on it).")
@file_option("--out", required=True,
             help="gene_phenotype.parquet to write (schema: `variantprio schema gene_phenotype`).")
def phenotype_cmd(hpo: str | None, exclude: str | None, hpo_file: str | None, phenopacket: str | None,
                  method: str, hpo_dir: str | None, xspecies: str | None, mouse: bool, network: bool,
                  build: str | None, out: str) -> None:
    """Score every gene with an annotated disease against the patient's HPO terms (and, with
    --xspecies, genes known only from mouse mutants or their interaction partners)."""
    from .. import phenotype

    announce(phenotype.run(phenotype.PhenotypeInputs(hpo or None, exclude, hpo_file, phenopacket, hpo_dir, xspecies),
                           phenotype.PhenotypeOutputs(out),
                           phenotype.PhenotypeOptions(method, build, mouse=mouse, network=network)))


@main.command("rank")
@file_option("--variants", required=True,
             help="variants.parquet of the VCF (schema `variants`): genotypes of every family member.")
@file_option("--annotations", required=True,
             help="annotations.parquet (schema `annotations`): consequences, frequencies, scores.")
@file_option("--segregation", required=True,
             help="segregation.parquet of the proband (schema `segregation`): mode-of-inheritance fits.")
@file_option("--phenotype", required=True, help="gene_phenotype.parquet of the proband (schema `gene_phenotype`).")
@click.option("--proband", required=True, help="Proband sample ID as in the VCF header.")
@file_option("--out-genes", required=True,
             help="Output genes.parquet (schema `genes`): one row per candidate gene, ranked.")
@file_option("--out-variants", required=True,
             help="Output ranked variants Parquet (schema `ranked_variants`): one row per variant x gene.")
@file_option("--model", "model_path",
             help="Rank model JSON (weights + data version); default: the shipped data/rank_model.json.")
def rank_cmd(variants: str, annotations: str, segregation: str, phenotype: str, proband: str,
             out_genes: str, out_variants: str, model_path: str | None) -> None:
    """Score the proband's variants (each evidence component its own column) and rank genes by
    the best segregating variant or compound-het pair combined with the phenotype score."""
    from .. import rank

    announce(rank.run(rank.RankInputs(variants, annotations, segregation, phenotype, proband),
                      rank.RankOutputs(out_genes, out_variants), rank.RankOptions(model_path)))


@main.command("report")
@file_option("--genes", required=True, help="genes.parquet written by `variantprio rank`.")
@file_option("--variants", required=True,
             help="Ranked variants Parquet written by `variantprio rank` (--out-variants).")
@click.option("--proband", required=True, help="Proband sample ID (checked against genes.parquet).")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False),
              help="Directory for report.html, candidates.tsv, candidates.xlsx, candidates.vcf.gz(.tbi).")
@click.option("--top", type=click.IntRange(min=1), default=ReportSettings.top, show_default=True,
              help="Number of top-ranked genes in the report, tables and VCF.")
@click.option("--hpo-terms", help="The proband's HPO terms as given to the phenotype stage, listed in the report: "
                                  "IDs (comma separated) or labels and exact synonyms in English or French "
                                  "(';' separated), shown beside the ID each resolved to "
                                  "(default: the patient terms the phenotype stage matched).")
@click.option("--title", help="Report title (default: 'variantprio report: <proband>').")
@hpo_dir_option("The release that scored the case (term labels, diseases and modes)")
@file_option("--input-variants",
             help="Ingest's variants.parquet of the VCF: rsIDs (ID column) for the candidates VCF and links.")
@click.option("--cohort-db", help="Cohort database (DuckDB file or postgresql:// URL) whose earlier decisions "
                                  "on these variants, in this and other patients, the report shows.")
@lang_option("the report, the TSV/XLSX headers and sheet names", ReportSettings.lang)
def report_cmd(genes: str, variants: str, proband: str, out_dir: str, top: int, hpo_terms: str | None,
               title: str | None, hpo_dir: str | None, input_variants: str | None, cohort_db: str | None,
               lang: str) -> None:
    """Write the outputs people read for one proband: self-contained HTML report, TSV, Excel
    (one sheet per mode, plus the analysis settings) and an indexed VCF of the top genes' variants."""
    from .. import report
    from ..core.hpoterms import split_terms

    terms = tuple(split_terms(hpo_terms)) if hpo_terms else None
    announce(report.run(report.ReportInputs(genes, variants, proband, hpo_dir, input_variants, terms, cohort_db),
                        report.ReportOutputs(out_dir), report.ReportOptions(top, title, lang)))


@main.command("report-batch")
@click.option("--results", required=True, type=click.Path(file_okay=False),
              help="Results directory holding one <sample>/ directory per proband (genes.parquet, report.html).")
@file_option("--out", required=True, help="Output summary HTML; a TSV with the same rows is written beside it (.tsv).")
@file_option("--samples",
             help="Sample sheet of the batch: every sample gets a row (ok, failed with its error, not run).")
@click.option("--logs", type=click.Path(file_okay=False),
              help="The run's logs/ directory, where the one-line error of a failed sample is found.")
@lang_option("the summary page and TSV headers", ReportSettings.lang)
def report_batch_cmd(results: str, out: str, samples: str | None, logs: str | None, lang: str) -> None:
    """One page across a batch: one row per sample with its status, top candidate and report link."""
    from ..report import write_batch_summary

    html, tsv = write_batch_summary(results, out, samples=samples, logs=logs, lang=lang)
    click.echo(f"batch summary -> {html} and {tsv}")


@main.command("schema")
@click.argument("name", required=False)
def schema_cmd(name: str | None) -> None:
    """Print the documented Arrow schema of a stage table (no NAME: list the tables)."""
    from ..schemas import SCHEMAS, describe

    if name is None:
        click.echo("\n".join(SCHEMAS))
        return
    if name not in SCHEMAS:
        raise InputError(f"unknown table {name!r}", hint=f"one of: {', '.join(SCHEMAS)}")
    click.echo(describe(name))
