"""Disease scores for one patient, vectorised over all diseases at once.

Two methods, both returning one score per disease plus, per observed term, its contribution:
- `resnik`: symmetric best-match average of Resnik similarity (information content of the most
  informative common ancestor), the classic semantic-similarity baseline.
- `lr`: a likelihood-ratio model in the spirit of LIRICAL. An observed term the disease has (itself
  or a more specific descendant, true-path rule) contributes ln P(term|disease) - ln P(term|any
  disease); one it lacks contributes a fixed floor (phenocopies, second diagnoses and imprecise
  coding make unexplained terms common, so they must not veto a disease). Diseases with very large
  annotation sets are discounted, as a patient's few listed terms are a small sample of them.
  An excluded term the disease has counts twice: as evidence that the disease was in the
  clinician's differential (curated cases record a feature as absent mostly because a disease
  that has it was suspected: +2 on the development cases) and, LIRICAL-style, against the disease
  by how surprising the absence is, ln((1 - f) / (1 - background)). A hallmark feature (f near 1)
  that is absent therefore lowers the disease; an occasional one raises it.
  The exact-match LR ignores how close an unexplained term is to the disease's own terms; a
  Resnik term per patient term (`resnik_weight` x the symmetric best-match average) adds that
  graded similarity (+0.6 top-1, +1.1 top-10 points on 2,000 development cases).
  A patient term the disease states only more generally (it has an ancestor a, not the term)
  is a near miss worth ln P(a|d) + IC(a) + `ancestor_penalty` (P(q|d) ~ P(a|d) P(q)/P(a)),
  never less than the floor: +0.5 top-1 on 1,500 development cases with the cases' own
  publications withheld (release 2026-06-23), where the exact terms are often missing.
  A disease's annotations are an incomplete list, and the diseases of one gene (allelic disorders,
  an OMIM entry and its Orphanet twin) share much of a phenotypic spectrum: P(term|disease) is
  mixed with the highest frequency of the term among the diseases sharing a gene with it
  (`gene_smoothing`: +1.0 top-10, +0.5 top-1 on 1,500 development cases, withheld).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .knowledge import Ontology

METHODS = ("lr", "resnik")


@dataclass(frozen=True)
class LRParameters:
    """Tuned on the phenopacket-store development set (see `variantprio bench phenotype`)."""

    floor: float = -2.0  # ln LR of an observed term the disease does not have
    size_discount: float = 0.4  # ln LR lost per unit of ln(annotation mass / median mass)
    excluded: str = "both"  # "against" (LIRICAL-style), "differential", or both added up
    excluded_weight: float = 2.0  # "differential": ln LR gained per excluded term the disease has
    excluded_floor: float = -3.0  # "against": lowest ln LR of one excluded term
    not_penalty: float = -3.0  # observed term that the disease is annotated NOT to have
    resnik_weight: float = 1.0  # ln LR per observed term per unit of Resnik similarity (0: pure LR)
    ancestor_penalty: float | None = -2.0  # near miss: ln LR of the best ancestor the disease has, plus this
    gene_smoothing: float = 0.05  # weight of P(term | another disease of the same gene) in P(term | disease)


def column_max(matrix: sparse.csc_matrix, cols: np.ndarray, weights: np.ndarray, fill: float = 0.0
               ) -> np.ndarray:
    """Per row: the largest weight among the chosen columns the row has an entry in."""
    best = np.full(matrix.shape[0], fill)
    for col, weight in zip(cols, weights):
        rows = matrix.indices[matrix.indptr[col]:matrix.indptr[col + 1]]
        best[rows] = np.maximum(best[rows], weight)
    return best


def resnik_scores(ontology: Ontology, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric best-match average: mean of the two directions' average best IC; also each
    observed term's best IC per disease (n_terms x n_diseases)."""
    n_diseases = ontology.prop.shape[0]
    if not len(observed):
        return np.zeros(n_diseases), np.zeros((0, n_diseases))
    per_term = []
    for q in observed:  # patient -> disease: IC of the best ancestor of q that the disease has
        ancestors = ontology.ancestors(q)
        per_term.append(column_max(ontology.prop, ancestors, ontology.ic[ancestors]))
    contribution = np.array(per_term)
    forward = contribution.mean(axis=0)
    # Disease -> patient: for every term, the IC of its best ancestor shared with any patient
    # term, averaged over each disease's own (unpropagated) annotations.
    shared = np.zeros(len(ontology.ic), bool)
    shared[np.concatenate([ontology.ancestors(q) for q in observed])] = True
    value = np.where(shared[ontology.anc_indices], ontology.ic[ontology.anc_indices], 0.0)
    best_per_term = np.maximum.reduceat(value, ontology.anc_indptr[:-1])  # every term is its own ancestor
    ann = ontology.annotations
    total = np.bincount(ann.ann_disease, weights=best_per_term[ann.ann_term], minlength=n_diseases)
    backward = total / np.maximum(np.bincount(ann.ann_disease, minlength=n_diseases), 1)
    return 0.5 * (forward + backward), contribution


