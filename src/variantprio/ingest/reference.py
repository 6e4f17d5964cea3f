"""Reference FASTA access (pysam.FastaFile): REF checks and bases for left-alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.genome import canonical_chrom
from ..errors import InputError

_CLUSTER_GAP = 100_000  # fetch one stretch per group of variants closer than this


class Reference:
    """An indexed FASTA whose contigs may be named "chr1" or "1" independently of the VCF."""

    def __init__(self, path: str | Path) -> None:
        import pysam

        self.path = str(path)
        if not Path(self.path).is_file():
            raise InputError("FASTA file not found", path=self.path, hint="check --fasta")
        try:
            self.fasta = pysam.FastaFile(self.path)
        except (OSError, ValueError) as err:
            raise InputError(f"cannot open the FASTA ({err})", path=self.path,
                             hint="index it with `samtools faidx` (bgzip-compressed FASTA needs .gzi too)"
                             ) from None
        self._by_canonical = {canonical_chrom(name): name for name in self.fasta.references}
        self._names: dict[str, str | None] = {}

    def contig(self, chrom: str) -> str | None:
        """The FASTA's name for a VCF contig, or None when the FASTA lacks it."""
        if chrom not in self._names:
            if chrom in self.fasta.references:
                self._names[chrom] = chrom
            else:
                self._names[chrom] = self._by_canonical.get(canonical_chrom(chrom))
        return self._names[chrom]

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Upper-case bases [start, end) (0-based); '' for unknown contigs."""
        name = self.contig(chrom)
        if name is None or end <= start:
            return ""
        return self.fasta.fetch(name, max(0, start), end).upper()

    def check_ref(self, chrom: np.ndarray, pos: np.ndarray, ref: np.ndarray, record_no: np.ndarray,
                  vcf_path: str) -> None:
        """InputError at the first record whose REF differs from the FASTA (N matches anything)."""
        for name in np.unique(chrom):
            rows = np.flatnonzero(chrom == name)
            if self.contig(name) is None:
                raise InputError(f"contig {name} is not in the FASTA", path=vcf_path,
                                 where=f"record {record_no[rows[0]]}",
                                 hint=f"use the FASTA the VCF was called against (not {self.path})")
            for cluster in _clusters(pos[rows]):
                self._check_cluster(name, pos[rows][cluster], ref[rows][cluster],
                                    record_no[rows][cluster], vcf_path)

    def _check_cluster(self, chrom: str, pos: np.ndarray, ref: np.ndarray, record_no: np.ndarray,
                       vcf_path: str) -> None:
        start = int(pos.min()) - 1
        lens = np.fromiter((len(r) for r in ref), dtype=np.int64, count=len(ref))
        seq = self.fetch(chrom, start, int((pos - 1 + lens).max()))
        offsets = pos - 1 - start
        # Single-base REFs (most records) are compared as bytes; longer ones one by one.
        suspects = np.flatnonzero(lens != 1)
        single = np.flatnonzero((lens == 1) & (offsets < len(seq)))
        if len(single):
            bases = np.frombuffer(seq.encode(), dtype=np.uint8)[offsets[single]]
            observed = np.frombuffer("".join(ref[single]).upper().encode(), dtype=np.uint8)
            n = ord("N")
            suspects = np.concatenate([suspects, single[(bases != observed) & (bases != n) & (observed != n)]])
        suspects = np.concatenate([suspects, np.flatnonzero((lens == 1) & (offsets >= len(seq)))])
        for i in np.sort(suspects):
            expected = seq[offsets[i]: offsets[i] + lens[i]]
            observed_ref = ref[i].upper()
            if expected != observed_ref and not _matches_with_n(expected, observed_ref):
                raise InputError(
                    f"REF {ref[i]} at {chrom}:{pos[i]} does not match the FASTA ({expected or 'beyond its end'})",
                    path=vcf_path, where=f"record {record_no[i]}",
                    hint=f"use the reference the VCF was called against (FASTA: {self.path}) or the right --build")


def _matches_with_n(expected: str, observed: str) -> bool:
    return len(expected) == len(observed) and all(
        e == o or e == "N" or o == "N" for e, o in zip(expected, observed))


def _clusters(pos: np.ndarray) -> list[np.ndarray]:
    """Index groups of positions with gaps below _CLUSTER_GAP (pos need not be sorted)."""
    order = np.argsort(pos, kind="stable")
    breaks = np.flatnonzero(np.diff(pos[order]) > _CLUSTER_GAP) + 1
    return np.split(order, breaks)
