"""The schema comes only from migrations: they must match the models and run both ways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from tests.conftest import make_settings
from wallet import create_app
from wallet import extensions as ext
from wallet.config import PROJECT_ROOT
from wallet.db import Base


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database (SQLite file, or the PostgreSQL test database emptied)."""
    app = create_app(make_settings(tmp_path))
    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        with ext.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        yield app
        ext.db.session.remove()
        Base.metadata.drop_all(ext.db.engine)
        with ext.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        # leave the (possibly shared PostgreSQL) database empty but usable
        Base.metadata.create_all(ext.db.engine)
        ext.db.engine.dispose()


def _revisions() -> list[str]:
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_head_matches_the_models(empty_app: Flask) -> None:
    upgrade()
    with ext.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_every_revision_upgrades_and_downgrades(empty_app: Flask) -> None:
    for revision in _revisions():
        upgrade(revision=revision)
    tables = set(inspect(ext.db.engine).get_table_names())
    assert {"user", "award", "outbox_mail"} <= tables
    for revision in reversed(_revisions()):
        downgrade(revision=revision + "-1" if revision else "base")
    assert set(inspect(ext.db.engine).get_table_names()) <= {"alembic_version"}


def test_tests_use_the_database_they_were_asked_for(empty_app: Flask) -> None:
    wanted = os.environ.get("WALLET_TEST_DATABASE_URL", "sqlite")
    assert ext.db.engine.dialect.name in wanted


def test_upgrading_a_database_with_rows_keeps_them(empty_app: Flask) -> None:
    """New NOT NULL columns need a value for the rows that are already there."""
    first = _revisions()[0]
    upgrade(revision=first)
    with ext.db.engine.begin() as conn:
        conn.exec_driver_sql(
            'INSERT INTO "user" (email, name, password_hash, is_staff, locale, session_epoch,'
            " created_at) VALUES ('a@example.ac.jp', 'A', 'x', false, 'ja', 0, CURRENT_TIMESTAMP)"
        )
        conn.exec_driver_sql(
            "INSERT INTO issuer (public_id, name, name_en, url, email, description, created_at)"
            " VALUES ('p', 'U', '', 'https://u.example', 'o@u.example', '', CURRENT_TIMESTAMP)"
        )
    upgrade()
    with ext.db.engine.connect() as conn:
        assert conn.exec_driver_sql('SELECT email FROM "user"').scalar() == "a@example.ac.jp"
        assert conn.exec_driver_sql("SELECT name FROM issuer").scalar() == "U"


def test_the_audit_log_refuses_updates_and_deletes_on_postgresql(empty_app: Flask) -> None:
    if ext.db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    upgrade()
    with ext.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_entry (created_at, actor_email, action, target_type, details)"
            " VALUES (CURRENT_TIMESTAMP, 'office@example.ac.jp', 'issuer.edit', 'issuer', '{}')"
        )
    for statement in (
        "UPDATE audit_entry SET actor_email = 'someone@else.jp'",
        "DELETE FROM audit_entry",
    ):
        with pytest.raises(DBAPIError, match="append-only"), ext.db.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    with ext.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT actor_email FROM audit_entry").scalar() == (
            "office@example.ac.jp"
        )


def test_the_ledger_refuses_updates_and_deletes_on_postgresql(empty_app: Flask) -> None:
    if ext.db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    upgrade()
    with ext.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO ledger_entry (index, entry, created_at)"
            " VALUES (0, 'badge-batch/v1', CURRENT_TIMESTAMP)"
        )
        conn.exec_driver_sql(
            "INSERT INTO ledger_checkpoint (size, root_hash, note, created_at)"
            " VALUES (1, 'ab', 'note', CURRENT_TIMESTAMP)"
        )
    for statement in (
        "UPDATE ledger_entry SET entry = 'other'",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_checkpoint SET note = 'forged'",
        "DELETE FROM ledger_checkpoint",
    ):
        with pytest.raises(DBAPIError, match="append-only"), ext.db.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    with ext.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT note FROM ledger_checkpoint").scalar() == "note"


def test_departments_arrive_with_a_default_department_and_staff_become_administrators(
    empty_app: Flask,
) -> None:
    """Before departments every staff account saw everything and badge classes had no
    department: after the upgrade each issuer has one (全学), holding its classes, and
    every staff account is an administrator; students stay students."""
    upgrade(revision="7b1e5c2d9a40")
    with ext.db.engine.begin() as conn:
        conn.exec_driver_sql(
            'INSERT INTO "user" (email, name, password_hash, is_staff, locale, created_at,'
            " is_profile_public) VALUES"
            " ('office@example.ac.jp', 'O', 'x', true, 'ja', CURRENT_TIMESTAMP, false),"
            " ('student@example.ac.jp', 'S', 'x', false, 'ja', CURRENT_TIMESTAMP, false)"
        )
        conn.exec_driver_sql(
            "INSERT INTO blob (sha256, data, content_type, created_at)"
            " VALUES ('ab', 'x', 'image/png', CURRENT_TIMESTAMP)"
        )
        conn.exec_driver_sql(
            "INSERT INTO issuer (public_id, name, name_en, url, email, description,"
            " linkedin_organization_id, mail_domains, created_at) VALUES"
            " ('u1', 'U', '', 'https://u.example', 'o@u.example', '', '', '[]', CURRENT_TIMESTAMP),"
            " ('u2', 'U', '', 'https://u.example', 'o@u.example', '', '', '[]', CURRENT_TIMESTAMP)"
        )
        conn.exec_driver_sql(
            "INSERT INTO badge_class (public_id, issuer_id, name, name_en, description,"
            " description_en, criteria_text, criteria_url, image_sha256, kind, tags, created_at)"
            " SELECT 'b' || id, id, 'B', '', 'd', '', 'c', '', 'ab', 'hosted', '[]',"
            " CURRENT_TIMESTAMP FROM issuer"
        )
    upgrade()
    with ext.db.engine.connect() as conn:
        departments = conn.exec_driver_sql(
            "SELECT issuer_id, name, name_en FROM department ORDER BY issuer_id"
        ).all()
        classes = conn.exec_driver_sql(
            "SELECT badge_class.issuer_id, department.issuer_id FROM badge_class"
            " JOIN department ON department.id = badge_class.department_id"
        ).all()
        roles = dict(conn.exec_driver_sql('SELECT email, staff_role FROM "user"').all())
    assert [(name, name_en) for _issuer, name, name_en in departments] == [
        ("全学", "University-wide"),
        ("全学", "University-wide"),
    ]
    assert len(classes) == 2
    assert all(badge_issuer == department_issuer for badge_issuer, department_issuer in classes)
    assert roles == {"office@example.ac.jp": "admin", "student@example.ac.jp": None}
    downgrade(revision="7b1e5c2d9a40")
    with ext.db.engine.connect() as conn:
        staff = dict(conn.exec_driver_sql('SELECT email, is_staff FROM "user"').all())
    assert {email: bool(flag) for email, flag in staff.items()} == {
        "office@example.ac.jp": True,
        "student@example.ac.jp": False,
    }
