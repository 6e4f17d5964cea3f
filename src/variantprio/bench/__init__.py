"""Benchmarks by lifecycle: `prepare` builds the cases, `run` runs the pipeline (or one stage) on
them, `analyse` turns the results into metrics, plots and a fitted rank model."""
