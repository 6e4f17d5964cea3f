"""Joining annotation sources onto the annotation rows by allele (chrom, pos, ref, alt).

Allele-level sources are gnomAD-style, ClinVar and SpliceAI VCFs and CADD / REVEL /
AlphaMissense-style TSVs. Each is read either by tabix near the variants (`tabixread`), or, for
genomes, from a Parquet conversion (`sourcedataset`, made once by `resources convert-source` or per
run by the bulk join); both parse records the same way (`sourceparse`), so they join the same
values. Gene constraint (pLI, LOEUF, missense Z) is a plain per-gene TSV joined on the gene symbol.
A source on another genome build is an error.
"""

from __future__ import annotations

import gzip
import io
import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.alleles import AlleleKeys
from ..core.sourcekinds import POSITIONAL_KINDS, VCF_KINDS
from ..errors import InputError
from ..schemas import col
from .sourceconfig import SourceSpec
from .sourcedataset import check_dataset, dataset_rows, is_source_dataset, open_dataset
from .sourcefile import (
    check_source_build,
    column_named,
    contig_lengths,
    source_layout,
    text_build,
    vcf_build,
)
from .sourceparse import COLUMNS, KEY, STRING_COLUMNS, parse_records, reduce_rows
from .tabixread import fetch_touching, merge_gap, open_tabix, variant_regions

log = logging.getLogger(__name__)

_CONSTRAINT = {col.pli: ["pli", "lof.pli", "pli_score"], col.loeuf: ["loeuf", "oe_lof_upper", "lof.oe_ci.upper"],
               col.mis_z: ["mis_z", "mis.z_score", "mis_z_score"]}


def source_header_facts(path: str, kind: str) -> tuple[str | None, dict[str, int | None]]:
    """(build the file's header states, its contigs with header lengths when given), read from the
    tabix header (or a converted dataset's record) only, for `validate`; (None, {}) for sources that
    are neither."""
    if kind not in POSITIONAL_KINDS:
        return None, {}
    if is_source_dataset(path):
        dataset = open_dataset(path)
        return dataset.build, dataset.source_contigs()
    tbx = open_tabix(path)
    try:
        header, contigs = list(tbx.header), list(tbx.contigs)
    finally:
        tbx.close()
    stated = contig_lengths(header)
    lengths: dict[str, int | None] = {name: stated.get(name) for name in contigs}
    return (vcf_build(header) if kind in VCF_KINDS else text_build(header)), lengths


def near_variants(spec: SourceSpec, keys: pd.DataFrame, variants_build: str | None) -> pa.Table:
    """Source records (string columns) whose reference span holds one of the variant positions."""
    tbx = open_tabix(str(spec.path))
    layout = source_layout(spec, list(tbx.header))
    check_source_build(spec, layout.build, variants_build)
    chrom = keys[col.chrom].to_numpy().astype(str)
    pos = keys[col.pos].to_numpy(np.int64)
    end = pos + keys[col.ref].str.len().to_numpy() - 1
    try:
        regions = variant_regions(chrom, pos, end, merge_gap(str(spec.path), tbx))
        return fetch_touching(tbx, regions, layout.names, layout.pos_col, layout.ref_col, chrom, pos)
    finally:
        tbx.close()


def source_rows(spec: SourceSpec, keys: pa.Table, variants_build: str | None) -> pa.Table:
    """One row per allele of a positional source at the variant keys (other alleles may come along),
    from its converted dataset when the path is one, else by tabix."""
    if is_source_dataset(spec.path):
        dataset = open_dataset(spec.path)
        check_dataset(spec, dataset, variants_build)
        return dataset_rows(dataset, keys)  # reduced per allele when converted
    rows = reduce_rows(spec.kind, parse_records(spec, near_variants(spec, keys.to_pandas(), variants_build)))
    return pa.Table.from_pandas(rows, preserve_index=False)


def _without_comment_lines(path) -> io.StringIO:
    """The table without its leading '##' notes (gnomAD's exported tables carry a preamble)."""
    opener = gzip.open if str(path).endswith((".gz", ".bgz")) else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return io.StringIO("".join(line for line in handle if not line.startswith("##")))


