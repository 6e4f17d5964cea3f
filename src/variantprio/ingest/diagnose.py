"""Turn an htslib/Arrow parse failure into an InputError naming the line and what is wrong with it.

Only runs on the error path, so it may re-read the file line by line. It must never raise itself:
a damaged gzip stream is reported as such (one line), never as a traceback from here, and garbage
decompressed from a damaged block is not blamed on a "bad line".
"""

from __future__ import annotations

import gzip
import zlib

from ..errors import InputError
from .header import VcfHeader

_FIXED_COLUMNS = 8  # CHROM POS ID REF ALT QUAL FILTER INFO
_COMPRESSION_WORDS = ("bgzf", "inflate", "truncated", "compressed", "zlib", "gzip", "data check")
# A BGZF block holds at most 64 KiB of text and ends with its CRC: reading this far past a bad
# line reaches the check of the block it came from.
_BGZF_READ_ON = 1 << 17
# Errors decompressing or decoding a damaged file (zlib.error is not an OSError).
DECODE_ERRORS = (OSError, EOFError, zlib.error, ValueError)


def diagnose_parse_error(header: VcfHeader, detail: str, records_ok: int) -> InputError:
    """The first malformed data line after `records_ok` good records, a damaged compressed stream,
    or the reader's own message."""
    damage = detail if _mentions_compression(detail) else None
    found = None
    if damage is None:
        found, damage = _first_bad_line(header, records_ok)
    if damage is not None:
        return InputError(f"truncated or corrupt compressed file ({damage})", path=header.path,
                          where=f"after record {records_ok}" if records_ok else None,
                          hint="the file was cut short or damaged: regenerate or re-copy it")
    if found is not None:
        line_no, problem, hint = found
        return InputError(problem, path=header.path, where=f"line {line_no}", hint=hint)
    return InputError(f"cannot parse record {records_ok + 1} ({detail})", path=header.path,
                      where=f"record {records_ok + 1}", hint="check the record against the VCF 4.x spec")


def _mentions_compression(detail: str) -> bool:
    return any(word in detail.lower() for word in _COMPRESSION_WORDS)


def damaged_instead(header: VcfHeader, err: InputError, records: int) -> InputError:
    """`err`, or a corrupt-file error when the gzip data through record `records` is damaged: text
    inflated from a damaged block can look unsorted or hold bad bases before its CRC is read."""
    try:
        with open(header.path, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return err
    except OSError:
        return err
    _, damage = _read_lines(header.path, _nth_record(records))
    if damage is None:
        return err
    return InputError(f"truncated or corrupt compressed file ({damage})", path=header.path,
                      hint="the file was cut short or damaged: regenerate or re-copy it")


def _first_bad_line(header: VcfHeader, records_ok: int) -> tuple[tuple[int, str, str] | None, str | None]:
    """(line number, problem, hint) of the first bad data line after `records_ok`, and what went
    wrong decompressing the file up to it, if anything."""
    expected = _FIXED_COLUMNS + (1 + len(header.samples) if header.samples else 0)
    seen = [0]

    def bad_line(line_no: int, line: str):
        if line.startswith("#"):
            return None
        seen[0] += 1
        if seen[0] <= records_ok:
            return None
        problem = _line_problem(line.rstrip("\n"), expected)
        return (line_no, *problem) if problem else None

    return _read_lines(header.path, bad_line)


def _nth_record(records: int):
    seen = [0]

    def reached(line_no: int, line: str):
        if not line.startswith("#"):
            seen[0] += 1
        return line_no if seen[0] >= records else None

    return reached


def _read_lines(path: str, stop):
    """(first non-None `stop(line_no, line)`, what failed decompressing). For gzip, reading goes on
    to the end of the stopping line's BGZF block (of the whole file for plain gzip): the damage
    that produced a garbage line is only seen at its block's CRC. Never raises."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
        if head[:2] != b"\x1f\x8b":
            with open(path, "rt", encoding="utf-8", errors="replace") as handle:
                return _first(handle, stop), None
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            found = _first(handle, stop)
            if found is not None:
                if head[12:14] == b"BC":
                    handle.read(_BGZF_READ_ON)
                else:
                    while handle.read(1 << 20):
                        pass
            return found, None
    except DECODE_ERRORS as err:
        return None, f"{type(err).__name__}: {err}"


def _first(handle, stop):
    for line_no, line in enumerate(handle, start=1):
        found = stop(line_no, line)
        if found is not None:
            return found
    return None


def _line_problem(line: str, expected: int) -> tuple[str, str] | None:
    columns = line.split("\t")
    if len(columns) != expected and not (len(columns) == _FIXED_COLUMNS and expected == _FIXED_COLUMNS + 1):
        return (f"wrong column count: {len(columns)} tab-separated columns, expected {expected}",
                "every record needs CHROM..INFO, FORMAT and one column per sample, separated by tabs")
    if len(columns) > 1 and not columns[1].isdigit():
        return (f"non-numeric POS {columns[1]!r}", "POS must be a positive integer (1-based position)")
    return None
