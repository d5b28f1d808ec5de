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
