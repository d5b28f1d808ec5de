"""Reading the completers list (CSV) the programme office uploads.

Columns: name, email, optional student number, optional language (``ja``/``en``),
with English or Japanese headers, or no header at all (then in that order).
Encodings: UTF-8 with or without BOM, and Shift_JIS/CP932 as Japanese Excel
writes it. Nothing here touches the database: ``read_completers`` turns bytes
into rows with a status each, and the sealed form carries the valid rows from
the preview to the confirmation without trusting what the browser sends back.
"""

from __future__ import annotations

import csv
import enum
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadData, URLSafeTimedSerializer

from wallet.openbadges.hashing import normalise_email
from wallet.services.errors import ValidationError
from wallet.services.text import (
    ControlCharacterError,
    InvisibleTextError,
    TextError,
    TextTooLongError,
    clean_text,
    reveal,
)

ENCODINGS = ("utf-8-sig", "cp932")
MAX_NAME = 200
MAX_EMAIL = 254
MAX_STUDENT_NUMBER = 64
MAX_COLUMNS = 50
_SEAL_SALT = "wallet.admin.award-batch"

_HEADERS = {
    "name": {"name", "fullname", "full name", "氏名", "名前", "氏 名", "お名前"},
    "email": {
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "メールアドレス",
        "メール",
        "eメール",
        "eメールアドレス",
    },
    "student_number": {
        "student number",
        "student_number",
        "student no",
        "student no.",
        "student id",
        "学籍番号",
    },
    "language": {"language", "lang", "locale", "言語"},
}
_LANGUAGES = {
    "ja": "ja",
    "jp": "ja",
    "japanese": "ja",
    "日本語": "ja",
    "en": "en",
    "english": "en",
    "英語": "en",
}


class CsvError(ValidationError):
    """The file as a whole cannot be used; ``code`` says why (views translate it)."""

    field = "file"


class RowProblem(enum.StrEnum):
    MISSING_NAME = "missing_name"
    NAME_TOO_LONG = "name_too_long"
    NAME_HIDDEN_CHARACTER = "name_hidden_character"
    NAME_INVISIBLE = "name_invisible"
    MISSING_EMAIL = "missing_email"
    BAD_EMAIL = "bad_email"
    BAD_STUDENT_NUMBER = "bad_student_number"
    STUDENT_NUMBER_HIDDEN_CHARACTER = "student_number_hidden_character"
    BAD_LANGUAGE = "bad_language"
    DUPLICATE = "duplicate"
    ALREADY_AWARDED = "already_awarded"


@dataclass
class CompleterRow:
    """One line of the file. ``email`` is normalised; ``problem`` is None when usable.

    ``name`` and ``student_number`` went through ``clean_text``; in a row whose
    problem is a hidden character, that character shows as [U+XXXX].
    ``locale`` is ``ja`` or ``en`` from the language column, or empty when the
    row gives none.
    """

    line: int
    name: str
    email: str
    student_number: str = ""
    locale: str = ""
    problem: RowProblem | None = None

    @property
    def is_valid(self) -> bool:
        return self.problem is None


