"""Fetching the knowledge the pipeline reads (`variantprio resources ...`).

`hpo`: one official HPO release into a folder the phenotype engine is pointed at (`--hpo-dir`).
"""