def lr_scores(ontology: Ontology, observed: np.ndarray, excluded: np.ndarray,
              params: LRParameters = LRParameters()) -> tuple[np.ndarray, np.ndarray]:
    """ln likelihood ratio per disease (sum over terms, see module doc) and each observed term's
    contribution per disease (n_terms x n_diseases)."""
    prop = ontology.prop
    n_diseases = prop.shape[0]
    contribution = np.full((len(observed), n_diseases), float(params.floor))
    discount = params.size_discount * ontology.log_relative_mass
    for row, q in enumerate(observed):
        col = slice(prop.indptr[q], prop.indptr[q + 1])
        diseases = prop.indices[col]
        if params.gene_smoothing:
            frequency = np.zeros(n_diseases)
            frequency[diseases] = prop.data[col]
            mixed = (1 - params.gene_smoothing) * frequency \
                + params.gene_smoothing * _same_gene_frequency(ontology, frequency)
            diseases = np.flatnonzero(mixed)
            value = np.log(mixed[diseases]) + ontology.ic[q] - discount[diseases]
            # A term only a sibling disease has is never worse than one no disease of the gene has.
            contribution[row, diseases] = np.where(frequency[diseases] > 0, value,
                                                   np.maximum(value, params.floor))
        else:
            contribution[row, diseases] = np.log(prop.data[col]) + ontology.ic[q] - discount[diseases]
        if params.ancestor_penalty is not None:
            near = _best_ancestor_match(ontology, q) + params.ancestor_penalty - discount
            contribution[row] = np.maximum(contribution[row], near)
    total = contribution.sum(axis=0)
    if params.resnik_weight and len(observed):
        total += params.resnik_weight * len(observed) * resnik_scores(ontology, observed)[0]
    total += _excluded_terms(ontology, excluded, params)
    total += _not_annotations(ontology, observed, params)
    return total, contribution


def _same_gene_frequency(ontology: Ontology, frequency: np.ndarray) -> np.ndarray:
    """Per disease: the highest frequency among the diseases that share a gene with it (itself
    included)."""
    ann = ontology.annotations
    per_gene = np.zeros(len(ann.gene_symbols))
    np.maximum.at(per_gene, ann.link_gene, frequency[ann.link_disease])
    out = np.zeros_like(frequency)
    np.maximum.at(out, ann.link_disease, per_gene[ann.link_gene])
    return out


def _best_ancestor_match(ontology: Ontology, q: int) -> np.ndarray:
    """Per disease: max over the proper ancestors a of q that it has of ln P(a|d) + IC(a), the ln LR
    of a term the disease states only more generally (P(q|d) ~ P(a|d) P(q)/P(a))."""
    prop = ontology.prop
    best = np.full(prop.shape[0], -np.inf)
    for a in ontology.ancestors(q):
        if a == q:
            continue
        col = slice(prop.indptr[a], prop.indptr[a + 1])
        rows = prop.indices[col]
        best[rows] = np.maximum(best[rows], np.log(prop.data[col]) + ontology.ic[a])
    return best


def _excluded_terms(ontology: Ontology, excluded: np.ndarray, params: LRParameters) -> np.ndarray:
    prop = ontology.prop
    score = np.zeros(prop.shape[0])
    for x in excluded:
        col = slice(prop.indptr[x], prop.indptr[x + 1])
        if params.excluded in ("differential", "both"):
            score[prop.indices[col]] += params.excluded_weight
        if params.excluded in ("against", "both"):
            # LIRICAL: ln((1 - f) / (1 - background)), bounded below.
            background = np.exp(-ontology.ic[x])
            value = np.log(np.maximum(1.0 - prop.data[col], 1e-9)) - np.log(max(1.0 - background, 1e-9))
            score[prop.indices[col]] += np.maximum(value, params.excluded_floor)
    return score


def _not_annotations(ontology: Ontology, observed: np.ndarray, params: LRParameters) -> np.ndarray:
    """Diseases annotated NOT to have a term the patient shows (directly or more specifically)."""
    ann = ontology.annotations
    penalty = np.zeros(len(ann.disease_ids))
    if not len(ann.not_term) or not len(observed):
        return penalty
    patient_has = np.zeros(len(ontology.ic), bool)
    patient_has[np.concatenate([ontology.ancestors(q) for q in observed])] = True
    hit = patient_has[ann.not_term]
    np.add.at(penalty, ann.not_disease[hit], params.not_penalty)
    return penalty
