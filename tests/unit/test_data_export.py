"""The export's builder: sections in order, one more section is one more function, the
size bound, and nothing of the account changes."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.conftest import BASE_URL
from tests.factories import AwardFactory, UserFactory
from wallet.models import User
from wallet.services import data_export
from wallet.services.data_export import (
    SECTIONS,
    ExportContext,
    ExportSection,
    ExportTooLargeError,
    export_data,
)

NOW = datetime(2027, 3, 20, 1, 30, tzinfo=UTC)


def _student(db_session: Session, locale: str = "ja") -> User:
    user: User = UserFactory(locale=locale)
    AwardFactory(
        issued=True, user=user, recipient_email=user.email, accepted_at=NOW, is_public=True
    )
    return user


def _names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_the_archive_opens_with_the_readme_and_is_named_by_the_day(db_session: Session) -> None:
    export = export_data(db_session, _student(db_session), BASE_URL, NOW, "Asia/Tokyo")
    names = _names(export.data)
    assert names[:2] == ["README.txt", "account.json"]
    assert names[2].startswith("badges/001 データサイエンス")
    assert names[-1] == "share_settings.json"
    assert export.filename == "openbadge-wallet-2027-03-20.zip"


def test_one_more_section_is_one_more_builder(db_session: Session) -> None:
    """The seam imported badges will use: a builder writing under ``imported/``."""

    def imported_section(context: ExportContext) -> ExportSection:
        files = [context.file("imported/001 外部のバッジ.json", b"{}")]
        return ExportSection(files, f"imported/ ({context.locale})")

    export = export_data(
        db_session,
        _student(db_session),
        BASE_URL,
        NOW,
        "Asia/Tokyo",
        sections=(*SECTIONS, imported_section),
    )
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    assert "imported/001 外部のバッジ.json" in archive.namelist()
    assert "imported/ (ja)" in archive.read("README.txt").decode("utf-8-sig")


def test_the_size_is_bounded_as_the_files_are_made(db_session: Session) -> None:
    user = _student(db_session)
    built: list[str] = []

    def big_section(context: ExportContext) -> ExportSection:
        files = []
        for n in range(10):
            files.append(context.file(f"big/{n}.bin", bytes(1000)))
            built.append(f"big/{n}.bin")
        return ExportSection(files, "big/")

    with pytest.raises(ExportTooLargeError):
        export_data(
            db_session, user, BASE_URL, NOW, "Asia/Tokyo", sections=(big_section,), max_bytes=3500
        )
    assert len(built) == 3  # the fourth file passed the bound: nothing more was made
    assert export_data(db_session, user, BASE_URL, NOW, "Asia/Tokyo").data


@pytest.mark.parametrize(
    "path", ["../evil.json", "/etc/passwd", "badges/../../x", "a\\b", "C:x", "badges//x", "."]
)
def test_a_builder_cannot_write_outside_the_archive(db_session: Session, path: str) -> None:
    def careless(context: ExportContext) -> ExportSection:
        return ExportSection([context.file(path, b"x")], "")

    with pytest.raises(ValueError, match="unsafe path"):
        export_data(
            db_session, _student(db_session), BASE_URL, NOW, "Asia/Tokyo", sections=(careless,)
        )


def test_exporting_changes_nothing(db_session: Session) -> None:
    user = _student(db_session, "en")
    db_session.flush()
    export_data(db_session, user, BASE_URL, NOW, "Asia/Tokyo")
    assert not db_session.dirty
    assert not [
        row for row in db_session.new if not type(row).__name__.startswith(("Blob", "Rendered"))
    ]


def test_every_readme_text_exists_in_both_languages() -> None:
    assert data_export.README_TEXTS["ja"].keys() == data_export.README_TEXTS["en"].keys()
