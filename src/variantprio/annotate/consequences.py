"""Sequence Ontology consequence terms: severity order and VEP impact classes.

The order is Ensembl VEP's (most severe first), extended with the SnpEff/bcftools-csq terms that
VEP lacks so annotations from any tool rank on one scale.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# (term, impact), most severe first.
_ORDER: list[tuple[str, str]] = [
    ("transcript_ablation", "HIGH"),
    ("exon_loss_variant", "HIGH"),  # SnpEff; a deletion removing coding exons
    ("splice_acceptor_variant", "HIGH"),
    ("splice_donor_variant", "HIGH"),
    ("stop_gained", "HIGH"),
    ("frameshift_variant", "HIGH"),
    ("stop_lost", "HIGH"),
    ("start_lost", "HIGH"),
    ("transcript_amplification", "HIGH"),
    ("feature_elongation", "HIGH"),
    ("feature_truncation", "HIGH"),
    ("gene_fusion", "HIGH"),
    ("bidirectional_gene_fusion", "HIGH"),
    ("inframe_insertion", "MODERATE"),
    ("inframe_deletion", "MODERATE"),
    ("disruptive_inframe_insertion", "MODERATE"),
    ("disruptive_inframe_deletion", "MODERATE"),
    ("conservative_inframe_insertion", "MODERATE"),
    ("conservative_inframe_deletion", "MODERATE"),
    ("missense_variant", "MODERATE"),
    ("protein_altering_variant", "MODERATE"),
    ("inframe_altering", "MODERATE"),  # bcftools csq
    ("splice_donor_5th_base_variant", "LOW"),
    ("splice_region_variant", "LOW"),
    ("splice_donor_region_variant", "LOW"),
    ("splice_polypyrimidine_tract_variant", "LOW"),
    ("incomplete_terminal_codon_variant", "LOW"),
    ("start_retained_variant", "LOW"),
    ("stop_retained_variant", "LOW"),
    ("synonymous_variant", "LOW"),
    ("5_prime_UTR_premature_start_codon_gain_variant", "LOW"),
    ("coding_sequence_variant", "MODIFIER"),
    ("mature_miRNA_variant", "MODIFIER"),
    ("5_prime_UTR_variant", "MODIFIER"),
    ("3_prime_UTR_variant", "MODIFIER"),
    ("non_coding_transcript_exon_variant", "MODIFIER"),
    ("intron_variant", "MODIFIER"),
    ("NMD_transcript_variant", "MODIFIER"),
    ("non_coding_transcript_variant", "MODIFIER"),
    ("coding_transcript_variant", "MODIFIER"),
    ("upstream_gene_variant", "MODIFIER"),
    ("downstream_gene_variant", "MODIFIER"),
    ("TFBS_ablation", "MODIFIER"),
    ("TFBS_amplification", "MODIFIER"),
    ("TF_binding_site_variant", "MODIFIER"),
    ("regulatory_region_ablation", "MODIFIER"),
    ("regulatory_region_amplification", "MODIFIER"),
    ("regulatory_region_variant", "MODIFIER"),
    ("intergenic_region", "MODIFIER"),  # SnpEff spelling
    ("intergenic_variant", "MODIFIER"),
    ("sequence_variant", "MODIFIER"),
]

TERMS: np.ndarray = np.array([t for t, _ in _ORDER], dtype=object)
IMPACTS: np.ndarray = np.array([i for _, i in _ORDER], dtype=object)
RANK: dict[str, int] = {t: i for i, t in enumerate(TERMS)}
UNKNOWN_RANK = len(TERMS)  # terms we do not know sort after every known one

# Short names from bcftools csq and other tools onto SO terms.
ALIASES: dict[str, str] = {
    "5_prime_utr": "5_prime_UTR_variant", "3_prime_utr": "3_prime_UTR_variant",
    "5_prime_UTR": "5_prime_UTR_variant", "3_prime_UTR": "3_prime_UTR_variant",
    "non_coding": "non_coding_transcript_variant", "intron": "intron_variant",
    "missense": "missense_variant", "synonymous": "synonymous_variant",
    "frameshift": "frameshift_variant", "splice_acceptor": "splice_acceptor_variant",
    "splice_donor": "splice_donor_variant", "splice_region": "splice_region_variant",
    "coding_sequence": "coding_sequence_variant", "stop_retained": "stop_retained_variant",
    "start_retained": "start_retained_variant", "intergenic": "intergenic_variant",
}


def rank_of(term: str) -> int:
    """Severity rank of one term (0 = most severe); unknown terms after all known ones."""
    return RANK.get(ALIASES.get(term, term), UNKNOWN_RANK)


def impact_of_ranks(ranks: np.ndarray) -> np.ndarray:
    """VEP impact class per severity rank (MODIFIER for unknown terms)."""
    padded = np.append(IMPACTS, "MODIFIER")
    return padded[np.minimum(ranks, UNKNOWN_RANK)]


def term_of_ranks(ranks: np.ndarray) -> np.ndarray:
    """SO term per severity rank (None for unknown)."""
    padded = np.append(TERMS, None)
    return padded[np.minimum(ranks, UNKNOWN_RANK)]


def worst_ranks(joined: pa.Array) -> np.ndarray:
    """Most severe rank of each '&'-joined consequence string (bcftools '*' prefixes dropped)."""
    joined = pc.fill_null(joined.cast(pa.string()), "")
    parts = pc.split_pattern(joined, "&")
    flat = pc.utf8_trim(pc.list_flatten(parts), "*")
    uniq = pc.unique(flat)
    uniq_ranks = np.array([rank_of(t) for t in uniq.to_pylist()], dtype=np.int32)
    ranks = uniq_ranks[pc.index_in(flat, uniq).to_numpy(zero_copy_only=False)]
    parent = pc.list_parent_indices(parts).to_numpy()
    out = np.full(len(joined), UNKNOWN_RANK, dtype=np.int32)
    np.minimum.at(out, parent, ranks)
    return out
