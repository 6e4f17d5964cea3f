"""ACMG/AMP-style evidence tags: short explanations shown next to the score, never replacing it.

Approximations of the criteria from the evidence the pipeline has (no functional or case data):
PVS1 null variant in an intolerant (or unknown-constraint) gene, PM2_Supporting absent/ultra-rare,
BA1/BS1 common, PP3/BP4 in-silico and splice predictions, PS1/PM5 + BP6 from ClinVar, PS2 de novo,
PM3 compound heterozygous in trans, PP4 phenotype highly specific for the gene's disease.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..i18n import N_
from ..schemas import col
from .variant_score import LOF_SEVERITY


def _col(df: pd.DataFrame, name: str, fill: float = np.nan) -> np.ndarray:
    if name not in df:
        return np.full(len(df), fill)
    return df[name].to_numpy(dtype=float, na_value=fill)


def _flag(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.zeros(len(df), dtype=bool)
    return df[name].fillna(False).to_numpy(dtype=bool)


def tag_masks(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Tag text -> boolean mask over the rows of a scored variant frame."""
    cons = _col(df, col.score_consequence, 0.0)
    constraint = _col(df, col.score_constraint)
    popmax = np.fmax(_col(df, col.gnomad_popmax_af), _col(df, col.gnomad_af))
    # "Absent from population data" needs population data: without any frequency in the whole
    # table no population source was used, and silence is not absence.
    population_data = bool(np.isfinite(popmax).any())
    ins = _col(df, col.score_insilico)
    splice = _col(df, col.score_splice)
    clin = _col(df, col.score_clinvar)
    phenotype = _col(df, col.phenotype_score)
    trans = (df[col.comphet_phase].fillna("").to_numpy(dtype=str) == "trans") if col.comphet_phase in df \
        else np.zeros(len(df), dtype=bool)
    return {  # strongest pathogenic evidence first, then supporting, then benign
        N_("PVS1: predicted loss of function"): (cons >= LOF_SEVERITY) & ~(constraint < 0.3),
        N_("PS1/PM5: reported pathogenic in ClinVar"): clin >= 0.85,
        N_("PS2: de novo"): _flag(df, col.de_novo),
        N_("PM3: compound heterozygous in trans"): _flag(df, col.fits_ar_comphet) & trans,
        N_("PM2_Supporting: absent or ultra-rare in population data"): population_data & (np.isnan(popmax) | (popmax < 1e-4)),
        N_("PP3: in-silico predictions damaging"): (ins >= 0.75) | (splice >= 0.2),
        N_("PP4: phenotype highly specific for the gene's disease"): phenotype >= 0.8,
        N_("BA1: allele frequency above 5%"): popmax > 0.05,
        N_("BS1: allele frequency above 1%"): (popmax > 0.01) & (popmax <= 0.05),
        N_("BP4: in-silico predictions benign"): (ins <= 0.15) & ~(splice >= 0.1),
        N_("BP6: reported benign in ClinVar"): clin <= 0.15,
    }


def mask_lists(masks: dict[str, np.ndarray]) -> pa.ListArray:
    """Per row, the names whose mask is True (in dict order), built column-wise (no per-row Python)."""
    names = np.array(list(masks), dtype=object)
    n_rows = len(next(iter(masks.values()))) if masks else 0
    matrix = np.column_stack([masks[n] for n in masks]) if n_rows else np.zeros((0, len(names)), bool)
    _, cols = np.nonzero(matrix)  # row-major order keeps each row's names together
    offsets = np.concatenate([[0], np.cumsum(matrix.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(names[cols].tolist(), pa.string()))


def acmg_tags(df: pd.DataFrame) -> pa.ListArray:
    """One list of tag strings per row."""
    return mask_lists(tag_masks(df))


TAG_ORDER: tuple[str, ...] = tuple(tag_masks(pd.DataFrame()))


# Points-based combination of ACMG/AMP criteria (Tavtigian et al. 2020, Hum Mutat 41:1734):
# supporting 1, moderate 2, strong 4, very strong 8; benign criteria count negative.
STRENGTH_POINTS = {"Supporting": 1, "Moderate": 2, "Strong": 4, "VeryStrong": 8, "Stand-alone": 8}
_DEFAULT_STRENGTH = {"PVS": "VeryStrong", "PS": "Strong", "PM": "Moderate", "PP": "Supporting",
                     "BA": "Stand-alone", "BS": "Strong", "BP": "Supporting"}
# (lowest points, class) from the top; BA1 alone makes a variant benign.
POINT_CLASSES = ((10, N_("Pathogenic")), (6, N_("Likely pathogenic")), (0, N_("Uncertain significance")),
                 (-6, N_("Likely benign")))
BENIGN = N_("Benign")
AUTOMATIC_LABEL = N_("automatic pre-classification for review, not a final call")


@dataclass(frozen=True)
class AcmgCall:
    """An automatic ACMG-style class of one variant from its tags: a starting point for the curator."""

    classification: str
    points: int
    criteria: tuple[str, ...]  # codes with their points, e.g. "PVS1 (+8)"


def criterion_points(code: str) -> int:
    """Points of one criterion code; a suffix (PM2_Supporting, PS3_Moderate) overrides the default."""
    base, _, strength = code.partition("_")
    head = re.match(r"[A-Z]*", base).group()  # PVS, PS, PM, PP, BA, BS, BP
    strength = strength or _DEFAULT_STRENGTH.get(head, "")
    points = STRENGTH_POINTS.get(strength, 0)
    return -points if head.startswith("B") else points


def classify_tags(tags) -> AcmgCall:
    """Tavtigian-style class of one variant from its acmg_tags ('CODE: explanation' strings)."""
    codes = [t.split(":")[0].strip() for t in (tags if tags is not None else [])]
    points = {code: criterion_points(code) for code in codes}
    total = sum(points.values())
    criteria = tuple(f"{code} ({p:+d})" for code, p in points.items())
    if "BA1" in codes:
        return AcmgCall(BENIGN, total, criteria)
    label = next((name for floor, name in POINT_CLASSES if total >= floor), BENIGN)
    return AcmgCall(label, total, criteria)
