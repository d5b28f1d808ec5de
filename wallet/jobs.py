"""Background tasks on Huey: SQLite store by default, Redis in production.

Run a worker with ``huey_consumer wallet.jobs.huey``. Task bodies take ids, not
objects, are idempotent, and call services inside an application context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from wallet.config import Settings


def make_huey(settings: Settings) -> Huey:
    if settings.huey_immediate:
        return MemoryHuey("wallet", immediate=True)
    if settings.redis_url:
        return RedisHuey("wallet", url=settings.redis_url)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("wallet", filename=str(settings.instance_path / "jobs.sqlite3"))


huey = make_huey(Settings.from_env())
_worker_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app (tests, immediate mode) or one app per worker process."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        from wallet import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app


def init_app(app: Flask) -> None:
    """Hook the app to the queue (mail kick after commit is wired here)."""
