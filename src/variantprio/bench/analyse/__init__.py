"""Benchmark results turned into numbers and pictures: tie-aware ranks and their metrics
(`metrics`), rank plots (`plots`), and a rank model fitted on kept runs (`fit_rank`)."""
