"""GENCODE/Ensembl GTF or GFF3 into the transcript table.

Transcripts are assembled from their `exon` rows (span = first..last exon), the coding span from
`CDS` plus `stop_codon` rows (GTF CDS excludes the stop codon, VEP counts it as coding), the MANE
flag from the `MANE_Select` / `Ensembl_canonical` tags. GTF attributes are `key "value";`, GFF3
ones `key=value;`; both are read by the same patterns.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.genemodel import GeneModel, guess_release, transcripts_table
from ..errors import InputError

log = logging.getLogger(__name__)

_FEATURES = ("exon", "CDS", "stop_codon")
_COLUMNS = ["seqname", "source", "feature", "start", "end", "score", "strand", "frame", "attributes"]


def _attr(attrs: pd.Series, key: str) -> pd.Series:
    """Value of one attribute in GTF (`key "v"`) or GFF3 (`key=v`) spelling, NaN when absent."""
    return attrs.str.extract(rf'(?:^|;)\s*{key}(?:\s+"([^"]*)"|=([^;]*))', expand=True).bfill(axis=1)[0]


def _open_text(path: Path):
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt") if gz else open(path)


def _header_text(path: Path) -> str:
    lines = []
    with _open_text(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line)
    return "".join(lines)


def read_gtf_rows(path: Path) -> pd.DataFrame:
    """exon/CDS/stop_codon rows with checked coordinates; malformed lines are InputErrors."""
    try:
        with _open_text(path) as fh:
            df = pd.read_csv(fh, sep="\t", header=None, names=_COLUMNS, dtype=str, quoting=3,
                             skip_blank_lines=False, na_filter=False, engine="c")
    except pd.errors.ParserError as err:
        raise InputError(f"malformed GTF/GFF line ({str(err).strip()})", path=str(path),
                         hint="expect 9 tab-separated columns per feature line") from None
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise InputError(f"unreadable gene-model file ({err})", path=str(path)) from None
    line_no = np.arange(1, len(df) + 1)
    body = ~df["seqname"].str.startswith("#") & (df["seqname"] != "")
    short = body & (df["attributes"] == "")
    if short.any():
        raise InputError("malformed GTF/GFF line: fewer than 9 tab-separated columns", path=str(path),
                         where=f"line {line_no[short.to_numpy()][0]}",
                         hint="expect seqname, source, feature, start, end, score, strand, frame, attributes")
    df["line"] = line_no
    # Ensembl GFF3 names genes and MANE tags only on gene/transcript rows (ID=gene:/transcript:).
    parents = df["attributes"].str.contains("ID=gene:|ID=transcript:", regex=True)
    df = df[body & (df["feature"].isin(_FEATURES) | parents)]
    for col in ("start", "end"):
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna().to_numpy()
        if bad.any():
            raise InputError(f"malformed GTF/GFF line: {col} is not a number ({df[col].iloc[bad.argmax()]!r})",
                             path=str(path), where=f"line {df['line'].iloc[bad.argmax()]}")
        df[col] = num.astype(np.int64)
    bad = ~df["strand"].isin(["+", "-"]).to_numpy()
    if bad.any():
        raise InputError(f"malformed GTF/GFF line: strand {df['strand'].iloc[bad.argmax()]!r}",
                         path=str(path), where=f"line {df['line'].iloc[bad.argmax()]}",
                         hint="transcript features need strand + or -")
    return df


def read_gtf(path: str | Path) -> GeneModel:
    """Gene model from a GTF/GFF3 file (gzipped or plain)."""
    path = Path(path)
    df = read_gtf_rows(path)
    if df.empty:
        raise InputError("no exon features in the gene-model file", path=str(path),
                         hint="pass a GENCODE/Ensembl GTF or GFF3 with exon and CDS rows")
    df = _inherit_from_parents(df)
    attrs = df["attributes"]
    tx = _attr(attrs, "transcript_id")
    parent = _attr(attrs, "Parent").str.replace(r"^transcript:", "", regex=True)
    df = df.assign(
        tx=tx.fillna(parent),
        gene_id=_attr(attrs, "gene_id").str.replace(r"^gene:", "", regex=True),
        gene_name=_attr(attrs, "gene_name"),
        gene_type=_attr(attrs, "gene_type").fillna(_attr(attrs, "gene_biotype")),
        mane=attrs.str.contains("MANE_Select|Ensembl_canonical", regex=True))
    missing = df["tx"].isna().to_numpy()
    if missing.any():
        raise InputError("feature without transcript_id (or Parent)", path=str(path),
                         where=f"line {df['line'].iloc[missing.argmax()]}")
    df["gene_name"] = df["gene_name"].fillna(df["gene_id"])
    return _assemble(df, path)


def _inherit_from_parents(df: pd.DataFrame) -> pd.DataFrame:
    """Ensembl GFF3: exon/CDS rows carry only Parent=transcript:X; append their transcript's
    attributes (gene Parent, tags) and that gene's (Name, biotype) so the same patterns apply."""
    is_parent = df["attributes"].str.contains("ID=gene:|ID=transcript:", regex=True)
    if not is_parent.any():
        return df
    parents = df[is_parent]
    ids = _attr(parents["attributes"], "ID")
    genes = parents[ids.str.startswith("gene:")]
    def text(key: str) -> pd.Series:
        return _attr(genes["attributes"], key).astype(object).fillna("")

    gene_attrs = pd.Series(
        ("gene_id=" + text("gene_id") + ";gene_name=" + text("Name") + ";gene_type=" + text("biotype"))
        .to_numpy(dtype=object), index=ids[ids.str.startswith("gene:")].to_numpy(), dtype=object)
    txs = parents[ids.str.startswith("transcript:")]
    tx_ids = ids[ids.str.startswith("transcript:")].to_numpy()
    tx_gene = _attr(txs["attributes"], "Parent").to_numpy()
    tx_attrs = pd.Series((txs["attributes"].to_numpy() + ";" + gene_attrs.reindex(tx_gene).fillna("").to_numpy()),
                         index=tx_ids)
    rows = df[~is_parent & df["feature"].isin(_FEATURES)].copy()
    inherited = tx_attrs.reindex(_attr(rows["attributes"], "Parent").to_numpy()).fillna("").to_numpy()
    # Parent's own ID/Parent keys must not shadow the feature's: drop them from the appended text.
    inherited = pd.Series(inherited).str.replace(r"(?:^|;)(?:ID|Parent)=[^;]*", "", regex=True).to_numpy()
    rows["attributes"] = rows["attributes"].to_numpy() + ";" + inherited
    return rows


