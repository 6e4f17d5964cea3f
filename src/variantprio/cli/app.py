"""The `variantprio` command group: every subcommand turns an `InputError` (and a full disk or a
permission error) into one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import errno
import functools
import sys

import click

from .. import __version__
from ..errors import InputError
from ..progress import setup_logging
from ..tables import set_config_sha256

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


class CommandGroup(click.Group):
    """Group whose subcommands all get the one-line error handling."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None:
            cmd.callback = _one_line_errors(cmd.callback)
        super().add_command(cmd, name)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


@main.group(cls=CommandGroup)
def bench() -> None:
    """Benchmarks: accuracy on solved cases and speed against reference tools."""


@main.group(cls=CommandGroup)
def resources() -> None:
    """Build and fetch the data sources the pipeline reads (gene model, frequencies, ...)."""
