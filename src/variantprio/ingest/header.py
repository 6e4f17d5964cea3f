"""Cheap header-only facts about a VCF/BCF: samples, contigs, genome build, annotation formats.

Also the up-front file checks that htslib would only report vaguely (truncated bgzip, missing
#CHROM line), so that a broken file is rejected before any variant is read.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..core.genome import (
    BUILDS,
    CONTIG_LENGTHS,
    canonical_chrom,
    guess_build,
    normalise_build,
)
from ..errors import InputError
from .htslog import htslib_messages

# The last 28 bytes of every complete BGZF file (an empty block); htslib only warns when missing.
_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_CONTIG = re.compile(r"^##contig=<(.*)>\s*$")
_BUILD_WORDS = re.compile(r"(GRCh3[78]|hg19|hg38|b37|hs37d5|b38)", re.IGNORECASE)
# Annotation INFO fields whose Description carries the '|'-separated sub-field layout.
ANNOTATION_FIELDS = ("CSQ", "ANN", "BCSQ")


@dataclass(frozen=True)
class VcfHeader:
    """What ingestion and `validate` need from a header."""

    path: str
    samples: list[str]
    contig_lengths: dict[str, int]
    reference_text: str  # ##reference / ##assembly lines and contig assembly= attributes
    info_ids: frozenset[str]
    format_types: dict[str, str]  # FORMAT ID -> Type (Integer, Float, String)
    info_formats: dict[str, str] = field(default_factory=dict)
    header_lines: int = 0
    contigs: tuple[str, ...] = ()  # every ##contig ID, with or without a length


def check_file(path: str | Path) -> None:
    """Reject missing files and truncated bgzip/BCF before htslib sees them."""
    p = Path(path)
    if not p.is_file():
        raise InputError("VCF file not found", path=str(p), hint="check the path")
    with open(p, "rb") as handle:
        head = handle.read(18)
        is_bgzf = len(head) >= 16 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"
        if not is_bgzf:
            return
        size = p.stat().st_size
        handle.seek(max(0, size - 28))
        if handle.read(28) != _BGZF_EOF:
            raise InputError("truncated bgzip file (the BGZF end-of-file block is missing)", path=str(p),
                             hint="the file was cut short while copying or writing: regenerate or re-copy it")


def _text_header_lines(path: str) -> list[str] | None:
    """Header lines of a plain or gzipped text VCF (None for BCF); stops at the first data line."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    opener = gzip.open if magic[:2] == b"\x1f\x8b" else open
    lines: list[str] = []
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            first = handle.read(3)
            if first == "BCF":
                return None
            handle.seek(0)
            for line in handle:
                if not line.startswith("#"):
                    break
                lines.append(line.rstrip("\n"))
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"truncated or corrupt compressed file (cannot decompress the header: {err})",
                         path=path, hint="the file is corrupt or truncated: regenerate or re-copy it") from None
    return lines


def first_record_formats(path: str, records: int = 1000) -> list[str]:
    """Distinct FORMAT columns of the first `records` data lines of a text VCF, in order of first
    appearance; [] for BCF, records without FORMAT, or a body that does not decompress."""
    with open(path, "rb") as handle:
        magic = handle.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    found: dict[str, None] = {}
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            if handle.read(3) == "BCF":
                return []
            handle.seek(0)
            seen = 0
            for line in handle:
                if line.startswith("#"):
                    continue
                columns = line.rstrip("\r\n").split("\t", 9)
                if len(columns) > 8:
                    found.setdefault(columns[8])
                seen += 1
                if seen >= records:
                    break
    except (OSError, EOFError, zlib.error):  # a damaged body is diagnosed by the reader
        pass
    return list(found)


