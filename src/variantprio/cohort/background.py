"""A synthetic hub cohort for the benchmark: unrelated people who carry the background exome's
variants at the frequencies population genetics expects, as a `cohort frequencies` export.

Nothing here knows real population frequencies (gnomAD is not available offline). A variant seen
in one random person is, under the neutral site-frequency spectrum (density of allele frequency p
proportional to 1/p), common far more often than rare: its frequency has density proportional to
P(genotype | p) / p, i.e. (1 - p) for a heterozygote and p for a homozygote, on [P_MIN, 1). About
2% of heterozygous sites then fall below 1% frequency, the order seen in real exomes. Each
synthetic person's genotype at each site is drawn from Hardy-Weinberg proportions at that p
(chrX counted as diploid: a simplification that only matters for hemizygous counts).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..ingest import IngestInputs, IngestOptions, IngestOutputs, run as ingest
from ..schemas import col
from .frequencies import FREQUENCY_COLUMNS, write_frequencies

P_MIN = 1e-4  # lowest population frequency drawn (a singleton in ~5,000 people)
HET, HOM = 1, 2  # VARIANTS.zygosity codes


def draw_population_af(zygosity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per site: a frequency from the neutral spectrum given the background person's genotype
    (inverse-CDF sampling of densities (1 - p) for heterozygotes and p for homozygotes)."""
    u = rng.random(len(zygosity))
    lo = P_MIN
    # het: F(p) = ((p - lo) - (p^2 - lo^2)/2) / Z, solved for p; hom: F(p) = (p^2 - lo^2) / (1 - lo^2).
    z_het = (1 - lo) - (1 - lo ** 2) / 2
    het = 1 - np.sqrt(np.maximum((1 - lo) ** 2 - 2 * u * z_het, 0.0))
    hom = np.sqrt(lo ** 2 + u * (1 - lo ** 2))
    return np.clip(np.where(zygosity == HOM, hom, het), lo, 1 - 1e-9)


def synthetic_counts(af: np.ndarray, n_people: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Allele count, allele number and homozygote count over `n_people` diploid people."""
    hom = rng.binomial(n_people, af ** 2)
    het = rng.binomial(n_people - hom, np.where(af < 1, 2 * af * (1 - af) / np.maximum(1 - af ** 2, 1e-12), 0.0))
    ac = het + 2 * hom
    return {"ac": ac, "an": np.full(len(af), 2 * n_people), "n_hom": hom}


def first_sample_zygosity(column: pa.ChunkedArray) -> np.ndarray:
    """The first sample's zygosity code per row, read from the list column's buffers (0 where a row
    has no sample)."""
    lists = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    values = lists.values.to_numpy(zero_copy_only=False)
    offsets = lists.offsets.to_numpy()
    has_sample = np.diff(offsets) > 0
    first = np.zeros(len(lists), np.int8)
    first[has_sample] = values[offsets[:-1][has_sample]]
    return first


def background_cohort(vcf: Path, out: Path, n_people: int = 300, seed: int = 1, build: str = "GRCh38") -> Path:
    """Write the export of a synthetic cohort carrying `vcf`'s variants (sites with AC 0 are left out,
    as the real export does)."""
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        variants = Path(tmp) / "variants.parquet"
        ingest(IngestInputs(vcf), IngestOutputs(variants), IngestOptions(build=build))
        table = pq.read_table(variants, columns=[col.chrom, col.pos, col.ref, col.alt, col.zygosity])
    zygosity = first_sample_zygosity(table.column(col.zygosity))
    carried = np.isin(zygosity, (HET, HOM, 3))
    table = table.filter(pa.array(carried))
    af = draw_population_af(zygosity[carried], rng)
    counts = synthetic_counts(af, n_people, rng)
    ac = counts["ac"]
    keep = ac > 0
    result = pa.table({
        "chrom": table.column(col.chrom).filter(pa.array(keep)), "pos": pc.cast(table.column(col.pos), pa.int64()).filter(
            pa.array(keep)),
        "ref": table.column(col.ref).filter(pa.array(keep)), "alt": table.column(col.alt).filter(pa.array(keep)),
        "ac": pa.array(ac[keep], pa.int32()), "an": pa.array(counts["an"][keep], pa.int32()),
        "af": pa.array(ac[keep] / counts["an"][keep], pa.float64()),
        "n_hom": pa.array(counts["n_hom"][keep], pa.int32()), "n_hemi": pa.array(np.zeros(keep.sum()), pa.int32()),
    }).select(FREQUENCY_COLUMNS)
    people = [f"synthetic-{i:05d}" for i in range(n_people)]
    return write_frequencies(result, out, {"counted_samples": json.dumps(people), "absent": "reference",
                                           "synthetic": json.dumps({"background": str(vcf), "people": n_people,
                                                                    "seed": seed, "spectrum": "neutral 1/p"})})
