"""HPO term names beyond the ontology's English: the HPO project's translations (Babelon TSV, one
per language) for the report, and term input typed as people write it, labels and exact synonyms in
any language, matched case-, accent- and whitespace-insensitively and never guessed.

Pure functions of files and mappings: the phenotype stage feeds in its ontology's English names.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import InputError
from .hpoterms import is_term_id, split_terms

OFFICIAL, CANDIDATE, ENGLISH = "official", "candidate", "english"  # where a shown label comes from
LABEL_PREDICATE = "rdfs:label"  # Babelon rows of other predicates are definitions and comments
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'"})


def babelon_name(lang: str) -> str:
    """File name of a language's translation in the HPO repository (src/translations/)."""
    return f"hp-{lang}-preprocessed.babelon.tsv"


def synonyms_name(lang: str) -> str:
    return f"hp-{lang}.synonyms.tsv"


def translation_file(hpo_dir: Path | str | None, name: str) -> Path | None:
    """`name` in the release folder, else in a `translations/` folder beside or inside it (the layout
    of `resources fetch hpo --lang` and of the HPO project's own downloads); None when absent."""
    if not hpo_dir:
        return None
    directory = Path(hpo_dir)
    for candidate in (directory / name, directory.parent / "translations" / name, directory / "translations" / name):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Label:
    """A term's label in one language and where it comes from (OFFICIAL, CANDIDATE or ENGLISH fallback)."""

    text: str
    status: str


def _rows(path: Path, required: tuple[str, ...]) -> Iterable[dict[str, str]]:
    """Rows of a translation TSV as dicts; a missing column or unreadable file is one InputError."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"not an HPO translation table: no column {', '.join(missing)}", path=str(path),
                                 hint="use the files of the HPO repository's src/translations/ unchanged")
            yield from reader
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"cannot read HPO translation: {err}", path=str(path)) from None


def clean_text(value: str | None) -> str:
    """A translated string as shown. Format quirk: the preprocessed files carry HTML entities whose
    ampersand was lost ('quot;crâniosynostose ...quot;'): such quotes are dropped."""
    text = (value or "").replace("quot;", "").replace("&amp;", "&")
    return " ".join(text.split()).strip('"').strip()


@cache
def read_labels(path: Path) -> dict[str, Label]:
    """Term -> label of a Babelon translation: the OFFICIAL one, a CANDIDATE only where no official
    label exists (rows repeat: the first of each status wins)."""
    official: dict[str, str] = {}
    candidate: dict[str, str] = {}
    for row in _rows(path, ("subject_id", "predicate_id", "translation_status", "translation_value")):
        text = clean_text(row["translation_value"])
        if row["predicate_id"] != LABEL_PREDICATE or not text:
            continue
        target = official if row["translation_status"].strip().upper() == "OFFICIAL" else candidate
        target.setdefault(row["subject_id"].strip(), text)
    return {**{t: Label(v, CANDIDATE) for t, v in candidate.items() if t not in official},
            **{t: Label(v, OFFICIAL) for t, v in official.items()}}


@cache
def read_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """Term -> exact synonyms of a translation's synonym table. Format quirks: a second header line
    (ROBOT template: 'ID', 'AL oboInOwl:hasExactSynonym@fr') and cells listing several synonyms
    joined by '|'."""
    out: dict[str, dict[str, None]] = {}
    for row in _rows(path, ("subject_id", "translation_value")):
        term = (row["subject_id"] or "").strip()
        if not term.startswith("HP:"):
            continue
        for text in (clean_text(part) for part in (row["translation_value"] or "").split("|")):
            if text:
                out.setdefault(term, {})[text] = None
    return {t: tuple(v) for t, v in out.items()}


def shown_labels(terms: Iterable[str], english: Mapping[str, str], translated: Mapping[str, Label]
                 ) -> dict[str, Label]:
    """What a report in another language shows per term: the translation, else the English label
    marked ENGLISH; a term with neither is left out (shown as its ID)."""
    out: dict[str, Label] = {}
    for term in terms:
        if term in translated:
            out[term] = translated[term]
        elif english.get(term):
            out[term] = Label(english[term], ENGLISH)
    return out


# --- term input: IDs, labels and synonyms ---------------------------------------------------------

def normalise(text: str) -> str:
    """Matching key: case, accents, apostrophe style and runs of whitespace do not count."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


