"""The bulk join for genome-sized inputs: instead of one tabix query per region for every chunk of
variants, each allele-level source is read once, in order, and the alleles at the variants'
positions are kept in a temporary converted dataset beside the output; every chunk then joins
from it (`sourcedataset`). Sources that already are converted datasets are used as they are.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..core.sourcekinds import POSITIONAL_KINDS
from .sourceconfig import SourceSpec
from .sourcedataset import VariantPositions, convert_source, is_source_dataset, variant_positions

log = logging.getLogger(__name__)


def wants_bulk(n_variants: int, min_variants: int) -> bool:
    """Bulk joins pay off above `min_variants` (the `annotate.bulk_join_min_variants` setting)."""
    return n_variants > min_variants


@contextmanager
def bulk_sources(specs: list[SourceSpec], variants: str | Path, out: str | Path,
                 variants_build: str | None) -> Iterator[list[SourceSpec]]:
    """`specs` with every allele-level text source replaced by a temporary dataset of its alleles at
    the variants' positions (in a hidden directory beside `out`, removed afterwards)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.sources-", dir=out.parent))
    try:
        positions: VariantPositions | None = None
        joined = []
        for i, spec in enumerate(specs):
            if spec.kind in POSITIONAL_KINDS and not is_source_dataset(spec.path):
                positions = positions or variant_positions(variants)
                t0 = time.perf_counter()
                dataset = convert_source(spec, work / str(i), positions, variants_build, checksum=False)
                log.info("source %s read in one pass: %d alleles at the variants' positions in %.1fs",
                         spec.name, dataset.facts["rows"], time.perf_counter() - t0)
                spec = replace(spec, path=dataset.path)
            joined.append(spec)
        yield joined
    finally:
        shutil.rmtree(work, ignore_errors=True)