@dataclass
class CompletersFile:
    rows: list[CompleterRow]
    encoding: str
    has_header: bool

    @property
    def valid_rows(self) -> list[CompleterRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def problem_count(self) -> int:
        return sum(1 for row in self.rows if not row.is_valid)


def read_completers(data: bytes, *, max_bytes: int, max_rows: int) -> CompletersFile:
    """Parse and check every row (except "already awarded", which needs the database).

    A row with no language keeps ``locale`` empty: issuing decides it then.

    Raises ``CsvError`` for a file that cannot be read at all: too big, too many
    rows, not text in a known encoding, no email column.
    """
    if len(data) > max_bytes:
        raise CsvError("too_large", max_kb=max_bytes // 1024)
    text, encoding = _decode(data)
    if not text.strip():
        raise CsvError("empty")
    lines = _records(text, max_rows)
    first = next(lines, None)
    if first is None:
        raise CsvError("empty")
    _first_line, first_cells = first
    has_header = not any("@" in cell for cell in first_cells)
    if has_header:
        columns = _columns_from_header(first_cells)
        records: Iterable[tuple[int, list[str]]] = lines
    else:
        columns = {"name": 0, "email": 1, "student_number": 2, "language": 3}
        if len(first_cells) < 2:
            raise CsvError("missing_column", column="email")
        records = _chain(first, lines)
    rows: list[CompleterRow] = []
    seen: set[str] = set()
    for count, (line, cells) in enumerate(records, start=1):
        if count > max_rows:
            raise CsvError("too_many_rows", max_rows=max_rows)
        if not any(cell.strip() for cell in cells):
            continue
        row = _row(line, cells, columns)
        if row.is_valid:
            if row.email in seen:
                row.problem = RowProblem.DUPLICATE
            seen.add(row.email)
        rows.append(row)
    if not rows:
        raise CsvError("empty")
    return CompletersFile(rows=rows, encoding=encoding, has_header=has_header)


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _is_text(text):
            return text, "utf-8" if encoding == "utf-8-sig" else "shift_jis"
        break
    raise CsvError("encoding")


def _is_text(text: str) -> bool:
    """Printable text: control characters other than tab and line breaks mean binary."""
    sample = text[:200_000]
    bad = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    return bad == 0


def _records(text: str, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    count = 0
    try:
        for cells in reader:
            count += 1
            if count > max_rows + 1:  # one more for a header row
                raise CsvError("too_many_rows", max_rows=max_rows)
            if len(cells) > MAX_COLUMNS:
                raise CsvError("not_csv")
            yield reader.line_num, cells
    except csv.Error as error:
        raise CsvError("not_csv") from error


def _chain(
    first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


def _clean_header(cell: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", cell).strip().lower().replace("_", " ").split())


def _columns_from_header(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    aliases = {alias.replace("_", " "): key for key, names in _HEADERS.items() for alias in names}
    for index, cell in enumerate(cells):
        key = aliases.get(_clean_header(cell))
        if key and key not in columns:
            columns[key] = index
    for required in ("name", "email"):
        if required not in columns:
            raise CsvError("missing_column", column=required)
    return columns


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    if index is None or index >= len(cells):
        return ""
    value = cells[index].strip()
    # names keep their characters (only NFC, in clean_text); codes and addresses lose
    # full-width forms
    return value if key == "name" else unicodedata.normalize("NFKC", value)


_NAME_PROBLEMS = {
    ControlCharacterError: RowProblem.NAME_HIDDEN_CHARACTER,
    InvisibleTextError: RowProblem.NAME_INVISIBLE,
    TextTooLongError: RowProblem.NAME_TOO_LONG,
}
_NUMBER_PROBLEMS = {
    ControlCharacterError: RowProblem.STUDENT_NUMBER_HIDDEN_CHARACTER,
    InvisibleTextError: RowProblem.STUDENT_NUMBER_HIDDEN_CHARACTER,
    TextTooLongError: RowProblem.BAD_STUDENT_NUMBER,
}


def _text_cell(
    value: str, max_len: int, problems: dict[type[TextError], RowProblem]
) -> tuple[str, RowProblem | None]:
    """The cell as others will see it, or as the preview may show it, with its problem."""
    try:
        return clean_text(value, max_len=max_len), None
    except TextError as error:
        return reveal(value), problems[type(error)]


def _row(line: int, cells: list[str], columns: dict[str, int]) -> CompleterRow:
    name, name_problem = _text_cell(_cell(cells, columns, "name"), MAX_NAME, _NAME_PROBLEMS)
    raw_email = _cell(cells, columns, "email")
    student_number, number_problem = _text_cell(
        _cell(cells, columns, "student_number"), MAX_STUDENT_NUMBER, _NUMBER_PROBLEMS
    )
    language = _cell(cells, columns, "language").lower()
    row = CompleterRow(
        line=line,
        name=name,
        email=normalise_email(raw_email),
        student_number=student_number,
        locale=_LANGUAGES.get(language, ""),
    )
    if name_problem:
        row.problem = name_problem
    elif not name:
        row.problem = RowProblem.MISSING_NAME
    elif not raw_email:
        row.problem = RowProblem.MISSING_EMAIL
    elif not is_valid_email(row.email):
        row.email = raw_email[:MAX_EMAIL]
        row.problem = RowProblem.BAD_EMAIL
    elif number_problem:
        row.problem = number_problem
    elif language and not row.locale:
        row.problem = RowProblem.BAD_LANGUAGE
    return row


def is_valid_email(email: str) -> bool:
    """Syntax only (no DNS): an ASCII address a university mail server can deliver to."""
    if len(email) > MAX_EMAIL:
        return False
    try:
        validate_email(email, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return False
    return True


# -- carrying the preview to the confirmation ---------------------------------------------


@dataclass(frozen=True)
class SealedBatch:
    badge_class_id: int
    filename: str
    rows: list[CompleterRow]


def seal_rows(
    rows: list[CompleterRow], *, secret: str, badge_class_id: int, user_id: int, filename: str
) -> str:
    """Sign the valid rows of a preview so the confirmation can trust them as they were."""
    payload = {
        "b": badge_class_id,
        "u": user_id,
        "f": filename,
        "r": [[r.line, r.name, r.email, r.student_number, r.locale] for r in rows if r.is_valid],
    }
    return str(_serializer(secret).dumps(payload))


def open_sealed_rows(
    sealed: str, *, secret: str, badge_class_id: int, user_id: int, max_age_seconds: int
) -> SealedBatch:
    """The rows sealed by ``seal_rows`` for this badge class and user, or ``CsvError``."""
    try:
        payload = _serializer(secret).loads(sealed, max_age=max_age_seconds)
    except BadData as error:
        raise CsvError("stale_preview") from error
    if not isinstance(payload, dict) or payload.get("b") != badge_class_id:
        raise CsvError("stale_preview")
    if payload.get("u") != user_id:
        raise CsvError("stale_preview")
    rows = [
        CompleterRow(line=int(line), name=name, email=email, student_number=number, locale=locale)
        for line, name, email, number, locale in payload["r"]
    ]
    return SealedBatch(badge_class_id=badge_class_id, filename=str(payload["f"]), rows=rows)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SEAL_SALT)
