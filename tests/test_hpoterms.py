"""HPO term input has one home (core.hpoterms): the CLI, the sample sheet, phenopackets and the
benchmark read terms the same way (issue 21: v1 `negated` meant different things in two parsers)."""

from variantprio.bench.prepare.phenopackets import _terms
from variantprio.core.hpoterms import feature_terms, split_terms
from variantprio.sheet import clean_terms


def test_separators_are_commas_semicolons_and_spaces_everywhere():
    text = " HP:0001250; HP:0001263 ,HP:0000252\tHP:0004322 "
    assert split_terms(text) == ["HP:0001250", "HP:0001263", "HP:0000252", "HP:0004322"]
    assert clean_terms(text) == ",".join(split_terms(text))
    assert split_terms(None) == [] and split_terms(["HP:1 ", ""]) == ["HP:1"]


def test_v1_negated_and_v2_excluded_both_mean_absent_in_the_engine_and_the_benchmark():
    features = [{"type": {"id": "HP:0001250"}}, {"type": {"id": "HP:0001263"}, "negated": True},
                {"type": {"id": "HP:0000252"}, "excluded": True}, {"type": {}}, {"type": {"id": "MP:1"}}]
    observed, excluded, missing = feature_terms(features)
    assert observed == ["HP:0001250", "MP:1"] and excluded == ["HP:0001263", "HP:0000252"] and missing == [4]
    assert _terms({"phenotypicFeatures": features}) == (("HP:0001250",), ("HP:0001263", "HP:0000252"))