def _check_unique_samples(path: str, lines: list[str]) -> None:
    """htslib only says 'cannot parse VCF header' for a repeated sample name: name the repeats."""
    columns = lines[-1].rstrip("\r").split("\t")[9:]
    repeated = [name for name, n in Counter(columns).items() if n > 1]
    if repeated:
        raise InputError(f"duplicate sample name{'s' if len(repeated) > 1 else ''} in the #CHROM line: "
                         + ", ".join(repeated), path=path, where=f"header line {len(lines)}",
                         hint="give every sample column a distinct name, e.g. `bcftools reheader -s "
                              "new_names.txt`")


# Headers already parsed by this process, by file identity: validation, build planning and ingest
# of a one-process run (or a batch's checks of many VCFs) read each header once.
_PARSED: dict[tuple[str, int, int], VcfHeader] = {}


def read_header(path: str | Path) -> VcfHeader:
    """Parse the header with htslib (cyvcf2) after the file checks; InputError when unusable.
    Parsed once per process while the file's size and modification time stay the same."""
    try:
        stat = os.stat(path)
    except OSError:
        return _parse_header(str(path))  # check_file explains what is wrong with the path
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = _parse_header(str(path))
    return _PARSED[key]


def _parse_header(path: str) -> VcfHeader:
    from cyvcf2 import VCF

    check_file(path)
    text_lines = _text_header_lines(path)
    if text_lines is not None and not (text_lines and text_lines[-1].startswith("#CHROM")):
        raise InputError("missing the #CHROM header line", path=path,
                         where=f"line {len(text_lines) + 1}",
                         hint="the header must end with '#CHROM POS ID REF ALT QUAL FILTER INFO "
                              "[FORMAT sample...]' (tab-separated)")
    if text_lines is not None:
        _check_unique_samples(path, text_lines)
    with htslib_messages() as messages:
        try:
            vcf = VCF(path, lazy=True)
        except Exception as err:  # cyvcf2 raises bare Exception/OSError for unreadable headers
            detail = messages.last_error() or str(err)
            if _gzip_is_truncated(path):
                raise InputError("truncated or corrupt compressed file (the gzip stream ends early)",
                                 path=path, hint="the file was cut short or damaged: regenerate or re-copy it"
                                 ) from None
            raise InputError(f"not a readable VCF/BCF header ({detail})", path=path,
                             hint="check that the file is VCF 4.x or BCF, bgzipped or plain") from None
    try:
        raw = vcf.raw_header
        samples = list(vcf.samples)
    finally:
        vcf.close()
    return _parse_header_text(path, raw, samples)


def _gzip_is_truncated(path: str) -> bool:
    """Whether a gzip file fails to decompress to its end (error path only: reads the whole file)."""
    with open(path, "rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            return False
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass
    except (EOFError, OSError, zlib.error):
        return True
    return False


def _parse_header_text(path: str, raw: str, samples: list[str]) -> VcfHeader:
    lengths: dict[str, int] = {}
    reference: list[str] = []
    info_ids: set[str] = set()
    format_types: dict[str, str] = {}
    info_formats: dict[str, str] = {}
    contigs: list[str] = []
    lines = raw.splitlines()
    for line in lines:
        if line.startswith("##contig="):
            attrs = _attributes(line[len("##contig=<"):-1] if line.endswith(">") else line[10:])
            if "ID" in attrs:
                contigs.append(attrs["ID"])
            if "ID" in attrs and attrs.get("length", "").isdigit():
                lengths[attrs["ID"]] = int(attrs["length"])
            if "assembly" in attrs:
                reference.append(attrs["assembly"])
        elif line.startswith(("##reference=", "##assembly=")):
            reference.append(line.split("=", 1)[1])
        elif line.startswith("##INFO=<"):
            attrs = _attributes(line[len("##INFO=<"):-1])
            info_ids.add(attrs.get("ID", ""))
            if attrs.get("ID") in ANNOTATION_FIELDS:
                layout = annotation_layout(attrs.get("Description", ""))
                if layout:
                    info_formats[attrs["ID"]] = layout
        elif line.startswith("##FORMAT=<"):
            attrs = _attributes(line[len("##FORMAT=<"):-1])
            format_types[attrs.get("ID", "")] = attrs.get("Type", "String")
    return VcfHeader(path=path, samples=samples, contig_lengths=lengths, reference_text=" | ".join(reference),
                     info_ids=frozenset(info_ids), format_types=format_types, info_formats=info_formats,
                     header_lines=len(lines), contigs=tuple(contigs))


def _attributes(body: str) -> dict[str, str]:
    """key=value pairs of a structured header line; quoted values may hold commas."""
    out: dict[str, str] = {}
    for match in re.finditer(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^,]*)', body):
        value = match.group(2)
        out.setdefault(match.group(1), value[1:-1] if value.startswith('"') else value)
    return out


