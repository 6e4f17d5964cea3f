"""Spreadsheet-safe cells: text from input files (VCF annotations, sample IDs, disease names) must
never become a live formula when candidates.tsv/.xlsx or summary.tsv is opened (OWASP CSV injection).

`neutralise` is the one rule: every TSV/XLSX writer of the report passes its text through it
(TSV) or through `append_row` (XLSX, which stores text as text instead of prefixing it).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

# Leading characters a spreadsheet reads as the start of a formula (OWASP CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """Text a spreadsheet would evaluate: starts with =, +, -, @, TAB or CR."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> object:
    """TSV cell: formula-like text gets a leading single quote; numbers and other text unchanged."""
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised; numeric columns (negative numbers too) untouched."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def comment_line(text: str) -> str:
    """One '#'-prefixed TSV header line: tabs and line breaks from input text cannot open new cells or rows."""
    return "# " + " ".join(str(text).replace("\t", " ").split()) + "\n"


def xlsx_value(value: object) -> object:
    """numpy/pandas scalars -> what openpyxl stores (NaN/NA -> empty, numpy bool -> bool)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def append_row(ws, values: Iterable[object]) -> None:
    """XLSX: append one row with every string stored as a string cell, never as a formula.

    openpyxl turns any str starting with '=' into a formula; forcing data_type 's' writes it as an
    inline string, and quotePrefix keeps Excel from re-evaluating it when the cell is edited."""
    ws.append([xlsx_value(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if is_formula_like(cell.value):
                cell.quotePrefix = True
