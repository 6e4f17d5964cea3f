"""Modes of inheritance have one home (core.modes): everything else derives from its records."""

from __future__ import annotations

import dataclasses

import pandas as pd

from variantprio.core.modes import FIT_COLUMNS, MODE_ORDER, MODES, mode_terms
from variantprio.phenotype.annotations import INHERITANCE_MODES
from variantprio.rank.combine import fitting_mode_flags
from variantprio.report.tables import SHEETS
from variantprio.schemas import MODES as SCHEMA_MODES
from variantprio.schemas import SEGREGATION
from variantprio.settings import InheritanceSettings


def test_segregation_schema_has_every_fit_column_in_registry_order():
    columns = [c for c in SEGREGATION.names if c in FIT_COLUMNS]
    assert columns == list(FIT_COLUMNS)
    for mode in MODES:
        for fit in mode.fits:
            assert SEGREGATION.field(fit.column).metadata[b"doc"].decode() == fit.doc


def test_every_frequency_option_named_by_a_mode_is_a_setting():
    settings = {f.name for f in dataclasses.fields(InheritanceSettings)}
    assert {fit.max_af for mode in MODES for fit in mode.fits if fit.max_af} <= settings


def test_rank_flags_and_report_sheets_follow_the_registry():
    cand = pd.DataFrame({column: [column == "de_novo"] for column in FIT_COLUMNS})
    flags = fitting_mode_flags(cand)
    assert list(flags.columns) == list(MODE_ORDER)
    assert flags.iloc[0].to_dict() == {code: code == "AD" for code in MODE_ORDER}  # de novo fits AD
    assert SHEETS[1:] == MODE_ORDER and list(SCHEMA_MODES) == list(MODE_ORDER)


def test_hpo_inheritance_terms_map_to_modes():
    assert INHERITANCE_MODES == mode_terms()
    assert INHERITANCE_MODES["HP:0000006"] == ("AD",)
    assert INHERITANCE_MODES["HP:0001417"] == ("XR", "XD")  # X-linked inheritance allows both
    assert INHERITANCE_MODES["HP:0032113"] == ("AD", "AR")  # semidominant
    for mode in MODES:
        assert mode.code in INHERITANCE_MODES[mode.hpo_term]
