"""Per-variant mode-of-inheritance tests, vectorised over the (variants x members) genotype matrix.

Each test asks two things of every genotyped member: affected members carry the genotype the
mode needs, unaffected members do not. A missing call never excludes. The proband must carry
the mode's genotype with an actual call. Frequencies are applied later, per annotation row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.pedigree import FEMALE, MALE, Family
from ..settings import InheritanceSettings as InheritanceOptions  # the config section is the option set
from ..schemas import ZYG_HEMI, ZYG_HET, ZYG_HOM_ALT, ZYG_HOM_REF, ZYG_MISSING
from .genotypes import FamilyGenotypes, sex_vectors


@dataclass
class Regions:
    """Which inheritance rules apply to each variant's position."""

    autosomal: np.ndarray  # autosomes and the pseudo-autosomal regions of chrX
    x_linked: np.ndarray  # chrX outside the PARs: hemizygous in males
    mitochondrial: np.ndarray


@dataclass
class Roles:
    """Column indices of the genotyped members by role; the proband counts as affected."""

    proband: int
    affected: np.ndarray
    unaffected: np.ndarray
    is_male: np.ndarray
    is_female: np.ndarray
    father: int | None
    mother: int | None


def family_roles(family: Family, geno: FamilyGenotypes, proband: str) -> Roles:
    p = geno.column(proband)
    status = [True if i == proband else family[i].affected for i in geno.ids]
    is_male, is_female = sex_vectors(family, geno.ids)
    member = family[proband]
    return Roles(
        proband=p,
        affected=np.array([k for k, s in enumerate(status) if s is True], dtype=np.intp),
        unaffected=np.array([k for k, s in enumerate(status) if s is False], dtype=np.intp),
        is_male=is_male, is_female=is_female,
        father=geno.column(member.father) if geno.has(member.father) else None,
        mother=geno.column(member.mother) if geno.has(member.mother) else None,
    )


# Sex from chrX outside the PARs: women are heterozygous at a good share of their ALT calls
# there, men (hemizygous) almost never. Only decided with enough calls and a clear ratio.
_MIN_X_CALLS = 20
_FEMALE_HET_SHARE = 0.3
_MALE_HET_SHARE = 0.1


def sex_from_x(z_x: np.ndarray) -> np.ndarray:
    """Per member column: 1 male, 2 female, 0 undecided, from non-PAR chrX calls (rows of `z_x`)."""
    carried = (z_x >= ZYG_HET).sum(axis=0)
    het_share = (z_x == ZYG_HET).sum(axis=0) / np.maximum(carried, 1)
    enough = carried >= _MIN_X_CALLS
    return np.select([enough & (het_share >= _FEMALE_HET_SHARE), enough & (het_share <= _MALE_HET_SHARE)],
                     [FEMALE, MALE], default=0).astype(np.int8)


def infer_unknown_sexes(z_x: np.ndarray, roles: Roles) -> tuple[Roles, dict[int, int], dict[int, int]]:
    """Roles with members of unknown sex given the sex their chrX calls show; also {column: sex}
    of what was inferred and of declared sexes the genotypes contradict (sample swap?)."""
    told = sex_from_x(z_x)
    unknown = ~roles.is_male & ~roles.is_female
    inferred = {int(k): int(told[k]) for k in np.flatnonzero(unknown & (told > 0))}
    declared = np.where(roles.is_male, MALE, np.where(roles.is_female, FEMALE, 0))
    contradicted = {int(k): int(told[k]) for k in np.flatnonzero(~unknown & (told > 0) & (told != declared))}
    return (replace(roles, is_male=roles.is_male | (unknown & (told == MALE)),
                    is_female=roles.is_female | (unknown & (told == FEMALE))), inferred, contradicted)


