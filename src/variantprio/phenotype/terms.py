"""A patient's HPO terms from the command line, a text file or a GA4GH phenopacket (v1 or v2),
checked against the ontology: old ids are mapped to current ones (with a warning), unknown or
malformed ids stop the run, and redundant terms are dropped."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from ..core.hpoterms import feature_terms
from ..errors import InputError
from .knowledge import Ontology
from .labels import term_ids

log = logging.getLogger(__name__)

_TERM = re.compile(r"^HP:\d{7}$")


@dataclass
class PatientTerms:
    """Current term ids: observed (most specific only) and excluded; notes say what changed."""

    observed: list[str]
    excluded: list[str]
    notes: list[str] = field(default_factory=list)

    def indices(self, ontology: Ontology) -> tuple[np.ndarray, np.ndarray]:
        index = ontology.terms.index
        return (np.array([index[t] for t in self.observed], np.int64),
                np.array([index[t] for t in self.excluded], np.int64))


def read_term_file(path: str | Path) -> list[str]:
    """One term per line (or several per line); '#' comments; 'HP:0001250 Seizure' is fine."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read HPO term file: {err}", path=str(path)) from None
    return [m for line in lines for m in re.findall(r"\b[A-Za-z]+:[\w.]+", line.split("#", 1)[0])]


def read_phenopacket(path: str | Path) -> tuple[list[str], list[str]]:
    """(observed, excluded) term ids of a phenopacket v2 (`excluded`) or v1 (`negated`) JSON,
    a single packet or a Family whose proband is used."""
    try:
        packet = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg}", path=str(path), where=f"line {err.lineno}",
                         hint="pass a GA4GH phenopacket (v1 or v2) JSON file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read phenopacket: {err}", path=str(path)) from None
    if isinstance(packet, dict) and "proband" in packet and "phenotypicFeatures" not in packet:
        packet = packet["proband"]
    features = packet.get("phenotypicFeatures") if isinstance(packet, dict) else None
    if not isinstance(features, list):
        raise InputError("no phenotypicFeatures list", path=str(path),
                         hint="a phenopacket needs phenotypicFeatures with HPO terms")
    observed, excluded, missing = feature_terms(features)
    if missing:
        raise InputError("phenotypic feature without type.id", path=str(path),
                         where=f"phenotypicFeatures[{missing[0]}]")
    return observed, excluded


def patient_terms(ontology: Ontology, hpo: str | Iterable[str] | None = None,
                  exclude: str | Iterable[str] | None = None, phenopacket: str | Path | None = None,
                  hpo_file: str | Path | None = None, skip_unknown: bool = False) -> PatientTerms:
    """Validated current terms (`hpo`/`exclude`: IDs, or labels and exact synonyms in any language of
    the release, see `labels`); every unknown or malformed id is listed in one InputError (or,
    with `skip_unknown`, ids this release does not know are dropped with a note: benchmark cases
    curated against a newer HPO release)."""
    observed, excluded = term_ids(ontology, hpo, "--hpo"), term_ids(ontology, exclude, "--exclude")
    source = "--hpo/--exclude"
    if hpo_file:
        observed += read_term_file(hpo_file)
        source = str(hpo_file)
    if phenopacket:
        more_observed, more_excluded = read_phenopacket(phenopacket)
        observed, excluded = observed + more_observed, excluded + more_excluded
        source = str(phenopacket)
    notes: list[str] = []
    observed = _current(ontology, observed, source, notes, skip_unknown)
    excluded = _current(ontology, excluded, source, notes, skip_unknown)
    observed = _phenotypic_only(ontology, observed, notes)
    excluded = _phenotypic_only(ontology, excluded, notes)
    excluded = _drop_contradictions(ontology, observed, excluded, notes)
    observed = _most_specific(ontology, observed, notes)
    excluded = [t for t in dict.fromkeys(excluded)]
    if not observed:
        notes.append("no observed phenotypic-abnormality terms: phenotype scores are uninformative")
    for note in notes:
        log.warning("%s", note)
    return PatientTerms(observed, excluded, notes)


def _current(ontology: Ontology, ids: list[str], source: str, notes: list[str], skip_unknown: bool = False
             ) -> list[str]:
    terms = ontology.terms
    malformed = [t for t in ids if not _TERM.match(t)]
    if malformed:
        raise InputError(f"malformed HPO id(s): {', '.join(malformed[:10])}", path=source,
                         hint="write HPO ids as HP:0001250 (seven digits)")
    current, unknown = [], []
    for term in ids:
        if term in terms.index:
            current.append(term)
        elif term in terms.alt_ids:
            notes.append(f"{term} is an alternative id of {terms.alt_ids[term]}: using that")
            current.append(terms.alt_ids[term])
        elif terms.replaced_by.get(term) in terms.index:
            notes.append(f"{term} is obsolete, replaced by {terms.replaced_by[term]}: using that")
            current.append(terms.replaced_by[term])  # type: ignore[arg-type]
        else:
            unknown.append(term + (" (obsolete, no replacement)" if term in terms.replaced_by else ""))
    if unknown and skip_unknown:
        notes.append(f"skipped {len(unknown)} term(s) unknown to HPO {ontology.version}: {', '.join(unknown)}")
    elif unknown:
        raise InputError(f"unknown HPO term(s) in HPO {ontology.version}: {', '.join(unknown[:10])}",
                         path=source, hint="check the ids at https://hpo.jax.org or pass a newer "
                                           "release with --hpo-dir")
    return list(dict.fromkeys(current))


def _phenotypic_only(ontology: Ontology, ids: list[str], notes: list[str]) -> list[str]:
    """Inheritance, onset and other non-phenotype terms do not describe the patient's features."""
    keep = [t for t in ids if ontology.phenotypic[ontology.terms.index[t]]]
    skipped = [t for t in ids if t not in keep]
    if skipped:
        notes.append(f"skipped {len(skipped)} term(s) outside Phenotypic abnormality: {', '.join(skipped)}")
    return keep


def _ancestor_ids(ontology: Ontology, term: str) -> set[str]:
    ids = ontology.terms.ids
    index = ontology.terms.index[term]
    return {ids[a] for a in ontology.ancestors(index) if a != index}


def _drop_contradictions(ontology: Ontology, observed: list[str], excluded: list[str], notes: list[str]
                         ) -> list[str]:
    """An excluded term that is observed, or implied by an observed term, cannot be absent: the
    observation wins (curated records do contain such slips)."""
    implied = set(observed).union(*(_ancestor_ids(ontology, t) for t in observed)) if observed else set()
    clash = [t for t in excluded if t in implied]
    if clash:
        notes.append(f"ignored excluded term(s) that an observed term implies: {', '.join(clash)}")
    return [t for t in excluded if t not in implied]


def _most_specific(ontology: Ontology, observed: list[str], notes: list[str]) -> list[str]:
    """Drop terms implied by a more specific observed term, so one feature is not counted twice."""
    implied = set().union(*(_ancestor_ids(ontology, t) for t in observed)) if observed else set()
    redundant = [t for t in observed if t in implied]
    if redundant:
        notes.append(f"dropped {len(redundant)} term(s) implied by more specific ones: {', '.join(redundant)}")
    return [t for t in observed if t not in implied]
