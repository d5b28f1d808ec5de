"""Declarative base, naming convention and column types shared by all models."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The largest id: the id columns are Integer, which is 32 bits on PostgreSQL (SQLite
# would take 64). A larger number cannot even be compared with them there. Ids run from 1.
ID_MAX = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; always returns aware UTC datetimes.

    SQLite drops the zone, PostgreSQL keeps it; both read back the same here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# How long a transaction waits for SQLite's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000


def configure_sqlite(engine: Any) -> None:
    """Give pysqlite real transactions (SAVEPOINT works), foreign keys and WAL.

    Every transaction takes the write lock when it begins (``BEGIN IMMEDIATE``)
    and waits for it up to ``SQLITE_BUSY_TIMEOUT_MS``. A transaction that read
    first and wanted to write later could not wait: when another connection
    (the mail worker, a second request) had written meanwhile, SQLite refused
    at once with "database is locked". So on SQLite transactions run one at a
    time, reads included: fine for the development default; PostgreSQL is for
    many concurrent users.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite otherwise issues BEGIN lazily and breaks nested transactions
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# A pooled connection unused for longer than this is checked before it is handed out.
IDLE_PING_SECONDS = 10.0


def ping_idle_connections(engine: Any, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Check a pooled connection with a round trip only when it sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, that is once per request:
    a public page that needs one query paid a second round trip for it. A connection
    in steady use has just proven itself; one that sat idle may have been dropped (a
    database restart, an idle timeout), so it is pinged and, if dead, replaced before
    the request sees it. After a restart while busy, a request per process may fail
    before SQLAlchemy notices and renews the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def note_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the idle connection is gone") from error