def _all(ok: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Row-wise: every listed member satisfies `ok` (True when the list is empty)."""
    if len(columns) == 0:
        return np.ones(ok.shape[0], dtype=bool)
    return ok[:, columns].all(axis=1)


def autosomal_dominant(z: np.ndarray, roles: Roles) -> np.ndarray:
    missing = z == ZYG_MISSING
    return ((z[:, roles.proband] == ZYG_HET) & _all((z == ZYG_HET) | missing, roles.affected)
            & _all((z == ZYG_HOM_REF) | missing, roles.unaffected))


def de_novo(z: np.ndarray, gq: np.ndarray, roles: Roles, min_parent_gq: int) -> np.ndarray:
    """Proband carries; both parents genotyped hom-ref with GQ >= min_parent_gq (absent GQ fails)."""
    if roles.father is None or roles.mother is None:
        return np.zeros(z.shape[0], dtype=bool)
    parents = [roles.father, roles.mother]
    clean_ref = (z[:, parents] == ZYG_HOM_REF) & (gq[:, parents] >= min_parent_gq)
    return (z[:, roles.proband] >= ZYG_HET) & clean_ref.all(axis=1)


def _hom(z: np.ndarray) -> np.ndarray:
    # A haploid ALT call outside chrX/chrM is odd but carries no reference allele: count it as hom.
    return (z == ZYG_HOM_ALT) | (z == ZYG_HEMI)


def autosomal_recessive_hom(z: np.ndarray, roles: Roles) -> np.ndarray:
    hom = _hom(z)
    return (hom[:, roles.proband] & _all(hom | (z == ZYG_MISSING), roles.affected)
            & _all(~hom, roles.unaffected))


def x_recessive(z: np.ndarray, roles: Roles) -> np.ndarray:
    """Affected: hemizygous males, homozygous females (unknown sex: hom/hemi); unaffected males
    carry nothing, unaffected females are at most heterozygous carriers."""
    missing = z == ZYG_MISSING
    hom = _hom(z)
    carries = z >= ZYG_HET
    unaffected_ok = np.where(roles.is_male[None, :], ~carries, ~hom)
    return (hom[:, roles.proband] & _all(hom | missing, roles.affected)
            & _all(unaffected_ok, roles.unaffected))


def x_dominant(z: np.ndarray, roles: Roles) -> np.ndarray:
    missing = z == ZYG_MISSING
    carries = z >= ZYG_HET
    return (carries[:, roles.proband] & _all(carries | missing, roles.affected)
            & _all((z == ZYG_HOM_REF) | missing, roles.unaffected))


def fathers_x_reaches_daughters(z: np.ndarray, family: Family, geno: FamilyGenotypes) -> np.ndarray:
    """A father passes his only X to every daughter: a carrier father's daughter called hom-ref
    rules out X linkage of the variant."""
    ok = np.ones(z.shape[0], dtype=bool)
    for member in family:
        if member.sex == MALE and geno.has(member.id):
            f = geno.column(member.id)
            for child in family.children_of(member.id):
                if child.is_female and geno.has(child.id):
                    ok &= ~((z[:, f] >= ZYG_HET) & (z[:, geno.column(child.id)] == ZYG_HOM_REF))
    return ok


def male_to_male_transmission(family: Family, proband: str | None = None) -> bool:
    """An affected man with an affected father: the disease is not X-linked in this family.

    PED status counts for ungenotyped members too (an affected grandfather informs without DNA);
    the proband is affected whatever the PED says."""
    def affected(sample: str | None) -> bool:
        return sample in family and (sample == proband or family[sample].affected is True)

    return any(m.is_male and affected(m.id) and affected(m.father) and family[m.father].is_male for m in family)


def mitochondrial(z: np.ndarray, roles: Roles) -> np.ndarray:
    """Affected members carry (any heteroplasmy call); unaffected are free (heteroplasmy varies)."""
    carries = z >= ZYG_HET
    return carries[:, roles.proband] & _all(carries | (z == ZYG_MISSING), roles.affected)


def comphet_candidates(z: np.ndarray, roles: Roles, regions: Regions, proband_female: bool) -> np.ndarray:
    """Variants that can be one half of a compound het: proband het, affected members het or
    missing, no unaffected member homozygous (on chrX: no unaffected male carrying it)."""
    missing = z == ZYG_MISSING
    hom = _hom(z)
    carries = z >= ZYG_HET
    unaffected_ok = np.where(roles.is_male[None, :], ~carries, ~hom)
    region = regions.autosomal | (regions.x_linked & proband_female)
    unaffected_ok = np.where(regions.x_linked[:, None], unaffected_ok, ~hom)
    return (region & (z[:, roles.proband] == ZYG_HET) & _all((z == ZYG_HET) | missing, roles.affected)
            & _all(unaffected_ok, roles.unaffected))


@dataclass
class ModeFlags:
    """Per variant, before frequency filters."""

    fits_ad: np.ndarray
    de_novo: np.ndarray
    fits_ar_hom: np.ndarray
    comphet_candidate: np.ndarray
    fits_xr: np.ndarray
    fits_xd: np.ndarray
    fits_mt: np.ndarray


def mode_flags(geno: FamilyGenotypes, family: Family, roles: Roles, regions: Regions,
               options: InheritanceOptions) -> ModeFlags:
    z = geno.zygosity
    x_ok = regions.x_linked & fathers_x_reaches_daughters(z, family, geno)
    if male_to_male_transmission(family, geno.ids[roles.proband]):
        x_ok = np.zeros_like(x_ok)
    proband_female = bool(roles.is_female[roles.proband])
    fits_ad = regions.autosomal & autosomal_dominant(z, roles)
    fits_xr = x_ok & x_recessive(z, roles)
    fits_xd = x_ok & x_dominant(z, roles)
    # De novo only counts where the variant also fits a dominant or X-linked pattern: a new
    # variant the affected sibling lacks does not explain the family's disease.
    return ModeFlags(
        fits_ad=fits_ad,
        de_novo=de_novo(z, geno.gq, roles, options.min_parent_gq) & (fits_ad | fits_xr | fits_xd),
        fits_ar_hom=regions.autosomal & autosomal_recessive_hom(z, roles),
        comphet_candidate=comphet_candidates(z, roles, regions, proband_female),
        fits_xr=fits_xr,
        fits_xd=fits_xd,
        fits_mt=regions.mitochondrial & mitochondrial(z, roles),
    )
