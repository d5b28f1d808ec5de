"""What several benchmarks share: which databases to run on, an app on empty tables with
the issuer and a badge class, and loopback servers.

Benchmarks run as scripts (``.venv/bin/python bench/bench_x.py``), so this folder is
on ``sys.path`` and they import it as ``_support``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any


def databases(database_url: str) -> list[tuple[str, str]]:
    """(name, URL) of each database to measure: the one given, else SQLite (URL "",
    the app's default) and PostgreSQL when ``WALLET_BENCH_PG_URL`` or
    ``WALLET_TEST_PG_URL`` names one."""
    if database_url:
        return [("given", database_url)]
    targets = [("SQLite", "")]
    pg = os.environ.get("WALLET_BENCH_PG_URL") or os.environ.get("WALLET_TEST_PG_URL")
    if pg:
        targets.append(("PostgreSQL", pg))
    return targets


def free_port() -> int:
    from tests.smtp import free_port as pick

    return pick()


def wait_for(url: str, seconds: float = 30) -> None:
    """Until ``url`` answers (a server just started); exits the benchmark if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def bench_app(database_url: str, prefix: str, **changes: object) -> tuple[Any, Any]:
    """(app, settings) on empty tables: ``database_url``, or a SQLite file in a fresh
    temporary folder when it is empty (the app's default)."""
    from tests.conftest import make_settings
    from wallet import create_app
    from wallet import extensions as ext
    from wallet.db import Base

    instance = Path(tempfile.mkdtemp(prefix=prefix))
    url = database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
    settings = make_settings(instance, database_url=url, **changes)
    app = create_app(settings)
    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        Base.metadata.create_all(ext.db.engine)
    return app, settings


def seed_badge_class(session: Any, settings: Any, details: Any) -> Any:
    """The issuer 静岡大学 with one department and one badge class of ``details`` (not
    committed): what every issuing benchmark starts from."""
    from tests.factories import png_bytes
    from wallet.services import issuing

    issuing.save_issuer(
        session,
        issuing.IssuerDetails("静岡大学", "Shizuoka University", "https://x.jp/", "o@x.jp"),
        max_image_bytes=settings.max_image_bytes,
    )
    department = issuing.create_department(session, "工学部", "Faculty of Engineering")
    return issuing.create_badge_class(
        session,
        details,
        department_id=department.id,
        image=png_bytes(200),
        max_image_bytes=settings.max_image_bytes,
    )


def data_science_badge(kind: Any) -> Any:
    """The badge class the issuing benchmarks award, of ``kind``: Japanese texts of a
    typical length (the description three sentences long)."""
    from wallet.services import issuing

    return issuing.BadgeClassDetails(
        name="データサイエンス基礎（リテラシーレベル）",
        description="数理・データサイエンス・AI教育プログラムのリテラシーレベルを修了した。" * 3,
        criteria_text="全学共通科目「データサイエンス入門」および「AIと社会」を修得すること。",
        kind=kind,
    )
