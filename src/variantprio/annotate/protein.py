"""Protein consequences of coding SNVs from the reference FASTA: codon, amino acids, HGVS.

Coding positions are computed for all pairs at once (cumulative CDS length per exon, searchsorted
to map c. positions back to the genome); only the codon bases are read from the FASTA, one
pysam fetch per distinct base of the coding SNVs (not per genome position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.genemodel import KEY_SHIFT, CodingIndex, ModelArrays
from ..core.genome import canonical_chrom
from ..errors import InputError
from .consequences import RANK

_BASES = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {a + b + c: _AA[16 * i + 4 * j + k] for i, a in enumerate(_BASES) for j, b in enumerate(_BASES)
               for k, c in enumerate(_BASES)}
THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
         "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
         "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "*": "Ter", "X": "Xaa"}
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def cds_offset(ti: np.ndarray, x: np.ndarray, exon: np.ndarray, m: ModelArrays, ci: CodingIndex) -> np.ndarray:
    """0-based offset of genomic position x in the transcript's CDS, counted from its genomic left."""
    lo = np.maximum(m.exon_start[exon], m.cds_start[ti])
    return ci.before[exon] + x - lo


def genomic_of_offset(ti: np.ndarray, g: np.ndarray, m: ModelArrays, ci: CodingIndex) -> np.ndarray:
    """Genomic position of CDS offset g (inverse of `cds_offset`)."""
    j = np.searchsorted(ci.key, (ti.astype(np.int64) << KEY_SHIFT) + g, side="right") - 1
    return np.maximum(m.exon_start[j], m.cds_start[ti]) + g - ci.before[j]