def _assemble(df: pd.DataFrame, path: Path) -> GeneModel:
    exons = df[df["feature"] == "exon"].sort_values(["tx", "start"], kind="stable")
    coding = df[df["feature"] != "exon"].groupby("tx").agg(cds_start=("start", "min"), cds_end=("end", "max"))
    info = exons.groupby("tx", sort=True).agg(
        chrom=("seqname", "first"), start=("start", "min"), end=("end", "max"), strand=("strand", "first"),
        gene_id=("gene_id", "first"), gene_name=("gene_name", "first"), gene_type=("gene_type", "first"),
        mane=("mane", "any"), n=("start", "size"))
    info = info.join(coding, how="left")
    offsets = np.concatenate([[0], np.cumsum(info["n"].to_numpy())])
    header = _header_text(path)
    release, build = guess_release(path.name + "\n" + header)
    table = transcripts_table(
        info["chrom"], info["start"], info["end"], np.where(info["strand"] == "+", 1, -1),
        info["gene_id"].tolist(), info["gene_name"].tolist(), info["gene_type"].tolist(), info.index.tolist(),
        info["mane"], info["cds_start"], info["cds_end"], offsets,
        exons["start"].to_numpy(), exons["end"].to_numpy())
    return GeneModel(table, name=path.name, version=release or "unversioned", build=build,
                     extra={"source": str(path)})
