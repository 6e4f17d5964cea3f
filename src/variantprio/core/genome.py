"""Reference-genome facts shared by every stage: contig naming, lengths, PARs.

Internally every table uses UCSC-style names ("chr1", "chrX", "chrM") for both builds, so that
inputs named "1"/"MT" (Ensembl/GRCh37 style) join with "chr1"/"chrM" sources.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

BUILDS = ("GRCh37", "GRCh38")

_CHROMS = [str(i) for i in range(1, 23)] + ["X", "Y", "M"]

CONTIG_LENGTHS: dict[str, dict[str, int]] = {
    "GRCh38": dict(zip(
        ["chr" + c for c in _CHROMS],
        [248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636,
         138394717, 133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345,
         83257441, 80373285, 58617616, 64444167, 46709983, 50818468, 156040895, 57227415, 16569])),
    "GRCh37": dict(zip(
        ["chr" + c for c in _CHROMS],
        [249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663, 146364022,
         141213431, 135534747, 135006516, 133851895, 115169878, 107349540, 102531392, 90354753,
         81195210, 78077248, 59128983, 63025520, 48129895, 51304566, 155270560, 59373566, 16569])),
}

# Pseudo-autosomal regions on chrX (1-based, inclusive): diploid in males too.
PAR_X: dict[str, tuple[tuple[int, int], ...]] = {
    "GRCh38": ((10001, 2781479), (155701383, 156030895)),
    "GRCh37": ((60001, 2699520), (154931044, 155260560)),
}

# The mitochondrial sequence differs between the two GRCh37 flavours: b37/hs37d5 ("MT") and GRCh38
# ("chrM") carry the revised Cambridge Reference Sequence, UCSC hg19's "chrM" is the older Yoruba
# sequence (NC_001807), two bases longer, so chrM positions of hg19 and b37 do not correspond.
MT_RCRS_LENGTH = 16569
MT_HG19_LENGTH = 16571

_BUILD_ALIASES = {
    "grch38": "GRCh38", "hg38": "GRCh38", "38": "GRCh38", "b38": "GRCh38",
    "grch37": "GRCh37", "hg19": "GRCh37", "37": "GRCh37", "b37": "GRCh37",
}


def normalise_build(name: str) -> str:
    """Map common spellings (hg38, GRCh38.p14, b37) onto "GRCh37"/"GRCh38"; ValueError otherwise."""
    key = name.strip().lower().split(".")[0]
    if key in _BUILD_ALIASES:
        return _BUILD_ALIASES[key]
    raise ValueError(f"unknown genome build {name!r}; expected one of {', '.join(BUILDS)}")


def canonical_chrom(name: str) -> str:
    """UCSC-style contig name: "1"->"chr1", "MT"/"chrMT"->"chrM"; other contigs get the prefix too."""
    bare = name[3:] if name[:3].lower() == "chr" else name
    if bare.upper() in ("M", "MT"):
        return "chrM"
    if bare.upper() in ("X", "Y"):
        return "chr" + bare.upper()
    return "chr" + bare


def canonical_chroms(names: Iterable[str]) -> np.ndarray:
    """Vectorised `canonical_chrom` over an array of names, converting each distinct name once."""
    arr = np.asarray(list(names) if not isinstance(names, np.ndarray) else names, dtype=object)
    if arr.size == 0:
        return arr
    uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
    mapped = np.array([canonical_chrom(u) for u in uniq], dtype=object)
    return mapped[inverse]


def guess_build(contig_lengths: dict[str, int]) -> str | None:
    """The build whose main-chromosome lengths match the given contigs; None when none can be told."""
    votes = {b: 0 for b in BUILDS}
    for name, length in contig_lengths.items():
        chrom = canonical_chrom(name)
        for build in BUILDS:
            expected = CONTIG_LENGTHS[build].get(chrom)
            if expected is not None and chrom != "chrM" and expected == length:
                votes[build] += 1
    best = max(votes, key=votes.get)
    if votes[best] == 0 or list(votes.values()).count(votes[best]) > 1:
        return None
    return best


def naming_style(names: Iterable[str]) -> str | None:
    """How the main chromosomes are named: "chr" (chr1, UCSC: hg19, hg38), "bare" (1, Ensembl/NCBI:
    b37) or None when no main chromosome is among `names`."""
    styles = {("chr" if n[:3].lower() == "chr" else "bare") for n in names
              if canonical_chrom(n) in CONTIG_LENGTHS["GRCh38"] and canonical_chrom(n) != "chrM"}
    return styles.pop() if len(styles) == 1 else None


def mito_sequence(build: str | None, lengths: dict[str, int | None]) -> str | None:
    """Which mitochondrial sequence a contig list names: "rCRS" or "hg19" (UCSC hg19's Yoruba chrM);
    None without a mitochondrial contig. By length when given, else by name: on GRCh37 "chrM" is
    hg19's, "MT"/"chrMT" are b37's rCRS; GRCh38 has only rCRS."""
    for name, length in lengths.items():
        if canonical_chrom(name) != "chrM":
            continue
        if length == MT_HG19_LENGTH:
            return "hg19"
        if length == MT_RCRS_LENGTH or build == "GRCh38":
            return "rCRS"
        return "hg19" if build == "GRCh37" and name == "chrM" else "rCRS"
    return None


def build_flavour(build: str, style: str | None) -> str:
    """A build with its contig naming, as people say it: "GRCh37 with hg19 names (chr1)", "GRCh37 with
    b37 names (1)"; `style` as `naming_style` returns it."""
    if style is None:
        return build
    label = {"GRCh37": ("hg19", "b37"), "GRCh38": ("hg38", "GRCh38")}[build][0 if style == "chr" else 1]
    return f"{build} with {label} names ({'chr1' if style == 'chr' else '1'})"


def in_par(chrom: np.ndarray, pos: np.ndarray, build: str) -> np.ndarray:
    """Boolean mask: positions inside a pseudo-autosomal region of chrX."""
    chrom = np.asarray(chrom)
    pos = np.asarray(pos)
    mask = np.zeros(pos.shape, dtype=bool)
    on_x = chrom == "chrX"
    for start, end in PAR_X[build]:
        mask |= on_x & (pos >= start) & (pos <= end)
    return mask


# Why liftover left a variant out (ingest.liftover), as written in its side table's `reason` column.
LIFTOVER_REASONS = {
    "contig_not_in_chain": "the chain file has no such contig",
    "unmapped": "no chain block covers the position (deleted or unplaced in the target build)",
    "ambiguous": "the position maps to more than one place",
    "contig_changed": "lands on another chromosome or an alt/unplaced contig",
    "span_changed": "a chain gap lies inside the variant's span (its length would change)",
    "strand_flipped_indel": "lands on the minus strand as an indel or structural variant",
    "ref_mismatch": "REF differs from the target FASTA after lifting (the reference base changed)",
    "duplicate_after_lift": "another variant was already lifted onto the same site and alleles",
}


def liftover_counts_text(counts: dict[str, int]) -> str:
    """'36,100 of 36,558 lifted; left out: unmapped 300, ...' for logs and reports."""
    left = ", ".join(f"{reason} {counts[reason]:,}" for reason in LIFTOVER_REASONS if counts.get(reason))
    return f"{counts.get('lifted', 0):,} of {counts.get('rows_in', 0):,} lifted" + (
        f"; left out: {left}" if left else "; none left out")

