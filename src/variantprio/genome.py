"""Moved to `variantprio.core.genome`; kept only for `bench/phenopackets.py` until it imports the core."""

from .core.genome import *  # noqa: F401,F403
