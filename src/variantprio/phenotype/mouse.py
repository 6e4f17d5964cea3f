"""Cross-species phenotype evidence: the patient's HPO terms against the phenotypes of the
orthologous mouse gene's mutants (MGI), for genes whose human disease nobody has described yet.

HPO and MP are different ontologies; uPheno's HP->MP correspondences translate each patient term
(or, when it has none, its most informative mapped ancestor) into MP terms. Similarity is then
measured inside MP: per patient term, the information content (IC, over mouse genes: a phenotype
most knockouts show tells little) of the most informative MP term the gene's mutants share with
its translation. A gene's score adds these up, each minus what the gene reaches for an average
HPO term (`expected`): genes whose mutants were phenotyped in depth (170 MP terms) match any
patient somewhat, and without that centring they outrank every specific match (on 42 withheld
development cases whose gene has no HPO annotation, the causal gene's median rank among the
candidate genes of a spiked exome fell from 359 with plain IC sums to 220; mean best-match
normalised per term, Phenodigm-style, reached 250).

A folder laid out like `../shared/xspecies/` holds the files (`mouse_files`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from ..cache import cached_build, files_checksum
from ..errors import InputError
from .genelist import GeneSymbols
from .knowledge import Ontology, expand_to_ancestors
from .ontology import Terms, parse_obo

log = logging.getLogger(__name__)

MP_ONTOLOGY = Path("ontology/mp.obo")
# Gene profiles: derived by `resources fetch xspecies` from MGI's current reports (preferred), or
# PhenoRank's 2016 table as in ../shared/xspecies/; the column holding the human symbol differs.
FETCHED_PROFILES = Path("mouse/mgi_human_gene_to_mouse_MP.tsv")
GENE_PROFILES = Path("mouse/phenorank2016_human_gene_to_mouse_MP.tsv")
PROFILE_SYMBOL = {FETCHED_PROFILES.name: "human_symbol", GENE_PROFILES.name: "symbol_orgHsEgDb_2022"}
HP_MP_MAPPINGS = Path("mappings/hp_mp_mapping_union.tsv")
CACHE_FORMAT = "mouse-3"  # 3: expected match per gene
# What PhenoRank's profile file is (its header says nothing about its date): see ../shared/xspecies/README.md.
PROFILE_VERSION = "MGI 2016-10-13 (PhenoRank)"
FETCH_RECORD = "xspecies.json"  # written by `resources fetch xspecies`: when MGI's reports were downloaded
_HINT = "lay the folder out like ../shared/xspecies/ (ontology/mp.obo, mouse/, mappings/)"


@dataclass
class MouseKnowledge(GeneSymbols):
    """Mouse phenotype profiles of human genes, in MP, and the HP->MP translation."""

    mp: Terms
    anc_indptr: np.ndarray  # MP term -> its ancestors (self included), CSR
    anc_indices: np.ndarray
    ic: np.ndarray  # per MP term: -ln(fraction of profiled genes that have it, propagated)
    gene_symbols: list[str]
    profile: sparse.csc_matrix  # genes x MP terms: 1 where the gene's mutants show the term or below
    hp_mapped: dict[str, np.ndarray]  # HP id -> MP term indices it corresponds to
    expected: np.ndarray  # per gene: mean best-match IC over the translations of every mapped HP term
    versions: dict[str, str]
    source: str
    checksum: str

    def ancestors(self, term: int) -> np.ndarray:
        return self.anc_indices[self.anc_indptr[term]:self.anc_indptr[term + 1]]


def mouse_files(directory: Path) -> list[Path]:
    """The three files of a cross-species folder; one InputError names what is missing."""
    names = [MP_ONTOLOGY, FETCHED_PROFILES if (directory / FETCHED_PROFILES).is_file() else GENE_PROFILES,
             HP_MP_MAPPINGS]
    paths = [directory / name for name in names]
    missing = [str(name) for name, path in zip(names, paths) if not path.is_file()]
    if missing:
        raise InputError(f"cross-species folder lacks {', '.join(missing)}", path=str(directory), hint=_HINT)
    return paths


def load_mouse(directory: str | Path) -> MouseKnowledge:
    """The mouse knowledge of a cross-species folder, parsed once per file checksum."""
    paths = mouse_files(Path(directory))
    checksum = files_checksum(paths, CACHE_FORMAT)
    return cached_build("xspecies", checksum, lambda: build_mouse(paths, checksum), "mouse phenotypes")


def _read(path: Path, what: str, columns: list[str]) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read {what}: {err}", path=str(path), hint=_HINT) from None
    if not set(columns) <= set(table.columns):
        raise InputError(f"{what} lacks column(s) {', '.join(sorted(set(columns) - set(table.columns)))}",
                         path=str(path), hint=_HINT)
    return table[columns]


def build_mouse(paths: list[Path], checksum: str = "") -> MouseKnowledge:
    mp = parse_obo(paths[0])
    indptr, indices = mp.ancestors_csr()
    current = _current(mp)
    symbol = PROFILE_SYMBOL[paths[1].name]
    profiles = _read(paths[1], "mouse gene profiles", [symbol, "mp_ids"])
    pairs = profiles.assign(mp=profiles["mp_ids"].str.split(",")).explode("mp")
    pairs = pairs.assign(term=pairs["mp"].str.strip().map(current), gene=pairs[symbol].str.strip())
    pairs = pairs[(pairs["gene"] != "")].dropna(subset=["term"]).drop_duplicates(["gene", "term"])
    genes = sorted(pairs["gene"].unique())
    gene_of = {g: i for i, g in enumerate(genes)}
    own_gene = pairs["gene"].map(gene_of).to_numpy(np.int32)
    owner, ancestor = expand_to_ancestors(pairs["term"].to_numpy(np.int64), indptr, indices)
    profile = sparse.csc_matrix((np.ones(len(owner)), (own_gene[owner], ancestor)), shape=(len(genes), len(mp.ids)))
    profile.sum_duplicates()
    profile.data[:] = 1.0
    ic = -np.log(np.maximum(np.diff(profile.indptr), 1) / max(len(genes), 1))
    mappings = _read(paths[2], "HP-MP mappings", ["hp_id", "mp_id", "source"])
    mappings = mappings.assign(term=mappings["mp_id"].str.strip().map(current)).dropna(subset=["term"])
    hp_mapped = {hp: np.unique(group.to_numpy(np.int32)) for hp, group in mappings.groupby("hp_id")["term"]}
    log.info("mouse phenotypes: %d human genes, %d MP terms (MP %s), %d HP terms mapped",
             len(genes), len(mp.ids), mp.version, len(hp_mapped))
    expected = expected_match(mp, indptr, indices, ic, profile, list(hp_mapped.values()))
    versions = {"MP": mp.version, "mouse phenotypes": _profile_version(paths[1]),
                "HP-MP mappings": "uPheno " + _mapping_dates(mappings["source"])}
    return MouseKnowledge(mp, indptr, indices, ic, genes, profile, hp_mapped, expected, versions,
                          str(paths[0].parent.parent), checksum)


def _profile_version(path: Path) -> str:
    if path.name == GENE_PROFILES.name:
        return PROFILE_VERSION
    record = path.parent.parent / FETCH_RECORD
    try:
        when = json.loads(record.read_text())["files"]["MGI_GenePheno.rpt"]["downloaded_at"][:10]
    except (OSError, ValueError, KeyError, TypeError):
        when = "date not recorded"
    return f"MGI reports downloaded {when}"


def _best_match(ancestors_of, ic: np.ndarray, profile: sparse.csc_matrix, translated: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per gene: the IC of the most informative MP term it shares with `translated` (or an
    ancestor of it) and that term (-1: none)."""
    best = np.zeros(profile.shape[0])
    term = np.full(profile.shape[0], -1, np.int32)
    ancestors = np.unique(np.concatenate([ancestors_of(t) for t in translated]))
    for a in ancestors[np.argsort(ic[ancestors], kind="stable")]:  # the most informative is written last
        genes = profile.indices[profile.indptr[a]:profile.indptr[a + 1]]
        best[genes] = ic[a]
        term[genes] = a
    return best, term


