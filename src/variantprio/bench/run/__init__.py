"""Benchmark runs: the whole pipeline on spiked cases (`vcf`), phenotype-only ranking of every case
(`phenotype`), and the speed runs of single stages or tools against reference tools (`ingest`,
`annotate`, `inheritance`, `cohort`)."""
