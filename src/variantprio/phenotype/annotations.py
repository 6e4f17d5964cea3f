"""Disease annotations (phenotype.hpoa) and disease-gene links (genes_to_phenotype.txt).

Frequencies become numbers here: HPO frequency terms take the midpoint of their published range,
"n/m" and "x%" are taken literally, and a missing frequency stays NaN so the scoring method
decides what an unqualified annotation is worth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..schemas import MODE_ORDER
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

# Inheritance terms (aspect I) -> the pipeline's mode codes (schemas.MODES); others impose none.
INHERITANCE_MODES = {
    "HP:0000006": ("AD",), "HP:0025352": ("AD",), "HP:0003745": ("AD",), "HP:0001442": ("AD",),
    "HP:0012275": ("AD",), "HP:0012274": ("AD",), "HP:0001466": ("AD",),
    "HP:0000007": ("AR",), "HP:0032113": ("AD", "AR"),
    "HP:0001419": ("XR",), "HP:0001423": ("XD",), "HP:0001417": ("XR", "XD"),
    "HP:0001427": ("MT",),
}

_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


def parse_frequency(values: pd.Series) -> np.ndarray:
    """hpoa frequency column -> float in [0,1], NaN when not stated or unparseable."""
    text = values.fillna("").astype(str).str.strip()
    out = text.map(FREQUENCY_TERMS).astype(float).to_numpy()
    fraction = text.str.extract(_FRACTION).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (fraction[0] / fraction[1]).to_numpy()
    out = np.where(np.isnan(out), ratio, out)
    percent = text.str.extract(_PERCENT)[0].astype(float).to_numpy() / 100
    out = np.where(np.isnan(out), percent, out)
    return np.clip(out, 0.0, 1.0)


@dataclass
class Annotations:
    """Diseases with their term annotations, exclusions, modes and genes (all by index)."""

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

    @cached_property
    def gene_index(self) -> dict[str, int]:
        return {symbol: i for i, symbol in enumerate(self.gene_symbols)}

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


def _read_tsv(path: Path, what: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, **kwargs)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read {what}: {err}", path=str(path),
                         hint="use the files of one HPO release (hp.obo, phenotype.hpoa, "
                              "genes_to_phenotype.txt)") from None


def _hpoa_version(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith("#version:") or line.startswith("#date:"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def parse_annotations(hpoa: Path, genes_to_phenotype: Path, terms: Terms) -> Annotations:
    """Keep diseases linked to at least one gene: only they can score a gene."""
    table = _read_tsv(hpoa, "phenotype.hpoa", comment="#")
    needed = {"database_id", "disease_name", "qualifier", "hpo_id", "frequency", "aspect"}
    if not needed <= set(table.columns):
        raise InputError(f"phenotype.hpoa lacks columns {sorted(needed - set(table.columns))}",
                         path=str(hpoa), hint="use an HPO release from 2021 or later")
    links = _read_tsv(genes_to_phenotype, "genes_to_phenotype.txt",
                      usecols=["ncbi_gene_id", "gene_symbol", "disease_id"]).drop_duplicates()
    linked = set(links["disease_id"])
    table = table[table["database_id"].isin(linked)]
    table = table.assign(hpo_id=_current_ids(table["hpo_id"], terms))
    table = table[table["hpo_id"].notna()]

    diseases = table.drop_duplicates("database_id")[["database_id", "disease_name"]]
    disease_index = pd.Series(np.arange(len(diseases), dtype=np.int32), index=diseases["database_id"])
    term_index = pd.Series(np.arange(len(terms.ids), dtype=np.int32), index=terms.ids)

    modes = _disease_modes(table[table["aspect"] == "I"], disease_index)
    phenotypic = table[table["aspect"] == "P"]
    negated = phenotypic["qualifier"].str.upper() == "NOT"
    positive, excluded = phenotypic[~negated], phenotypic[negated]

    links = links[links["disease_id"].isin(disease_index.index)]
    genes = links.drop_duplicates("gene_symbol")[["gene_symbol", "ncbi_gene_id"]]
    gene_index = pd.Series(np.arange(len(genes), dtype=np.int32), index=genes["gene_symbol"])
    return Annotations(
        disease_ids=diseases["database_id"].tolist(),
        disease_names=diseases["disease_name"].tolist(),
        disease_modes=modes,
        ann_disease=disease_index[positive["database_id"]].to_numpy(np.int32),
        ann_term=term_index[positive["hpo_id"]].to_numpy(np.int32),
        ann_freq=parse_frequency(positive["frequency"]).astype(np.float32),
        not_disease=disease_index[excluded["database_id"]].to_numpy(np.int32),
        not_term=term_index[excluded["hpo_id"]].to_numpy(np.int32),
        gene_symbols=genes["gene_symbol"].tolist(),
        gene_ncbi=pd.to_numeric(genes["ncbi_gene_id"], errors="coerce").fillna(-1).to_numpy(np.int64),
        link_gene=gene_index[links["gene_symbol"]].to_numpy(np.int32),
        link_disease=disease_index[links["disease_id"]].to_numpy(np.int32),
        version=_hpoa_version(hpoa),
    )


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


def _disease_modes(inheritance: pd.DataFrame, disease_index: pd.Series) -> list[tuple[str, ...]]:
    modes: list[set[str]] = [set() for _ in range(len(disease_index))]
    for disease, term in zip(inheritance["database_id"], inheritance["hpo_id"]):
        modes[disease_index[disease]].update(INHERITANCE_MODES.get(term, ()))
    return [tuple(m for m in MODE_ORDER if m in found) for found in modes]
