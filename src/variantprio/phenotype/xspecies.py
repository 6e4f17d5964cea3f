"""The phenotype stage's evidence beyond human diseases: mouse mutant phenotypes (`mouse`) and the
interaction network (`network`), as per-gene columns beside the human disease score.

Genes with no annotated human disease get a row of their own when either component scores
them, so the rank stage can lift a gene whose disease nobody has described yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schemas import GENE_PHENOTYPE, col
from .genes import CROSS_SPECIES_COLUMNS
from .knowledge import Ontology
from .mouse import MouseKnowledge, load_mouse, match_terms
from .network import Walks, load_walks, seeds, spread

log = logging.getLogger(__name__)

MATCHES_SHOWN = 3  # mouse-patient term pairs kept per gene (the best ones)


@dataclass(frozen=True)
class CrossSpecies:
    """Loaded cross-species knowledge; a component that is off (or has no folder) is None."""

    mouse: MouseKnowledge | None = None
    walks: Walks | None = None

    @property
    def data_sources(self) -> dict[str, str]:
        """Each source's version, for the Parquet metadata."""
        sources = dict(self.mouse.versions) if self.mouse else {}
        if self.walks:
            sources["interaction network"] = f"{self.walks.version} (no text mining)"
        return sources


def load_cross_species(directory: str | Path | None, mouse: bool = True, network: bool = True) -> CrossSpecies:
    """The components switched on, from a folder laid out like ../shared/xspecies/ (none: no folder)."""
    if not directory:
        return CrossSpecies()
    return CrossSpecies(load_mouse(directory) if mouse else None, load_walks(directory) if network else None)


def _mouse_columns(mouse: MouseKnowledge, ontology: Ontology, observed: np.ndarray
                   ) -> tuple[np.ndarray, pa.ListArray]:
    """Per profiled gene: mouse score and its best (patient term, MP term, IC) pairs."""
    match = match_terms(mouse, ontology, observed)
    score = match.scores(mouse.expected)
    n_genes = len(mouse.gene_symbols)
    k = min(MATCHES_SHOWN, len(observed))
    order = np.argsort(-match.ic, axis=0, kind="stable")[:k]  # (k, genes): best patient-term rows
    ic = np.take_along_axis(match.ic, order, axis=0).T  # genes x k
    term = np.take_along_axis(match.term, order, axis=0).T
    keep = (ic > 0) & (term >= 0)
    counts = keep.sum(axis=1)
    patient_ids = np.array([ontology.terms.ids[q] for q in observed], dtype=object)
    mp_ids, mp_names = np.array(mouse.mp.ids, dtype=object), np.array(mouse.mp.names, dtype=object)
    rows = order.T[keep]
    structs = pa.StructArray.from_arrays(
        [pa.array(patient_ids[rows] if len(rows) else [], pa.string()),
         pa.array(mp_ids[term[keep]], pa.string()), pa.array(mp_names[term[keep]], pa.string()),
         pa.array(ic[keep], pa.float32())],
        fields=list(GENE_PHENOTYPE.field(col.mouse_matches).type.value_type))
    offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
    return score, pa.ListArray.from_arrays(offsets, structs) if n_genes else pa.array([], structs.type)


