"""Frameshifts whose reading frame a nearby indel of the same proband restores.

Annotators (VEP included) judge each record alone, so two indels a few bases apart whose length
changes add up to a multiple of three (+1/-1 in a homopolymer, +2/+1, ...) are each called a
frameshift although together they only change a few codons in frame. Such clusters are typical of
alignment artefacts and complex polymorphisms: scored as two loss-of-function alleles they put
background genes at the top of every patient with a matching phenotype.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.alleles import variant_key
from ..schemas import col

WINDOW = 20  # bp between neighbouring indels of one cluster


def frame_restoring_partners(cand: pd.DataFrame, zygosity: np.ndarray) -> pd.Series:
    """Per row of `cand` (columns gene_symbol, variant_idx, pos, ref, alt, consequence): the other
    indels that restore its frame, as 'chrom:pos:ref>alt' joined by ',' (None if none).

    A cluster is a chain of the proband's indels in one gene, each within WINDOW bp of the next,
    all with the same zygosity in the proband (both hom-alt: certainly in cis; both het and this
    close: almost always), whose net length change is a multiple of three.
    """
    out = pd.Series([None] * len(cand), index=cand.index, dtype=object)
    if not len(cand):
        return out
    delta = cand[col.alt].str.len().to_numpy() - cand[col.ref].str.len().to_numpy()
    indel = (delta != 0) & cand[col.gene_symbol].notna().to_numpy() & ~cand[col.alt].str.startswith("<").to_numpy()
    if indel.sum() < 2:
        return out
    key = [col.gene_symbol, col.variant_idx]
    rows = cand[indel].assign(_delta=delta[indel], _zyg=np.asarray(zygosity)[indel])
    rows = rows.drop_duplicates(key).sort_values([col.gene_symbol, "_zyg", col.pos])
    pos, gene, zyg = rows[col.pos].to_numpy(), rows[col.gene_symbol].to_numpy(), rows["_zyg"].to_numpy()
    new_cluster = np.r_[True, (gene[1:] != gene[:-1]) | (zyg[1:] != zyg[:-1]) | (pos[1:] - pos[:-1] > WINDOW)]
    rows["_cluster"] = np.cumsum(new_cluster)
    size = rows.groupby("_cluster")["_delta"].transform("size")
    net = rows.groupby("_cluster")["_delta"].transform("sum")
    restored = rows[(size >= 2) & (net % 3 == 0)]
    label = variant_key(restored)
    members = label.groupby(restored["_cluster"]).agg(list)
    partners = pd.DataFrame({
        **{name: restored[name].to_numpy() for name in key},
        "_partners": [",".join(m for m in members[c] if m != own) for c, own in zip(restored["_cluster"], label)]})
    frameshift = cand[col.consequence].fillna("").str.contains("frameshift_variant", regex=False).to_numpy()
    looked_up = cand[key].merge(partners, on=key, how="left")
    return pd.Series(np.where(frameshift & looked_up["_partners"].notna().to_numpy(),
                              looked_up["_partners"].to_numpy(object), None), index=cand.index, dtype=object)
