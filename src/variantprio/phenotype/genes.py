"""From disease scores to the GENE_PHENOTYPE table: gene score, calibrated posterior, the best
disease with its modes of inheritance, and which disease term explained each patient term."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..core.modes import MODE_ORDER
from ..schemas import GENE_PHENOTYPE
from .knowledge import Ontology

# Diseases of a gene scoring within this many ln-units of its best one also lend their modes of
# inheritance: with similar phenotypes, any of them may be the diagnosis (e.g. KDM6A: Kabuki
# syndrome 1 (AD) and 2 (X-linked dominant) match the same patient).
MODE_WINDOW = 4.6  # ln(100)

CROSS_SPECIES_COLUMNS = ("mouse_score", "mouse_matches", "network_score", "network_neighbour",
                         "network_neighbour_score")

# Softmax temperature per method, fitted on the development cases (`variantprio bench phenotype
# --fit-calibration`) so that phenotype_score is a calibrated P(causal gene | phenotype). The LR's
# is fitted with the cases' own publications withheld (release 2026-06-23), as a new patient is
# scored; the Resnik one predates the withholding.
CALIBRATION = {"lr": 4.36, "resnik": 0.21}


def gene_scores(ontology: Ontology, disease_scores: np.ndarray, method: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """(score, best disease) per gene. The LR sums over a gene's diseases (their likelihoods add
    up: any of them may be the diagnosis), each shared equally among the disease's genes
    (P(gene | disease) = 1/k: a 50-gene Orphanet group must not lift all 50 as much as one
    gene-specific entry lifts its gene); similarity scores take the best disease."""
    ann = ontology.annotations
    linked = disease_scores[ann.link_disease]
    if method == "lr":
        n_genes = np.bincount(ann.link_disease, minlength=len(ann.disease_ids))
        shared = linked - np.log(np.maximum(n_genes[ann.link_disease], 1))
        top = shared.max() if len(shared) else 0.0
        total = np.zeros(len(ann.gene_symbols))
        np.add.at(total, ann.link_gene, np.exp(shared - top))
        score = np.log(np.maximum(total, 1e-300)) + top
    else:
        score = np.full(len(ann.gene_symbols), -np.inf)
        np.maximum.at(score, ann.link_gene, linked)
    order = np.lexsort((linked, ann.link_gene))
    last = np.r_[ann.link_gene[order][1:] != ann.link_gene[order][:-1], True]
    best = np.full(len(ann.gene_symbols), -1, np.int64)
    best[ann.link_gene[order][last]] = ann.link_disease[order][last]
    return score, best


def gene_modes(ontology: Ontology, disease_scores: np.ndarray, method: str) -> np.ndarray:
    """Per gene: the modes of inheritance of its diseases that score near its best one, as bits
    of MODE_ORDER (see `mode_lists`)."""
    ann = ontology.annotations
    linked = disease_scores[ann.link_disease]
    best = np.full(len(ann.gene_symbols), -np.inf)
    np.maximum.at(best, ann.link_gene, linked)
    window = MODE_WINDOW if method == "lr" else 1e-9
    near = linked >= best[ann.link_gene] - window
    bits = np.zeros(len(ann.gene_symbols), np.int64)
    np.bitwise_or.at(bits, ann.link_gene[near], ann.mode_bits[ann.link_disease[near]])
    return bits


# Every combination of the five modes as a list, in MODE_ORDER: index = bit mask.
_MODE_LISTS = pa.array([[m for i, m in enumerate(MODE_ORDER) if mask >> i & 1] for mask in range(32)],
                       pa.list_(pa.string()))


def mode_lists(bits: np.ndarray) -> pa.ListArray:
    """Bit masks from `gene_modes` as lists of mode names."""
    return _MODE_LISTS.take(pa.array(bits, pa.int64()))


def calibrated(score: np.ndarray, method: str) -> np.ndarray:
    """Posterior over genes (uniform prior): comparable between patients, sums to 1."""
    scaled = (score - score.max()) / CALIBRATION[method]
    weights = np.exp(scaled)
    return weights / weights.sum()


def disease_terms_matched(ontology: Ontology, observed: np.ndarray, diseases: np.ndarray
                          ) -> np.ndarray:
    """(n_terms, n_genes) index of the most specific annotation of each gene's best disease at or
    below each patient term (-1: the disease does not have the term)."""
    ann = ontology.annotations
    result = np.full((len(observed), len(diseases)), -1, np.int64)
    wanted = np.zeros(len(ann.disease_ids), bool)
    wanted[diseases[diseases >= 0]] = True
    below = np.zeros((len(observed), len(ontology.ic)), bool)  # per patient term: it and its descendants
    for i, q in enumerate(observed):
        below[i, ontology.descendants(q)] = True
    rows = np.flatnonzero(wanted[ann.ann_disease])
    rows = rows[below.any(axis=0)[ann.ann_term[rows]]]  # annotations that match some patient term
    for i in range(len(observed)):
        hit = rows[below[i, ann.ann_term[rows]]]
        if not len(hit):
            continue
        # The most informative annotated term per disease wins.
        order = np.lexsort((ontology.ic[ann.ann_term[hit]], ann.ann_disease[hit]))
        hit = hit[order]
        last = np.r_[ann.ann_disease[hit][1:] != ann.ann_disease[hit][:-1], True]
        best_term = np.full(len(ann.disease_ids), -1, np.int64)
        best_term[ann.ann_disease[hit][last]] = ann.ann_term[hit][last]
        result[i] = np.where(diseases >= 0, best_term[np.maximum(diseases, 0)], -1)
    return result


def _matched_term_lists(ontology: Ontology, observed: np.ndarray, best: np.ndarray,
                        contribution: np.ndarray) -> pa.ListArray:
    """Per gene (its best disease): one struct per patient term, built column-wise."""
    term_ids = pa.array(ontology.terms.ids, pa.string())
    matched = disease_terms_matched(ontology, observed, best).T.ravel()  # genes x terms
    scores = contribution[:, best].T if len(observed) else np.zeros((len(best), 0))
    structs = pa.StructArray.from_arrays(
        [term_ids.take(pa.array(np.tile(observed, len(best)), pa.int64())),
         term_ids.take(pa.array(np.maximum(matched, 0), pa.int64(), mask=matched < 0)),
         pa.array(scores.ravel(), pa.float32())],
        fields=list(GENE_PHENOTYPE.field("matched_terms").type.value_type))
    offsets = pa.array(np.arange(len(best) + 1, dtype=np.int32) * len(observed))
    return pa.ListArray.from_arrays(offsets, structs)


def gene_phenotype_table(ontology: Ontology, observed: np.ndarray, disease_scores: np.ndarray,
                         contribution: np.ndarray, method: str) -> pa.Table:
    """One row per gene with at least one scored disease, best first."""
    ann = ontology.annotations
    score, best = gene_scores(ontology, disease_scores, method)
    keep = np.flatnonzero(best >= 0)
    keep = keep[np.argsort(-score[keep], kind="stable")]
    best = best[keep]
    posterior = calibrated(score[keep], method) if len(keep) else np.zeros(0)
    matched_lists = _matched_term_lists(ontology, observed, best, contribution)
    raw = score[keep] / (np.log(10) if method == "lr" else 1.0)
    modes = gene_modes(ontology, disease_scores, method)
    text = ann.arrow_text
    ncbi = ann.gene_ncbi[keep]
    return pa.Table.from_pydict({
        "gene_symbol": text["gene_symbol"].take(pa.array(keep, pa.int64())),
        "ncbi_gene_id": pa.array(ncbi, pa.int64(), mask=ncbi < 0),
        "phenotype_score": posterior,
        "phenotype_raw": raw,
        "disease_id": text["disease_id"].take(pa.array(best, pa.int64())),
        "disease_name": text["disease_name"].take(pa.array(best, pa.int64())),
        "disease_modes": mode_lists(modes[keep]),
        "matched_terms": matched_lists,
        # Mouse and network evidence: filled by xspecies.add_cross_species when those components are on.
        **{name: pa.nulls(len(keep), GENE_PHENOTYPE.field(name).type) for name in CROSS_SPECIES_COLUMNS},
    }, schema=GENE_PHENOTYPE)
