"""Gene model from the GENCODE reference-table directory (genes, MANE exons, CDS intervals).

MANE Select transcripts get their real exons; their coding span is taken from the CDS intervals
that sit inside a MANE exon and share one of its boundaries (intervals of other transcripts of
the gene rarely do). These CDS intervals include the stop codon (NOC2L: 2,250 bp = 749 codons +
stop) and, unlike the README says, start 1-based. Genes
without a MANE transcript get one pseudo-transcript: merged CDS intervals as exons (first and
last stretched to the gene ends) when protein coding, else the gene span as one exon.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..core.genemodel import GeneModel, guess_release, transcripts_table
from ..errors import InputError

log = logging.getLogger(__name__)

_PATTERNS = {"genes": "*genes*.tsv*", "exons": "*mane-exons*.bed*", "cds": "*cds*.tsv*"}


def find_reference_tables(directory: Path) -> tuple[Path, Path, Path]:
    """(genes, MANE exons, CDS) files of a reference directory; InputError naming what is missing."""
    found = {}
    for kind, pattern in _PATTERNS.items():
        hits = sorted(directory.glob(pattern))
        if not hits:
            raise InputError(f"reference directory lacks the {kind} table ({pattern})", path=str(directory),
                             hint="expected gencode44-genes.*.tsv.gz, gencode44-mane-exons.*.bed.gz, "
                                  "gencode-cds.*.tsv.gz")
        found[kind] = hits[0]
    return found["genes"], found["exons"], found["cds"]


def _read(path: Path, names: list[str]) -> pd.DataFrame:
    """A reference table; a first line naming the columns (with or without '#') is skipped."""
    try:
        first = pd.read_csv(path, sep="\t", header=None, nrows=1, dtype=str)
        skip = 0 if str(first.iloc[0, 1]).isdigit() else 1
        return pd.read_csv(path, sep="\t", header=None, names=names, skiprows=skip,
                           dtype={names[0]: str, names[1]: np.int64, names[2]: np.int64})
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise InputError(f"unreadable reference table ({err})", path=str(path)) from None


def read_reference_dir(directory: str | Path) -> GeneModel:
    directory = Path(directory)
    genes_path, exons_path, cds_path = find_reference_tables(directory)
    genes = _read(genes_path, ["chrom", "start0", "end", "gene_name", "gene_id", "strand", "gene_type"])
    exons = _read(exons_path, ["chrom", "start0", "end", "exon_id", "gene_name", "exon_number", "transcript_id"])
    cds = _read(cds_path, ["chrom", "start0", "end", "gene_name", "strand", "gene_type"])
    for df in (genes, exons):
        df["start"] = df.pop("start0").astype(np.int64) + 1
    # The CDS table's starts are already 1-based (its intervals share their first base with the
    # 1-based starts of MANE exons), despite the README's "0-based".
    cds["start"] = cds.pop("start0").astype(np.int64)
    mane = _mane_transcripts(genes, exons, cds)
    other = _pseudo_transcripts(genes[~genes["gene_name"].isin(set(mane["gene_name"]))], cds)
    tx = pd.concat([mane, other], ignore_index=True)
    offsets = np.concatenate([[0], np.cumsum(tx["exon_starts"].map(len).to_numpy())])
    table = transcripts_table(
        tx["chrom"], tx["start"], tx["end"], np.where(tx["strand"] == "+", 1, -1), tx["gene_id"].tolist(),
        tx["gene_name"].tolist(), tx["gene_type"].tolist(), tx["transcript_id"].tolist(), tx["is_mane"],
        tx["cds_start"], tx["cds_end"], offsets,
        np.concatenate(tx["exon_starts"].to_numpy()), np.concatenate(tx["exon_ends"].to_numpy()))
    release, build = guess_release(genes_path.name)
    log.info("reference tables: %d MANE transcripts, %d genes without MANE as pseudo-transcripts",
             len(mane), len(other))
    return GeneModel(table, name=directory.name, version=release or "unversioned", build=build,
                     extra={"files": [p.name for p in (genes_path, exons_path, cds_path)]})


def _mane_transcripts(genes: pd.DataFrame, exons: pd.DataFrame, cds: pd.DataFrame) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("exons", exons)
    con.register("cds", cds)
    con.register("genes", genes)
    # Coding span: CDS intervals inside a MANE exon sharing one of its boundaries.
    span = con.execute("""
        SELECT e.transcript_id, list(DISTINCT c.start) AS los, list(DISTINCT c."end") AS his
        FROM exons e JOIN cds c ON e.chrom = c.chrom AND e.gene_name = c.gene_name
          AND c.start >= e.start AND c."end" <= e."end" AND (c.start = e.start OR c."end" = e."end")
        GROUP BY e.transcript_id""").df()
    # Single-exon coding genes: the CDS shares no exon boundary; take any CDS inside the exons.
    inside = con.execute("""
        SELECT e.transcript_id, list(DISTINCT c.start) AS los, list(DISTINCT c."end") AS his
        FROM exons e JOIN cds c ON e.chrom = c.chrom AND e.gene_name = c.gene_name
          AND c.start >= e.start AND c."end" <= e."end"
        GROUP BY e.transcript_id""").df()
    span = pd.concat([span, inside[~inside["transcript_id"].isin(set(span["transcript_id"]))]])
    tx = con.execute("""
        WITH g AS (SELECT chrom, gene_name, any_value(gene_id) AS gene_id, any_value(strand) AS strand,
                          any_value(gene_type) AS gene_type FROM genes GROUP BY chrom, gene_name)
        SELECT e.transcript_id, e.chrom, e.gene_name, g.gene_id, g.strand, g.gene_type,
               min(e.start) AS start, max(e."end") AS "end",
               list(e.start ORDER BY e.start) AS exon_starts, list(e."end" ORDER BY e.start) AS exon_ends
        FROM exons e LEFT JOIN g ON e.chrom = g.chrom AND e.gene_name = g.gene_name
        GROUP BY e.transcript_id, e.chrom, e.gene_name, g.gene_id, g.strand, g.gene_type""").df()
    tx = tx.merge(span, on="transcript_id", how="left")
    chosen = [_coding_span(st, en, lo, hi) for st, en, lo, hi in
              tx[["exon_starts", "exon_ends", "los", "his"]].itertuples(index=False)]
    tx["cds_start"] = [c[0] for c in chosen]
    tx["cds_end"] = [c[1] for c in chosen]
    tx["strand"] = tx["strand"].fillna("+")
    tx["gene_id"] = tx["gene_id"].fillna(tx["gene_name"])
    tx["is_mane"] = True
    tx["exon_starts"] = tx["exon_starts"].map(np.asarray)
    tx["exon_ends"] = tx["exon_ends"].map(np.asarray)
    return tx


def _coding_span(starts, ends, los, his) -> tuple[float, float]:
    """The widest (CDS start, CDS end) among the candidate boundaries whose coding length is a
    whole number of codons: candidates from other transcripts' CDS intervals break the frame."""
    if not isinstance(los, (list, np.ndarray)) or len(los) == 0:
        return np.nan, np.nan
    starts, ends = np.asarray(starts), np.asarray(ends)
    los, his = np.sort(np.asarray(los)), np.sort(np.asarray(his))[::-1]
    if len(los) * len(his) > 64:
        return float(los[0]), float(his[0])
    for lo in los:  # one transcript at a time: a loop over ~19k MANE transcripts, at build only
        for hi in his:
            length = np.clip(np.minimum(ends, hi) - np.maximum(starts, lo) + 1, 0, None).sum()
            if hi >= lo and length % 3 == 0:
                return float(lo), float(hi)
    return float(los[0]), float(his[0])


