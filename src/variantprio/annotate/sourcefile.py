"""What a positional source file looks like: its '#' header, the names of its columns, which
column holds the position and REF, and the genome build its header states.

Shared by the tabix reader (records near the variants) and the streaming reader (the whole file,
in order), so both read the same columns of the same records.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.genome import guess_build, normalise_build
from ..core.sourcekinds import VCF_KINDS
from ..errors import InputError
from .sourceconfig import SourceSpec

VCF_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
TSV_DEFAULT_COLUMNS = ["chrom", "pos", "ref", "alt", "score"]
POS_BY_BUILD = {"GRCh38": ["grch38_pos", "hg38_pos", "pos", "position", "start"],
                "GRCh37": ["hg19_pos", "grch37_pos", "pos", "position", "start"]}


@dataclass(frozen=True)
class SourceLayout:
    """Column names of a source's records, its position and REF columns, the build its header states."""

    names: list[str]
    pos_col: str
    ref_col: str | None
    build: str | None


def column_named(names: list[str], candidates: list[str]) -> str | None:
    """The first of `candidates` among `names` (case-insensitive, a leading '#' ignored)."""
    lower = {n.lower().lstrip("#"): n for n in names}
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    return None


def contig_lengths(header: list[str]) -> dict[str, int]:
    """Contig lengths stated by '##contig=<ID=...,length=...>' header lines."""
    lengths = {}
    for line in header:
        m = re.match(r"##contig=<ID=([^,>]+),.*length=(\d+)", line)
        if m:
            lengths[m.group(1)] = int(m.group(2))
    return lengths


def vcf_build(header: list[str]) -> str | None:
    return guess_build(contig_lengths(header))


def text_build(header: list[str]) -> str | None:
    comments = [line for line in header[:50] if line.startswith("##")]  # not the column-name line
    m = re.search(r"(GRCh3[78]|hg19|hg38)", "\n".join(comments), re.I)
    return normalise_build(m.group(1)) if m else None


def tsv_names(header: list[str]) -> list[str] | None:
    """Column names from the last '#' header line (AlphaMissense has copyright lines before it)."""
    for line in reversed(header):
        text = line.lstrip("#").strip()
        if "\t" in text:
            return [c.strip() for c in text.split("\t")]
    return None


def source_layout(spec: SourceSpec, header: list[str]) -> SourceLayout:
    """The layout of a positional source from its header lines."""
    if spec.kind in VCF_KINDS:
        return SourceLayout(list(VCF_COLUMNS), "POS", "REF", vcf_build(header))
    names = tsv_names(header) or list(TSV_DEFAULT_COLUMNS)
    pos_col = column_named(names, POS_BY_BUILD[spec.build]) or names[1]
    return SourceLayout(names, pos_col, column_named(names, ["ref"]), text_build(header))


@dataclass(frozen=True)
class SourceHeader:
    """A text source's leading '#' lines, its first record (None when it has none) and the byte
    offset of that record in the decompressed text."""

    lines: list[str]
    first_record: str | None
    offset: int


def read_header(path: str | Path) -> SourceHeader:
    """The header of a (b)gzipped or plain text source, read without an index."""
    opener = gzip.open if is_gzip(path) else open
    lines: list[str] = []
    offset = 0
    try:
        with opener(path, "rb") as handle:
            for raw in handle:
                text = raw.decode("utf-8").rstrip("\r\n")
                if not text.startswith("#"):
                    return SourceHeader(lines, text, offset)
                lines.append(text)
                offset += len(raw)
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise InputError(f"unreadable source ({err})", path=str(path),
                         hint="a bgzipped VCF or tab-separated table") from None
    return SourceHeader(lines, None, offset)


def is_gzip(path: str | Path) -> bool:
    """gzip or bgzip (by the magic bytes, whatever the file is called)."""
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def check_source_build(spec: SourceSpec, found: str | None, variants_build: str | None) -> None:
    """Declared, file and variant builds must agree."""
    if variants_build and spec.build != variants_build:
        raise InputError(f"source {spec.name!r} is declared {spec.build} but the variants are {variants_build}",
                         path=str(spec.path), hint="use the source release of the VCF's genome build")
    if found and found != spec.build:
        raise InputError(f"source {spec.name!r} is declared {spec.build} but its header says {found}",
                         path=str(spec.path), hint="fix `build:` in the config or use the matching file")
