"""The cohort database: the hub's registry of analysed probands, its own allele frequencies and
the history of interpretation decisions (`variantprio cohort ...`).

One store API over two engines (`store`): an embedded DuckDB file by default, PostgreSQL for shared
use. SQL is written once with `$n` parameters, which both engines accept; values are always bound
as parameters, never formatted into the text.
"""
