"""Liftover of a normalised variant table onto another build with a UCSC chain file (pyliftover).

A variant is kept only when its REF span (for an indel, one base past it too) lifts base by base
onto one place of the same chromosome without a chain gap inside. Kept on the minus strand (the
region is inverted between the builds), a substitution gets reverse-complemented alleles; an indel
or structural variant there is left out (its anchor base and left-alignment would be wrong).
Every record left out is counted and listed in a side table with its reason, never dropped
silently. With a FASTA of the target build, REF is checked after lifting: where the reference base
changed between the builds the call's meaning changed too, so the record is left out and listed.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.genome import CONTIG_LENGTHS, LIFTOVER_REASONS as REASONS, canonical_chrom, guess_build
from ..errors import InputError
from ..schemas import LIFTED_FROM
from ..tables import Provenance, atomic_path, read_table, write_table
from .reference import Reference

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["chrom", "pos", "ref", "alt", "reason", "lifted_to", "explanation"]
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def default_rejects_path(out_path: str | Path) -> Path:
    """variants.parquet -> variants.liftover-rejected.tsv beside it."""
    out_path = Path(out_path)
    stem = out_path.name[:-len(".parquet")] if out_path.name.endswith(".parquet") else out_path.name
    return out_path.with_name(stem + ".liftover-rejected.tsv")


def _open_chain(path: str):
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def chain_builds(path: str | Path) -> tuple[str | None, str | None]:
    """(from, to) builds of a chain file, told by the chromosome sizes in its `chain` header lines
    (the alignment blocks are left to pyliftover); InputError when it holds no chain line."""
    source: dict[str, int] = {}
    target: dict[str, int] = {}
    try:
        with _open_chain(str(path)) as handle:
            for raw in handle:
                if raw.startswith(b"chain"):
                    fields = raw.split()
                    if len(fields) >= 12 and fields[3].isdigit() and fields[8].isdigit():
                        source.setdefault(fields[2].decode(), int(fields[3]))
                        target.setdefault(fields[7].decode(), int(fields[8]))
    except (OSError, EOFError) as err:
        raise InputError(f"not a readable chain file ({err})", path=str(path),
                         hint="give a UCSC chain file such as hg19ToHg38.over.chain.gz") from None
    if not source:
        raise InputError("no `chain` line: not a UCSC chain file", path=str(path),
                         hint="give a UCSC chain file such as hg19ToHg38.over.chain.gz")
    return guess_build(source), guess_build(target)


class Lifter:
    """One chain file loaded with pyliftover; contig names are matched whatever their style."""

    def __init__(self, chain: str | Path) -> None:
        from pyliftover import LiftOver

        self.path = str(chain)
        if not Path(self.path).is_file():
            raise InputError("chain file not found", path=self.path, hint="check --chain / liftover.chain")
        self.source_build, self.target_build = chain_builds(self.path)
        try:
            with _open_chain(self.path) as handle:
                self.liftover = LiftOver(handle)
        except Exception as err:  # pyliftover raises bare Exception for malformed chains
            raise InputError(f"malformed chain file ({err})", path=self.path,
                             hint="re-download the chain file; it must be UCSC chain format") from None
        self._names = {canonical_chrom(name): name for name in self.liftover.chain_file.chain_index}

    def lift(self, chrom: str, pos0: int) -> list[tuple[str, int, str]] | None:
        """Target (canonical chrom, 0-based pos, strand) places of one base; None: contig unknown."""
        name = self._names.get(chrom)
        if name is None:
            return None
        hits = self.liftover.convert_coordinate(name, int(pos0))
        return [(canonical_chrom(c), p, s) for c, p, s, _ in hits or []]


@dataclass
class _Lifted:
    """Per-row outcome arrays of one table."""

    keep: np.ndarray
    chrom: np.ndarray
    pos: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    sv_end: np.ndarray
    reason: np.ndarray
    lifted_to: np.ndarray
    flipped: np.ndarray


def _revcomp(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def _single(hits) -> tuple[str, tuple | None]:
    if hits is None:
        return "contig_not_in_chain", None
    if not hits:
        return "unmapped", None
    if len(hits) > 1:
        return "ambiguous", hits[0]
    return "", hits[0]


class _Places:
    """Lifted places of single bases, each distinct base lifted once."""

    def __init__(self, lifter: Lifter) -> None:
        self.lifter = lifter
        self.cache: dict[tuple[str, int], list | None] = {}

    def __call__(self, chrom: str, pos0: int) -> tuple[str, tuple | None]:
        key = (chrom, pos0)
        if key not in self.cache:
            self.cache[key] = self.lifter.lift(chrom, pos0)
        return _single(self.cache[key])


def lift_rows(table: pa.Table, lifter: Lifter) -> _Lifted:
    """Lift every row (one ALT each); a per-row loop because pyliftover answers one base at a time."""
    n = table.num_rows
    chrom = table.column("chrom").to_numpy(zero_copy_only=False).astype(object)
    pos = table.column("pos").to_numpy()
    ref = table.column("ref").to_numpy(zero_copy_only=False).astype(object)
    alt = table.column("alt").to_numpy(zero_copy_only=False).astype(object)
    is_sv = table.column("is_sv").to_numpy(zero_copy_only=False)
    sv_end = table.column("sv_end").to_pandas().to_numpy(dtype=float, na_value=np.nan)
    out = _Lifted(np.zeros(n, bool), chrom.copy(), pos.copy(), ref.copy(), alt.copy(), sv_end.copy(),
                  np.full(n, "", dtype=object), np.full(n, "", dtype=object), np.zeros(n, bool))
    place = _Places(lifter)
    for i in range(n):
        c, p, r, a = chrom[i], int(pos[i]), ref[i], alt[i]
        indel = bool(is_sv[i]) or len(r) != len(a)
        reason, first = place(c, p - 1)
        if first is not None:
            out.lifted_to[i] = f"{first[0]}:{first[1] + 1}:{first[2]}"
        if not reason and first[0] != c:
            reason = "contig_changed"
        if not reason and first[2] == "-" and indel:
            reason = "strand_flipped_indel"
        if not reason and is_sv[i]:
            reason, out.sv_end[i] = _lift_sv_end(place, c, sv_end[i], first)
            new_pos = first[1] + 1
        elif not reason:
            # An indel's span includes the base after REF, so an insertion point inside a gap is caught.
            reason, low = _lift_span(place, c, p - 1, len(r) - 1 + (1 if indel else 0), first)
            new_pos = low + 1
            if not reason and first[2] == "-":
                out.ref[i], out.alt[i] = _revcomp(r), _revcomp(a)
                out.flipped[i] = True
        if reason:
            out.reason[i] = reason
            continue
        out.keep[i] = True
        out.chrom[i], out.pos[i] = first[0], new_pos
    return out


def lift_alleles(chrom, pos, ref, alt, lifter: Lifter) -> _Lifted:
    """`lift_rows` for plain allele arrays (UCSC-style names, VCF positions, no SVs)."""
    n = len(pos)
    table = pa.table({"chrom": pa.array(list(chrom), pa.string()), "pos": pa.array(np.asarray(pos, np.int64)),
                      "ref": pa.array(list(ref), pa.string()), "alt": pa.array(list(alt), pa.string()),
                      "is_sv": pa.array(np.zeros(n, bool)), "sv_end": pa.nulls(n, pa.int64())})
    return lift_rows(table, lifter)


def _lift_span(place: _Places, chrom: str, start0: int, span: int, first) -> tuple[str, int]:
    """Lift the last base of a span: it must land `span` bases from the first, same contig and
    strand (no chain gap inside). Returns (reason, lowest target 0-based position)."""
    if span == 0:
        return "", first[1]
    reason, last = place(chrom, start0 + span)
    if reason:
        return ("span_changed" if reason in ("unmapped", "ambiguous") else reason), 0
    if last[0] != first[0] or last[2] != first[2] or abs(last[1] - first[1]) != span:
        return "span_changed", 0
    # Every base between must map too: a chain gap can hide between two mapped ends of equal distance.
    for k in range(1, span):
        reason, mid = place(chrom, start0 + k)
        if reason or mid[0] != first[0] or abs(mid[1] - first[1]) != k:
            return "span_changed", 0
    return "", min(first[1], last[1])


def _lift_sv_end(place: _Places, chrom: str, end: float, first) -> tuple[str, float]:
    if np.isnan(end):
        return "", end
    reason, last = place(chrom, int(end) - 1)
    if reason:
        return ("span_changed" if reason in ("unmapped", "ambiguous") else reason), end
    if last[0] != first[0] or last[2] != first[2]:
        return "contig_changed" if last[0] != first[0] else "span_changed", end
    return "", float(last[1] + 1)


def check_lifted_ref(lifted: _Lifted, is_sv: np.ndarray, fasta: Reference) -> None:
    """Mark kept rows whose REF differs from the target FASTA (N matches anything)."""
    for i in np.flatnonzero(lifted.keep & ~is_sv):
        ref = lifted.ref[i]
        expected = fasta.fetch(lifted.chrom[i], int(lifted.pos[i]) - 1, int(lifted.pos[i]) - 1 + len(ref))
        if fasta.contig(lifted.chrom[i]) is None or len(expected) != len(ref) or any(
                e != o and e != "N" and o != "N" for e, o in zip(expected, ref.upper())):
            lifted.keep[i] = False
            lifted.reason[i] = "ref_mismatch"


def _contig_rank(chrom: np.ndarray) -> np.ndarray:
    order = {name: i for i, name in enumerate(CONTIG_LENGTHS["GRCh38"])}
    others = {name: len(order) + i for i, name in enumerate(sorted(set(chrom) - set(order)))}
    return np.array([order.get(c, others.get(c, 0)) for c in chrom], dtype=np.int64)


@dataclass
class LiftSummary:
    counts: dict[str, int]
    rejects_path: Path


def liftover_table(unlifted: str | Path, out_path: str | Path, lifter: Lifter, to_build: str,
                   fasta: str | None = None, rejects_path: str | Path | None = None) -> LiftSummary:
    """Lift a VARIANTS Parquet onto `to_build`: kept rows re-sorted and renumbered, with their
    original coordinates in `lifted_from`; rows left out go to the side table. Both written
    atomically; the provenance records the chain, the builds and the counts."""
    table, prov = read_table(unlifted, "variants")
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(out_path)
    from_build = prov.genome_build
    lifted = lift_rows(table, lifter)
    is_sv = table.column("is_sv").to_numpy(zero_copy_only=False)
    if fasta:
        check_lifted_ref(lifted, is_sv, Reference(fasta))
    original = pc.binary_join_element_wise(
        table.column("chrom"), pc.cast(table.column("pos"), pa.string()),
        pc.binary_join_element_wise(table.column("ref"), table.column("alt"), ">"), ":")
    kept = np.flatnonzero(lifted.keep)
    order = kept[np.lexsort((lifted.pos[kept], _contig_rank(lifted.chrom[kept])))]
    key = pd.DataFrame({"chrom": lifted.chrom[order], "pos": lifted.pos[order], "ref": lifted.ref[order],
                        "alt": lifted.alt[order]})
    duplicate = key.duplicated().to_numpy()
    lifted.keep[order[duplicate]] = False
    lifted.reason[order[duplicate]] = "duplicate_after_lift"
    order = order[~duplicate]
    out = table.take(pa.array(order))
    out = out.set_column(out.schema.get_field_index("variant_idx"), "variant_idx",
                         pa.array(np.arange(len(order), dtype=np.int64)))
    for name, values, type_ in (("chrom", lifted.chrom, pa.string()), ("pos", lifted.pos, pa.int64()),
                                ("ref", lifted.ref, pa.string()), ("alt", lifted.alt, pa.string())):
        out = out.set_column(out.schema.get_field_index(name), name, pa.array(values[order], type_))
    sv_end = lifted.sv_end[order]
    out = out.set_column(out.schema.get_field_index("sv_end"), "sv_end",
                         pa.array(np.nan_to_num(sv_end, nan=0).astype(np.int64), pa.int64(), mask=np.isnan(sv_end)))
    out = out.append_column(LIFTED_FROM, original.take(pa.array(order)))
    counts = {"rows_in": table.num_rows, "lifted": len(order), "strand_flipped_kept": int(lifted.flipped[order].sum())}
    for reason in REASONS:
        counts[reason] = int((lifted.reason == reason).sum())
    extra = dict(prov.extra)
    extra["liftover"] = {"from": from_build, "to": to_build, "chain": str(Path(lifter.path).resolve()),
                         "chain_file": Path(lifter.path).name, "fasta": fasta, "counts": counts,
                         "rejected_table": str(rejects_path)}
    extra["build_from"] = f"lifted from {from_build}"
    write_table(out, out_path, "variants", Provenance(to_build, dict(prov.sources), list(prov.samples), extra))
    try:
        _write_rejects(table, lifted, rejects_path)
    except BaseException:
        Path(out_path).unlink(missing_ok=True)  # a lifted table without its list of left-out records: none
        raise
    return LiftSummary(counts, rejects_path)


def _write_rejects(table: pa.Table, lifted: _Lifted, path: Path) -> None:
    rows = np.flatnonzero(~lifted.keep)
    frame = pd.DataFrame({
        "chrom": table.column("chrom").take(pa.array(rows)).to_pylist(),
        "pos": table.column("pos").take(pa.array(rows)).to_pylist(),
        "ref": table.column("ref").take(pa.array(rows)).to_pylist(),
        "alt": table.column("alt").take(pa.array(rows)).to_pylist(),
        "reason": lifted.reason[rows], "lifted_to": lifted.lifted_to[rows],
        "explanation": [REASONS[r] for r in lifted.reason[rows]]}, columns=REJECT_COLUMNS)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False)
