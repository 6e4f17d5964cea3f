"""A positional source's records (string columns, as read from the file) -> one row per allele:
chrom, pos, ref, alt (split per ALT and trimmed like ingest does) and the kind's columns.

Rows are not yet reduced per allele: a source may list one allele several times (one row per
transcript in score tables, duplicate records), and `reduce_rows` applies the kind's rule. Both the
tabix reader and the bulk reader (streamed file, converted Parquet dataset) parse with these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.alleles import trim_alleles
from ..core.genome import canonical_chroms, in_par
from ..core.sourcekinds import SCORE_KINDS
from ..errors import InputError
from ..schemas import col
from .sourceconfig import SourceSpec
from .sourcefile import POS_BY_BUILD, column_named

KEY = [col.chrom, col.pos, col.ref, col.alt]

# ClinVar CLNREVSTAT -> gold stars (ClinVar's own review-status table).
REVIEW_STARS = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_conflicting_classifications": 1,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_single_submitter": 1,
}

# Our column <- candidate INFO keys / TSV column names (first present wins).
_GNOMAD = {col.gnomad_af: ["AF"], col.gnomad_popmax_af: ["AF_grpmax", "AF_popmax", "popmax_AF", "AF_POPMAX"],
           col.gnomad_hom: ["nhomalt", "Hom", "AC_Hom", "n_homalt"]}
_GNOMAD_HEMI = ["nhemi", "AC_hemi", "Hemi", "AC_XY", "AC_male"]  # chrX/chrY outside the PARs
_SCORE_COLUMN = {"cadd": (["phred"], col.cadd_phred), "revel": (["revel", "revel_score", "score"], col.revel),
                 "alphamissense": (["am_pathogenicity", "alphamissense", "score"], col.alphamissense)}

# The columns each kind fills (strings only where the annotation column is a string).
COLUMNS = {"gnomad": [col.gnomad_af, col.gnomad_popmax_af, col.gnomad_hom, col.gnomad_hemi],
           "clinvar": [col.clinvar_significance, col.clinvar_stars], "spliceai": [col.spliceai_max],
           "cadd": [col.cadd_phred], "revel": [col.revel], "alphamissense": [col.alphamissense],
           "constraint": [col.pli, col.loeuf, col.mis_z],
           "inhouse": [col.inhouse_ac, col.inhouse_an, col.inhouse_af, col.inhouse_hom, col.inhouse_hemi]}
STRING_COLUMNS = {col.clinvar_significance}


# --- field helpers --------------------------------------------------------------------------------


def info_fields(info: pa.Array | pa.ChunkedArray, keys: list[str]) -> dict[str, pa.Array]:
    """Raw value of each INFO key per record (null when absent, the first when repeated), from one
    split of the column however many keys are wanted (gnomAD's INFO holds hundreds)."""
    if isinstance(info, pa.ChunkedArray):
        info = info.combine_chunks()
    entries = pc.split_pattern(info, ";")
    parent = pc.list_parent_indices(entries).to_numpy()
    flat = pc.list_flatten(entries)
    pairs = pc.split_pattern(flat, "=", max_splits=1)
    named = pc.fill_null(pc.index_in(pc.list_element(pairs, 0), value_set=pa.array(keys, pa.string())), -1)
    code = np.where(pc.list_value_length(pairs).to_numpy(zero_copy_only=False) == 2,
                    named.to_numpy(zero_copy_only=False), -1)  # a flag (no '=') has no value
    out = {}
    for k, key in enumerate(keys):
        idx = np.flatnonzero(code == k)
        first = idx[np.r_[True, parent[idx][1:] != parent[idx][:-1]]] if len(idx) else idx
        where = np.full(len(info), -1, np.int64)
        where[parent[first]] = first
        out[key] = pc.utf8_slice_codeunits(flat.take(pa.array(where, mask=where < 0)), len(key) + 1)
    return out


def per_allele(values: pa.Array, record: np.ndarray, allele: np.ndarray) -> pa.Array:
    """The value of each split ALT row: Number=A lists pick the allele's item, single values repeat."""
    taken = pc.split_pattern(values.take(pa.array(record)), ",")
    lengths = pc.fill_null(pc.list_value_length(taken), 0).to_numpy()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    idx = np.where(lengths > 1, allele - 1, 0)
    ok = (lengths > 0) & (idx < lengths)
    flat = pc.list_flatten(taken)
    picked = flat.take(pa.array(np.where(ok, starts + idx, 0))) if len(flat) else pa.nulls(len(record), pa.string())
    return pc.if_else(pa.array(ok), picked, pa.scalar(None, pa.string()))


def to_float(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Numbers of a string column, NaN where a value is missing or not a number. Arrow parses the
    usual case; a column with other text goes through pandas' coercion (the reference rule)."""
    blank = pc.or_kleene(pc.equal(values, "."), pc.equal(values, ""))
    try:
        cleaned = pc.if_else(pc.fill_null(blank, False), pa.scalar(None, values.type), values)
        return pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(pd.Series(values.to_pylist(), dtype=object), errors="coerce").to_numpy(float)


def split_records(t: pa.Table, path: str | None = None) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """VCF records -> one row per ALT (chrom, pos, ref, alt trimmed like ingest), with the record
    index and the 1-based allele number of each row."""
    alts = pc.split_pattern(t.column("ALT"), ",")
    record = pc.list_parent_indices(alts).to_numpy()
    lengths = pc.list_value_length(alts).to_numpy()
    allele = np.arange(len(record)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    alt = pc.list_flatten(alts)
    pos = _positions(t.column("POS"), path)[record]
    ref = t.column("REF").take(pa.array(record))
    keep = np.flatnonzero(pc.invert(pc.or_(pc.equal(alt, "*"), pc.equal(alt, "."))).to_numpy(zero_copy_only=False))
    record, allele, pos = record[keep], allele[keep], pos[keep]
    ref, alt = ref.take(pa.array(keep)).combine_chunks(), alt.take(pa.array(keep))
    pos, ref, alt, _ = trim_alleles(pos, ref, alt, np.zeros(len(pos), bool))
    chrom = canonical_chroms(t.column("CHROM").to_numpy(zero_copy_only=False)[record])
    keys = pa.table({col.chrom: pa.array(chrom, pa.string()), col.pos: pos, col.ref: ref, col.alt: alt})
    return keys, record, allele


def _positions(values: pa.ChunkedArray, path: str | None) -> np.ndarray:
    try:
        return pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)
    except (pa.ArrowInvalid, ValueError) as err:
        raise InputError(f"a source record has a position that is not a number ({err})", path=path,
                         hint="POS must be a whole number: check the file is an unmodified VCF") from None


def _first_info_value(info: dict[str, pa.Array], keys, record, allele) -> np.ndarray:
    """Per allele: the value of the first INFO key (in the given order) that the record has."""
    values = np.full(len(record), np.nan)
    for key in keys:
        if info[key].null_count == len(info[key]):
            continue  # no record has the key
        found = to_float(per_allele(info[key], record, allele))
        values = np.where(np.isnan(values), found, values)
    return values


# --- per-kind parsers -----------------------------------------------------------------------------


def parse_gnomad(spec: SourceSpec, t: pa.Table) -> pd.DataFrame:
    keys, record, allele = split_records(t, str(spec.path))
    out = keys.to_pandas()
    info = info_fields(t.column("INFO"), [k for keys in [*_GNOMAD.values(), _GNOMAD_HEMI] for k in keys])
    for ours, theirs in _GNOMAD.items():
        out[ours] = _first_info_value(info, theirs, record, allele)
    hemi = _first_info_value(info, _GNOMAD_HEMI, record, allele)
    sex_chrom = out[col.chrom].isin(["chrX", "chrY"]).to_numpy()
    par = in_par(out[col.chrom].to_numpy(), out[col.pos].to_numpy(), spec.build)
    out[col.gnomad_hemi] = np.where(sex_chrom & ~par, hemi, np.nan)
    return out


def parse_clinvar(spec: SourceSpec, t: pa.Table) -> pd.DataFrame:
    keys, record, _ = split_records(t, str(spec.path))
    out = keys.to_pandas()
    info = info_fields(t.column("INFO"), ["CLNSIG", "CLNREVSTAT"])
    sig = info["CLNSIG"].take(pa.array(record))
    out[col.clinvar_significance] = pc.replace_substring(sig, "_", " ").to_pandas()
    status = info["CLNREVSTAT"].take(pa.array(record)).to_pandas()
    out[col.clinvar_stars] = status.map(lambda s: REVIEW_STARS.get(s, 0) if isinstance(s, str) else np.nan)
    return out


def parse_spliceai(spec: SourceSpec, t: pa.Table) -> pd.DataFrame:
    """SpliceAI=ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|...: largest delta score of the row's ALT."""
    keys, record, _ = split_records(t, str(spec.path))
    out = keys.to_pandas()
    best = np.full(len(out), np.nan)
    if len(out):
        entries = pc.split_pattern(info_fields(t.column("INFO"), ["SpliceAI"])["SpliceAI"].take(pa.array(record)), ",")
        parent = pc.list_parent_indices(entries).to_numpy()
        fields = pc.split_pattern(pc.binary_join_element_wise(pc.list_flatten(entries), "||||||", ""), "|")
        alt_of_row = np.asarray(_raw_alts(t, record), dtype=object)
        match = pc.list_element(fields, 0).to_numpy(zero_copy_only=False) == alt_of_row[parent]
        ds = np.nanmax(np.vstack([to_float(pc.list_element(fields, k)) for k in range(2, 6)]), axis=0)
        ok = match & ~np.isnan(ds)
        best_tmp = np.full(len(out), -1.0)
        np.maximum.at(best_tmp, parent[ok], ds[ok])
        best = np.where(best_tmp >= 0, best_tmp, np.nan)
    out[col.spliceai_max] = best
    return out


def _raw_alts(t: pa.Table, record: np.ndarray) -> list[str]:
    """The untrimmed ALT of each split row (SpliceAI entries name the ALT as written)."""
    alts = pc.split_pattern(t.column("ALT"), ",").to_pylist()
    counters: dict[int, int] = {}
    out = []
    for r in record:  # rows of the records read only
        k = counters.get(int(r), 0)
        counters[int(r)] = k + 1
        out.append(alts[int(r)][k] if k < len(alts[int(r)]) else "")
    return out


def score_columns(spec: SourceSpec, names: list[str]) -> dict[str, str]:
    """Our key columns and `score` -> the TSV's column names; a missing one is an input error."""
    candidates, _ = _SCORE_COLUMN[spec.kind]
    cols = {col.chrom: column_named(names, ["chrom", "chr", "chromosome"]),
            col.pos: column_named(names, POS_BY_BUILD[spec.build]),
            col.ref: column_named(names, ["ref"]), col.alt: column_named(names, ["alt"]),
            "score": column_named(names, candidates) or (names[-1] if spec.kind == "cadd" else None)}
    missing = [k for k, v in cols.items() if v is None]
    if missing:
        raise InputError(f"source {spec.name!r} lacks columns {missing} (found {names})", path=str(spec.path),
                         hint="a '#'-header line naming chrom, pos, ref, alt and the score column")
    return cols


def parse_score_tsv(spec: SourceSpec, t: pa.Table) -> pd.DataFrame:
    """CADD/REVEL/AlphaMissense-style TSV rows: chrom, pos, ref, alt and the score."""
    _, ours = _SCORE_COLUMN[spec.kind]
    cols = score_columns(spec, t.column_names)
    df = pd.DataFrame({
        col.chrom: canonical_chroms(t.column(cols[col.chrom]).to_numpy(zero_copy_only=False)),
        col.pos: to_float(t.column(cols[col.pos])),
        col.ref: t.column(cols[col.ref]).to_pandas(), col.alt: t.column(cols[col.alt]).to_pandas(),
        ours: to_float(t.column(cols["score"]))})
    df = df.dropna(subset=[col.pos])
    df[col.pos] = df[col.pos].astype(np.int64)
    return df


PARSERS = {"gnomad": parse_gnomad, "clinvar": parse_clinvar, "spliceai": parse_spliceai,
           "cadd": parse_score_tsv, "revel": parse_score_tsv, "alphamissense": parse_score_tsv}


def parse_records(spec: SourceSpec, records: pa.Table) -> pd.DataFrame:
    """One row per allele of a positional source's records: KEY and the kind's columns."""
    return PARSERS[spec.kind](spec, records)


def reduce_rows(kind: str, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per allele: score tables keep the largest score (one row per transcript), the
    others the first value present, in file order."""
    if not len(rows):
        return rows
    if kind in SCORE_KINDS:
        rows = rows.groupby(KEY, as_index=False)[COLUMNS[kind][0]].max()
    return rows.groupby(KEY, as_index=False, dropna=False).first()
