"""Joining annotation sources onto the annotation rows by allele (chrom, pos, ref, alt).

Allele-level sources are tabix-indexed: gnomAD-style and ClinVar and SpliceAI VCFs, CADD /
REVEL / AlphaMissense-style TSVs. Their records near the variants are fetched (`tabixread`), split
per ALT and trimmed like ingest does, then joined. Gene constraint (pLI, LOEUF, missense Z) is a
plain per-gene TSV joined on the gene symbol. A source on another genome build is an error.
"""

from __future__ import annotations

import gzip
import io
import logging
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.alleles import trim_alleles
from ..core.genome import canonical_chroms, guess_build, in_par, normalise_build
from ..errors import InputError
from ..schemas import col
from .sourceconfig import SourceSpec
from .tabixread import fetch_touching, merge_gap, open_tabix, variant_regions

log = logging.getLogger(__name__)

_KEY = [col.chrom, col.pos, col.ref, col.alt]
_VCF_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]

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
_POS_BY_BUILD = {"GRCh38": ["grch38_pos", "hg38_pos", "pos", "position", "start"],
                 "GRCh37": ["hg19_pos", "grch37_pos", "pos", "position", "start"]}
_CONSTRAINT = {col.pli: ["pli", "lof.pli", "pli_score"], col.loeuf: ["loeuf", "oe_lof_upper", "lof.oe_ci.upper"],
               col.mis_z: ["mis_z", "mis.z_score", "mis_z_score"]}


# --- parsing helpers ------------------------------------------------------------------------------


def info_values(info: pa.Array, key: str) -> pa.Array:
    """Raw value of one INFO key per record (null when absent)."""
    found = pc.extract_regex(info, rf"(?:^|;){re.escape(key)}=(?P<v>[^;]*)")
    return pc.struct_field(found, "v")


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


def _to_float(values: pa.Array) -> np.ndarray:
    return pd.to_numeric(pd.Series(values.to_pylist(), dtype=object), errors="coerce").to_numpy(float)


