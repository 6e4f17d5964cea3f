"""Knowledge keyed by human gene symbol (mouse profiles, network walks): the lookups they share."""

from __future__ import annotations

from functools import cached_property

import pyarrow as pa


class GeneSymbols:
    """Mixin for a dataclass with a `gene_symbols` list: symbol -> row, and the symbols as Arrow
    for column-wise take() (both built on first use, then kept)."""

    gene_symbols: list[str]

    @cached_property
    def gene_index(self) -> dict[str, int]:
        return {g: i for i, g in enumerate(self.gene_symbols)}

    @cached_property
    def symbols(self) -> pa.StringArray:
        return pa.array(self.gene_symbols, pa.string())