# Precedence when one name belongs to several terms: the ontology's own (English) label, then an
# official translation, then exact synonyms and candidate translations. Within a tier, several terms
# make the name ambiguous (the translations do give one name to several terms: 'Brachydactylie').
ONTOLOGY_LABEL_TIER, LABEL_TIER, SYNONYM_TIER = 0, 1, 2


@dataclass
class LabelIndex:
    """Normalised label or synonym -> term IDs, per tier, over every language loaded."""

    keys: dict[str, list[set[str]]] = field(default_factory=dict)
    names: dict[str, dict[str, None]] = field(default_factory=dict)  # term -> names, for suggestions
    languages: tuple[str, ...] = ("en",)

    def add(self, term: str, text: str, tier: int) -> None:
        key = normalise(text)
        if not key:
            return
        self.keys.setdefault(key, [set(), set(), set()])[tier].add(term)
        self.names.setdefault(term, {})[text] = None

    def add_names(self, names: Mapping[str, Iterable[str]], tier: int) -> None:
        for term, texts in names.items():
            for text in texts:
                self.add(term, text, tier)

    def matches(self, entry: str) -> set[str]:
        """The terms `entry` names in the first tier that has any."""
        return next((tier for tier in self.keys.get(normalise(entry), ()) if tier), set())

    def closest(self, entry: str, limit: int = 5) -> list[tuple[str, str]]:
        """(name, term) of the names nearest to a typo, best first, at most `limit`."""
        key = normalise(entry)
        near = difflib.get_close_matches(key, self.keys, n=limit * 3, cutoff=0.7)
        if not near and len(key) >= 4:  # a fragment of a longer label ('brachydact')
            near = [k for k in self.keys if key in k][:limit * 3]
        out: dict[str, tuple[str, str]] = {}
        for k in near:
            for term in sorted(set().union(*self.keys[k])):
                out.setdefault(term, (self._display(term, k), term))
        return list(out.values())[:limit]

    def _display(self, term: str, key: str) -> str:
        return next((n for n in self.names.get(term, {}) if normalise(n) == key), key)

    def describe(self, terms: Iterable[str]) -> str:
        return ", ".join(f"{term} ({next(iter(self.names.get(term, {'?': None})))})" for term in sorted(terms))


def resolve_entries(text: str | Iterable[str] | None, index_of, where: str = "--hpo") -> list[tuple[str, str]]:
    """(as typed, term ID) per entry; IDs pass through unchanged. `index_of()` builds the LabelIndex
    only when a label was typed. An unknown or ambiguous label is an InputError listing the closest
    matches with their IDs: a label is never guessed."""
    out: list[tuple[str, str]] = []
    index: LabelIndex | None = None
    for entry in split_terms(text):
        if is_term_id(entry):
            out.append((entry, entry))
            continue
        index = index or index_of()
        out += _resolve_label(index, entry, where)
    return out


def _resolve_label(index: LabelIndex, entry: str, where: str) -> list[tuple[str, str]]:
    found = index.matches(entry)
    if len(found) == 1:
        return [(entry, next(iter(found)))]
    if len(found) > 1:
        raise InputError(f"ambiguous HPO label {entry!r}: it names {index.describe(found)}", path=where,
                         hint="type one of these IDs instead")
    if "," in entry:  # 'Brachydactylie, Crâniosynostose': commas between labels
        parts = [p.strip() for p in entry.split(",") if p.strip()]
        if len(parts) > 1:
            return [pair for part in parts for pair in
                    ([(part, part)] if is_term_id(part) else _resolve_label(index, part, where))]
    near = index.closest(entry)
    suggestion = "; ".join(f"{name} = {term}" for name, term in near) or "none"
    languages = "/".join(index.languages)
    raise InputError(f"unknown HPO label {entry!r} (labels and exact synonyms, {languages}); closest: {suggestion}",
                     path=where, hint="type the label as HPO writes it, or the term's HP: ID")