def annotation_layout(description: str) -> str:
    """'Allele|Consequence|...' from a CSQ/ANN/BCSQ description (VEP 'Format: ', SnpEff quoted)."""
    for marker in ("Format:", "Functional annotations:"):
        if marker in description:
            text = description.split(marker, 1)[1].strip().strip("'\"").strip()
            return "|".join(part.strip() for part in text.split("|"))
    return ""


def build_from_text(text: str) -> str | None:
    """GRCh37/GRCh38 when the ##reference/##assembly lines name one build unambiguously; each
    line counts by its first build word ('GRCh38 (lifted from GRCh37)' is GRCh38)."""
    found = set()
    for item in text.split(" | "):
        words = _BUILD_WORDS.findall(item)
        if words:
            found.add(normalise_build(words[0] if words[0].lower() != "hs37d5" else "b37"))
    return found.pop() if len(found) == 1 else None


def vcf_sample_names(path: str | Path) -> list[str]:
    """Sample IDs in header order (header-only read)."""
    return read_header(path).samples


def vcf_build(path: str | Path) -> str | None:
    """Genome build told by contig lengths, else by ##reference text; None when unknown."""
    return header_build(read_header(path))


def header_build(header: VcfHeader) -> str | None:
    return guess_build(header.contig_lengths) or build_from_text(header.reference_text)


def resolve_build(header: VcfHeader, requested: str | None) -> tuple[str, str]:
    """(build, how it was decided); InputError when the header contradicts `requested`."""
    if requested is not None:
        build = normalise_build(requested)
        wrong = _length_mismatches(header.contig_lengths, build)
        if wrong:
            name, length, expected = wrong[0]
            other = [b for b in BUILDS if b != build][0]
            told = guess_build(header.contig_lengths)
            raise InputError(
                f"genome build mismatch: {name} has length {length} in the header but {expected} in "
                f"{build}" + (f" (the contigs match {told})" if told else ""),
                path=header.path, hint=f"pass --build {told or other} or lift the VCF over to {build}")
        if not _main_lengths_known(header.contig_lengths):
            from_text = build_from_text(header.reference_text)
            if from_text and from_text != build:
                raise InputError(f"genome build mismatch: the header names {from_text} "
                                 f"({header.reference_text[:80]}) but {build} was requested",
                                 path=header.path, hint=f"pass --build {from_text} or lift the VCF over")
        return build, "requested"
    guessed = guess_build(header.contig_lengths)
    if guessed:
        return guessed, "contig lengths"
    from_text = build_from_text(header.reference_text)
    if from_text:
        return from_text, "##reference"
    return "GRCh38", "default"


def _main_lengths_known(lengths: dict[str, int]) -> bool:
    main = set(CONTIG_LENGTHS["GRCh38"]) - {"chrM"}
    return any(canonical_chrom(n) in main for n in lengths)


def _length_mismatches(lengths: dict[str, int], build: str) -> list[tuple[str, int, int]]:
    """Main chromosomes whose header length differs from `build` (chrM is equal in both builds)."""
    expected = CONTIG_LENGTHS[build]
    out = []
    for name, length in lengths.items():
        chrom = canonical_chrom(name)
        if chrom != "chrM" and chrom in expected and expected[chrom] != length:
            out.append((name, length, expected[chrom]))
    return out
