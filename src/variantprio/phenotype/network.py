"""Interaction-network evidence: a gene whose protein partners match the patient's phenotype is
a candidate even when nothing is known about the gene itself (guilt by association).

A random walk with restart on STRING (links without text mining, weighted by combined score)
is run once per network from every gene; each gene keeps the `TOP_NEIGHBOURS` genes its walk
visits most, and the result is cached by the file's checksum. A patient's network score for a
gene is then the best neighbour's human phenotype score weighted by how much of the gene's walk
reaches that neighbour: a walk that starts at a hub is spread thin over its hundreds of partners,
so a hub gains only from a neighbour it is specifically close to, and a gene's own score never
counts (the walk's return to its start is dropped).
"""

from __future__ import annotations

import gzip
import logging
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from ..cache import cached_build, files_checksum
from ..errors import InputError
from .genelist import GeneSymbols

log = logging.getLogger(__name__)

# Links derived by `resources fetch xspecies` (preferred), or the export in ../shared/xspecies/.
FETCHED_LINKS = Path("ppi/string_v12_notextmining.tsv.gz")
STRING_LINKS = Path("ppi/string_v12_human_entrez_notextmining_700_top3_400.tsv.gz")
RESTART = 0.5  # probability that the walk returns to its start at each step: most mass stays within 2 steps
TOP_NEIGHBOURS = 50  # genes kept per walk (the rest carry a tiny share of it)
BLOCK = 1024  # walks computed together (dense columns in memory: genes x BLOCK float32)
CACHE_FORMAT = f"walk-1-r{RESTART}-k{TOP_NEIGHBOURS}"
_HINT = "pass STRING links as a TSV with symbol_1, symbol_2 and combined_score (0-1000), like ../shared/xspecies/ppi/"


@dataclass
class Walks(GeneSymbols):
    """Per gene (row), the genes its restarting walk reaches most (CSR, proximity in (0, 1))."""

    gene_symbols: list[str]
    proximity: sparse.csr_matrix  # genes x genes: share of the walk from the row gene that ends at the column
    degree: np.ndarray  # int32 links per gene
    version: str
    checksum: str
    seconds: float  # how long the precompute took

    @cached_property
    def entry_rows(self) -> np.ndarray:
        """The row (walk start) of each stored proximity."""
        return np.repeat(np.arange(self.proximity.shape[0], dtype=np.int32), np.diff(self.proximity.indptr))

    @cached_property
    def rows_with_neighbours(self) -> np.ndarray:
        return np.flatnonzero(np.diff(self.proximity.indptr) > 0)


def network_file(directory: Path) -> Path:
    for name in (FETCHED_LINKS, STRING_LINKS):
        if (directory / name).is_file():
            return directory / name
    raise InputError(f"cross-species folder lacks {FETCHED_LINKS} (or {STRING_LINKS})", path=str(directory),
                     hint=_HINT)


def load_walks(directory: str | Path) -> Walks:
    """The walks of the STRING network of a cross-species folder, computed once per checksum."""
    path = network_file(Path(directory))
    checksum = files_checksum([path], CACHE_FORMAT)
    return cached_build("network", checksum, lambda: build_walks(path, checksum), "network walks")


