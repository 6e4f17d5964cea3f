"""Command-line interface: parses options and calls one function per subcommand, one module per
command group (`stages`, `workflow`, `resources`, `bench`) on the shared group in `app`."""

from . import bench, cohort, resources, stages, workflow  # noqa: F401  (registers the subcommands)
from .app import main

__all__ = ["main"]
