"""CSV files the office opens in Excel: UTF-8 with a byte order mark, no live formulas.

Excel reads a CSV without a BOM as the system's code page (Shift_JIS on Japanese
Windows) and garbles every name; with ``\\ufeff`` first it reads UTF-8. A cell that
starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which Excel
skips before looking) is a formula to Excel and LibreOffice: a recipient named
``=HYPERLINK(...)`` would become a live link in the office's spreadsheet (CSV
injection). Such cells get a leading apostrophe, which spreadsheets show as text
and which a reader of the file can strip.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_chunks(
    header: list[str], rows: Iterable[list[str]], *, rows_per_chunk: int = 500
) -> Iterator[str]:
    """The file in pieces to stream: the BOM and header first, then the rows, CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(cell) for cell in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
