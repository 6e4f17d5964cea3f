"""`python -m variantprio` runs the CLI (used when the console script is not on PATH)."""

from .cli import main

main()
