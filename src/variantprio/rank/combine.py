"""Gene ranking: the best segregating variant (or compound-het pair) of each candidate gene,
combined with the gene's calibrated phenotype score by the rank model."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..core.alleles import variant_key
from ..core.modes import MODE_ORDER, MODES  # MODE_ORDER is also the preference when a variant fits several
from ..schemas import col
from .acmg import TAG_ORDER, acmg_tags, mask_lists
from .model import RankModel, candidate_posterior

log = logging.getLogger(__name__)


def fitting_mode_flags(cand: pd.DataFrame) -> pd.DataFrame:
    """Per row and mode: the variant fits that mode in the family (segregation flags)."""
    flag = lambda name: cand[name].fillna(False).astype(bool)  # noqa: E731
    return pd.DataFrame({
        mode.code: np.logical_or.reduce([flag(fit.column) for fit in mode.fits]) for mode in MODES
    }, index=cand.index)


def allowed_mode_columns(disease_modes: pd.Series) -> pd.DataFrame:
    """Per gene row of the phenotype table: allowed_<mode> flags; every mode when modes are unknown."""
    exploded = disease_modes.map(lambda m: list(m) if isinstance(m, (list, tuple, np.ndarray)) else []).explode()
    present = pd.crosstab(exploded.index, exploded).reindex(index=disease_modes.index, columns=list(MODE_ORDER),
                                                            fill_value=0) > 0
    unknown = ~present.any(axis=1)
    # A "dominant" or "recessive" label on a chrX gene's disease means the X-linked form (only chrX
    # variants can fit XD/XR, so this never widens autosomal genes), and the X-linked forms are not
    # told apart: skewed X-inactivation leaves carrier women of "dominant" X diseases unaffected
    # and affects carriers of "recessive" ones.
    x_linked = present["XD"] | present["XR"] | present["AD"] | present["AR"]
    present["XD"] = x_linked
    present["XR"] = x_linked
    return pd.DataFrame({f"allowed_{m}": present[m] | unknown for m in MODE_ORDER}, index=disease_modes.index)


def allowed_mode_flags(cand: pd.DataFrame) -> pd.DataFrame:
    """Per candidate row and mode: allowed by the gene's disease (genes without one: any mode)."""
    cols = {m: cand[f"allowed_{m}"].fillna(True).astype(bool) if f"allowed_{m}" in cand
            else pd.Series(True, index=cand.index) for m in MODE_ORDER}
    return pd.DataFrame(cols, index=cand.index)


def fitting_modes(cand: pd.DataFrame):
    """list<string> per row: the modes the variant fits in the family."""
    flags = fitting_mode_flags(cand)
    return mask_lists({m: flags[m].to_numpy(bool) for m in MODE_ORDER})


def _single_units(cand: pd.DataFrame, ok: pd.DataFrame) -> pd.DataFrame:
    """Candidate explanations from one variant: any allowed mode except the compound-het case."""
    single_ok = ok.copy()
    single_ok["AR"] = ok["AR"] & cand[col.fits_ar_hom].fillna(False).astype(bool)
    any_ok = single_ok.any(axis=1)
    first_mode = single_ok.idxmax(axis=1)  # first True in MODE_ORDER
    return pd.DataFrame({
        "row": cand.index[any_ok], "partner_row": -1,
        "unit_score": cand.loc[any_ok, col.variant_score].to_numpy(float),
        col.mode: first_mode[any_ok].to_numpy(object),
    })


def _pair_units(cand: pd.DataFrame, ok: pd.DataFrame, model: RankModel) -> pd.DataFrame:
    """Candidate explanations from compound-het pairs in one gene (AR allowed)."""
    is_ch = cand[col.fits_ar_comphet].fillna(False).astype(bool) & ok["AR"] & cand[col.comphet_partner_idx].notna()
    left = cand.loc[is_ch, [col.gene_symbol, col.variant_idx, col.comphet_partner_idx, col.variant_score,
                            col.comphet_phase]].reset_index(names="row")
    right = cand[[col.gene_symbol, col.variant_idx, col.variant_score]].reset_index(names="partner_row")
    pairs = left.merge(right, left_on=[col.gene_symbol, col.comphet_partner_idx],
                       right_on=[col.gene_symbol, col.variant_idx], suffixes=("", "_partner"))
    both = np.vstack([pairs[col.variant_score].to_numpy(float), pairs["variant_score_partner"].to_numpy(float)])
    score = both.mean(axis=0) if model.pair_score == "mean" else both.min(axis=0)
    possible = pairs[col.comphet_phase].fillna("possible").to_numpy(str) != "trans"
    score = np.where(possible, score * model.possible_phase_factor, score)
    return pd.DataFrame({"row": pairs["row"].to_numpy(), "partner_row": pairs["partner_row"].to_numpy(),
                         "unit_score": score, col.mode: "AR"})


