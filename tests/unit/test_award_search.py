"""The pieces of the award search and dashboard that need no database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from wallet.services.csv_export import csv_chunks, neutralise
from wallet.services.issuing import Cursor, IssuingError
from wallet.services.issuing.dashboard import Period, claims_chart, period_starts


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+81 90", "'+81 90"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("静岡 花子", "静岡 花子"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_starts_are_neutralised(cell: str, written: str) -> None:
    assert neutralise(cell) == written


def test_csv_chunks_read_back_with_the_csv_module() -> None:
    rows = [[f"名前{i}", "=cmd", 'quote " and, comma', "two\nlines"] for i in range(1201)]
    text = "".join(csv_chunks(["氏名", "-x", "c", "d"], rows, rows_per_chunk=500))
    assert text.startswith("\ufeff氏名,'-x,")
    read = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert read[0] == ["氏名", "'-x", "c", "d"]
    assert read[1:] == [
        [f"名前{i}", "'=cmd", 'quote " and, comma', "two\nlines"] for i in range(1201)
    ]


def test_a_cursor_reads_back_what_it_wrote() -> None:
    cursor = Cursor(datetime(2026, 4, 1, 0, 30, 15, 123456, tzinfo=UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    old = Cursor(datetime(1969, 12, 31, tzinfo=UTC), 1)
    assert Cursor.decode(old.encode()) == old


@pytest.mark.parametrize(
    "value",
    [
        "",
        ".",
        "1",
        "1.",
        ".1",
        "a.1",
        "1.a",
        "1.2.3",
        "１.２",
        " 1.2",
        "1.99999999999",
        "9" * 19 + ".1",
    ],
)
def test_a_cursor_it_did_not_write_is_refused(value: str) -> None:
    with pytest.raises(IssuingError) as raised:
        Cursor.decode(value)
    assert raised.value.code == "bad_cursor"


def test_period_starts() -> None:
    months = period_starts("month", date(2026, 1, 20), count=3)
    assert months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    weeks = period_starts("week", date(2026, 6, 17), count=2)  # a Wednesday
    assert weeks == [date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 22)]


def test_the_chart_scales_to_the_tallest_bar() -> None:
    chart = claims_chart([Period(date(2026, m, 1), c) for m, c in ((4, 0), (5, 5), (6, 10))])
    zero, half, full = chart.bars
    assert zero.height == 0
    assert full.height == pytest.approx(2 * half.height)
    assert full.y < half.y < zero.y == chart.baseline
    assert full.x + full.width <= chart.width
    empty = claims_chart([Period(date(2026, 4, 1), 0)])
    assert empty.bars[0].height == 0
