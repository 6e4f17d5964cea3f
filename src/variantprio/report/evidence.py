"""Which lines of evidence a run had: the report must tell "no data" (source not used) apart from
"absent from the source" (source used, variant not in it), or a lab scientist reads silence as rarity.

A kind of evidence counts as present when a source of that kind is named in the provenance
(`variantprio.sources`) or its columns hold a value for any ranked variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ..i18n import N_
from ..schemas import col


@dataclass(frozen=True)
class EvidenceKind:
    """One line of evidence: the ranked-variant columns it fills and words naming its sources."""

    key: str
    label: str  # N_-marked: the report translates it
    columns: tuple[str, ...]
    source_words: tuple[str, ...]
    without: str  # what a reader must know when it is missing (N_-marked too)


EVIDENCE_KINDS: tuple[EvidenceKind, ...] = (
    EvidenceKind("frequency", N_("Population frequency (gnomAD)"), (col.gnomad_af, col.gnomad_popmax_af),
                 ("gnomad", "exac", "topmed", "1000g", "frequency", "popmax"),
                 N_("no allele frequencies: a missing frequency says nothing about rarity, and common "
                    "variants were not filtered out")),
    EvidenceKind("clinvar", "ClinVar", (col.clinvar_significance,), ("clinvar",),
                 N_("known pathogenic or benign variants are not recognised")),
    EvidenceKind("insilico", N_("In-silico scores (CADD, REVEL, AlphaMissense)"),
                 (col.cadd_phred, col.revel, col.alphamissense),
                 ("cadd", "revel", "alphamissense", "dbnsfp"),
                 N_("missense variants are scored by consequence only")),
    EvidenceKind("splice", N_("Splice prediction (SpliceAI)"), (col.spliceai_max,), ("spliceai", "splice"),
                 N_("splice-altering variants outside the canonical sites are missed")),
    EvidenceKind("constraint", N_("Gene constraint (pLI, LOEUF)"), (col.pli, col.loeuf, col.mis_z),
                 ("constraint", "pli", "loeuf"),
                 N_("loss-of-function intolerance of genes is unknown")),
    EvidenceKind("protein", N_("Protein effects (reference FASTA)"), (col.hgvs_p,), ("fasta", "reference"),
                 N_("coding SNVs are not told apart as missense, synonymous or stop gained")),
)


@dataclass(frozen=True)
class EvidenceStatus:
    kind: EvidenceKind
    present: bool
    sources: tuple[str, ...]  # 'name version' of the matching sources
    variants_with_data: int  # ranked variant rows with a value in the kind's columns


def _matches(kind: EvidenceKind, name: str) -> bool:
    lowered = name.lower()
    if kind.key == "frequency" and "constraint" in lowered:
        return False  # gnomAD constraint is gene constraint, not allele frequency
    return any(word in lowered for word in kind.source_words)


# Every ranked-variant column some kind of evidence fills (the report counts their values).
EVIDENCE_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(c for kind in EVIDENCE_KINDS for c in kind.columns))


def column_counts(table: pa.Table | pa.RecordBatch) -> dict[str, int]:
    """Non-null values per evidence column of a ranked-variants table, or of one batch of it (the
    report sums batches: a genome's table is too large to hold whole)."""
    return {c: len(table) - table.column(c).null_count for c in EVIDENCE_COLUMNS if c in table.schema.names}


def evidence_status(sources: dict[str, str], counts: dict[str, int]) -> list[EvidenceStatus]:
    """Present/missing per kind of evidence, in EVIDENCE_KINDS order."""
    out = []
    for kind in EVIDENCE_KINDS:
        named = tuple(f"{name} {version}".strip() for name, version in sorted(sources.items())
                      if _matches(kind, name))
        with_data = max((counts.get(c, 0) for c in kind.columns), default=0)
        out.append(EvidenceStatus(kind, bool(named) or with_data > 0, named, with_data))
    return out


def has_evidence(statuses: list[EvidenceStatus], key: str) -> bool:
    return any(s.present for s in statuses if s.kind.key == key)
