"""One app per session; each test runs in a transaction that is rolled back.

SQLite by default; PostgreSQL when ``WALLET_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy.orm import Session

from tests.network import allow_name_lookups, block_name_lookups
from tests.smtp import SMTPServer
from wallet import create_app, jobs
from wallet import extensions as ext
from wallet.config import Settings
from wallet.db import Base

BASE_URL = "http://wallet.test"


def pytest_configure(config: pytest.Config) -> None:
    block_name_lookups()


def pytest_unconfigure(config: pytest.Config) -> None:
    allow_name_lookups()


def make_settings(instance: Path, **changes: object) -> Settings:
    db_url = os.environ.get("WALLET_TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.sqlite3'}"
    base = Settings(
        env="testing",
        secret_key="test-secret-key-not-for-production",
        database_url=db_url,
        base_url=BASE_URL,
        instance_path=instance,
        mail_from="Open Badge Wallet <noreply@wallet.test>",
        # tests change a badge and look again at once; tests/web/test_public_cache.py
        # turns the short cache of strangers' answers on
        public_cache_seconds=0,
    )
    return base.with_overrides(**changes)


@contextmanager
def queue_kept() -> Iterator[None]:
    """Undo whatever happens meanwhile to the process-wide job queue.

    ``create_app`` points it at the new app's store, and tests switch immediate
    mode or swap the store; without this, later tests would inherit that.
    """
    queue = jobs.huey
    state = (queue.storage_class, queue.storage_kwargs, queue._immediate, queue.storage)
    configured = dict(jobs._configured)
    try:
        yield
    finally:
        queue.storage_class, queue.storage_kwargs, queue._immediate, queue.storage = state
        jobs._configured.clear()
        jobs._configured.update(configured)


@pytest.fixture(autouse=True)
def _queue_restored() -> Iterator[None]:
    with queue_kept():
        yield


@contextmanager
def fresh_app(instance: Path, **changes: object) -> Iterator[Flask]:
    """An app whose requests really commit, on empty tables.

    SQLite: a database file of its own in ``instance``. PostgreSQL: the shared
    test database, left empty but usable again afterwards (the rolled-back tests
    and other fresh apps find their tables).
    """
    with queue_kept():
        app = create_app(make_settings(instance, **changes))
        with app.app_context():
            Base.metadata.drop_all(ext.db.engine)
            Base.metadata.create_all(ext.db.engine)
        try:
            yield app
        finally:
            with app.app_context():
                ext.db.session.remove()
                Base.metadata.drop_all(ext.db.engine)
                Base.metadata.create_all(ext.db.engine)
                ext.db.engine.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, TESTING=True)

    def fresh_globals() -> None:
        """The test keeps one app context open (for the rolled-back session), so
        requests would share ``g`` (logged-in user, CSRF token, locale); in
        production every request has its own. Start each request clean, before
        any other hook reads ``g``."""
        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_globals)

    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        Base.metadata.create_all(ext.db.engine)
    yield app
    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        ext.db.engine.dispose()


class _ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks the app's engine for every mapped table,
    ignoring ``bind``: then a view's commit would escape the rolled-back test
    transaction. This one always uses the test's connection."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        return bind if bind is not None else self.bind


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """``ext.db.session`` bound to one connection whose transaction is rolled back."""
    with app.app_context():
        connection = ext.db.engine.connect()
        transaction = connection.begin()
        scoped = ext.db._make_scoped_session(
            {
                "bind": connection,
                "binds": {},
                "join_transaction_mode": "create_savepoint",
                "class_": _ConnectionBoundSession,
            }
        )
        original = ext.db.session
        ext.db.session = scoped
        try:
            yield scoped()
        finally:
            scoped.remove()
            ext.db.session = original
            transaction.rollback()
            connection.close()
    ext.limiter.reset()


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on loopback that records every message."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()