def best_units(cand: pd.DataFrame, model: RankModel) -> tuple[pd.DataFrame, pd.Series]:
    """Each gene's best explanation (index gene_symbol; row, partner_row or -1, unit_score, mode,
    de_novo, segregates) and, per candidate row, whether it fits an allowed mode. Genes without
    a fitting variant fall back to their best-scoring variant with segregates=False."""
    ok = fitting_mode_flags(cand) & allowed_mode_flags(cand)
    units = pd.concat([_single_units(cand, ok), _pair_units(cand, ok, model)], ignore_index=True)
    units[col.gene_symbol] = cand[col.gene_symbol].to_numpy(object)[units["row"].to_numpy(int)] \
        if len(units) else pd.Series(dtype=object)
    units[col.de_novo] = cand[col.de_novo].fillna(False).to_numpy(bool)[units["row"].to_numpy(int)] \
        if len(units) else pd.Series(dtype=bool)
    units = units.sort_values([col.gene_symbol, "unit_score", col.de_novo], ascending=[True, False, False],
                              kind="stable")
    best = units.drop_duplicates(col.gene_symbol).set_index(col.gene_symbol)
    best[col.segregates] = True
    fallback_rows = cand.sort_values([col.gene_symbol, col.variant_score], ascending=[True, False],
                                     kind="stable").drop_duplicates(col.gene_symbol)
    fallback_rows = fallback_rows[~fallback_rows[col.gene_symbol].isin(best.index)]
    fallback = pd.DataFrame({"row": fallback_rows.index, "partner_row": -1,
                             "unit_score": fallback_rows[col.variant_score].to_numpy(float), col.mode: None,
                             col.de_novo: False, col.segregates: False},
                            index=pd.Index(fallback_rows[col.gene_symbol], name=col.gene_symbol))
    out = pd.concat([best, fallback]) if len(fallback) else best
    in_unit = np.zeros(len(cand), dtype=bool)  # a comphet variant fits only with its partner present
    in_unit[units["row"].to_numpy(int)] = True
    in_unit[units.loc[units["partner_row"] >= 0, "partner_row"].to_numpy(int)] = True
    return out, pd.Series(in_unit, index=cand.index)


def _optional(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A float column of the phenotype table that older tables (or a component switched off) lack: NaN."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(float, na_value=np.nan)


def gene_evidence(cand: pd.DataFrame, model: RankModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everything of the ranking that one gene's rows decide alone, so genes can be processed in
    chunks: (one row per gene with its best explanation, phenotype and ACMG tags, not yet scored
    against the other genes; the candidate rows with fits_allowed_mode, is_best and variant)."""
    cand = cand.reset_index(drop=True)
    best, cand_ok = best_units(cand, model)
    cand[col.fits_allowed_mode] = cand_ok.to_numpy(bool)
    first = cand.loc[best["row"].to_numpy(int)].set_index(col.gene_symbol)
    partner_rows = best["partner_row"].to_numpy(int)
    has_pair = partner_rows >= 0
    keys = variant_key(cand)
    best_label = keys.to_numpy(object)[best["row"].to_numpy(int)].copy()
    best_label[has_pair] = best_label[has_pair] + " + " + keys.to_numpy(object)[partner_rows[has_pair]]
    de_novo = best[col.de_novo].fillna(False).to_numpy(bool)
    segregates = best[col.segregates].to_numpy(bool)
    genes = pd.DataFrame({
        col.gene_symbol: best.index.to_numpy(object),
        col.phenotype_score: first[col.phenotype_score].to_numpy(float, na_value=np.nan),
        col.variant_score: best["unit_score"].to_numpy(float),
        col.mode: best[col.mode].to_numpy(object),
        col.best_variant: best_label,
        col.best_variant_idx: cand[col.variant_idx].to_numpy(np.int64)[best["row"].to_numpy(int)],
        col.n_variants: cand.groupby(col.gene_symbol).size().reindex(best.index).to_numpy(np.int32),
        col.disease_id: first[col.disease_id].to_numpy(object),
        col.disease_name: first[col.disease_name].to_numpy(object),
        col.segregates: segregates,
        col.de_novo: de_novo & segregates,
        col.mouse_score: _optional(first, col.mouse_score),
        col.network_score: _optional(first, col.network_score),
        col.network_neighbour: first[col.network_neighbour].to_numpy(object) if col.network_neighbour in first
        else None,
        col.network_neighbour_score: _optional(first, col.network_neighbour_score),
    })
    is_best = np.zeros(len(cand), dtype=bool)
    is_best[best["row"].to_numpy(int)] = True
    is_best[partner_rows[has_pair]] = True
    cand[col.is_best] = is_best
    cand[col.variant] = keys
    best_rows = cand[cand[col.is_best]]
    best_tags = pd.Series(acmg_tags(best_rows).to_pylist(), index=best_rows.index)  # best rows only
    order = {tag: i for i, tag in enumerate(TAG_ORDER)}  # strongest evidence first
    gene_tags = best_tags.groupby(best_rows[col.gene_symbol]).agg(
        lambda lists: sorted({t for tl in lists for t in tl}, key=order.get))
    genes[col.acmg_tags] = genes[col.gene_symbol].map(gene_tags)
    return genes, cand


def score_genes(genes: pd.DataFrame, model: RankModel) -> pd.DataFrame:
    """Combined score, posterior and rank of every candidate gene (the posterior and a component
    switched off are judged over all genes at once), in rank order. The genes are first put in one
    fixed order (segregating genes, then the others, each by symbol), so the posterior's sum, and
    with it every float, is the same however the genes were chunked."""
    genes = genes.sort_values([col.segregates, col.gene_symbol], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    pheno = genes[col.phenotype_score].to_numpy(float, na_value=np.nan)
    pheno_used = np.where(np.isnan(pheno), model.missing_phenotype_score, pheno)
    segregates = genes[col.segregates].to_numpy(bool)
    logit = model.logit(pheno_used, genes[col.variant_score].to_numpy(float),
                        genes[col.de_novo].to_numpy(bool), segregates,
                        _optional(genes, col.mouse_score), _optional(genes, col.network_score))
    genes = genes.assign(**{col.combined_score: model.combined(logit), col.posterior: candidate_posterior(logit)})
    genes[col.rank] = genes[col.combined_score].rank(ascending=False, method="average")
    log.info("ranked %d genes (%d without a variant fitting an allowed mode, penalised)", len(genes),
             int((~segregates).sum()))
    return genes.sort_values([col.rank, col.gene_symbol], kind="stable").reset_index(drop=True)

