"""A GRCh38 -> GRCh37 chain file derived from the paired GENCODE reference tables, for the GRCh37
benchmark where UCSC's hg38ToHg19 chain cannot be downloaded.

../shared/bench/reference-grch37/ holds the MANE exons and all CDS intervals lifted with the UCSC
chain, each kept only when it lifted whole and kept its length: each such pair is an exact ungapped
alignment block (CDS intervals are paired in order within genes that kept all of theirs).
Blocks with the same offset on the same GRCh37 chromosome that lie close together are merged
(the stretch between them is taken as aligned too), and every block is padded into its introns, so
that the splice regions and flanks an exome calls are covered. Outside exons this is an
approximation of the UCSC chain, stated wherever the chain is used; `check_chain` measures it on
gene ends, which the chain is not built from.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.genome import CONTIG_LENGTHS
from ...errors import InputError
from ...tables import atomic_path

MERGE_GAP = 10_000  # same-offset blocks closer than this (GRCh38 bases) become one block
PAD = 300  # bases a block is extended into its flanks (never past half the way to a neighbour)


@dataclass(frozen=True)
class ChainStats:
    exon_pairs: int
    blocks: int
    chains: int
    bases: int


def _exons(directory: Path) -> pd.DataFrame:
    files = sorted(directory.glob("gencode44-mane-exons.*.bed.gz"))
    if not files:
        raise InputError("no gencode44-mane-exons.*.bed.gz", path=str(directory),
                         hint="pass the GENCODE reference-table directories of both builds")
    return pd.read_csv(files[0], sep="\t", usecols=[0, 1, 2, 3, 6], names=["chrom", "start", "end", "exon", "tx"],
                       header=0, dtype={"chrom": str, "start": np.int64, "end": np.int64})


def _cds(directory: Path) -> pd.DataFrame:
    """CDS intervals 0-based half-open (the table's starts are 1-based), numbered within their gene."""
    path = sorted(directory.glob("gencode-cds.*.tsv.gz"))[0]
    cds = pd.read_csv(path, sep="\t", usecols=[0, 1, 2, 3], names=["chrom", "start", "end", "gene"], header=0,
                      dtype={"chrom": str, "start": np.int64, "end": np.int64, "gene": str})
    cds["start"] -= 1
    cds = cds.sort_values(["gene", "chrom", "start", "end"]).reset_index(drop=True)
    cds["n"] = cds.groupby("gene").cumcount()
    cds["count"] = cds.groupby("gene")["n"].transform("size")
    return cds


def _cds_pairs(ref38: Path, ref37: Path) -> pd.DataFrame:
    """CDS intervals of genes that kept all of them (same count in both tables), paired in order."""
    pairs = _cds(ref38).merge(_cds(ref37), on=["gene", "n"], suffixes=("38", "37"))
    pairs = pairs[pairs["count38"] == pairs["count37"]]
    return pairs.rename(columns={"chrom38": "chrom38", "chrom37": "chrom37"})


def exon_blocks(ref38: Path, ref37: Path) -> pd.DataFrame:
    """Paired MANE exons and CDS intervals as blocks: GRCh38 [t0, t1) -> GRCh37 chromosome `q` from
    q0 (same length)."""
    pairs = _exons(ref38).merge(_exons(ref37), on=["exon", "tx"], suffixes=("38", "37"))
    pairs = pd.concat([pairs, _cds_pairs(ref38, ref37)], ignore_index=True)
    same_length = (pairs["end38"] - pairs["start38"]) == (pairs["end37"] - pairs["start37"])
    pairs = pairs[same_length & pairs["chrom38"].isin(CONTIG_LENGTHS["GRCh38"])
                  & pairs["chrom37"].isin(CONTIG_LENGTHS["GRCh37"])]
    blocks = pd.DataFrame({"t": pairs["chrom38"], "t0": pairs["start38"], "t1": pairs["end38"],
                           "q": pairs["chrom37"], "offset": pairs["start37"] - pairs["start38"]})
    return blocks.drop_duplicates().sort_values(["t", "t0", "t1"]).reset_index(drop=True)


def merged_blocks(blocks: pd.DataFrame, merge_gap: int = MERGE_GAP, pad: int = PAD) -> pd.DataFrame:
    """Overlapping or near blocks of one offset merged; blocks overlapping another offset dropped
    (one GRCh38 base must map to one place); then padded into the flanks."""
    out = []
    for t, group in blocks.groupby("t", sort=True):
        rows: list[list] = []
        for t0, t1, q, off in zip(group["t0"], group["t1"], group["q"], group["offset"]):
            if rows and rows[-1][2] == q and rows[-1][3] == off and t0 - rows[-1][1] <= merge_gap:
                rows[-1][1] = max(rows[-1][1], t1)
            elif rows and t0 < rows[-1][1]:  # overlaps a block of another offset: neither can be trusted
                rows[-1][4] = True
                rows.append([t0, t1, q, off, True])
            else:
                rows.append([t0, t1, q, off, False])
        rows = [r for r in rows if not r[4]]
        for i, row in enumerate(rows):
            left = rows[i - 1][1] if i else 0
            right = rows[i + 1][0] if i + 1 < len(rows) else CONTIG_LENGTHS["GRCh38"][t]
            row[0] = max(row[0] - pad, (left + row[0] + 1) // 2, 0, -row[3])
            row[1] = min(row[1] + pad, (row[1] + right) // 2, CONTIG_LENGTHS["GRCh37"][row[2]] - row[3])
        out += [(t, t0, t1, q, off) for t0, t1, q, off, _ in rows if t1 > t0]
    return pd.DataFrame(out, columns=["t", "t0", "t1", "q", "offset"])


def chain_text(blocks: pd.DataFrame) -> tuple[str, int]:
    """UCSC chain text (GRCh38 reference, GRCh37 query, plus strand): one chain per run of blocks
    that stays on one GRCh37 chromosome and moves forward on both; (text, number of chains)."""
    chains: list[list[tuple[int, int, int]]] = []
    names: list[tuple[str, str]] = []
    for t, group in blocks.groupby("t", sort=True):
        for t0, t1, q, off in zip(group["t0"], group["t1"], group["q"], group["offset"]):
            q0 = t0 + off
            if chains and names[-1] == (t, q) and q0 >= chains[-1][-1][2] + (chains[-1][-1][1] - chains[-1][-1][0]):
                chains[-1].append((t0, t1, q0))
            else:
                chains.append([(t0, t1, q0)])
                names.append((t, q))
    lines = []
    for i, ((t, q), blocks_) in enumerate(zip(names, chains), 1):
        t_size, q_size = CONTIG_LENGTHS["GRCh38"][t], CONTIG_LENGTHS["GRCh37"][q]
        first, last = blocks_[0], blocks_[-1]
        score = sum(b[1] - b[0] for b in blocks_)
        lines.append(f"chain {score} {t} {t_size} + {first[0]} {last[1]} {q} {q_size} + {first[2]} "
                     f"{last[2] + last[1] - last[0]} {i}")
        for a, b in zip(blocks_, blocks_[1:]):
            lines.append(f"{a[1] - a[0]}\t{b[0] - a[1]}\t{b[2] - (a[2] + a[1] - a[0])}")
        lines.append(f"{last[1] - last[0]}\n")
    return "\n".join(lines) + "\n", len(chains)


def derive_chain(ref38: Path, ref37: Path, out: Path) -> ChainStats:
    """Write OUT (gzipped when it ends in .gz) from the two reference-table directories."""
    blocks = exon_blocks(ref38, ref37)
    merged = merged_blocks(blocks)
    text, n_chains = chain_text(merged)
    with atomic_path(out) as tmp:
        if str(out).endswith(".gz"):
            with gzip.open(tmp, "wt") as handle:
                handle.write(text)
        else:
            tmp.write_text(text)
    return ChainStats(len(blocks), len(merged), n_chains, int((merged["t1"] - merged["t0"]).sum()))


def check_chain(chain: Path, ref38: Path, ref37: Path) -> dict[str, float | int]:
    """Gene starts and ends (not used to build the chain) lifted with it against the GRCh37 table:
    how many map, and how many of those land exactly where the UCSC lift put them."""
    from ...ingest.liftover import Lifter

    def genes(directory: Path) -> pd.DataFrame:
        path = sorted(directory.glob("gencode44-genes.*.tsv.gz"))[0]
        return pd.read_csv(path, sep="\t", usecols=[0, 1, 2, 4], names=["chrom", "start", "end", "gene_id"], header=0)

    pairs = genes(ref38).merge(genes(ref37), on="gene_id", suffixes=("38", "37"))
    lifter = Lifter(chain)
    mapped = exact = 0
    total = 0
    for c38, s38, e38, c37, s37, e37 in pairs[["chrom38", "start38", "end38", "chrom37", "start37", "end37"]].itertuples(
            index=False):
        for p38, p37 in ((s38, s37), (e38 - 1, e37 - 1)):
            total += 1
            hits = lifter.lift(c38, int(p38)) or []
            if len(hits) == 1:
                mapped += 1
                exact += hits[0][0] == c37 and hits[0][1] == p37
    return {"gene_ends": total, "mapped": mapped, "exact": exact,
            "exact_of_mapped": round(exact / mapped, 4) if mapped else 0.0}
