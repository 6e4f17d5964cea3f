"""HPO term names of a release in every report language: the ontology's English labels and exact
synonyms plus the HPO project's translations found with the release (`core.hpolabels`), for term
input typed as labels and for the labels a report shows."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..core.hpolabels import (
    LABEL_TIER,
    OFFICIAL,
    ONTOLOGY_LABEL_TIER,
    SYNONYM_TIER,
    Label,
    LabelIndex,
    babelon_name,
    read_labels,
    read_synonyms,
    resolve_entries,
    shown_labels,
    synonyms_name,
    translation_file,
)
from ..i18n import DEFAULT_LANGUAGE, LANGUAGE_CODES
from .knowledge import Ontology

log = logging.getLogger(__name__)


def translated_labels(ontology: Ontology, lang: str) -> dict[str, Label]:
    """Term -> label in `lang` from the translation beside the release; {} when there is none."""
    path = translation_file(ontology.source, babelon_name(lang))
    return read_labels(path) if path else {}


_INDEXES: dict[tuple[str, str], LabelIndex] = {}  # (release checksum, folder) -> index, per process


def _build_index(ontology: Ontology) -> LabelIndex:
    terms = ontology.terms
    index = LabelIndex()
    index.add_names({t: [n] for t, n in zip(terms.ids, terms.names) if n}, ONTOLOGY_LABEL_TIER)
    index.add_names(terms.synonyms, SYNONYM_TIER)
    languages = [DEFAULT_LANGUAGE]
    for lang in LANGUAGE_CODES:
        labels = translated_labels(ontology, lang) if lang != DEFAULT_LANGUAGE else {}
        synonyms_path = translation_file(ontology.source, synonyms_name(lang)) if lang != DEFAULT_LANGUAGE else None
        if not labels and not synonyms_path:
            continue
        languages.append(lang)
        current = {t: label for t, label in labels.items() if t in terms.index}  # obsolete terms: not typed
        index.add_names({t: [label.text] for t, label in current.items() if label.status == OFFICIAL}, LABEL_TIER)
        index.add_names({t: [label.text] for t, label in current.items() if label.status != OFFICIAL},
                        SYNONYM_TIER)
        if synonyms_path:
            index.add_names({t: v for t, v in read_synonyms(synonyms_path).items() if t in terms.index},
                            SYNONYM_TIER)
    index.languages = tuple(languages)
    log.info("HPO label index: %d names in %s", len(index.keys), ", ".join(languages))
    return index


def label_index(ontology: Ontology) -> LabelIndex:
    """Every label and exact synonym of the release, in English and each translation found with it."""
    key = (ontology.checksum, ontology.source)
    if key not in _INDEXES:
        _INDEXES[key] = _build_index(ontology)
    return _INDEXES[key]


def resolved_terms(ontology: Ontology, text: str | Iterable[str] | None, where: str = "--hpo"
                   ) -> list[tuple[str, str]]:
    """(as typed, term ID) of every entry; labels and synonyms resolved, IDs unchanged."""
    return resolve_entries(text, lambda: label_index(ontology), where)


def term_ids(ontology: Ontology, text: str | Iterable[str] | None, where: str = "--hpo") -> list[str]:
    """The IDs of typed entries (IDs, labels or exact synonyms, any language of the release)."""
    return [term for _, term in resolved_terms(ontology, text, where)]


def report_labels(ontology: Ontology, terms: list[str], lang: str | None) -> dict[str, Label]:
    """The labels a report in `lang` shows: a translation (OFFICIAL, else CANDIDATE), else English
    marked as such; in English, the ontology's labels."""
    english = {t: ontology.label(t) for t in terms if t in ontology.terms.index}
    if not lang or lang == DEFAULT_LANGUAGE:
        return {t: Label(name, OFFICIAL) for t, name in english.items() if name}
    translated = translated_labels(ontology, lang)
    if not translated:
        log.warning("no %s translation of the HPO next to %s (%s): English labels are shown, marked "
                    "(fix: variantprio resources fetch hpo --lang %s)", lang, ontology.source, babelon_name(lang),
                    lang)
    return shown_labels(terms, english, translated)
