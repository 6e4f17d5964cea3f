"""The knowledge base as a new patient would meet it: annotation rows curated only from a case's
own publication(s) left out, as a per-case view of the loaded release rather than a reload.

A row is withheld when every reference it cites ('PMID:1;OMIM:2' cites two) is among the case's;
a disease left without a phenotypic feature is unknown for that case (its gene links are dropped).
Only the affected diseases' propagated frequencies, annotation mass and modes are rebuilt; the
information content stays that of the full release (one row of one disease moves it negligibly).
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import numpy as np
from scipy import sparse

from .annotations import Annotations, disease_modes
from .knowledge import Ontology, annotation_mass, propagate_rows


def withheld_rows(annotations: Annotations, references: Iterable[str]) -> np.ndarray:
    """Numbers of the rows all of whose references are among `references`."""
    codes = sorted({annotations.ref_index[r] for r in references if r in annotations.ref_index})
    if not codes:
        return np.empty(0, np.int32)
    hits = np.concatenate([annotations.ref_rows[annotations.ref_indptr[c]:annotations.ref_indptr[c + 1]]
                           for c in codes])
    rows, cited = np.unique(hits, return_counts=True)
    return rows[cited == annotations.row_n_refs[rows]].astype(np.int32)


def cites(annotations: Annotations, disease_id: str | None, references: Iterable[str]) -> bool:
    """Whether any annotation row of this disease cites one of the references (a self-cited case)."""
    disease = annotations.disease_index.get(disease_id) if disease_id else None
    if disease is None:
        return False
    return bool(np.any(annotations.row_disease[annotations.rows_citing(references)] == disease))


def withhold_publications(ontology: Ontology, references: Iterable[str]) -> Ontology:
    """The view of `ontology` without the rows that cite only these references (e.g. a
    benchmark case's 'PMID:...' ids); `ontology` itself when no row qualifies."""
    references = tuple(sorted(set(references)))
    rows = withheld_rows(ontology.annotations, references)
    return without_rows(ontology, rows, references) if len(rows) else ontology


def without_rows(ontology: Ontology, rows: np.ndarray, references: tuple[str, ...] = ()) -> Ontology:
    """`ontology` minus these annotation rows; only the diseases that lose rows are recomputed."""
    ann = ontology.annotations
    n_diseases = len(ann.disease_ids)
    gone = np.zeros(len(ann.row_disease), bool)
    gone[rows] = True
    affected = np.zeros(n_diseases, bool)
    affected[ann.row_disease[rows]] = True
    keep_ann, keep_not, keep_inh = ~gone[ann.ann_row], ~gone[ann.not_row], ~gone[ann.inh_row]
    featured = np.zeros(n_diseases, bool)
    featured[ann.ann_disease[keep_ann]] = True
    known = featured | ~affected
    keep_link = known[ann.link_disease]

    modes = list(ann.disease_modes)
    redo = np.flatnonzero(affected)
    mine = keep_inh & affected[ann.inh_disease]
    local = np.searchsorted(redo, ann.inh_disease[mine])
    for d, found in zip(redo.tolist(), disease_modes(local, ann.inh_term[mine], ontology.terms, len(redo))):
        modes[d] = found
    view = dataclasses.replace(
        ann, disease_modes=modes,
        ann_disease=ann.ann_disease[keep_ann], ann_term=ann.ann_term[keep_ann],
        ann_freq=ann.ann_freq[keep_ann], ann_row=ann.ann_row[keep_ann],
        not_disease=ann.not_disease[keep_not], not_term=ann.not_term[keep_not], not_row=ann.not_row[keep_not],
        inh_disease=ann.inh_disease[keep_inh], inh_term=ann.inh_term[keep_inh], inh_row=ann.inh_row[keep_inh],
        link_gene=ann.link_gene[keep_link], link_disease=ann.link_disease[keep_link])
    for name in ("gene_index", "disease_index", "ref_index", "arrow_text"):  # unchanged by the view
        if name in ann.__dict__:
            view.__dict__[name] = ann.__dict__[name]

    mine = keep_ann & affected[ann.ann_disease]
    patch = propagate_rows(ann.ann_disease[mine], ann.ann_term[mine], ann.ann_freq[mine], n_diseases,
                           ontology.anc_indptr, ontology.anc_indices, len(ontology.ic))
    prop = _drop_rows(ontology.prop, affected) + patch

    # Annotation mass relative to the full release's median (the reference every disease shares).
    offset = np.log(np.median(annotation_mass(ann)))
    log_relative_mass = ontology.log_relative_mass.copy()
    log_relative_mass[redo] = np.log(annotation_mass(view)[redo]) - offset

    out = dataclasses.replace(ontology, annotations=view, prop=sparse.csc_matrix(prop),
                              log_relative_mass=log_relative_mass,
                              withheld=tuple(sorted(set(ontology.withheld) | set(references))))
    if "_descendant_csr" in ontology.__dict__:
        out.__dict__["_descendant_csr"] = ontology.__dict__["_descendant_csr"]
    return out


def _drop_rows(matrix: sparse.csc_matrix, rows: np.ndarray) -> sparse.csc_matrix:
    """The CSC matrix with every entry of the masked rows removed (structure, not explicit zeros)."""
    keep = ~rows[matrix.indices]
    indptr = np.r_[0, np.cumsum(keep, dtype=np.int64)][matrix.indptr]
    return sparse.csc_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)
