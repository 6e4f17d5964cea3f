"""Command-line interface: parses options and calls one function per subcommand.

Every subcommand turns an `InputError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__
from .errors import InputError
from .progress import setup_logging


def _one_line_errors(func):
    """Turn InputError into a one-line message and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as err:
            click.echo(f"variantprio: error: {err.one_line()}", err=True)
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
def main(verbose: int) -> None:
    """variantprio: rank the variants and genes most likely to explain a rare disease.

    Stages (each one subcommand, chained by the Snakemake workflow): ingest -> annotate ->
    inheritance -> phenotype -> rank -> report. `run` and `demo` drive the whole workflow.
    """
    setup_logging(verbose)


@main.group(cls=_Group)
def bench() -> None:
    """Benchmarks: accuracy on solved cases and speed against reference tools."""


@main.group(cls=_Group)
def resources() -> None:
    """Build and fetch the data sources the pipeline reads (gene model, frequencies, ...)."""


# --- ingest (issue 4) ---

# --- annotate + resources (issue 5) ---

# --- inheritance (issue 7) ---

# --- phenotype (issue 6) ---

# --- rank + report (issue 8) ---

# --- workflow: validate, run, demo (issues 3, 10) ---

# --- bench vcf (issue 9) ---


if __name__ == "__main__":  # pragma: no cover
    main()
