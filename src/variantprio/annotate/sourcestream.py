"""Reading a whole positional source in file order, without its index: the text is decompressed
and parsed by Arrow in blocks, so memory stays one block whatever the file's size.

A genome's variants touch most of a source anyway; one sequential pass costs less than millions
of tabix queries. The tables have the same string columns as the tabix reader's (`lines_table`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError
from .sourcefile import SourceHeader, SourceLayout, is_gzip

BLOCK_BYTES = 16 << 20  # text per parsed block


def stream_records(path: str | Path, layout: SourceLayout, header: SourceHeader,
                   block_bytes: int = BLOCK_BYTES) -> Iterator[pa.Table]:
    """The records after the header, block by block, as string columns named `layout.names` (the
    first record sets the width; rows of another width are skipped, as the tabix reader does)."""
    if header.first_record is None:
        return
    width = header.first_record.count("\t") + 1
    names = layout.names[:width] + [f"_extra{i}" for i in range(max(0, width - len(layout.names)))]
    wanted = [n for n in layout.names if n in names]
    path = Path(path)
    stream = pa.input_stream(str(path), compression="gzip" if is_gzip(path) else None)
    try:
        stream.read(header.offset)  # past the header, whatever its size
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=names, block_size=block_bytes),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False,
                                             invalid_row_handler=lambda row: "skip"),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 include_columns=wanted, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
        for batch in reader:
            if batch.num_rows:
                yield pa.Table.from_batches([batch]).select(wanted)
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"unreadable source ({err})", path=str(path),
                         hint="a complete bgzipped VCF or tab-separated table (re-download it)") from None
    finally:
        stream.close()
