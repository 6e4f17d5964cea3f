"""The Arrow contract: one declaration per column, and `col` naming exactly the contract's columns."""

from __future__ import annotations

import pytest

from variantprio.schemas import SCHEMAS, col


def test_col_names_every_column_of_every_table():
    for schema in SCHEMAS.values():
        for name in schema.names:
            assert getattr(col, name) == name
    assert col.gene_symbol == "gene_symbol"


@pytest.mark.parametrize("name", ["gene_symbl", "GENE_SYMBOL", "row"])
def test_a_name_no_table_has_is_an_error_not_a_string(name):
    with pytest.raises(AttributeError):
        getattr(col, name)


def test_col_is_read_only():
    with pytest.raises(AttributeError):
        col.gene_symbol = "symbol"  # type: ignore[misc]
    assert col.gene_symbol == "gene_symbol"


def test_a_column_has_one_type_in_every_table_that_carries_it():
    types: dict[str, set[str]] = {}
    for schema in SCHEMAS.values():
        for field in schema:
            types.setdefault(field.name, set()).add(str(field.type))
    assert {name: t for name, t in types.items() if len(t) > 1} == {}
    shared = [name for name in types if sum(name in s.names for s in SCHEMAS.values()) > 1]
    assert {"variant_idx", "gene_symbol", "consequence", "gnomad_af", "comphet_phase"} <= set(shared)


def test_annotation_columns_reach_the_ranked_variants_with_their_meaning():
    """The source and consequence columns are declared once: their docs agree in both tables."""
    ann, ranked = SCHEMAS["annotations"], SCHEMAS["ranked_variants"]
    for name in ("consequence", "hgvs_p", "gnomad_popmax_af", "clinvar_stars", "mis_z", "exon"):
        assert ann.field(name).metadata == ranked.field(name).metadata
        assert ann.field(name).metadata[b"doc"]
