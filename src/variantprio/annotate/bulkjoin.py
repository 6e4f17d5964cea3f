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
from concurrent.futures import ThreadPoolExecutor
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
def bulk_sources(specs: list[SourceSpec], variants: str | Path, out: str | Path, variants_build: str | None,
                 threads: int = 1) -> Iterator[list[SourceSpec]]:
    """`specs` with every allele-level text source replaced by a temporary dataset of its alleles at
    the variants' positions (in a hidden directory beside `out`, removed afterwards); `threads`
    sources are read at once (parsing and writing run in Arrow, outside the interpreter lock)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.sources-", dir=out.parent))
    try:
        todo = [i for i, spec in enumerate(specs) if spec.kind in POSITIONAL_KINDS and not is_source_dataset(spec.path)]
        positions = variant_positions(variants) if todo else None
        pool = ThreadPoolExecutor(max_workers=max(1, threads))
        try:
            done = {i: pool.submit(_convert, specs[i], work / str(i), positions, variants_build) for i in todo}
            joined = [replace(spec, path=done[i].result()) if i in done else spec for i, spec in enumerate(specs)]
        finally:
            pool.shutdown(cancel_futures=True)  # after a failure, the sources not yet started are not read
        yield joined
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _convert(spec: SourceSpec, out: Path, positions: VariantPositions | None, variants_build: str | None) -> Path:
    t0 = time.perf_counter()
    dataset = convert_source(spec, out, positions, variants_build, checksum=False)
    log.info("source %s read in one pass: %d alleles at the variants' positions in %.1fs",
             spec.name, dataset.facts["rows"], time.perf_counter() - t0)
    return dataset.path