def add_cross_species(table: pa.Table, ontology: Ontology, observed: np.ndarray, evidence: CrossSpecies
                      ) -> pa.Table:
    """GENE_PHENOTYPE with the mouse and network columns filled for the components that are on,
    plus a row for every gene they score that has no human disease (human columns null)."""
    maps = _gene_maps(ontology.annotations.gene_symbols, evidence)
    human = table.column(col.gene_symbol).combine_chunks()
    human_index = _index_in(human, ontology.annotations.arrow_text[col.gene_symbol])
    if (human_index < 0).any():
        raise ValueError("gene_phenotype rows name genes outside the HPO release")
    mouse_on = evidence.mouse is not None and len(observed) > 0
    walk_on = evidence.walks is not None and table.num_rows > 0
    parts = [(human, maps.mouse[human_index], maps.walk[human_index])]  # (symbols, mouse index, walk index)
    if mouse_on:
        mouse_score, matches = _mouse_columns(evidence.mouse, ontology, observed)
        extra = np.flatnonzero(~_marked(parts[0][1], len(maps.mouse_to_walk)))
        parts.append((evidence.mouse.symbols.take(pa.array(extra)), extra, maps.mouse_to_walk[extra]))
    if walk_on:
        seed = table.column(col.phenotype_score).to_numpy(zero_copy_only=False)
        seed_by_walk = seeds(evidence.walks, parts[0][2], seed)
        network, best = spread(evidence.walks, seed_by_walk)
        known = _marked(parts[0][2], len(network)) | (maps.walk_to_mouse >= 0 if mouse_on else False)
        extra = np.flatnonzero((network > 0) & ~known)
        parts.append((evidence.walks.symbols.take(pa.array(extra)), np.full(len(extra), -1), extra))
    genes = pa.concat_arrays([symbols.cast(human.type) for symbols, _, _ in parts])
    columns: dict[str, pa.Array] = {}
    if mouse_on:
        where = _taken(np.concatenate([m for _, m, _ in parts]))
        columns[col.mouse_score] = pa.array(mouse_score).take(where)
        columns[col.mouse_matches] = matches.take(where)
    if walk_on:
        at = np.concatenate([w for _, _, w in parts])
        neighbour = np.where(at >= 0, best[np.maximum(at, 0)], -1)
        columns[col.network_score] = pa.array(network).take(_taken(at))
        columns[col.network_neighbour] = evidence.walks.symbols.take(_taken(neighbour))
        columns[col.network_neighbour_score] = pa.array(seed_by_walk).take(_taken(neighbour))
    n_extra = len(genes) - table.num_rows
    out = {}
    for name in GENE_PHENOTYPE.names:
        field = GENE_PHENOTYPE.field(name)
        if name == col.gene_symbol:
            out[name] = genes
        elif name in CROSS_SPECIES_COLUMNS:
            out[name] = columns.get(name, pa.nulls(len(genes), field.type))
        else:
            out[name] = pa.concat_arrays([table.column(name).combine_chunks(), pa.nulls(n_extra, field.type)])
    return pa.table(out, schema=GENE_PHENOTYPE)


@dataclass(frozen=True)
class _GeneMaps:
    """Where each gene of one HPO release sits in the mouse profiles and the network (-1: absent)."""

    human: list[str]  # the release's gene list these maps were made for (compared by identity)
    mouse: np.ndarray  # per release gene
    walk: np.ndarray  # per release gene
    mouse_to_walk: np.ndarray  # per mouse-profiled gene
    walk_to_mouse: np.ndarray  # per network gene


_MAPS: dict[tuple[int, int, int], _GeneMaps] = {}


def _gene_maps(human: list[str], evidence: CrossSpecies) -> _GeneMaps:
    """Made once per release and knowledge (a benchmark scores thousands of patients against them)."""
    key = (id(human), id(evidence.mouse), id(evidence.walks))
    maps = _MAPS.get(key)
    if maps is None or maps.human is not human:
        mouse, walk = evidence.mouse, evidence.walks
        mouse_genes, mouse_index = (mouse.gene_symbols, mouse.gene_index) if mouse else ([], {})
        walk_genes, walk_index = (walk.gene_symbols, walk.gene_index) if walk else ([], {})
        lookup = lambda genes, index: np.array([index.get(g, -1) for g in genes], np.int64)  # noqa: E731
        maps = _GeneMaps(human, lookup(human, mouse_index), lookup(human, walk_index),
                         lookup(mouse_genes, walk_index), lookup(walk_genes, mouse_index))
        _MAPS.clear()
        _MAPS[key] = maps
    return maps


def _marked(index: np.ndarray, n: int) -> np.ndarray:
    """Length-n mask of the non-negative entries of `index`."""
    mask = np.zeros(n, bool)
    mask[index[index >= 0]] = True
    return mask


def _index_in(values: pa.Array, symbols: pa.Array) -> np.ndarray:
    """Index of each value in `symbols` (-1: absent)."""
    return pc.index_in(values, value_set=symbols).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _taken(index: np.ndarray) -> pa.Array:
    """Indices for `take`, null where negative (the row gets a null)."""
    return pa.array(np.maximum(index, 0), pa.int64(), mask=index < 0)