def read_links(path: Path) -> pd.DataFrame:
    """(symbol_1, symbol_2, weight in (0, 1]) per undirected link, each pair once."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as handle:
            table = pd.read_csv(handle, sep="\t", usecols=["symbol_1", "symbol_2", "combined_score"],
                                dtype={"symbol_1": str, "symbol_2": str})
    except (OSError, ValueError, EOFError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read the interaction network: {err}", path=str(path), hint=_HINT) from None
    table = table.dropna()
    table = table[table["symbol_1"] != table["symbol_2"]]
    low, high = np.minimum(table["symbol_1"], table["symbol_2"]), np.maximum(table["symbol_1"], table["symbol_2"])
    pairs = pd.DataFrame({"symbol_1": low, "symbol_2": high, "weight": table["combined_score"] / 1000.0})
    return pairs.groupby(["symbol_1", "symbol_2"], as_index=False)["weight"].max()


def adjacency(links: pd.DataFrame) -> tuple[list[str], sparse.csr_matrix]:
    genes = sorted(set(links["symbol_1"]) | set(links["symbol_2"]))
    index = pd.Series(np.arange(len(genes)), index=genes)
    a, b = index[links["symbol_1"]].to_numpy(), index[links["symbol_2"]].to_numpy()
    w = links["weight"].to_numpy(float)
    matrix = sparse.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(len(genes), len(genes)))
    return genes, matrix


def build_walks(path: Path, checksum: str = "", restart: float = RESTART, top: int = TOP_NEIGHBOURS,
                block: int = BLOCK) -> Walks:
    """Random walk with restart from every gene (power iteration on blocks of start genes)."""
    started = time.perf_counter()
    genes, matrix = adjacency(read_links(path))
    n = len(genes)
    strength = np.asarray(matrix.sum(axis=0)).ravel()
    # Column-stochastic transition matrix: from gene j, step to a partner in proportion to the link weight.
    step = (matrix @ sparse.diags(1.0 / np.maximum(strength, 1e-12))).astype(np.float32).tocsr()
    iterations = int(np.ceil(np.log(1e-4) / np.log(1.0 - restart)))
    rows, cols, vals = [], [], []
    for first in range(0, n, block):
        starts = np.arange(first, min(first + block, n))
        seed = np.zeros((n, len(starts)), np.float32)
        seed[starts, np.arange(len(starts))] = restart
        walk = seed.copy()
        for _ in range(iterations):
            walk = (1.0 - restart) * (step @ walk) + seed
        walk[starts, np.arange(len(starts))] = 0.0  # the walk's return to its own start
        keep = min(top, n - 1)
        best = np.argpartition(-walk, keep - 1, axis=0)[:keep] if keep else np.empty((0, len(starts)), int)
        values = np.take_along_axis(walk, best, axis=0)
        rows.append(np.repeat(starts, keep))
        cols.append(best.T.ravel())
        vals.append(values.T.ravel())
    proximity = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                  shape=(n, n))
    proximity.eliminate_zeros()
    seconds = time.perf_counter() - started
    log.info("network walks: %d genes, %d links, restart %.2f, %d neighbours kept per gene: %.1f s",
             n, matrix.nnz // 2, restart, top, seconds)
    return Walks(genes, proximity, np.diff(matrix.indptr).astype(np.int32), _version(path), checksum, seconds)


def _version(path: Path) -> str:
    """'STRING v12' from a file named like string_v12_...; else the file name."""
    name = path.name.lower()
    if name.startswith("string_v"):
        return "STRING " + name.split("_")[1]
    return path.name


def network_scores(walks: Walks, seed_genes: list[str], seed_scores: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per network gene: max over neighbours j of proximity(gene -> j) x seed score of j, and that
    neighbour's index (-1: none of its neighbours is seeded)."""
    index = walks.gene_index
    return spread(walks, seeds(walks, np.array([index.get(g, -1) for g in seed_genes], np.int64), seed_scores))


def seeds(walks: Walks, seed_index: np.ndarray, seed_scores: np.ndarray) -> np.ndarray:
    """Per network gene: its seed score (the best of the genes at `seed_index`; -1: not in the network)."""
    seed = np.zeros(len(walks.gene_symbols))
    ok = seed_index >= 0
    np.maximum.at(seed, seed_index[ok], np.asarray(seed_scores, float)[ok])
    return seed


def spread(walks: Walks, seed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`network_scores` of a per-network-gene seed vector (`seeds`)."""
    n = len(walks.gene_symbols)
    prox = walks.proximity
    weighted = prox.data * seed[prox.indices]
    score = np.zeros(n)
    filled = walks.rows_with_neighbours
    if len(weighted):
        score[filled] = np.maximum.reduceat(weighted, prox.indptr[filled])
    owner = walks.entry_rows
    winners = np.flatnonzero((weighted > 0) & (weighted == score[owner]))
    best = np.full(n, -1, np.int64)
    best[owner[winners]] = prox.indices[winners]  # several on a tie: the last one stored is named
    return score, best
