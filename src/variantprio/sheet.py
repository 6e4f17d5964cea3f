"""The sample sheet (one row per proband) and the JSON-Schema checks shared by `validate`,
`run` and the Snakefile, so that all three accept and refuse exactly the same sheets."""

from __future__ import annotations

import hashlib
import io
import re
from functools import cache
from pathlib import Path

import pandas as pd

from .bundle import workflow_dir
from .core.hpoterms import has_labels, split_terms
from .errors import InputError
from .yamlfile import read_yaml

SHEET_COLUMNS = ["sample_id", "family_id", "vcf", "ped", "hpo", "excluded_hpo", "phenopacket", "build"]
_TERM_COLUMNS = ("hpo", "excluded_hpo")


def load_sample_sheet(path: Path | str) -> pd.DataFrame:
    """Sample sheet as strings indexed by sample_id; optional columns default to ''.

    Only a line whose first character is '#' is a comment: a '#' inside a value (a path such as
    /data/run#12/P1.vcf.gz) is data and must never truncate the row."""
    path = Path(path)
    if not path.is_file():
        raise InputError("sample sheet not found", path=str(path), hint="set `samples:` in the config")
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"not a readable UTF-8 TSV ({err})", path=str(path)) from None
    body = "".join(line for line in lines if not line.startswith("#"))
    try:
        sheet = pd.read_csv(io.StringIO(body), sep="\t", dtype=str, keep_default_na=False,
                            quoting=3)  # csv.QUOTE_NONE: quotes are part of the value
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"not a readable TSV ({err})", path=str(path)) from None
    sheet.columns = [c.strip() for c in sheet.columns]
    missing = [c for c in ("sample_id", "family_id", "vcf") if c not in sheet.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=str(path), where="line 1",
                         hint=f"columns are {', '.join(SHEET_COLUMNS)} (tab-separated)")
    for column in SHEET_COLUMNS:
        if column not in sheet.columns:
            sheet[column] = ""
    sheet = sheet[SHEET_COLUMNS].apply(lambda col: col.str.strip())
    duplicated = sheet["sample_id"][sheet["sample_id"].duplicated()].tolist()
    if duplicated:
        raise InputError(f"duplicate sample_id(s) {', '.join(duplicated)}", path=str(path),
                         hint="one row per proband")
    return sheet.set_index("sample_id", drop=False)


def clean_terms(text: str) -> str:
    """A sheet cell's terms in one spelling: IDs comma-joined (the cell may use commas, semicolons or
    spaces); with labels or synonyms, every entry '; '-joined (labels hold spaces and commas)."""
    entries = split_terms(text)
    return "; ".join(entries) if has_labels(entries) else ",".join(entries)


@cache
def _schema(name: str) -> dict:
    return read_yaml(workflow_dir() / "pipeline" / "schemas" / name, "workflow schema")


def schema_problems(instance: dict, schema_name: str, label: str) -> list[str]:
    """Every JSON-Schema violation of `instance` as one readable line (no schema dump)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        problems.append(f"{label}: {_describe(error, instance)}")
    return problems


def _describe(error, instance: dict) -> str:
    """One line for one schema error: which key, which value, what is expected."""
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "anyOf" and not where:  # the sheet's "hpo or phenopacket" rule
        return "no phenotype: fill the hpo column or the phenopacket column"
    if error.validator == "pattern" and where in _TERM_COLUMNS:
        return (f"{where}: {error.instance!r}: tabs and line breaks are not allowed (write HPO ids as "
                "HP:0001250 separated by commas, or labels separated by ';')")
    if error.validator == "pattern":
        return f"{where}: {error.instance!r} is not allowed (expected to match {error.validator_value})"
    if error.validator == "enum":
        return f"{where or 'value'}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return f"{where or 'value'}: {error.message}"


def sheet_problems(sheet: pd.DataFrame) -> list[str]:
    """Schema problems of every row, each line naming the sample."""
    problems = []
    for sample, row in sheet.iterrows():
        problems += schema_problems(row.to_dict(), "samples.schema.yaml", f"{sample}")
    return problems


def vcf_ids(vcf_paths) -> dict[str, str]:
    """Short, stable, unique IDs for result paths: the file stem, plus a hash when stems collide."""
    unique = list(dict.fromkeys(vcf_paths))
    stems = {p: re.sub(r"\.(vcf\.gz|vcf\.bgz|vcf|bcf)$", "", Path(p).name) for p in unique}
    counts = pd.Series(list(stems.values()), dtype=object).value_counts()
    return {p: stem if counts[stem] == 1 else f"{stem}-{hashlib.sha1(p.encode()).hexdigest()[:8]}"
            for p, stem in stems.items()}