def read_constraint(spec: SourceSpec) -> pd.DataFrame:
    """Per-gene constraint TSV (gnomAD style); MANE/canonical transcript rows preferred."""
    try:
        df = pd.read_csv(_without_comment_lines(spec.path), sep="\t", dtype=str)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"unreadable constraint table ({err})", path=str(spec.path)) from None
    df.columns = [c.lstrip("#") for c in df.columns]  # the header may be written as '#gene ...'
    gene = column_named(list(df.columns), ["gene", "gene_symbol", "symbol", "gene_name"])
    if gene is None:
        raise InputError("constraint table lacks a gene column", path=str(spec.path),
                         hint="name it gene, gene_symbol or symbol")
    for flag in ("mane_select", "canonical"):
        flag_column = column_named(list(df.columns), [flag])
        if flag_column is not None:
            df = df.sort_values(flag_column, key=lambda s: s.str.lower() != "true", kind="stable")
            break
    out = pd.DataFrame({col.gene_symbol: df[gene]})
    for ours, theirs in _CONSTRAINT.items():
        theirs_column = column_named(list(df.columns), theirs)
        out[ours] = pd.to_numeric(df[theirs_column], errors="coerce") if theirs_column else np.nan
    return out.drop_duplicates(col.gene_symbol)


# --- joining --------------------------------------------------------------------------------------


def join_sources(table: pa.Table, specs: list[SourceSpec], build: str | None,
                 samples: list[str] | tuple = ()) -> tuple[pa.Table, dict]:
    """The annotation table with each source's columns filled where the allele (or gene) matches;
    returns per-source match counts too. `samples` (the VCF's) are left out of in-house counts
    together with their families."""
    keys = table.select(KEY)
    coded = AlleleKeys(keys)
    uniq = keys.take(pa.array(coded.first_rows()))  # each allele once
    counts = {}
    for spec in specs:
        matched = 0
        for name, new in _source_values(spec, table, coded, uniq, build, samples).items():
            i = table.schema.get_field_index(name)
            field = table.schema.field(i)
            new = new.cast(field.type, safe=False)
            old = table.column(i).combine_chunks()
            table = table.set_column(i, field, pc.coalesce(old, new) if old.null_count < len(old) else new)
            matched = max(matched, int(new.null_count < len(new) and len(new) - new.null_count))
        counts[spec.name] = matched
        log.info("source %s (%s %s): %d annotation rows matched", spec.name, spec.kind, spec.version, matched)
    return table, counts


def _source_values(spec: SourceSpec, table: pa.Table, coded: AlleleKeys, uniq: pa.Table, build: str | None,
                   samples: list[str] | tuple) -> dict[str, pa.Array]:
    """The source's columns for every annotation row (null where it has no value)."""
    if spec.kind == "constraint":
        check_source_build(spec, None, build)
        left = pd.DataFrame({col.gene_symbol: table.column(col.gene_symbol).to_pandas()})
        return _frame_values(left.merge(read_constraint(spec), on=col.gene_symbol, how="left"), spec.kind)
    if spec.kind == "inhouse":
        from ..cohort.inhouse import read_inhouse

        src = read_inhouse(str(spec.path), uniq.to_pandas(), list(samples), spec.cohort)
        return _frame_values(table.select(KEY).to_pandas().merge(src, on=KEY, how="left"), spec.kind)
    src = source_rows(spec, uniq, build)
    if not src.num_rows:
        return {name: pa.nulls(table.num_rows, pa.float64()) for name in COLUMNS[spec.kind]}
    index = coded.index_of(src)
    take = pa.array(index, mask=index < 0)
    out = {}
    for name in COLUMNS[spec.kind]:
        values = src.column(name).combine_chunks().take(take)
        if pa.types.is_floating(values.type):  # a NaN is a missing value, as in pandas
            values = pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
        out[name] = values
    return out


def _frame_values(merged: pd.DataFrame, kind: str) -> dict[str, pa.Array]:
    return {name: pa.array(merged[name].to_numpy(dtype=object if name in STRING_COLUMNS else float),
                           from_pandas=True) for name in COLUMNS[kind]}
