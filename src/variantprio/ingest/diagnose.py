"""Turn an htslib parse failure into an InputError naming the line and what is wrong with it.

Only runs on the error path, so it may re-read the text file line by line.
"""

from __future__ import annotations

import gzip

from ..errors import InputError
from .header import VcfHeader

_FIXED_COLUMNS = 8  # CHROM POS ID REF ALT QUAL FILTER INFO


def diagnose_parse_error(header: VcfHeader, detail: str, records_ok: int) -> InputError:
    """The first malformed data line after `records_ok` good records, or htslib's own message."""
    found = _first_bad_line(header, records_ok)
    if found is not None:
        line_no, problem, hint = found
        return InputError(problem, path=header.path, where=f"line {line_no}", hint=hint)
    if any(word in detail.lower() for word in ("bgzf", "inflate", "truncated", "compressed", "zlib", "gzip")):
        return InputError(f"truncated or corrupt compressed file ({detail})", path=header.path,
                          where=f"after record {records_ok}" if records_ok else None,
                          hint="the file was cut short or damaged: regenerate or re-copy it")
    return InputError(f"cannot parse record {records_ok + 1} ({detail})", path=header.path,
                      where=f"record {records_ok + 1}", hint="check the record against the VCF 4.x spec")


def _first_bad_line(header: VcfHeader, records_ok: int) -> tuple[int, str, str] | None:
    expected = _FIXED_COLUMNS + (1 + len(header.samples) if header.samples else 0)
    try:
        with open(header.path, "rb") as handle:
            magic = handle.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(header.path, "rt", encoding="utf-8", errors="replace") as handle:
            seen = 0
            for line_no, line in enumerate(handle, start=1):
                if line.startswith("#"):
                    continue
                seen += 1
                if seen <= records_ok:
                    continue
                problem = _line_problem(line.rstrip("\n"), expected)
                if problem:
                    return line_no, *problem
    except (OSError, EOFError, UnicodeDecodeError):
        return None
    return None


def _line_problem(line: str, expected: int) -> tuple[str, str] | None:
    columns = line.split("\t")
    if len(columns) != expected and not (len(columns) == _FIXED_COLUMNS and expected == _FIXED_COLUMNS + 1):
        return (f"wrong column count: {len(columns)} tab-separated columns, expected {expected}",
                "every record needs CHROM..INFO, FORMAT and one column per sample, separated by tabs")
    if len(columns) > 1 and not columns[1].isdigit():
        return (f"non-numeric POS {columns[1]!r}", "POS must be a positive integer (1-based position)")
    return None
