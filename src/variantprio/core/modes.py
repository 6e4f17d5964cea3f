"""Modes of inheritance: one record each, the one home of everything a mode means.

The segregation schema, the rank stage's mode flags, the HPO inheritance terms the phenotype
stage reads from disease annotations and the labels people read all derive from `MODES`. Adding
a mode is one record here plus its segregation test in `inheritance/modes.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fit:
    """One boolean column of the segregation table that says a variant fits the mode."""

    column: str
    doc: str
    max_af: str | None  # the InheritanceSettings field that filters it (None: pairing applies its own)


@dataclass(frozen=True)
class Mode:
    code: str  # as written in every table (genes.mode, disease_modes, fitting_modes)
    label: str  # what a person reads
    hpo_term: str  # the HPO inheritance term the mode stands for
    fits: tuple[Fit, ...]  # segregation columns: the variant fits the mode if any is true
    implied_by: tuple[str, ...] = ()  # more specific HPO inheritance terms that imply this mode


MODES: tuple[Mode, ...] = (
    Mode("AD", "autosomal dominant", "HP:0000006",
         (Fit("fits_ad", "fits autosomal dominant in this family", "max_af_ad"),
          Fit("de_novo", "absent from both parents with good-quality hom-ref calls", "max_af_ad")),
         implied_by=("HP:0025352", "HP:0003745", "HP:0001442", "HP:0012275", "HP:0012274", "HP:0001466",
                     "HP:0032113")),
    Mode("AR", "autosomal recessive", "HP:0000007",
         (Fit("fits_ar_hom", "fits autosomal recessive, homozygous", "max_af_ar_hom"),
          Fit("fits_ar_comphet", "part of a compound-heterozygous pair (in trans or possibly)", None)),
         implied_by=("HP:0032113",)),
    Mode("XR", "X-linked recessive", "HP:0001419",
         (Fit("fits_xr", "fits X-linked recessive", "max_af_ar_hom"),), implied_by=("HP:0001417",)),
    Mode("XD", "X-linked dominant", "HP:0001423",
         (Fit("fits_xd", "fits X-linked dominant", "max_af_ad"),), implied_by=("HP:0001417",)),
    Mode("MT", "mitochondrial", "HP:0001427",
         (Fit("fits_mt", "fits mitochondrial inheritance", "max_af_mt"),)),
)

MODE_ORDER: tuple[str, ...] = tuple(m.code for m in MODES)  # how modes are listed and preferred everywhere
MODE_LABELS: dict[str, str] = {m.code: m.label for m in MODES}
FIT_COLUMNS: tuple[str, ...] = tuple(f.column for m in MODES for f in m.fits)


def mode_terms() -> dict[str, tuple[str, ...]]:
    """HPO inheritance term -> the mode codes it allows (a term may allow several, e.g. X-linked)."""
    terms: dict[str, list[str]] = {}
    for mode in MODES:
        for term in (mode.hpo_term, *mode.implied_by):
            terms.setdefault(term, []).append(mode.code)
    return {term: tuple(codes) for term, codes in terms.items()}
