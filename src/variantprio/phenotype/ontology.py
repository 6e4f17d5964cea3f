"""HPO terms from hp.obo (or hp.json): ids, names, is_a parents, alt_ids and obsolete replacements.

The ancestor closure is kept as CSR arrays (term index -> ancestor indices, self included), which
every scoring method slices; nothing here walks the graph per patient.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

ROOT = "HP:0000001"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
MODE_OF_INHERITANCE = "HP:0000005"


@dataclass
class Terms:
    """The parsed ontology: current terms indexed 0..n-1, plus the maps for old ids."""

    ids: list[str]
    names: list[str]
    parents: list[list[int]]
    alt_ids: dict[str, str] = field(default_factory=dict)  # alt id -> current id
    replaced_by: dict[str, str | None] = field(default_factory=dict)  # obsolete id -> replacement
    version: str = "unknown"
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # current id -> EXACT synonyms (term input)

    def __post_init__(self) -> None:
        self.index = {term: i for i, term in enumerate(self.ids)}

    def ancestors_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """indptr/indices of each term's ancestors (self included), in topological order."""
        order = _topological_order(self.parents)
        closure: list[np.ndarray] = [np.empty(0, np.int32)] * len(self.ids)
        for i in order:
            parts = [np.array([i], np.int32)] + [closure[p] for p in self.parents[i]]
            closure[i] = np.unique(np.concatenate(parts))
        sizes = np.fromiter((len(c) for c in closure), np.int64, len(closure))
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        return indptr, np.concatenate(closure).astype(np.int32)


def _topological_order(parents: list[list[int]]) -> list[int]:
    """Parents before children (hp.obo is a DAG; a cycle would be a broken file)."""
    n = len(parents)
    children: list[list[int]] = [[] for _ in range(n)]
    pending = np.zeros(n, np.int64)
    for child, ps in enumerate(parents):
        pending[child] = len(ps)
        for p in ps:
            children[p].append(child)
    ready = [i for i in range(n) if pending[i] == 0]
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for child in children[node]:
            pending[child] -= 1
            if pending[child] == 0:
                ready.append(child)
    if len(order) != n:
        raise InputError("the HPO is_a graph has a cycle", hint="use an official hp.obo release")
    return order


def parse_obo(path: Path) -> Terms:
    """Read the [Term] stanzas of hp.obo (only the tags scoring needs)."""
    stanzas: list[dict[str, list[str]]] = []
    version = "unknown"
    current: dict[str, list[str]] | None = None
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if line.startswith("["):
                    current = {} if line == "[Term]" else None
                    if current is not None:
                        stanzas.append(current)
                elif current is not None and ": " in line:
                    tag, value = line.split(": ", 1)
                    if tag in ("id", "name", "is_a", "alt_id", "replaced_by", "is_obsolete"):
                        current.setdefault(tag, []).append(value.split(" !", 1)[0].strip())
                    elif tag == "synonym" and (exact := _EXACT_SYNONYM.match(value)):
                        current.setdefault(tag, []).append(exact.group(1).replace('\\"', '"'))
                elif current is None and line.startswith("data-version:"):
                    version = _release_of(line.split(":", 1)[1].strip())
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read HPO ontology: {err}", path=str(path)) from None
    live = [s for s in stanzas if "id" in s and s.get("is_obsolete", ["false"])[0] != "true"]
    if not live:
        raise InputError("no HPO terms found", path=str(path), hint="pass an hp.obo file")
    ids = [s["id"][0] for s in live]
    index = {term: i for i, term in enumerate(ids)}
    parents = [[index[p] for p in s.get("is_a", []) if p in index] for s in live]
    alt_ids = {alt: s["id"][0] for s in live for alt in s.get("alt_id", [])}
    replaced_by = {s["id"][0]: (s.get("replaced_by") or [None])[0]
                   for s in stanzas if "id" in s and s.get("is_obsolete", ["false"])[0] == "true"}
    names = [(s.get("name") or [""])[0] for s in live]
    synonyms = {s["id"][0]: s["synonym"] for s in live if s.get("synonym")}
    return Terms(ids, names, parents, alt_ids, replaced_by, version, synonyms)


def _release_of(data_version: str) -> str:
    """'hp/releases/2026-06-06' -> '2026-06-06'; MP writes 'releases/2025-08-27/mp.obo'."""
    date = re.search(r"\d{4}-\d{2}-\d{2}", data_version)
    return date.group(0) if date else data_version.rsplit("/", 1)[-1]


# 'synonym: "Craniostenosis" EXACT []': the quoted text (backslash escapes quotes), then its scope.
_EXACT_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+EXACT\b')


def parse_ontology(path: Path) -> Terms:
    """hp.obo or hp.json (OBO Graphs), by file name."""
    return parse_json(path) if path.suffix == ".json" else parse_obo(path)


_PURL = "http://purl.obolibrary.org/obo/"
_REPLACED_BY = "http://purl.obolibrary.org/obo/IAO_0100001"
_ALT_ID = "http://www.geneontology.org/formats/oboInOwl#hasAlternativeId"
_EXACT = "hasExactSynonym"


def _curie(uri: str) -> str:
    """'http://purl.obolibrary.org/obo/HP_0000118' -> 'HP:0000118'."""
    return uri.removeprefix(_PURL).replace("_", ":", 1) if uri.startswith(_PURL) else uri


def parse_json(path: Path) -> Terms:
    """The same tags as `parse_obo` from hp.json: nodes (lbl, deprecated, replaced_by, alt ids) and
    is_a edges of the first graph; the version is the release named in the graph's meta."""
    try:
        graph = json.loads(Path(path).read_text(encoding="utf-8"))["graphs"][0]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError) as err:
        raise InputError(f"cannot read HPO ontology (OBO Graphs JSON): {err}", path=str(path)) from None
    nodes = [n for n in graph.get("nodes", []) if n.get("type", "CLASS") == "CLASS"
             and _curie(n.get("id", "")).startswith("HP:")]
    meta = lambda n: n.get("meta") or {}  # noqa: E731
    values = lambda n, pred: [v["val"] for v in meta(n).get("basicPropertyValues", [])  # noqa: E731
                              if v.get("pred") == pred]
    live = [n for n in nodes if not meta(n).get("deprecated")]
    if not live:
        raise InputError("no HPO terms found", path=str(path), hint="pass an hp.json (OBO Graphs) file")
    ids = [_curie(n["id"]) for n in live]
    index = {term: i for i, term in enumerate(ids)}
    parents: list[list[int]] = [[] for _ in ids]
    for edge in graph.get("edges", []):
        if edge.get("pred") == "is_a":
            child, parent = index.get(_curie(edge["sub"])), index.get(_curie(edge["obj"]))
            if child is not None and parent is not None:
                parents[child].append(parent)
    alt_ids = {alt: _curie(n["id"]) for n in live for alt in values(n, _ALT_ID)}
    replaced_by = {_curie(n["id"]): next((_curie(v) for v in values(n, _REPLACED_BY)), None)
                   for n in nodes if meta(n).get("deprecated")}
    version = str((graph.get("meta") or {}).get("version") or "unknown")
    version = version.rstrip("/").rsplit("/", 2)[-2] if "/releases/" in version else version
    synonyms = {_curie(n["id"]): [v["val"] for v in meta(n).get("synonyms", []) if v.get("pred") == _EXACT]
                for n in live}
    return Terms(ids, [n.get("lbl") or "" for n in live], parents, alt_ids, replaced_by, version,
                 {t: v for t, v in synonyms.items() if v})
