"""Moved to `variantprio.core.pedigree`; kept only for workflow.py until it imports the core."""

from ..core.pedigree import *  # noqa: F401,F403
