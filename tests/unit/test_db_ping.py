"""Pooled connections are pinged only after sitting idle (wallet/db.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DatabaseError, InterfaceError, ProgrammingError

from wallet.db import ping_idle_connections


def _engine(path: Path, idle_seconds: float) -> Engine:
    engine = create_engine(f"sqlite:///{path / 'ping.sqlite3'}", pool_size=1)
    ping_idle_connections(engine, idle_seconds=idle_seconds)
    return engine


def _kill_pooled_connection(engine: Engine) -> None:
    """Close the pooled DBAPI connection behind the pool's back (a restarted server)."""
    with engine.connect() as connection:
        connection.execute(text("select 1"))
        dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.close()


def test_an_idle_connection_found_dead_is_replaced_before_use(tmp_path: Path) -> None:
    engine = _engine(tmp_path, idle_seconds=0)
    _kill_pooled_connection(engine)
    with engine.connect() as connection:
        assert connection.execute(text("select 1")).scalar() == 1


def test_a_connection_in_steady_use_is_not_pinged(tmp_path: Path) -> None:
    engine = _engine(tmp_path, idle_seconds=3600)
    _kill_pooled_connection(engine)
    with (
        pytest.raises((ProgrammingError, InterfaceError, DatabaseError)),
        engine.connect() as connection,
    ):
        connection.execute(text("select 1"))
