"""Compound heterozygote pairing within genes, by phase sets and by the parents' genotypes.

Whether two variants can pair depends only on a few facts per variant (which parent carries it,
which unaffected relatives carry it, the proband's phase set and haplotype). Variants with the
same facts in a gene form a signature group, so pairs are tested between groups (few per gene),
never between all variant pairs: a gene with thousands of rare intronic hets stays cheap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schemas import ZYG_HET, ZYG_MISSING
from .genotypes import FamilyGenotypes
from .modes import Roles

_SIGNATURE = ["father", "mother", "unaffected_het", "ps", "hap"]


def pairing_facts(geno: FamilyGenotypes, roles: Roles, rows: np.ndarray) -> pd.DataFrame:
    """Signature columns for variant rows: parent codes (-1 unknown, 0 absent, 1 carries), bit mask
    of unaffected members heterozygous for it, proband phase set (-1 none) and haplotype (0)."""
    z = geno.zygosity[rows]

    def parent_code(col: int | None) -> np.ndarray:
        if col is None:
            return np.full(len(rows), -1, dtype=np.int8)
        zc = z[:, col]
        return np.where(zc == ZYG_MISSING, -1, (zc >= ZYG_HET).astype(np.int8)).astype(np.int8)

    mask = np.zeros(len(rows), dtype=np.int64)
    for bit, col in enumerate(roles.unaffected[:62]):
        mask |= (z[:, col] == ZYG_HET).astype(np.int64) << bit
    hap = geno.alt_hap[rows, roles.proband] if geno.alt_hap is not None else np.zeros(len(rows), np.int8)
    return pd.DataFrame({"father": parent_code(roles.father), "mother": parent_code(roles.mother),
                         "unaffected_het": mask, "ps": geno.ps[rows, roles.proband], "hap": hap})


def pair_phase(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Per signature pair: 'trans', 'possible', or '' (excluded: cis, or an unaffected carries both)."""
    fa, ma, fb, mb = (x.to_numpy() for x in (a["father"], a["mother"], b["father"], b["mother"]))
    a_from_f, a_from_m = (fa == 1) & (ma != 1), (ma == 1) & (fa != 1)
    b_from_f, b_from_m = (fb == 1) & (mb != 1), (mb == 1) & (fb != 1)
    # One parent's allele each; with one parent ungenotyped, "not from the genotyped parent" means
    # "from the other one" (a de novo allele could be on either haplotype: then only 'possible').
    trans_parents = ((a_from_f & b_from_m) | (a_from_m & b_from_f)
                     | (a_from_f & (fb == 0) & (mb == -1)) | (b_from_f & (fa == 0) & (ma == -1))
                     | (a_from_m & (mb == 0) & (fb == -1)) | (b_from_m & (ma == 0) & (fa == -1)))
    cis_parents = (((fa == 1) & (fb == 1) & (ma == 0) & (mb == 0))
                   | ((ma == 1) & (mb == 1) & (fa == 0) & (fb == 0)))
    psa, psb = a["ps"].to_numpy(), b["ps"].to_numpy()
    ha, hb = a["hap"].to_numpy(), b["hap"].to_numpy()
    same_block = (psa >= 0) & (psa == psb) & (ha > 0) & (hb > 0)
    trans_reads, cis_reads = same_block & (ha != hb), same_block & (ha == hb)
    unaffected_both = (a["unaffected_het"].to_numpy() & b["unaffected_het"].to_numpy()) != 0
    # Reads see phase directly; parents infer it: a phase set overrides the parents.
    phase = np.where(trans_reads, "trans", np.where(cis_reads, "", np.where(
        cis_parents, "", np.where(trans_parents, "trans", "possible"))))
    return np.where(unaffected_both, "", phase)


def compound_het_pairs(cand: pd.DataFrame) -> pd.DataFrame:
    """Best partner for each candidate row (gene_symbol, variant_idx, freq + signature columns).

    Returns gene_symbol, variant_idx, comphet_partner_idx, comphet_phase for rows with a partner;
    best = 'trans' before 'possible', then the rarest partner, then the lowest variant_idx.
    """
    out_cols = ["gene_symbol", "variant_idx", "comphet_partner_idx", "comphet_phase"]
    if cand.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(out_cols, ["object", "int64", "int64", "object"])})
    cand = cand.assign(rarity=cand["freq"].fillna(0.0)).sort_values(["gene_symbol", "rarity", "variant_idx"])
    keys = ["gene_symbol"] + _SIGNATURE
    cand["sig"] = cand.groupby(keys, sort=False).ngroup()
    grouped = cand.groupby("sig", sort=False)
    sig = grouped[keys].first()
    sig["best_idx"] = grouped["variant_idx"].first()
    sig["best_rarity"] = grouped["rarity"].first()
    second = cand[grouped.cumcount().to_numpy() == 1].set_index("sig")
    sig["second_idx"] = second["variant_idx"].reindex(sig.index)
    sig["second_rarity"] = second["rarity"].reindex(sig.index)
    sig = sig.reset_index()
    pairs = sig.merge(sig, on="gene_symbol", suffixes=("_a", "_b"))
    pairs = pairs[(pairs["sig_a"] != pairs["sig_b"]) | pairs["second_idx_b"].notna()]
    phase = pair_phase(pairs[[c + "_a" for c in _SIGNATURE]].set_axis(_SIGNATURE, axis=1),
                       pairs[[c + "_b" for c in _SIGNATURE]].set_axis(_SIGNATURE, axis=1))
    pairs = pairs.assign(comphet_phase=phase)[phase != ""]
    links = cand[["sig", "gene_symbol", "variant_idx"]].merge(
        pairs[["sig_a", "sig_b", "best_idx_b", "best_rarity_b", "second_idx_b", "second_rarity_b",
               "comphet_phase"]], left_on="sig", right_on="sig_a")
    own_best = links["best_idx_b"].to_numpy() == links["variant_idx"].to_numpy()
    links["comphet_partner_idx"] = np.where(own_best, links["second_idx_b"], links["best_idx_b"])
    links["partner_rarity"] = np.where(own_best, links["second_rarity_b"], links["best_rarity_b"])
    links = links[links["comphet_partner_idx"].notna()]
    links["phase_rank"] = (links["comphet_phase"] != "trans").astype(np.int8)
    best = links.sort_values(["variant_idx", "gene_symbol", "phase_rank", "partner_rarity", "comphet_partner_idx"]
                             ).drop_duplicates(["variant_idx", "gene_symbol"])
    best = best.assign(comphet_partner_idx=best["comphet_partner_idx"].astype(np.int64))
    return best[out_cols].reset_index(drop=True)
