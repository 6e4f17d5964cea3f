"""Compound heterozygote pairing within genes, by phase sets and by the parents' genotypes.

Whether two variants can pair depends only on a few facts per variant (which parent carries it,
which unaffected relatives carry it, the proband's phase set and haplotype). Variants sharing
those facts in a gene form a signature group, so pairs are tested between groups (few per gene),
never between all variant pairs: a gene with thousands of rare intronic hets stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schemas import ZYG_HET, ZYG_MISSING
from .genotypes import FamilyGenotypes
from .modes import Roles

TRANS, POSSIBLE, EXCLUDED = 0, 1, 2
PHASE_NAMES = np.array(["trans", "possible", None], dtype=object)


@dataclass
class PairingFacts:
    """Per candidate variant: parent codes (-1 unknown, 0 absent, 1 carries), bit mask of unaffected
    members heterozygous for it, the proband's phase set (-1 none) and ALT haplotype (0 unknown)."""

    father: np.ndarray
    mother: np.ndarray
    unaffected_het: np.ndarray
    ps: np.ndarray
    hap: np.ndarray

    def take(self, index: np.ndarray) -> "PairingFacts":
        return PairingFacts(*(getattr(self, k)[index] for k in ("father", "mother", "unaffected_het", "ps", "hap")))

    def keys(self) -> list[np.ndarray]:
        return [self.father, self.mother, self.unaffected_het, self.ps, self.hap]


def pairing_facts(geno: FamilyGenotypes, roles: Roles, rows: np.ndarray) -> PairingFacts:
    z = geno.zygosity[rows]

    def parent_code(col: int | None) -> np.ndarray:
        if col is None:
            return np.full(len(rows), -1, dtype=np.int8)
        zc = z[:, col]
        return np.where(zc == ZYG_MISSING, -1, (zc >= ZYG_HET)).astype(np.int8)

    mask = np.zeros(len(rows), dtype=np.int64)
    for bit, col in enumerate(roles.unaffected[:62]):
        mask |= (z[:, col] == ZYG_HET).astype(np.int64) << bit
    hap = geno.alt_hap[rows, roles.proband] if geno.alt_hap is not None else np.zeros(len(rows), np.int8)
    # A phase set says nothing without the ALT's haplotype: dropping it keeps signature groups few.
    ps = np.where(hap > 0, geno.ps[rows, roles.proband], -1).astype(np.int64)
    return PairingFacts(parent_code(roles.father), parent_code(roles.mother), mask, ps, hap.astype(np.int8))


def pair_phase(a: PairingFacts, b: PairingFacts) -> np.ndarray:
    """TRANS, POSSIBLE or EXCLUDED (cis, or an unaffected relative carries both) per pair."""
    fa, ma, fb, mb = a.father, a.mother, b.father, b.mother
    a_from_f, a_from_m = (fa == 1) & (ma != 1), (ma == 1) & (fa != 1)
    b_from_f, b_from_m = (fb == 1) & (mb != 1), (mb == 1) & (fb != 1)
    # One parent's allele each; with one parent ungenotyped, "not from the genotyped parent" means
    # "from the other one" (a de novo allele could be on either haplotype: then only 'possible').
    trans_parents = ((a_from_f & b_from_m) | (a_from_m & b_from_f)
                     | (a_from_f & (fb == 0) & (mb == -1)) | (b_from_f & (fa == 0) & (ma == -1))
                     | (a_from_m & (mb == 0) & (fb == -1)) | (b_from_m & (ma == 0) & (fa == -1)))
    cis_parents = (((fa == 1) & (fb == 1) & (ma == 0) & (mb == 0))
                   | ((ma == 1) & (mb == 1) & (fa == 0) & (fb == 0)))
    same_block = (a.ps >= 0) & (a.ps == b.ps) & (a.hap > 0) & (b.hap > 0)
    trans_reads, cis_reads = same_block & (a.hap != b.hap), same_block & (a.hap == b.hap)
    # Reads see phase directly; parents infer it: a phase set overrides the parents.
    phase = np.where(trans_reads, TRANS, np.where(cis_reads, EXCLUDED, np.where(
        cis_parents, EXCLUDED, np.where(trans_parents, TRANS, POSSIBLE))))
    return np.where((a.unaffected_het & b.unaffected_het) != 0, EXCLUDED, phase).astype(np.int8)


