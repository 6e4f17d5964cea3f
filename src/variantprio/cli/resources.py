"""`variantprio resources ...`: build and download the data the pipeline reads."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.sourcekinds import POSITIONAL_KINDS
from ..errors import InputError
from ..units import size_text
from .app import CommandGroup, resources
from .options import file_option, timeout_option


@resources.command("gene-model")
@click.option("--from", "source", required=True, type=click.Path(),
              help="GENCODE/Ensembl GTF or GFF3 (gz or plain), or the GENCODE reference-table directory.")
@file_option("--out", required=True, help="Gene-model Parquet to write (atomically); pass it to --gene-model later.")
def resources_gene_model_cmd(source: str, out: str) -> None:
    """Build the gene-model Parquet (transcripts, exons, CDS, MANE flags) once, for fast loading."""
    from ..annotate.genemodel import build_gene_model, save_gene_model

    if not Path(source).exists():
        raise InputError("gene model source not found", path=source,
                         hint="pass a GTF/GFF3 or the GENCODE reference-table directory")
    model = build_gene_model(source)
    save_gene_model(model, out)
    click.echo(f"gene model {model.label}: {model.table.num_rows} transcripts -> {out}")


@resources.command("convert-source")
@file_option("--source", required=True,
             help="The source to convert: bgzipped (or plain) VCF of gnomAD/ClinVar/SpliceAI, or score table of "
                  "CADD/REVEL/AlphaMissense, sorted by contig and position as tabix needs; no index needed.")
@click.option("--kind", required=True, type=click.Choice(POSITIONAL_KINDS),
              help="What the source holds (as `kind:` in the config's `sources:`).")
@click.option("--version", "version", required=True, help="Release of the source (as `version:` in the config).")
@click.option("--build", required=True, type=click.Choice(["GRCh37", "GRCh38"]),
              help="Genome build of the source; checked against its header where it states one.")
@click.option("--name", help="Name recorded in the dataset (default: the kind).")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory to write (atomically; an earlier conversion there is replaced). Give it as the "
                   "source's `path:` in the config.")
def resources_convert_source_cmd(source: str, kind: str, version: str, build: str, name: str | None,
                                 out: str) -> None:
    """Convert a large allele-level source once into a chromosome-partitioned Parquet dataset, sorted
    by position, already split per allele and parsed, with the source's version and the input's
    SHA-256 in its metadata; annotate reads only the row groups at the variants' positions."""
    from ..annotate.sourceconfig import SourceSpec
    from ..annotate.sourcedataset import convert_source, dataset_size

    if not Path(source).is_file():
        raise InputError("source file not found", path=source)
    dataset = convert_source(SourceSpec(name or kind, kind, Path(source), version, build), out)
    facts = dataset.facts
    click.echo(f"{facts['name']} ({kind} {version}, {build}): {facts['rows']} alleles on {len(facts['contigs'])} "
               f"contigs -> {out} ({size_text(dataset_size(out))})")


@resources.group("fetch", cls=CommandGroup, invoke_without_command=True,
                 subcommand_metavar="[hpo|xspecies OPTIONS]")
@file_option("--manifest", help="YAML with `sources:` entries {name, url, sha256|md5, version, build, kind, file}.")
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
    from ..annotate.fetch import fetch_resources

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
                   "(labels) and hp-fr.synonyms.tsv (exact synonyms) from the repository's "
                   "src/translations/ at the release tag; reports in that language and labels typed in it "
                   "(--hpo) use them.")
@click.option("--sha256", "sha256_pairs", multiple=True, metavar="FILE=HEX",
              help="Checksum a file must have (repeatable), e.g. phenotype.hpoa=89004f...; checksums "
                   "recorded in OUT/<release>/release.json by an earlier run are checked as well.")
@click.option("--base-url", default=None, metavar="URL",
              help="Repository URL replacing https://github.com/obophenotype/human-phenotype-ontology "
                   "(a mirror, or a local server in tests); same paths below it.")
@timeout_option()
def resources_fetch_hpo_cmd(release: str, out: str, languages: tuple[str, ...], sha256_pairs: tuple[str, ...],
                            base_url: str | None, timeout: float) -> None:
    """Download an official HPO release (hp.obo, phenotype.hpoa, genes_to_disease.txt) from the HPO
    GitHub releases into OUT/<release>/: resumed after an interruption, checksum- and content-checked,
    installed atomically, recorded in release.json (URL, size, SHA-256, time). Present, verified files
    are not downloaded again."""
    from ..resources.hpo import (
        HPO_REPOSITORY,
        HpoFetchOptions,
        fetch_hpo_release,
        parse_sha256_pairs,
    )

    options = HpoFetchOptions(out=Path(out), release=release, languages=languages,
                              base_url=base_url or HPO_REPOSITORY, timeout=timeout,
                              sha256=parse_sha256_pairs(sha256_pairs))
    result = fetch_hpo_release(options)
    for f in result.files:
        click.echo(f"{f.name}: {f.action} ({size_text(f.size)})")
    click.echo(f"HPO release {result.release} -> {result.directory} (use --hpo-dir {result.directory}; "
               f"record: {result.record.name})")


@resources_fetch_cmd.command("xspecies")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder to lay out like ../shared/xspecies/ (pass it to --xspecies or phenotype.xspecies_dir); "
                   "the publishers' files stay in OUT/downloads/, OUT/xspecies.json records them.")
@click.option("--mirror", default=None, metavar="URL",
              help="Fetch every file from URL/<file name> instead of its publisher (MGI, OBO, uPheno's GitHub, "
                   "STRING): an internal mirror, or a local server in tests.")
@timeout_option()
def resources_fetch_xspecies_cmd(out: str, mirror: str | None, timeout: float) -> None:
    """Download mouse phenotypes and orthologs (MGI_GenePheno.rpt, HMD_HumanPhenotype.rpt), the MP
    ontology, uPheno's HP-MP mappings and STRING's human links (detailed channels, protein names),
    resumed after an interruption, content-checked and installed atomically, then derive the tables
    the mouse and network components read (STRING's score recomputed without text mining). Files
    present with their recorded checksum are not downloaded again."""
    from ..resources.xspecies import fetch_xspecies

    result = fetch_xspecies(Path(out), mirror=mirror, timeout=timeout)
    for name, action in result.actions.items():
        click.echo(f"{name}: {action}")
    for name, rows in result.derived.items():
        click.echo(f"{name}: {rows} rows")
    click.echo(f"cross-species folder -> {result.directory} (use --xspecies {result.directory})")
