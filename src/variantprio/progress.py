"""Logging and progress bars on stderr, shared by all stages (stdout stays for results)."""

from __future__ import annotations

import logging
import sys

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

stderr = Console(stderr=True)


def setup_logging(verbosity: int = 0) -> None:
    """INFO by default, DEBUG with -v; plain lines when stderr is not a terminal (Snakemake logs)."""
    level = logging.DEBUG if verbosity > 0 else logging.INFO
    root = logging.getLogger()
    root.handlers.clear()
    if stderr.is_terminal:
        handler: logging.Handler = RichHandler(console=stderr, show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)


def progress_bar(transient: bool = True) -> Progress:
    """A rich progress bar on stderr; invisible when stderr is not a terminal."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=stderr, transient=transient,
                    disable=not stderr.is_terminal)
