"""Reading completers lists: encodings, shapes, every row problem, limits."""

from __future__ import annotations

import os

import pytest

from wallet.services.csv_import import (
    CsvError,
    RowProblem,
    open_sealed_rows,
    read_completers,
    seal_rows,
)

LIMITS = {"max_bytes": 2 * 1024 * 1024, "max_rows": 20_000}
JA_CSV = "氏名,メールアドレス,学籍番号\n静岡 花子,hanako@example.ac.jp,70310001\n"


def read(data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return read_completers(data, **{**LIMITS, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("cp932", "shift_jis"),
        ("shift_jis", "shift_jis"),
    ],
)
def test_japanese_excel_encodings(encoding: str, expected: str) -> None:
    result = read(JA_CSV.encode(encoding))
    assert result.encoding == expected
    assert result.has_header
    [row] = result.rows
    assert row.name == "静岡 花子"
    assert row.email == "hanako@example.ac.jp"
    assert row.student_number == "70310001"


def test_cp932_only_characters_are_read() -> None:
    # 髙 and ① exist in CP932 (Windows) but not in plain Shift_JIS
    result = read("名前,メール\n髙橋 ①,takahashi@example.ac.jp\n".encode("cp932"))
    assert result.rows[0].name == "髙橋 ①"


def test_english_headers_in_any_order_with_language() -> None:
    data = b"Email,Student number,Language,Name\r\ntaro@example.ac.jp,7031,en,Taro Shizuoka\r\n"
    [row] = read(data).rows
    assert (row.name, row.email, row.student_number, row.locale) == (
        "Taro Shizuoka",
        "taro@example.ac.jp",
        "7031",
        "en",
    )


def test_without_a_header_the_columns_are_positional() -> None:
    data = "静岡 花子,hanako@example.ac.jp,70310001,en\n浜松 次郎,jiro@example.ac.jp\n"
    result = read(data.encode())
    assert not result.has_header
    assert [r.email for r in result.rows] == ["hanako@example.ac.jp", "jiro@example.ac.jp"]
    # no language: left for issuing to decide (the owner's account, else Japanese)
    assert [r.locale for r in result.rows] == ["en", ""]
    assert [r.problem for r in result.rows] == [None, None]


def test_addresses_are_normalised_and_full_width_forms_folded() -> None:
    [row] = read("氏名,メール\n静岡 花子, Ｈａｎａｋｏ＠Example.AC.JP \n".encode()).rows
    assert row.email == "hanako@example.ac.jp"
    assert row.is_valid


def test_every_row_problem_is_reported() -> None:
    data = (
        "氏名,メールアドレス,学籍番号,言語\n"
        "静岡 花子,hanako@example.ac.jp,1,ja\n"
        ",noname@example.ac.jp,2,ja\n"
        "浜松 次郎,,3,ja\n"
        "浜松 三郎,not-an-email,4,ja\n"
        "静岡 花子,HANAKO@example.ac.jp,5,ja\n"
        "長い 名前," + "x" * 300 + "@example.ac.jp,6,ja\n"
        "伊豆 太郎,izu@example.ac.jp,7,fr\n" + "富士 一郎,fuji@example.ac.jp," + "9" * 65 + ",ja\n"
        "\n"
        ",,,\n"
    ).encode()
    rows = read(data).rows
    assert [r.problem for r in rows] == [
        None,
        RowProblem.MISSING_NAME,
        RowProblem.MISSING_EMAIL,
        RowProblem.BAD_EMAIL,
        RowProblem.DUPLICATE,
        RowProblem.BAD_EMAIL,
        RowProblem.BAD_LANGUAGE,
        RowProblem.BAD_STUDENT_NUMBER,
    ]
    assert [r.line for r in rows][:3] == [2, 3, 4]
    assert rows[3].email == "not-an-email"  # shown as typed


def test_a_name_that_is_too_long() -> None:
    [row] = read(("名" * 201 + ",a@example.ac.jp\n").encode()).rows
    assert row.problem == RowProblem.NAME_TOO_LONG


def test_names_with_hidden_or_no_visible_characters_are_row_problems() -> None:
    data = (
        "氏名,メールアドレス,学籍番号\n"
        "静岡\u202e花子,a@example.ac.jp,1\n"  # a bidi override
        '"浜松\n次郎",b@example.ac.jp,2\n'  # a line break in a quoted cell
        "\u3164,c@example.ac.jp,3\n"  # a Hangul filler, nothing visible
        "伊豆 太郎,d@example.ac.jp,70\u200b31\n"  # a zero-width space in the number
        "Jose\u0301　Müller,e@example.ac.jp,5\n"
    ).encode()
    rows = read(data).rows
    assert [r.problem for r in rows] == [
        RowProblem.NAME_HIDDEN_CHARACTER,
        RowProblem.NAME_HIDDEN_CHARACTER,
        RowProblem.NAME_INVISIBLE,
        RowProblem.STUDENT_NUMBER_HIDDEN_CHARACTER,
        None,
    ]
    assert rows[0].name == "静岡[U+202E]花子"  # the preview shows where it is
    assert rows[1].name == "浜松[U+000A]次郎"
    assert rows[4].name == "José　Müller"  # NFC; the full-width space stays


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        ("氏名,メールアドレス\n".encode(), "empty"),
        ("氏名,学籍番号\n静岡 花子,1\n".encode(), "missing_column"),
        ("メールアドレス\nhanako@example.ac.jp\n".encode(), "missing_column"),
        (b"hanako@example.ac.jp\n", "missing_column"),
        (b"\x00\x01\x02PK\x03\x04" + os.urandom(4096), "encoding"),
        ("名前,メール\n静岡,a@b.jp\n".encode("utf-16"), "encoding"),
        (b"a,b@example.jp\x00\n", "encoding"),
        (("x," * 60 + "a@b.jp\n").encode(), "not_csv"),
    ],
)
def test_unreadable_files_raise_a_clear_error(data: bytes, code: str) -> None:
    with pytest.raises(CsvError) as caught:
        read(data)
    assert caught.value.code == code


