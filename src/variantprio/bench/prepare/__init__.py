"""Benchmark inputs: solved cases read from phenopackets (`phenopackets`) and their causal
variants spiked into a real background exome, as singletons or trios (`spike`)."""
