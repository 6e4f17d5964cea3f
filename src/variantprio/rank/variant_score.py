"""Per-variant score: each line of evidence kept as its own [0,1] component, then combined.

Missing evidence (no frequency, not in ClinVar, no in-silico score) stays null in its component
and contributes a neutral value to the combination, so a variant is never hidden because a
source lacked it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schemas import col

# Sequence Ontology consequence -> severity in [0,1]. Loss-of-function classes at the top,
# protein-altering next, then splice-region and UTR/non-coding context.
SO_SEVERITY: dict[str, float] = {
    "transcript_ablation": 1.0, "exon_loss_variant": 1.0,
    "frameshift_variant": 0.95, "stop_gained": 0.95, "splice_acceptor_variant": 0.95,
    "splice_donor_variant": 0.95, "start_lost": 0.9, "stop_lost": 0.85,
    "transcript_amplification": 0.8, "feature_elongation": 0.6, "feature_truncation": 0.6,
    "splice_donor_5th_base_variant": 0.7, "inframe_insertion": 0.65, "inframe_deletion": 0.65,
    "protein_altering_variant": 0.65, "missense_variant": 0.6,
    "splice_region_variant": 0.35, "splice_donor_region_variant": 0.35,
    "splice_polypyrimidine_tract_variant": 0.25, "incomplete_terminal_codon_variant": 0.3,
    "start_retained_variant": 0.15, "stop_retained_variant": 0.15, "synonymous_variant": 0.1,
    "coding_sequence_variant": 0.3, "mature_miRNA_variant": 0.3,
    "5_prime_UTR_variant": 0.1, "3_prime_UTR_variant": 0.08,
    "non_coding_transcript_exon_variant": 0.08, "intron_variant": 0.03,
    "NMD_transcript_variant": 0.03, "non_coding_transcript_variant": 0.03,
    "upstream_gene_variant": 0.02, "downstream_gene_variant": 0.02,
    "regulatory_region_variant": 0.02, "TF_binding_site_variant": 0.02,
    "intergenic_variant": 0.01,
}
IMPACT_SEVERITY = {"HIGH": 0.95, "MODERATE": 0.6, "LOW": 0.15, "MODIFIER": 0.03}
LOF_SEVERITY = 0.85  # at or above: loss-of-function class (PVS1 candidates)

# ClinVar CLNSIG words -> pathogenicity; checked in this order (first match wins).
_CLINVAR_TERMS = (
    ("conflicting", 0.5), ("uncertain", 0.5), ("likely_pathogenic", 0.85),
    ("likely pathogenic", 0.85), ("pathogenic", 1.0), ("likely_benign", 0.15),
    ("likely benign", 0.15), ("benign", 0.0),
)

# ClinVar review stars (0 none/no criteria .. 4 practice guideline) -> trust in the classification.
_STAR_CONFIDENCE = np.array([0.75, 0.85, 0.93, 0.97, 0.99])

COMPONENTS = (col.score_consequence, col.score_rarity, col.score_clinvar, col.score_insilico,
              col.score_splice, col.score_constraint)


def consequence_severity(consequence: pd.Series, impact: pd.Series, p_synonymous: pd.Series | None = None,
                         p_stop_gained: pd.Series | None = None) -> np.ndarray:
    """Worst SO term of '&'/','-joined consequences; VEP impact when no term is known.

    A coding SNV annotated without a FASTA (codon-position priors present) gets the expected
    severity over synonymous, stop-gained and missense outcomes: it replaces the placeholder of
    coding_sequence_variant and can raise, never lower, a splice-region call on the same base."""
    terms = consequence.fillna("").astype(str).str.replace(",", "&")
    exploded = terms.str.split("&").explode()
    by_term = exploded.map(SO_SEVERITY).groupby(level=0).max()
    from_impact = impact.fillna("").astype(str).str.upper().map(IMPACT_SEVERITY)
    out = by_term.reindex(consequence.index).fillna(from_impact).fillna(0.05).to_numpy(dtype=float)
    if p_synonymous is None or p_stop_gained is None:
        return out
    syn = p_synonymous.to_numpy(dtype=float, na_value=np.nan)
    stop = p_stop_gained.to_numpy(dtype=float, na_value=np.nan)
    expected = (syn * SO_SEVERITY["synonymous_variant"] + stop * SO_SEVERITY["stop_gained"]
                + (1 - syn - stop) * SO_SEVERITY["missense_variant"])
    placeholder = consequence.to_numpy(dtype=object) == "coding_sequence_variant"
    known = ~np.isnan(expected)
    return np.where(known, np.where(placeholder, expected, np.fmax(out, expected)), out)


def rarity(af: pd.Series, popmax: pd.Series, hom: pd.Series, hemi: pd.Series | None = None,
           inhouse_af: pd.Series | None = None, inhouse_hom: pd.Series | None = None) -> np.ndarray:
    """1 when rare enough for a Mendelian disorder (AF <= 1e-4, the PM2 cut-off), 0 at AF >= 1%,
    log-linear between; null if no data.

    The highest of the global and popmax frequency counts. Healthy homozygotes in the population
    argue against a severe early-onset disorder, so each halves the score (down to a floor);
    hemizygous males on chrX count like homozygotes. The hub's in-house frequency and homozygotes
    (annotate source kind `inhouse`) count like gnomAD's.
    """
    freq = np.fmax(af.to_numpy(dtype=float, na_value=np.nan), popmax.to_numpy(dtype=float, na_value=np.nan))
    if inhouse_af is not None:
        freq = np.fmax(freq, inhouse_af.to_numpy(dtype=float, na_value=np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (np.log10(0.01) - np.log10(np.maximum(freq, 1e-12))) / (np.log10(0.01) - np.log10(1e-4))
    score = np.clip(score, 0.0, 1.0)
    homs = hom.to_numpy(dtype=float, na_value=np.nan)
    if hemi is not None:
        hemis = hemi.to_numpy(dtype=float, na_value=np.nan)
        homs = np.where(np.isnan(homs), hemis, homs + np.nan_to_num(hemis))
    if inhouse_hom is not None and inhouse_af is not None:  # only where the in-house AF is set (min_ac)
        own = inhouse_hom.to_numpy(dtype=float, na_value=np.nan)
        own = np.where(np.isnan(inhouse_af.to_numpy(dtype=float, na_value=np.nan)), np.nan, own)
        homs = np.where(np.isnan(homs), own, homs + np.nan_to_num(own))
    penalty = np.where(np.isnan(homs) | (homs <= 0), 1.0, np.maximum(0.5 ** homs, 0.1))
    score = score * penalty
    return np.where(np.isnan(freq), np.nan, score)


def clinvar_evidence(significance: pd.Series) -> np.ndarray:
    """Pathogenicity implied by CLNSIG in [0,1]; null when the variant is not in ClinVar."""
    text = significance.fillna("").astype(str).str.lower()
    out = pd.Series(np.nan, index=significance.index)
    for word, value in _CLINVAR_TERMS:
        hit = out.isna() & text.str.contains(word, regex=False)
        out[hit] = value
    return out.to_numpy(dtype=float)


def insilico(cadd: pd.Series, revel: pd.Series, alphamissense: pd.Series) -> np.ndarray:
    """Highest of REVEL, AlphaMissense and CADD PHRED scaled (10 -> 0, 30 -> 1); null if none."""
    cadd_scaled = np.clip((cadd.to_numpy(dtype=float, na_value=np.nan) - 10.0) / 20.0, 0.0, 1.0)
    stacked = np.vstack([cadd_scaled, revel.to_numpy(dtype=float, na_value=np.nan),
                         alphamissense.to_numpy(dtype=float, na_value=np.nan)])
    with np.errstate(all="ignore"):
        best = np.nanmax(np.where(np.isnan(stacked), -1.0, stacked), axis=0)
    return np.where(best < 0, np.nan, best)


def constraint(pli: pd.Series, loeuf: pd.Series, mis_z: pd.Series) -> np.ndarray:
    """Intolerance of the gene in [0,1]: pLI, LOEUF (0.35 -> 1, 1.5 -> 0), missense Z (3.09 -> 1)."""
    loeuf_s = np.clip((1.5 - loeuf.to_numpy(dtype=float, na_value=np.nan)) / (1.5 - 0.35), 0.0, 1.0)
    misz_s = np.clip(mis_z.to_numpy(dtype=float, na_value=np.nan) / 3.09, 0.0, 1.0)
    stacked = np.vstack([pli.to_numpy(dtype=float, na_value=np.nan), loeuf_s, misz_s])
    best = np.max(np.where(np.isnan(stacked), -1.0, stacked), axis=0)
    return np.where(best < 0, np.nan, best)


def score_components(ann: pd.DataFrame) -> pd.DataFrame:
    """The six evidence components (COMPONENTS) of each annotation row. A frameshift whose frame a
    nearby indel restores (`frame_restored_by`, see rank.frame) is scored as the in-frame change it
    is together with its partners."""
    consequence = ann[col.consequence]
    if col.frame_restored_by in ann:
        restored = ann[col.frame_restored_by].notna()
        consequence = consequence.where(~restored, consequence.str.replace(
            "frameshift_variant", "protein_altering_variant", regex=False))
    return pd.DataFrame({
        col.score_consequence: consequence_severity(consequence, ann[col.impact], ann.get(col.p_synonymous),
                                                    ann.get(col.p_stop_gained)),
        col.score_rarity: rarity(ann[col.gnomad_af], ann[col.gnomad_popmax_af], ann[col.gnomad_hom],
                                 ann[col.gnomad_hemi], ann.get(col.inhouse_af), ann.get(col.inhouse_hom)),
        col.score_clinvar: clinvar_evidence(ann[col.clinvar_significance]),
        col.score_insilico: insilico(ann[col.cadd_phred], ann[col.revel], ann[col.alphamissense]),
        col.score_splice: np.clip(ann[col.spliceai_max].to_numpy(dtype=float, na_value=np.nan), 0, 1),
        col.score_constraint: constraint(ann[col.pli], ann[col.loeuf], ann[col.mis_z]),
    }, index=ann.index)


def combine_components(comp: pd.DataFrame, stars: pd.Series) -> np.ndarray:
    """One variant score in [0,1] from the components (null components count as neutral).

    effect: consequence severity; for protein-altering (non-LoF, non-trivial) changes the in-silico
    score refines it; a splice prediction can raise any variant. The effect is scaled by rarity
    (unknown frequency: 0.95) and lightly by constraint (unknown: the midpoint). ClinVar
    pathogenic calls lift the score, weighted by review stars; reviewed benign calls cap it.
    """
    cons = comp[col.score_consequence].to_numpy(float)
    ins = comp[col.score_insilico].to_numpy(float)
    refinable = (cons >= 0.3) & (cons < LOF_SEVERITY) & ~np.isnan(ins)
    effect = np.where(refinable, 0.4 * cons + 0.6 * ins, cons)
    splice = np.nan_to_num(comp[col.score_splice].to_numpy(float), nan=0.0)
    effect = np.maximum(effect, np.where(splice >= 0.2, 0.5 + 0.45 * splice, 0.0))
    rare = np.nan_to_num(comp[col.score_rarity].to_numpy(float), nan=0.95)
    constrained = np.nan_to_num(comp[col.score_constraint].to_numpy(float), nan=0.5)
    score = effect * (0.05 + 0.95 * rare) * (0.9 + 0.1 * constrained)
    clin = comp[col.score_clinvar].to_numpy(float)
    star = np.nan_to_num(stars.to_numpy(dtype=float, na_value=np.nan), nan=0.0)
    confidence = _STAR_CONFIDENCE[np.clip(star, 0, 4).astype(int)]
    pathogenic = ~np.isnan(clin) & (clin >= 0.85)
    score = np.where(pathogenic, np.maximum(score, clin * confidence), score)
    benign = ~np.isnan(clin) & (clin <= 0.15) & (star >= 1)
    score = np.where(benign, np.minimum(score, 0.1), score)
    return np.clip(score, 0.0, 1.0)


def score_variants(ann: pd.DataFrame) -> pd.DataFrame:
    """Annotation rows with the component columns and `variant_score` appended."""
    comp = score_components(ann)
    out = pd.concat([ann, comp], axis=1)
    out[col.variant_score] = combine_components(comp, ann[col.clinvar_stars])
    return out