def split_records(t: pa.Table) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """VCF records -> one row per ALT (chrom, pos, ref, alt trimmed like ingest), with the record
    index and the 1-based allele number of each row."""
    alts = pc.split_pattern(t.column("ALT"), ",")
    record = pc.list_parent_indices(alts).to_numpy()
    lengths = pc.list_value_length(alts).to_numpy()
    allele = np.arange(len(record)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    alt = pc.list_flatten(alts)
    pos = pd.to_numeric(pd.Series(t.column("POS").to_pylist())).to_numpy(np.int64)[record]
    ref = t.column("REF").take(pa.array(record))
    keep = np.flatnonzero(pc.invert(pc.or_(pc.equal(alt, "*"), pc.equal(alt, "."))).to_numpy(zero_copy_only=False))
    record, allele, pos = record[keep], allele[keep], pos[keep]
    ref, alt = ref.take(pa.array(keep)).combine_chunks(), alt.take(pa.array(keep))
    pos, ref, alt, _ = trim_alleles(pos, ref, alt, np.zeros(len(pos), bool))
    chrom = canonical_chroms(t.column("CHROM").to_numpy(zero_copy_only=False)[record])
    keys = pa.table({col.chrom: pa.array(chrom, pa.string()), col.pos: pos, col.ref: ref, col.alt: alt})
    return keys, record, allele


# --- per-kind readers -----------------------------------------------------------------------------


def _vcf_build(header: list[str]) -> str | None:
    lengths = {}
    for line in header:
        m = re.match(r"##contig=<ID=([^,>]+),.*length=(\d+)", line)
        if m:
            lengths[m.group(1)] = int(m.group(2))
    return guess_build(lengths)


def _text_build(header: list[str]) -> str | None:
    comments = [line for line in header[:50] if line.startswith("##")]  # not the column-name line
    m = re.search(r"(GRCh3[78]|hg19|hg38)", "\n".join(comments), re.I)
    return normalise_build(m.group(1)) if m else None


VCF_KINDS = ("gnomad", "clinvar", "spliceai")  # the other tabix sources are TSVs


def source_header_facts(path: str, kind: str) -> tuple[str | None, dict[str, int | None]]:
    """(build the file's header states, its contigs with header lengths when given), read from the
    tabix header only (for `validate`); (None, {}) for sources that are not tabix files."""
    if kind not in VCF_KINDS + tuple(_SCORE_COLUMN):
        return None, {}
    tbx = open_tabix(path)
    try:
        header, contigs = list(tbx.header), list(tbx.contigs)
    finally:
        tbx.close()
    lengths: dict[str, int | None] = {name: None for name in contigs}
    for line in header:
        m = re.match(r"##contig=<ID=([^,>]+),.*length=(\d+)", line)
        if m and m.group(1) in lengths:
            lengths[m.group(1)] = int(m.group(2))
    return (_vcf_build(header) if kind in VCF_KINDS else _text_build(header)), lengths


def check_source_build(spec: SourceSpec, found: str | None, variants_build: str | None) -> None:
    """Declared, file and variant builds must agree."""
    if variants_build and spec.build != variants_build:
        raise InputError(f"source {spec.name!r} is declared {spec.build} but the variants are {variants_build}",
                         path=str(spec.path), hint="use the source release of the VCF's genome build")
    if found and found != spec.build:
        raise InputError(f"source {spec.name!r} is declared {spec.build} but its header says {found}",
                         path=str(spec.path), hint="fix `build:` in the config or use the matching file")


def _near_variants(spec: SourceSpec, keys: pd.DataFrame, names: list[str], variants_build: str | None,
                   vcf: bool) -> pa.Table:
    """Source records (string columns) whose reference span holds one of the variant positions."""
    tbx = open_tabix(str(spec.path))
    header = list(tbx.header)
    check_source_build(spec, _vcf_build(header) if vcf else _text_build(header), variants_build)
    if not vcf:
        names = _tsv_names(header) or names
    pos_col = "POS" if vcf else (_column(names, _POS_BY_BUILD[spec.build]) or names[1])
    ref_col = "REF" if vcf else _column(names, ["ref"])
    chrom = keys[col.chrom].to_numpy().astype(str)
    pos = keys[col.pos].to_numpy(np.int64)
    end = pos + keys[col.ref].str.len().to_numpy() - 1
    try:
        regions = variant_regions(chrom, pos, end, merge_gap(str(spec.path), tbx))
        return fetch_touching(tbx, regions, names, pos_col, ref_col, chrom, pos)
    finally:
        tbx.close()


def _tsv_names(header: list[str]) -> list[str] | None:
    """Column names from the last '#' header line (AlphaMissense has copyright lines before it)."""
    for line in reversed(header):
        text = line.lstrip("#").strip()
        if "\t" in text:
            return [c.strip() for c in text.split("\t")]
    return None


def _first_info_value(info: pa.ChunkedArray, keys, record, allele) -> np.ndarray:
    """Per allele: the value of the first INFO key (in the given order) that the record has."""
    values = np.full(len(record), np.nan)
    for key in keys:
        found = _to_float(per_allele(info_values(info, key), record, allele))
        values = np.where(np.isnan(values), found, values)
    return values


def _vcf_rows(spec: SourceSpec, keys: pd.DataFrame, build: str | None
              ) -> tuple[pd.DataFrame, pa.Table, np.ndarray, np.ndarray]:
    """A VCF source's records near the variants, split: one row per ALT (our key columns), the
    records themselves, and each row's record and allele number."""
    t = _near_variants(spec, keys, _VCF_COLUMNS, build, vcf=True)
    rows, record, allele = split_records(t)
    return rows.to_pandas(), t, record, allele


def read_gnomad(spec: SourceSpec, keys: pd.DataFrame, build: str | None) -> pd.DataFrame:
    out, t, record, allele = _vcf_rows(spec, keys, build)
    info = t.column("INFO")
    for ours, theirs in _GNOMAD.items():
        out[ours] = _first_info_value(info, theirs, record, allele)
    hemi = _first_info_value(info, _GNOMAD_HEMI, record, allele)
    sex_chrom = out[col.chrom].isin(["chrX", "chrY"]).to_numpy()
    par = in_par(out[col.chrom].to_numpy(), out[col.pos].to_numpy(), spec.build)
    out[col.gnomad_hemi] = np.where(sex_chrom & ~par, hemi, np.nan)
    return out


def read_clinvar(spec: SourceSpec, keys: pd.DataFrame, build: str | None) -> pd.DataFrame:
    out, t, record, _ = _vcf_rows(spec, keys, build)
    info = t.column("INFO")
    sig = info_values(info, "CLNSIG").take(pa.array(record))
    out[col.clinvar_significance] = pc.replace_substring(sig, "_", " ").to_pandas()
    status = info_values(info, "CLNREVSTAT").take(pa.array(record)).to_pandas()
    out[col.clinvar_stars] = status.map(lambda s: REVIEW_STARS.get(s, 0) if isinstance(s, str) else np.nan)
    return out


def read_spliceai(spec: SourceSpec, keys: pd.DataFrame, build: str | None) -> pd.DataFrame:
    """SpliceAI=ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|...: largest delta score of the row's ALT."""
    out, t, record, _ = _vcf_rows(spec, keys, build)
    raw_alt = pc.list_flatten(pc.split_pattern(t.column("ALT"), ","))
    best = np.full(len(out), np.nan)
    if len(out):
        entries = pc.split_pattern(info_values(t.column("INFO"), "SpliceAI").take(pa.array(record)), ",")
        parent = pc.list_parent_indices(entries).to_numpy()
        fields = pc.split_pattern(pc.binary_join_element_wise(pc.list_flatten(entries), "||||||", ""), "|")
        alt_of_row = np.asarray(_raw_alts(t, record, raw_alt), dtype=object)
        match = pc.list_element(fields, 0).to_numpy(zero_copy_only=False) == alt_of_row[parent]
        ds = np.nanmax(np.vstack([_to_float(pc.list_element(fields, k)) for k in range(2, 6)]), axis=0)
        ok = match & ~np.isnan(ds)
        best_tmp = np.full(len(out), -1.0)
        np.maximum.at(best_tmp, parent[ok], ds[ok])
        best = np.where(best_tmp >= 0, best_tmp, np.nan)
    out[col.spliceai_max] = best
    return out


def _raw_alts(t: pa.Table, record: np.ndarray, raw_alt: pa.Array) -> list[str]:
    """The untrimmed ALT of each split row (SpliceAI entries name the ALT as written)."""
    alts = pc.split_pattern(t.column("ALT"), ",").to_pylist()
    counters: dict[int, int] = {}
    out = []
    for r in record:  # rows of the fetched source records only
        k = counters.get(int(r), 0)
        counters[int(r)] = k + 1
        out.append(alts[int(r)][k] if k < len(alts[int(r)]) else "")
    return out


def _column(names: list[str], candidates: list[str]) -> str | None:
    lower = {n.lower().lstrip("#"): n for n in names}
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    return None


def read_score_tsv(spec: SourceSpec, keys: pd.DataFrame, build: str | None) -> pd.DataFrame:
    """CADD/REVEL/AlphaMissense-style tabixed TSV: chrom, pos, ref, alt and a score column;
    several rows per allele (one per transcript) keep the largest score."""
    candidates, ours = _SCORE_COLUMN[spec.kind]
    t = _near_variants(spec, keys, ["chrom", "pos", "ref", "alt", "score"], build, vcf=False)
    names = t.column_names
    cols = {col.chrom: _column(names, ["chrom", "chr", "chromosome"]),
            col.pos: _column(names, _POS_BY_BUILD[spec.build]),
            col.ref: _column(names, ["ref"]), col.alt: _column(names, ["alt"]),
            "score": _column(names, candidates) or (names[-1] if spec.kind == "cadd" else None)}
    missing = [k for k, v in cols.items() if v is None]
    if missing:
        raise InputError(f"source {spec.name!r} lacks columns {missing} (found {names})", path=str(spec.path),
                         hint="a '#'-header line naming chrom, pos, ref, alt and the score column")
    df = pd.DataFrame({
        col.chrom: canonical_chroms(t.column(cols[col.chrom]).to_numpy(zero_copy_only=False)),
        col.pos: pd.to_numeric(t.column(cols[col.pos]).to_pandas(), errors="coerce"),
        col.ref: t.column(cols[col.ref]).to_pandas(), col.alt: t.column(cols[col.alt]).to_pandas(),
        ours: pd.to_numeric(t.column(cols["score"]).to_pandas(), errors="coerce")})
    df = df.dropna(subset=[col.pos])
    df[col.pos] = df[col.pos].astype(np.int64)
    return df.groupby(_KEY, as_index=False)[ours].max()


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
    gene = _column(list(df.columns), ["gene", "gene_symbol", "symbol", "gene_name"])
    if gene is None:
        raise InputError("constraint table lacks a gene column", path=str(spec.path),
                         hint="name it gene, gene_symbol or symbol")
    for flag in ("mane_select", "canonical"):
        flag_column = _column(list(df.columns), [flag])
        if flag_column is not None:
            df = df.sort_values(flag_column, key=lambda s: s.str.lower() != "true", kind="stable")
            break
    out = pd.DataFrame({col.gene_symbol: df[gene]})
    for ours, theirs in _CONSTRAINT.items():
        theirs_column = _column(list(df.columns), theirs)
        out[ours] = pd.to_numeric(df[theirs_column], errors="coerce") if theirs_column else np.nan
    return out.drop_duplicates(col.gene_symbol)


_READERS = {"gnomad": read_gnomad, "clinvar": read_clinvar, "spliceai": read_spliceai,
            "cadd": read_score_tsv, "revel": read_score_tsv, "alphamissense": read_score_tsv}
_COLUMNS = {"gnomad": [col.gnomad_af, col.gnomad_popmax_af, col.gnomad_hom, col.gnomad_hemi],
            "clinvar": [col.clinvar_significance, col.clinvar_stars], "spliceai": [col.spliceai_max],
            "cadd": [col.cadd_phred], "revel": [col.revel], "alphamissense": [col.alphamissense],
            "constraint": [col.pli, col.loeuf, col.mis_z],
            "inhouse": [col.inhouse_ac, col.inhouse_an, col.inhouse_af, col.inhouse_hom, col.inhouse_hemi]}


# --- joining --------------------------------------------------------------------------------------


def join_sources(table: pa.Table, specs: list[SourceSpec], build: str | None,
                 samples: list[str] | tuple = ()) -> tuple[pa.Table, dict]:
    """The annotation table with each source's columns filled where the allele (or gene) matches;
    returns per-source match counts too. `samples` (the VCF's) are left out of in-house counts
    together with their families."""
    keys = table.select(_KEY).to_pandas()
    uniq = keys.drop_duplicates().reset_index(drop=True)
    counts = {}
    for spec in specs:
        if spec.kind == "constraint":
            check_source_build(spec, None, build)
            src = read_constraint(spec)
            left = pd.DataFrame({col.gene_symbol: table.column(col.gene_symbol).to_pandas()})
            merged = left.merge(src, on=col.gene_symbol, how="left")
        elif spec.kind == "inhouse":
            from ..cohort.inhouse import read_inhouse

            src = read_inhouse(str(spec.path), uniq, list(samples), spec.cohort)
            merged = keys.merge(src, on=_KEY, how="left")
        else:
            src = _READERS[spec.kind](spec, uniq, build)
            src = src.groupby(_KEY, as_index=False, dropna=False).first() if len(src) else src
            merged = keys.merge(src, on=_KEY, how="left") if len(src) else keys.assign(
                **{c: np.nan for c in _COLUMNS[spec.kind]})
        matched = 0
        for name in _COLUMNS[spec.kind]:
            i = table.schema.get_field_index(name)
            field = table.schema.field(i)
            new = pa.array(merged[name].to_numpy(dtype=object if field.type == pa.string() else float),
                           from_pandas=True).cast(field.type, safe=False)
            old = table.column(i).combine_chunks()
            table = table.set_column(i, field, pc.coalesce(old, new) if old.null_count < len(old) else new)
            matched = max(matched, int(new.null_count < len(new) and len(new) - new.null_count))
        counts[spec.name] = matched
        log.info("source %s (%s %s): %d annotation rows matched", spec.name, spec.kind, spec.version, matched)
    return table, counts