def expected_match(mp: Terms, indptr: np.ndarray, indices: np.ndarray, ic: np.ndarray,
                   profile: sparse.csc_matrix, translations: list[np.ndarray]) -> np.ndarray:
    """Per gene: its mean best-match IC over these translations (every mapped HP term's)."""
    total = np.zeros(profile.shape[0])
    for translated in translations:
        total += _best_match(lambda t: indices[indptr[t]:indptr[t + 1]], ic, profile, translated)[0]
    return total / max(len(translations), 1)


def _current(mp: Terms) -> dict[str, int]:
    """MP id (current or alternative) -> term index."""
    return {**{alt: mp.index[cur] for alt, cur in mp.alt_ids.items() if cur in mp.index}, **mp.index}


def _mapping_dates(sources: pd.Series) -> str:
    """The dates in the mapping sources' names ('upheno_bestmatch_jaccard_2020' ...), as a range."""
    years = sources.str.extract(r"_((?:19|20)\d\d(?:-\d\d)?)(?:_|$)")[0].dropna().unique()
    return f"{min(years)}..{max(years)}" if len(years) else "unknown"


def patient_mp_terms(mouse: MouseKnowledge, ontology: Ontology, observed: np.ndarray) -> list[np.ndarray]:
    """Per observed HPO term: the MP terms it corresponds to, or those of its most informative
    ancestor that has a correspondence (empty when none has)."""
    out = []
    for q in observed:
        mapped = [(float(ontology.ic[a]), ontology.terms.ids[a]) for a in ontology.ancestors(q)
                  if ontology.terms.ids[a] in mouse.hp_mapped]
        if not mapped:
            out.append(np.empty(0, np.int32))
            continue
        best = max(ic for ic, _ in mapped)
        out.append(np.unique(np.concatenate([mouse.hp_mapped[t] for ic, t in mapped if ic == best])))
    return out


@dataclass
class MouseMatch:
    """Per patient term x profiled gene: the IC of the best MP term shared with the term's
    translation (0: none) and that MP term (-1: none); which patient terms have a translation."""

    ic: np.ndarray  # float64 (n_terms, n_genes)
    term: np.ndarray  # int32 (n_terms, n_genes) MP term index
    translated: np.ndarray  # bool (n_terms,)

    def scores(self, expected: np.ndarray) -> np.ndarray:
        """Per gene: the sum over translated patient terms of matched IC minus the gene's expected
        IC (terms HPO cannot say in MP count nothing either way)."""
        return (self.ic[self.translated] - expected[None, :]).sum(axis=0)


def match_terms(mouse: MouseKnowledge, ontology: Ontology, observed: np.ndarray) -> MouseMatch:
    """Best shared MP term of every patient term with every profiled gene (see module doc)."""
    n_genes = mouse.profile.shape[0]
    ic = np.zeros((len(observed), n_genes))
    term = np.full((len(observed), n_genes), -1, np.int32)
    translated = np.zeros(len(observed), bool)
    for row, mp_terms in enumerate(patient_mp_terms(mouse, ontology, observed)):
        if len(mp_terms):
            translated[row] = True
            ic[row], term[row] = _best_match(mouse.ancestors, mouse.ic, mouse.profile, mp_terms)
    return MouseMatch(ic, term, translated)