class ReferenceBases:
    """Reads single reference bases from an indexed FASTA, whatever its contig naming."""

    def __init__(self, path: str) -> None:
        import pysam

        try:
            self.fasta = pysam.FastaFile(path)
        except (OSError, ValueError) as err:
            raise InputError(f"cannot open the reference FASTA ({err})", path=path,
                             hint="pass a FASTA indexed with `samtools faidx` (.fai beside it)") from None
        self.names = {canonical_chrom(n): n for n in self.fasta.references}
        self.path = path

    def bases(self, chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Upper-case base at each (chrom, 1-based pos); 'N' where the contig is absent."""
        out = np.full(len(pos), "N", dtype="<U1")
        if not len(pos):
            return out
        keys = np.char.add(np.char.add(chrom.astype(str), ":"), pos.astype(str))
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        got = []
        for i in first:  # one fetch per distinct codon base of the coding SNVs
            name = self.names.get(str(chrom[i]))
            got.append(self.fasta.fetch(name, int(pos[i]) - 1, int(pos[i])).upper() if name else "N")
        return np.array(got, dtype="<U1")[inverse] if got else out


def _codon_position_priors() -> np.ndarray:
    """P(synonymous), P(stop gained) of a coding SNV given its codon position and coding-strand
    REF/ALT bases, averaged over the sense codons that have REF there (standard genetic code,
    every sense codon equally likely). Indexed [position 0-2, ref ACGT, alt ACGT, (syn, stop)]."""
    sense = [c for c, aa in CODON_TABLE.items() if aa != "*"]
    out = np.full((3, 4, 4, 2), np.nan)
    for p in range(3):
        for i, r in enumerate("ACGT"):
            codons = [c for c in sense if c[p] == r]
            for j, a in enumerate("ACGT"):
                if a == r:
                    continue
                changed = [CODON_TABLE[c[:p] + a + c[p + 1:]] for c in codons]
                out[p, i, j, 0] = np.mean([new == CODON_TABLE[c] for c, new in zip(codons, changed)])
                out[p, i, j, 1] = np.mean([new == "*" for new in changed])
    return out


# Without a FASTA the codon is unknown but its position is not: a transition at the third base is
# synonymous ~93-100% of the time, a change at the second base never is. Ranking uses these priors
# so background synonymous changes stop competing with protein-altering ones.
CODON_POSITION_PRIORS = _codon_position_priors()
_BASE_CODE = np.full(128, -1, np.int64)
_BASE_CODE[[ord(b) for b in "ACGT"]] = np.arange(4)


def _base_codes(bases: np.ndarray) -> np.ndarray:
    """0-3 for A, C, G, T; -1 for anything else (multi-base alleles included)."""
    chars = np.asarray(bases, dtype="<U2")
    single = np.char.str_len(chars) == 1
    point = chars.astype("<U1").view(np.uint32)
    return np.where(single & (point < 128), _BASE_CODE[np.minimum(point, 127)], -1)


def codon_position_priors(position: np.ndarray, ref_c: np.ndarray, alt_c: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(P(synonymous), P(stop gained)) per SNV from `CODON_POSITION_PRIORS`; NaN for non-ACGT bases.
    `position` is 0-2 within the codon; bases are on the coding strand."""
    ri, ai = _base_codes(ref_c), _base_codes(alt_c)
    ok = (ri >= 0) & (ai >= 0) & (position >= 0) & (position <= 2)
    got = CODON_POSITION_PRIORS[np.where(ok, position, 0), np.maximum(ri, 0), np.maximum(ai, 0)]
    got = np.where(ok[:, None], got, np.nan)
    return got[:, 0], got[:, 1]


@dataclass
class ProteinEffects:
    rank: np.ndarray
    hgvs_c: np.ndarray
    hgvs_p: np.ndarray
    p_synonymous: np.ndarray  # codon-position prior, only without a FASTA (NaN otherwise)
    p_stop_gained: np.ndarray


def _translate(codons: np.ndarray) -> np.ndarray:
    return np.array([CODON_TABLE.get(c, "X") for c in codons], dtype="<U1")


def protein_effects(ti: np.ndarray, pos: np.ndarray, exon: np.ndarray, ref_allele: np.ndarray, alt: np.ndarray,
                    chrom: np.ndarray, m: ModelArrays, ci: CodingIndex, ref: ReferenceBases | None) -> ProteinEffects:
    """For coding SNV pairs: SO term rank (missense .. start_lost), HGVS c. and, with a FASTA, p.
    Without a FASTA the rank stays coding_sequence_variant, only c. is given, and the
    synonymous/stop-gained probabilities come from the codon position (`codon_position_priors`)."""
    plus = m.strand[ti] > 0
    g = cds_offset(ti, pos, exon, m, ci)
    total = ci.total[ti]
    c = np.where(plus, g + 1, total - g)  # 1-based c. position
    alt, ref_allele = alt.astype(str), ref_allele.astype(str)
    alt_c = np.where(plus, alt, np.char.translate(alt, _COMPLEMENT))
    ref_c = np.where(plus, ref_allele, np.char.translate(ref_allele, _COMPLEMENT))
    tx = np.array([t if t else "" for t in m.transcript_id[ti]], dtype=object)
    prefix = np.where(tx != "", tx + ":", "")
    n = len(ti)
    rank = np.full(n, RANK["coding_sequence_variant"], np.int32)
    hgvs_p = np.full(n, None, dtype=object)
    hgvs_c = np.where(tx != "", prefix + "c." + c.astype(str).astype(object) + ref_c.astype(object) + ">"
                      + alt_c.astype(object), None)
    k = (c - 1) // 3
    r = (c - 1) % 3
    complete = (3 * k + 3 <= total) & (total % 3 == 0)
    if ref is None:
        p_syn, p_stop = codon_position_priors(r, ref_c, alt_c)
        first_codon = k == 0  # start codon: any change there is start_lost or start_retained
        unknown = ~complete | first_codon
        return ProteinEffects(rank, hgvs_c, hgvs_p, np.where(unknown, np.nan, p_syn),
                              np.where(unknown, np.nan, p_stop))
    codon_bases = []
    for i in range(3):
        ci_pos = 3 * k + i + 1
        gi = np.where(plus, ci_pos - 1, total - ci_pos)
        gi = np.clip(gi, 0, np.maximum(total - 1, 0))
        b = ref.bases(chrom, genomic_of_offset(ti, gi, m, ci))
        codon_bases.append(np.where(plus, b, np.char.translate(b, _COMPLEMENT)))
    ref_codon = np.char.add(np.char.add(codon_bases[0], codon_bases[1]), codon_bases[2])
    alt_codon = ref_codon.copy()
    for i in range(3):
        here = r == i
        parts = [np.where(here & (i == j), alt_c, codon_bases[j]) for j in range(3)]
        alt_codon = np.where(here, np.char.add(np.char.add(parts[0], parts[1]), parts[2]), alt_codon)
    aa_ref, aa_alt = _translate(ref_codon), _translate(alt_codon)
    term = np.where(aa_ref == aa_alt, "synonymous_variant", "missense_variant").astype(object)
    term = np.where((aa_ref != "*") & (aa_alt == "*"), "stop_gained", term)
    term = np.where((aa_ref == "*") & (aa_alt != "*"), "stop_lost", term)
    term = np.where((aa_ref == "*") & (aa_alt == "*"), "stop_retained_variant", term)
    term = np.where((k == 0) & (aa_ref == "M") & (aa_alt != "M"), "start_lost", term)
    term = np.where((k == 0) & (aa_ref == "M") & (aa_alt == "M"), "start_retained_variant", term)
    ok = complete & (aa_ref != "X") & (aa_alt != "X")
    rank = np.where(ok, np.array([RANK[t] for t in term], dtype=np.int32), rank)
    aa_num = (k + 1).astype(str).astype(object)
    three_ref = np.array([THREE[a] for a in aa_ref], dtype=object)
    three_alt = np.array([THREE[a] for a in aa_alt], dtype=object)
    p = "p." + three_ref + aa_num + np.where(aa_ref == aa_alt, "=", three_alt)
    p = np.where(term == "start_lost", "p.Met1?", p)
    p = np.where(term == "stop_lost", "p." + three_ref + aa_num + three_alt + "extTer?", p)
    hgvs_p = np.where(ok, p, None)
    return ProteinEffects(rank, hgvs_c, hgvs_p, np.full(n, np.nan), np.full(n, np.nan))
