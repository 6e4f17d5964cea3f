"""Per-ALT selection of raw VEP CSQ / SnpEff ANN entries when a multi-allelic record is split.

CSQ and ANN are Number=. strings whose entries each name their allele; after splitting, a row keeps
only the entries of its own ALT. BCSQ describes haplotypes, not alleles, and is kept whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from .reader import RawBatch


def vep_alleles(ref: str, alts: list[str]) -> list[str]:
    """VEP's CSQ 'Allele' spelling of each ALT: when the record has an indel and every allele
    shares its first base, that base is dropped ('-' when nothing is left)."""
    alleles = [ref, *alts]
    has_indel = len({len(a) for a in alleles}) > 1
    if has_indel and len({a[:1] for a in alleles}) == 1 and not any(a.startswith("<") for a in alts):
        return [a[1:] or "-" for a in alts]
    return list(alts)


def _entries_for(raw: str, allele_field: int, wanted: str) -> str | None:
    kept = [e for e in raw.split(",") if _field(e, allele_field) == wanted]
    return ",".join(kept) or None


def _field(entry: str, index: int) -> str:
    parts = entry.split("|")
    return parts[index] if index < len(parts) else ""


def select_allele_entries(raw: pa.Array, layout: str, kind: str, batch: "RawBatch",
                          record: np.ndarray, allele: np.ndarray) -> pa.Array:
    """Raw INFO strings per row; rows from multi-allelic records keep only their ALT's entries."""
    out = raw.take(pa.array(record, pa.int64()))
    if kind == "BCSQ" or not layout:
        return out
    fields = layout.split("|")
    multi = np.flatnonzero(batch.n_alt[record] > 1)
    if not len(multi):
        return out
    texts = out.take(pa.array(multi)).to_pylist()
    for j, i in enumerate(multi):
        if texts[j] is None:
            continue
        r, k = int(record[i]), int(allele[i])
        alts = batch.alts_of(r)
        if kind == "CSQ" and "ALLELE_NUM" in fields:
            texts[j] = _entries_for(texts[j], fields.index("ALLELE_NUM"), str(k))
        elif kind == "CSQ" and "Allele" in fields:
            texts[j] = _entries_for(texts[j], fields.index("Allele"), vep_alleles(batch.ref[r].as_py(), alts)[k - 1])
        elif kind == "ANN":
            texts[j] = _entries_for(texts[j], 0, alts[k - 1])
    mask = np.zeros(len(out), dtype=bool)
    mask[multi] = True
    return pc.replace_with_mask(out, pa.array(mask), pa.array(texts, pa.string()))
