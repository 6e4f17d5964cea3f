"""In-house frequencies as an annotation source (kind `inhouse`): from the cohort database itself,
with the families of the annotated VCF's samples left out, or from a `cohort frequencies` export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..schemas import col
from ..settings import CohortSettings
from .frequencies import frequencies_for
from .schema import open_cohort
from .store import is_postgres

_OUT = {"ac": col.inhouse_ac, "an": col.inhouse_an, "af": col.inhouse_af, "n_hom": col.inhouse_hom,
        "n_hemi": col.inhouse_hemi}


def read_inhouse(path: str, keys: pd.DataFrame, samples: list[str], settings: CohortSettings) -> pd.DataFrame:
    """chrom, pos, ref, alt and the inhouse_* columns of the given variant keys. The AF stays
    unset below `settings.min_ac` alleles (a few patients sharing a variant is no population
    frequency: it may be the recurrent cause of their disease)."""
    if is_postgres(path) or not str(path).endswith(".parquet"):
        with open_cohort(path, write=False) as store:
            table = frequencies_for(store, pa.Table.from_pandas(keys[[col.chrom, col.pos, col.ref, col.alt]],
                                                                preserve_index=False), samples, settings.absent)
    else:
        table = _from_export(Path(path), samples)
    df = table.to_pandas().rename(columns=_OUT)
    df[col.inhouse_af] = np.where(df[col.inhouse_ac] >= settings.min_ac, df[col.inhouse_af], np.nan)
    return df.drop_duplicates([col.chrom, col.pos, col.ref, col.alt])


def _from_export(path: Path, samples: list[str]) -> pa.Table:
    """An exported table; refused when it counts one of the VCF's samples (their family would
    count towards its own frequencies: annotate from the database instead)."""
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise InputError(f"not a readable Parquet file ({err})", path=str(path)) from None
    meta = pf.metadata.metadata or {}
    if meta.get(b"variantprio.schema") != b"inhouse_frequencies":
        raise InputError("not a `variantprio cohort frequencies` export", path=str(path),
                         hint="export with `variantprio cohort frequencies --db DB --out FILE.parquet`")
    counted = set(json.loads(meta.get(b"variantprio.counted_samples", b"[]")))
    overlap = sorted(counted & set(samples))
    if overlap:
        raise InputError(f"the export counts sample(s) {', '.join(overlap)} of the annotated VCF, so their family "
                         "would count towards its own frequencies", path=str(path),
                         hint="name the cohort database as the inhouse source path, or export with --exclude-sample")
    return pf.read()
