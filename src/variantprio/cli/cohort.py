"""`variantprio cohort ...`: the cohort database (registry, in-house frequencies, interpretation
history) and `variantprio bench cohort`."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import click

from ..errors import InputError
from ..settings import CohortSettings
from .app import CommandGroup, bench, main

_ABSENT_HELP = ("How a site missing from a counted person's VCF counts: reference = hom-ref when a callset of "
                "the same capture kit has the site; called = not at all (only genotypes in the VCF count).")


@main.group("cohort", cls=CommandGroup)
def cohort() -> None:
    """The cohort database: the hub's registry of analysed probands, its own allele frequencies
    (unrelated individuals only) and the history of interpretation decisions."""


def db_option(func):
    func = click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True),
                        help="Workflow config whose `cohort.db` names the database when --db is not given.")(func)
    return click.option("--db", help="Cohort database: a DuckDB file (created on first add) or a postgresql:// URL.")(func)


def _settings(config_file: str | None) -> CohortSettings:
    if not config_file:
        return CohortSettings()
    from ..yamlfile import read_yaml

    raw = read_yaml(config_file, "workflow config")
    section = raw.get("cohort") if isinstance(raw, dict) and isinstance(raw.get("cohort"), dict) else {}
    return CohortSettings(**{k: v for k, v in section.items() if k in CohortSettings.__dataclass_fields__})


def _db(db: str | None, config_file: str | None) -> str:
    chosen = db or _settings(config_file).db
    if not chosen:
        raise InputError("no cohort database given", hint="pass --db FILE.duckdb or --db postgresql://..., "
                                                         "or --config with cohort.db set")
    return chosen


def _echo_table(table, out: str | None) -> None:
    """A result as TSV on stdout, or as Parquet/TSV in OUT (written to a temp file, then renamed)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from ..tables import atomic_path

    if out:
        with atomic_path(out) as tmp:
            if out.endswith(".parquet"):
                pq.write_table(table, tmp)
            else:
                pacsv.write_csv(table, tmp, pacsv.WriteOptions(delimiter="\t", quoting_style="none"))
        click.echo(f"{table.num_rows} rows -> {out}")
        return
    click.echo("\t".join(table.column_names))
    for row in table.to_pylist():
        click.echo("\t".join("" if v is None else str(v) for v in row.values()))


@cohort.command("add")
@db_option
@click.argument("results_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--samples", "samples_tsv", type=click.Path(dir_okay=False),
              help="Sample sheet of a batch's results (default: RESULTS_DIR/.variantprio/samples.tsv, as "
                   "`run` and `demo` write it).")
@click.option("--sample", "only", multiple=True, help="Add only this proband (repeatable; default: all with results).")
@click.option("--capture", default=None,
              help="Capture-kit label of these callsets (default: cohort.capture of --config, else 'default').")
def add_cmd(db: str | None, config_file: str | None, results_dirs: tuple[str, ...], samples_tsv: str | None,
            only: tuple[str, ...], capture: str | None) -> None:
    """Load the probands of RESULTS_DIR (the --out folder of run, demo or a batch): samples, family
    and sex, HPO terms, genotypes of every variant, ranked genes and versions. Idempotent; a
    re-analysis adds a new analysis row. All or nothing."""
    from ..cohort.load import add_results
    from ..cohort.schema import open_cohort

    capture = capture or _settings(config_file).capture
    with open_cohort(_db(db, config_file), write=True) as store:
        summary = add_results(store, [Path(d) for d in results_dirs],
                              samples_tsv=Path(samples_tsv) if samples_tsv else None,
                              only=list(only) or None, capture=capture)
    click.echo("\n".join(summary.lines()))


@cohort.command("frequencies")
@db_option
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Parquet to write: chrom, pos, ref, alt, ac, an, af, n_hom, n_hemi.")
@click.option("--absent", type=click.Choice(["reference", "called"]), default=None, help=_ABSENT_HELP +
              " Default: cohort.absent of --config, else reference.")
@click.option("--exclude-sample", multiple=True,
              help="Leave out this sample's whole family (repeatable), e.g. for a VCF annotated from the export.")
def frequencies_cmd(db: str | None, config_file: str | None, out: str, absent: str | None,
                    exclude_sample: tuple[str, ...]) -> None:
    """Export the in-house allele frequencies, counted over unrelated individuals only."""
    import json

    from ..cohort.frequencies import cohort_frequencies, counted_individuals, frequencies_for, write_frequencies
    from ..cohort.schema import open_cohort

    absent = absent or _settings(config_file).absent
    with open_cohort(_db(db, config_file), write=False) as store:
        if exclude_sample:
            keys = store.arrow("SELECT chrom, pos, ref, alt FROM variant")
            table = frequencies_for(store, keys, list(exclude_sample), absent)
            table = table.sort_by([("chrom", "ascending"), ("pos", "ascending")])
        else:
            table = cohort_frequencies(store, absent)
        kept = counted_individuals(store, list(exclude_sample)).column("sample_id").to_pylist()
    write_frequencies(table, Path(out), {"absent": absent, "counted_individuals": str(len(kept)),
                                         "counted_samples": json.dumps(kept),
                                         "excluded_samples": json.dumps(list(exclude_sample))})
    click.echo(f"{table.num_rows} variants over {len(kept)} unrelated individuals -> {out}")


