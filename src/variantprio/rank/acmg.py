"""ACMG/AMP-style evidence tags: short explanations shown next to the score, never replacing it.

Approximations of the criteria from the evidence the pipeline has (no functional or case data):
PVS1 null variant in an intolerant (or unknown-constraint) gene, PM2_Supporting absent/ultra-rare,
BA1/BS1 common, PP3/BP4 in-silico and splice predictions, PS1/PM5 + BP6 from ClinVar, PS2 de novo,
PM3 compound heterozygous in trans, PP4 phenotype highly specific for the gene's disease.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

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
    cons = _col(df, "score_consequence", 0.0)
    constraint = _col(df, "score_constraint")
    popmax = np.fmax(_col(df, "gnomad_popmax_af"), _col(df, "gnomad_af"))
    # "Absent from population data" needs population data: without any frequency in the whole
    # table no population source was used, and silence is not absence.
    population_data = bool(np.isfinite(popmax).any())
    ins = _col(df, "score_insilico")
    splice = _col(df, "score_splice")
    clin = _col(df, "score_clinvar")
    phenotype = _col(df, "phenotype_score")
    trans = (df["comphet_phase"].fillna("").to_numpy(dtype=str) == "trans") if "comphet_phase" in df \
        else np.zeros(len(df), dtype=bool)
    return {  # strongest pathogenic evidence first, then supporting, then benign
        "PVS1: predicted loss of function": (cons >= LOF_SEVERITY) & ~(constraint < 0.3),
        "PS1/PM5: reported pathogenic in ClinVar": clin >= 0.85,
        "PS2: de novo": _flag(df, "de_novo"),
        "PM3: compound heterozygous in trans": _flag(df, "fits_ar_comphet") & trans,
        "PM2_Supporting: absent or ultra-rare in population data": population_data & (np.isnan(popmax) | (popmax < 1e-4)),
        "PP3: in-silico predictions damaging": (ins >= 0.75) | (splice >= 0.2),
        "PP4: phenotype highly specific for the gene's disease": phenotype >= 0.8,
        "BA1: allele frequency above 5%": popmax > 0.05,
        "BS1: allele frequency above 1%": (popmax > 0.01) & (popmax <= 0.05),
        "BP4: in-silico predictions benign": (ins <= 0.15) & ~(splice >= 0.1),
        "BP6: reported benign in ClinVar": clin <= 0.15,
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
