"""Benchmarks: accuracy on solved cases and speed against reference tools."""
