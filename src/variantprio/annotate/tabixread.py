"""Reading the records of a tabix-indexed source at the variants, as an Arrow table of strings.

Variants are merged into regions (gaps below about one BGZF block of source text), each region
is one pysam fetch, and fetched lines are parsed in batches by Arrow's CSV reader and filtered to
records touching a variant position. Contig names of the source ("1", "chr1",
"MT") are matched to the variants' UCSC-style names.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..core.genome import canonical_chrom
from ..errors import InputError


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

    from ..core.genome import CONTIG_LENGTHS

    lengths = CONTIG_LENGTHS["GRCh38"]
    covered = sum(lengths.get(canonical_chrom(c), 0) for c in tbx.contigs) or 3.1e9
    bytes_per_base = os.path.getsize(path) * _COMPRESSION / covered
    return int(min(5_000_000, max(200, _BLOCK_BYTES / max(bytes_per_base, 1e-9))))


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


def encoded(names) -> tuple[np.ndarray, list[str]]:
    """(index of each value's label, the distinct labels) of a string column: contig names are
    few, so they are looked up once per label, not once per row."""
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    elif not isinstance(names, pa.Array):
        names = pa.array(np.asarray(names, dtype=object), pa.string())
    enc = pc.dictionary_encode(names)
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), [str(x) for x in enc.dictionary.to_pylist()]


def variant_keys(chrom, pos: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
    """(contig name -> code, sorted code<<32 + position keys) of variant positions: what
    `touching` filters source records against."""
    code, labels = encoded(chrom)
    return {c: i for i, c in enumerate(labels)}, np.sort((code << 32) + np.asarray(pos, dtype=np.int64))


def touching(table: pa.Table, pos_col: str, ref_col: str | None, codes: dict[str, int],
             vkeys: np.ndarray) -> pa.Table:
    """Rows whose reference span [POS, POS+len(REF)-1] holds a variant position (same contig)."""
    index, labels = encoded(table.column(0))
    code = np.array([codes.get(canonical_chrom(u), -1) for u in labels] or [-1], dtype=np.int64)[index]
    pos = np.asarray(pc.cast(table.column(pos_col), pa.int64(), safe=False).fill_null(-1).to_numpy(
        zero_copy_only=False), dtype=np.int64)
    rlen = (pc.utf8_length(table.column(ref_col)).to_numpy(zero_copy_only=False).astype(np.int64)
            if ref_col else np.ones(len(pos), np.int64))
    key = (code << 32) + pos
    j = np.searchsorted(vkeys, key, side="left")
    hit = (code >= 0) & (pos > 0) & (j < len(vkeys))
    hit[hit] &= vkeys[j[hit]] <= key[hit] + rlen[hit] - 1
    return table.filter(pa.array(hit))


def fetch_touching(tbx, regions: list[tuple[str, int, int]], names: list[str], pos_col: str,
                   ref_col: str | None, var_chrom: np.ndarray, var_pos: np.ndarray,
                   max_lines: int = 200_000) -> pa.Table:
    """Source records touching a variant position, read region by region and filtered every
    `max_lines` lines, so memory follows the matches, not the regions read."""
    codes, vkeys = variant_keys(var_chrom, var_pos)
    names_in = {canonical_chrom(n): n for n in tbx.contigs}
    parts, buffer = [], []

    def flush() -> None:
        if buffer:
            parts.append(touching(lines_table(buffer, names), pos_col, ref_col, codes, vkeys))
            buffer.clear()

    for chrom, start, end in regions:
        name = names_in.get(chrom)
        if name is None:
            continue
        for line in tbx.fetch(name, start, end):
            buffer.append(line)
            if len(buffer) >= max_lines:
                flush()
    flush()
    if not parts:
        return lines_table([], names)
    width = min(p.num_columns for p in parts)
    return pa.concat_tables([p.select(list(range(width))) for p in parts])