def test_five_megabytes_of_garbage_is_refused_before_reading() -> None:
    with pytest.raises(CsvError) as caught:
        read(os.urandom(5 * 1024 * 1024))
    assert caught.value.code == "too_large"
    assert caught.value.params == {"max_kb": 2048}


def test_a_hundred_thousand_rows_are_refused() -> None:
    data = "".join(f"学生 {i},s{i}@example.ac.jp\n" for i in range(100_000)).encode()
    with pytest.raises(CsvError) as caught:
        read(data, max_bytes=10 * 1024 * 1024)
    assert caught.value.code == "too_many_rows"
    assert caught.value.params == {"max_rows": 20_000}


def test_the_row_limit_does_not_count_the_header() -> None:
    rows = "".join(f"学生 {i},s{i}@example.ac.jp\n" for i in range(3))
    assert len(read(("氏名,メール\n" + rows).encode(), max_rows=3).rows) == 3
    with pytest.raises(CsvError):
        read(rows.encode() + b"x,y@example.ac.jp\n", max_rows=3)


def test_sealed_rows_survive_the_round_trip_and_nothing_else() -> None:
    rows = read(JA_CSV.encode() + b",broken@example.ac.jp\n").rows
    sealed = seal_rows(rows, secret="s3cret", badge_class_id=7, user_id=1, filename="a.csv")
    opened = open_sealed_rows(
        sealed, secret="s3cret", badge_class_id=7, user_id=1, max_age_seconds=60
    )
    assert [(r.name, r.email) for r in opened.rows] == [("静岡 花子", "hanako@example.ac.jp")]
    assert opened.filename == "a.csv"
    for changes in (
        {"secret": "other"},
        {"badge_class_id": 8},
        {"user_id": 2},
    ):
        kwargs = {"secret": "s3cret", "badge_class_id": 7, "user_id": 1, **changes}
        with pytest.raises(CsvError):
            open_sealed_rows(sealed, max_age_seconds=60, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CsvError):
        open_sealed_rows(
            sealed.replace(".", "x.", 1),
            secret="s3cret",
            badge_class_id=7,
            user_id=1,
            max_age_seconds=60,
        )
