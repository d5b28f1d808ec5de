"""Issue 10,000 completers from one CSV: preview, then confirm (mail 1 queued for each).

    .venv/bin/python bench/bench_issuing.py [-n 10000] [--database-url URL]

Runs through the real web path with Flask's test client, as a member of the
programme office: upload the CSV (decode, check every row, one query for the
addresses already awarded, render the preview page with every row), then post
the sealed confirmation (awards, claim tokens and outbox mails written in one
transaction). Runs on a fresh SQLite file, then on PostgreSQL too when
``WALLET_BENCH_PG_URL`` or ``WALLET_TEST_PG_URL`` is set (its tables are dropped
and recreated). Target: under 30 s each.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _support import databases, seed_badge_class  # noqa: E402

TARGET_SECONDS = 30.0
PASSWORD = "bench-password-1"


def make_csv(count: int) -> bytes:
    lines = ["氏名,メールアドレス,学籍番号"]
    lines += [f"静岡 学生{i:05d},student{i:05d}@example.ac.jp,7031{i:05d}" for i in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def run(database_url: str, count: int) -> tuple[float, float, int]:
    from flask import g
    from sqlalchemy import func, select

    from tests.conftest import make_settings
    from tests.helpers import csrf_token
    from tests.web.admin_helpers import sealed_value
    from wallet import create_app
    from wallet import extensions as ext
    from wallet.db import Base
    from wallet.models import Award, OutboxMail, StaffRole, Token
    from wallet.services import issuing
    from wallet.services.staff import StaffAccess, create_staff_user

    instance = Path(tempfile.mkdtemp(prefix="bench-issuing-"))
    settings = make_settings(
        instance,
        database_url=database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
        ratelimit_enabled=False,
    )
    app = create_app(settings)
    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        Base.metadata.create_all(ext.db.engine)
        session = ext.db.session()
        badge = seed_badge_class(
            session,
            settings,
            issuing.BadgeClassDetails(name="ベンチマーク", description="d", criteria_text="c"),
        )
        create_staff_user(
            session, "office@x.jp", "事務", PASSWORD, access=StaffAccess(StaffRole.ADMIN)
        )
        badge_id = badge.id
        session.commit()
        ext.db.session.remove()

    client = app.test_client()
    data = make_csv(count)
    with app.app_context():
        client.post(
            "/login",
            data={
                "csrf_token": csrf_token(client, "/login"),
                "email": "office@x.jp",
                "password": PASSWORD,
            },
        )
        g.pop("csrf_token", None)
        token = csrf_token(client, f"/admin/badges/{badge_id}/upload")
        g.pop("csrf_token", None)

        started = time.perf_counter()
        response = client.post(
            f"/admin/badges/{badge_id}/upload",
            data={"csrf_token": token, "file": (io.BytesIO(data), "list.csv")},
            content_type="multipart/form-data",
        )
        preview_page = response.get_data(as_text=True)
        response.close()
        preview = time.perf_counter() - started
        assert response.status_code == 200, preview_page[-2000:]
        sealed = sealed_value(preview_page)

        started = time.perf_counter()
        response = client.post(
            f"/admin/badges/{badge_id}/confirm",
            data={"csrf_token": token, "sealed": sealed},
        )
        confirm = time.perf_counter() - started
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]

        session = ext.db.session()
        awards = session.scalar(select(func.count()).select_from(Award))
        mails = session.scalar(select(func.count()).select_from(OutboxMail))
        tokens = session.scalar(select(func.count()).select_from(Token))
        assert awards == mails == tokens == count, (awards, mails, tokens)
        ext.db.session.remove()
        Base.metadata.drop_all(ext.db.engine)
        ext.db.engine.dispose()
    return preview, confirm, len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="only this database")
    args = parser.parse_args()
    os.environ.setdefault("WALLET_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-issuing-"))
    targets = databases(args.database_url)
    failed = False
    for name, url in targets:
        preview, confirm, size = run(url, args.rows)
        total = preview + confirm
        verdict = "ok" if total < TARGET_SECONDS else "OVER TARGET"
        failed |= total >= TARGET_SECONDS
        print(
            f"{name:<10} {args.rows} rows ({size / 1024:.0f} KB CSV): preview {preview:.2f} s, "
            f"confirm {confirm:.2f} s, total {total:.2f} s (target < {TARGET_SECONDS:.0f} s) "
            f"{verdict}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