def _pseudo_transcripts(genes: pd.DataFrame, cds: pd.DataFrame) -> pd.DataFrame:
    genes = genes.drop_duplicates(["chrom", "gene_name"]).reset_index(drop=True)
    blocks = _merged_cds_blocks(cds[cds["gene_name"].isin(set(genes["gene_name"]))])
    by_gene = {k: g for k, g in blocks.groupby(["chrom", "gene_name"], sort=False)}
    starts, ends, cds_start, cds_end = [], [], [], []
    # One loop over genes (not variants): ~40k genes without MANE transcripts.
    for chrom, name, g_start, g_end in genes[["chrom", "gene_name", "start", "end"]].itertuples(index=False):
        b = by_gene.get((chrom, name))
        if b is None:
            starts.append(np.array([g_start]))
            ends.append(np.array([g_end]))
            cds_start.append(np.nan)
            cds_end.append(np.nan)
            continue
        s, e = b["start"].to_numpy().copy(), b["end"].to_numpy().copy()
        cds_start.append(s[0])
        cds_end.append(e[-1])
        s[0], e[-1] = min(s[0], g_start), max(e[-1], g_end)
        starts.append(s)
        ends.append(e)
    out = genes[["chrom", "gene_name", "gene_id", "strand", "gene_type"]].copy()
    out["start"] = [s[0] for s in starts]
    out["end"] = [e[-1] for e in ends]
    out["transcript_id"] = None
    out["is_mane"] = False
    out["cds_start"] = cds_start
    out["cds_end"] = cds_end
    out["exon_starts"] = starts
    out["exon_ends"] = ends
    return out


def _merged_cds_blocks(cds: pd.DataFrame) -> pd.DataFrame:
    """Union of overlapping CDS intervals per gene (sorted, vectorised with a running maximum)."""
    cds = cds.sort_values(["chrom", "gene_name", "start"]).reset_index(drop=True)
    key = cds["chrom"] + "\t" + cds["gene_name"]
    prev_end = cds.groupby(key, sort=False)["end"].cummax().shift(1)
    new_block = (key != key.shift(1)) | (cds["start"] > prev_end)
    block = new_block.cumsum()
    return cds.groupby(block).agg(chrom=("chrom", "first"), gene_name=("gene_name", "first"),
                                  start=("start", "min"), end=("end", "max")).reset_index(drop=True)