def run_starts(keys: list[np.ndarray]) -> np.ndarray:
    """Start flags of runs of equal keys in sorted arrays."""
    n = len(keys[0])
    start = np.zeros(n, dtype=bool)
    if n:
        start[0] = True
        for key in keys:
            start[1:] |= key[1:] != key[:-1]
    return start


def _best_per_group(group: np.ndarray, phase: np.ndarray, rarity: np.ndarray, partner: np.ndarray,
                    n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group: (partner, phase) of the best allowed pair; partner -1 when none."""
    ok = (phase != EXCLUDED) & (partner >= 0)
    g, ph, r, p = group[ok], phase[ok], rarity[ok], partner[ok]
    order = np.lexsort((p, r, ph, g))
    first = order[run_starts([g[order]])]
    best_partner = np.full(n_groups, -1, dtype=np.int64)
    best_phase = np.full(n_groups, EXCLUDED, dtype=np.int8)
    best_partner[g[first]] = p[first]
    best_phase[g[first]] = ph[first]
    return best_partner, best_phase


def compound_het_pairs(gene: np.ndarray, variant_idx: np.ndarray, freq: np.ndarray, facts: PairingFacts
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Best partner (variant_idx, -1 for none) and phase code of each candidate row.

    Best = in trans before possible, then the rarest partner (no frequency = rarest), then the
    lowest variant_idx.
    """
    n = len(variant_idx)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int8)
    rarity = np.nan_to_num(freq, nan=0.0)
    keys = [gene] + facts.keys()
    order = np.lexsort([variant_idx, rarity] + keys[::-1])
    starts = run_starts([k[order] for k in keys])
    group_sorted = np.cumsum(starts) - 1
    n_groups = int(group_sorted[-1]) + 1
    group = np.empty(n, dtype=np.int64)
    group[order] = group_sorted
    first = order[starts]  # best member of each group
    sizes = np.diff(np.append(np.flatnonzero(starts), n))
    second = np.where(sizes > 1, order[np.minimum(np.flatnonzero(starts) + 1, n - 1)], -1)
    best_idx, best_rarity = variant_idx[first], rarity[first]
    second_idx = np.where(second >= 0, variant_idx[np.maximum(second, 0)], -1)
    second_rarity = np.where(second >= 0, rarity[np.maximum(second, 0)], np.inf)

    # All ordered pairs of groups within each gene (groups are sorted by gene).
    group_gene = gene[first]
    gene_start = run_starts([group_gene])
    gene_first_group = np.flatnonzero(gene_start)
    per_gene = np.diff(np.append(gene_first_group, n_groups))
    gene_of_group = np.cumsum(gene_start) - 1
    reps = per_gene[gene_of_group]
    a = np.repeat(np.arange(n_groups), reps)
    b = gene_first_group[gene_of_group[a]] + (np.arange(len(a)) - np.repeat(np.cumsum(reps) - reps, reps))
    group_facts = facts.take(first)
    phase = pair_phase(group_facts.take(a), group_facts.take(b))

    # Members other than a group's best pair with b's best; the best member pairs with b's best
    # unless b is its own group, where it takes the runner-up.
    generic = _best_per_group(a, phase, best_rarity[b], best_idx[b], n_groups)
    self_pair = a == b
    own = _best_per_group(a, phase, np.where(self_pair, second_rarity[b], best_rarity[b]),
                          np.where(self_pair, second_idx[b], best_idx[b]), n_groups)
    is_best = np.zeros(n, dtype=bool)
    is_best[first] = True
    partner = np.where(is_best, own[0][group], generic[0][group])
    phase_code = np.where(is_best, own[1][group], generic[1][group])
    return partner, phase_code