@cohort.command("lookup")
@db_option
@click.option("--variant", required=True, help="chrom:pos:ref:alt, e.g. chr7:117559590:G:A.")
@click.option("--absent", type=click.Choice(["reference", "called"]), default=None, help=_ABSENT_HELP)
def lookup_cmd(db: str | None, config_file: str | None, variant: str, absent: str | None) -> None:
    """One variant's in-house AC, AN, AF and homozygote/hemizygote counts."""
    from ..cohort.frequencies import lookup
    from ..cohort.history import parse_variant_id
    from ..cohort.schema import open_cohort

    key = parse_variant_id(variant)
    with open_cohort(_db(db, config_file), write=False) as store:
        row = lookup(store, *key, absent=absent or _settings(config_file).absent)
    if row is None:
        click.echo(f"{':'.join(map(str, key))}: not in the cohort")
        return
    click.echo(f"{':'.join(map(str, key))}\tAC {row['ac']}\tAN {row['an']}\tAF {row['af']:.6g}\t"
               f"hom {row['n_hom']}\themi {row['n_hemi']}")


@cohort.command("review")
@db_option
@click.option("--sample", required=True, help="Sample ID the decision is about (must be in the database).")
@click.option("--variant", required=True, help="chrom:pos:ref:alt of a variant the sample carries.")
@click.option("--class", "klass", required=True,
              type=click.Choice(["pathogenic", "likely_pathogenic", "vus", "likely_benign", "benign", "not_causal"]),
              help="The decision.")
@click.option("--note", required=True, help="Why (free text, stored as given).")
@click.option("--by", "author", default=None, help="Who decided (default: the login name).")
def review_cmd(db: str | None, config_file: str | None, sample: str, variant: str, klass: str, note: str,
               author: str | None) -> None:
    """Record an interpretation decision with time and author; earlier ones are never overwritten."""
    from ..cohort.history import record_review
    from ..cohort.schema import open_cohort

    with open_cohort(_db(db, config_file), write=True) as store:
        review_id = record_review(store, sample, variant, klass, note, author or getpass.getuser())
    click.echo(f"recorded decision {review_id}: {sample} {variant} {klass}")


@cohort.command("changes")
@db_option
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only re-analyses added on or after this date (YYYY-MM-DD).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write a TSV (or .parquet) instead of printing.")
def changes_cmd(db: str | None, config_file: str | None, since: datetime | None, out: str | None) -> None:
    """Re-analysis changes across the cohort: top-10 candidates that are new or moved into the top
    10 since the sample's previous analysis, with whether the sample is solved."""
    from ..cohort.history import changes
    from ..cohort.schema import open_cohort

    with open_cohort(_db(db, config_file), write=False) as store:
        table = changes(store, since)
    _echo_table(table, out)


@cohort.command("query")
@db_option
@click.option("--sql", required=True, help="One read-only SELECT. Views: samples_per_term, carriers, gene_carriers, "
                                           "latest_analysis, case_status, in_house_frequencies (see README).")
@click.option("--param", "params", multiple=True, help="Value of $1, $2, ... in order (repeatable; bound, never spliced).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write a TSV (or .parquet) instead of printing.")
def query_cmd(db: str | None, config_file: str | None, sql: str, params: tuple[str, ...], out: str | None) -> None:
    """Run a read-only query: the database is opened read-only, so writes fail in the engine."""
    from ..cohort.registry import run_query
    from ..cohort.schema import open_cohort

    with open_cohort(_db(db, config_file), write=False, sandbox=True) as store:
        table = run_query(store, sql, list(params))
    _echo_table(table, out)


@cohort.command("export")
@db_option
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for one Parquet per table.")
def export_cmd(db: str | None, config_file: str | None, out: str) -> None:
    """Parquet snapshots of every table, for the data warehouse."""
    from ..cohort.registry import export_snapshot
    from ..cohort.schema import open_cohort

    with open_cohort(_db(db, config_file), write=False) as store:
        paths = export_snapshot(store, Path(out))
    click.echo(f"{len(paths)} tables -> {out}")


@cohort.command("migrate")
@db_option
def migrate_cmd(db: str | None, config_file: str | None) -> None:
    """Bring the database's schema up to this variantprio's version (writers do it on their own)."""
    from ..cohort.schema import SCHEMA_VERSION, migrate
    from ..cohort.store import connect

    with connect(_db(db, config_file)) as store:
        applied = migrate(store)
    click.echo(f"schema version {SCHEMA_VERSION}" + (f" (applied {applied})" if applied else " (up to date)"))


@bench.command("cohort")
@click.option("--exomes", type=click.IntRange(min=3), default=1000, show_default=True,
              help="Synthetic exomes (trios: two founders and a proband each) to add.")
@click.option("--variants", "n_variants", type=click.IntRange(min=100), default=40_000, show_default=True,
              help="Variants per exome (about).")
@click.option("--batch", type=click.IntRange(min=1), default=100, show_default=True,
              help="Exomes per results directory (one `cohort add` each).")
@click.option("--postgres", help="Also run against this PostgreSQL URL (an empty database).")
@click.option("--keep", type=click.Path(file_okay=False), help="Keep the synthetic results and the DuckDB file here.")
def bench_cohort_cmd(exomes: int, n_variants: int, batch: int, postgres: str | None, keep: str | None) -> None:
    """Add synthetic exomes to a cohort database, compute frequencies and time single-variant
    AC/AN lookups: seconds, peak RSS, on DuckDB (and PostgreSQL with --postgres)."""
    from ..bench.run.cohort import bench_cohort

    result = bench_cohort(exomes, n_variants, batch, postgres=postgres, keep=Path(keep) if keep else None)
    click.echo("\n".join(result.lines()))
