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

from ..schemas import GENE_PHENOTYPE, col
from .knowledge import Ontology
from .mouse import MouseKnowledge, load_mouse, match_terms
from .network import Walks, load_walks, network_scores

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
    human = table.column(col.gene_symbol).to_pylist()
    genes = list(human)
    known = set(human)
    mouse_score = network = None
    if evidence.mouse is not None and len(observed):
        mouse_score, matches = _mouse_columns(evidence.mouse, ontology, observed)
        mouse_genes = evidence.mouse.gene_symbols
        genes += [g for g in mouse_genes if g not in known]
        known.update(mouse_genes)
    if evidence.walks is not None and table.num_rows:
        seed = table.column(col.phenotype_score).to_numpy(zero_copy_only=False)
        network, best = network_scores(evidence.walks, human, seed)
        walk_genes = evidence.walks.gene_symbols
        reached = [walk_genes[i] for i in np.flatnonzero(network > 0)]
        genes += [g for g in reached if g not in known]
    n_extra = len(genes) - table.num_rows
    extra = {name: pa.nulls(n_extra, GENE_PHENOTYPE.field(name).type) for name in table.column_names}
    extra[col.gene_symbol] = pa.array(genes[table.num_rows:], pa.string())
    out = pa.concat_tables([table, pa.table(extra, schema=table.schema)]) if n_extra else table
    columns = {name: pa.nulls(len(genes), GENE_PHENOTYPE.field(name).type)
               for name in (col.mouse_score, col.mouse_matches, col.network_score, col.network_neighbour,
                            col.network_neighbour_score)}
    if mouse_score is not None:
        where = _positions(genes, evidence.mouse.gene_index)
        has = where >= 0
        columns[col.mouse_score] = pa.array(np.where(has, mouse_score[np.maximum(where, 0)], 0.0), pa.float64(),
                                            mask=~has)
        columns[col.mouse_matches] = matches.take(pa.array(np.maximum(where, 0), pa.int64(), mask=~has))
    if network is not None:
        where = _positions(genes, evidence.walks.gene_index)
        has = where >= 0
        neighbour = np.where(has, best[np.maximum(where, 0)], -1)
        symbols = np.array(evidence.walks.gene_symbols, dtype=object)
        seed_by_gene = dict(zip(human, seed.tolist()))
        names = [symbols[i] if i >= 0 else None for i in neighbour]
        columns[col.network_score] = pa.array(np.where(has, network[np.maximum(where, 0)], 0.0), pa.float64(),
                                              mask=~has)
        columns[col.network_neighbour] = pa.array(names, pa.string())
        columns[col.network_neighbour_score] = pa.array([seed_by_gene.get(n) if n else None for n in names],
                                                        pa.float64())
    out = out.select([n for n in out.column_names if n not in columns])
    return pa.table({name: out.column(name) if name in out.column_names else columns[name]
                     for name in GENE_PHENOTYPE.names}, schema=GENE_PHENOTYPE)


def _positions(genes: list[str], index: dict[str, int]) -> np.ndarray:
    return np.array([index.get(g, -1) for g in genes], np.int64)
