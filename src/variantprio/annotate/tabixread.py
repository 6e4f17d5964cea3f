"""Reading the records of a tabix-indexed source near the variants, as an Arrow table of strings.

Variants are merged into regions (gaps up to `gap` bases), each region is one pysam fetch, and the
fetched lines are parsed at once by Arrow's CSV reader. Contig names of the source ("1", "chr1",
"MT") are matched to the variants' UCSC-style names.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError
from ..genome import canonical_chrom


def open_tabix(path: str):
    import pysam

    try:
        return pysam.TabixFile(str(path))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot open the source with tabix ({err})", path=str(path),
                         hint="bgzip it and index it with `tabix -p vcf` (or `tabix -s1 -b2 -e2` for TSV)") from None


def variant_regions(chrom: np.ndarray, pos: np.ndarray, end: np.ndarray, gap: int = 2000
                    ) -> list[tuple[str, int, int]]:
    """(chrom, 0-based start, end) regions covering all variants, merged when closer than `gap`."""
    out = []
    for c in np.unique(chrom):
        sel = chrom == c
        order = np.argsort(pos[sel], kind="stable")
        s, e = pos[sel][order], np.maximum.accumulate(end[sel][order])
        new = np.ones(len(s), bool)
        new[1:] = s[1:] > e[:-1] + gap
        starts = s[new]
        ends = np.maximum.reduceat(e, np.flatnonzero(new))
        out.extend((str(c), int(a) - 1, int(b)) for a, b in zip(starts, ends))
    return out


_BLOCK_BYTES = 65536  # uncompressed bytes per BGZF block: what one fetch decompresses at least
_COMPRESSION = 4.0  # typical bgzip ratio of VCF/TSV text


def merge_gap(path: str, tbx) -> int:
    """Bases between variants below which one fetch beats two: about one BGZF block's worth of
    source text, from the file's size spread over its contigs (dense CADD: ~1 kb; sparse ClinVar:
    megabases)."""
    import os

    from ..genome import CONTIG_LENGTHS

    lengths = CONTIG_LENGTHS["GRCh38"]
    covered = sum(lengths.get(canonical_chrom(c), 0) for c in tbx.contigs) or 3.1e9
    bytes_per_base = os.path.getsize(path) * _COMPRESSION / covered
    return int(min(5_000_000, max(200, _BLOCK_BYTES / max(bytes_per_base, 1e-9))))


def fetch_lines(tbx, regions: list[tuple[str, int, int]]) -> list[str]:
    """Source lines in the regions (each region fetched once; contig names mapped)."""
    names = {canonical_chrom(n): n for n in tbx.contigs}
    lines: list[str] = []
    for chrom, start, end in regions:
        name = names.get(chrom)
        if name is not None:
            lines.extend(tbx.fetch(name, start, end))
    return lines


def lines_table(lines: list[str], names: list[str]) -> pa.Table:
    """Tab-separated lines as a table of string columns named `names` (extra columns dropped)."""
    if not lines:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    data = ("\n".join(lines) + "\n").encode()
    width = lines[0].count("\t") + 1
    all_names = names[:width] + [f"_extra{i}" for i in range(max(0, width - len(names)))]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=all_names, block_size=1 << 26),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, invalid_row_handler=lambda r: "skip"),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in all_names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    return table.select([n for n in names if n in table.column_names])
