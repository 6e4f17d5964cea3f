"""Shared domain code below the stages: every stage may import it, it imports no stage.

`genome` (builds, contig names and lengths, PARs) · `pedigree` (PED files, families) · `samples`
(sample-ID matching between VCF, PED and sheet) · `alleles` (allele normalisation, variant keys) ·
`genemodel` (transcript table and its numpy views) ·
`sourcekinds` (the kinds of annotation source). Only `errors` and `schemas` from outside.
"""
