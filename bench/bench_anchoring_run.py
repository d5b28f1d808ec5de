"""The daily anchoring run for 10,000 accepted awards, end to end.

    .venv/bin/python bench/bench_anchoring_run.py [-n 10000] [--database-url URL]

Measured: ``run_anchoring`` as the job calls it: every credential built and canonicalised,
the Merkle tree, the log entry and signed checkpoint, the credential rows, the awards
issued and mail 2 queued for each, committed step by step. The awards (pending, each with
its student) are written beforehand with bulk inserts. Runs on a fresh SQLite file, then on
PostgreSQL when ``WALLET_BENCH_PG_URL`` or ``WALLET_TEST_PG_URL`` is set (its tables are
dropped and recreated). Target: under 60 s on PostgreSQL (issue 11).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _support import bench_app, data_science_badge, databases, seed_badge_class  # noqa: E402

TARGET_SECONDS = 60.0


def run(database_url: str, count: int) -> tuple[float, float]:
    from sqlalchemy import func, insert, select
    from sqlalchemy.orm import Session

    from wallet import extensions as ext
    from wallet.db import Base
    from wallet.models import AnchoredCredential, Award, AwardState, BadgeKind, OutboxMail, User
    from wallet.services.anchoring.run import run_anchoring

    app, settings = bench_app(database_url, "bench-anchoring-")
    now = datetime.now(UTC)
    with app.app_context():
        engine = ext.db.engine
        with Session(engine) as session:
            badge = seed_badge_class(session, settings, data_science_badge(BadgeKind.ANCHORED))
            session.commit()
            session.execute(
                insert(User),
                [
                    {
                        "email": f"student{i:06d}@shizuoka.ac.jp",
                        "name": f"静岡 学生{i:06d}",
                        "password_hash": "x",
                        "locale": "ja" if i % 5 else "en",
                        "activated_at": now,
                    }
                    for i in range(count)
                ],
            )
            users = list(session.scalars(select(User.id).order_by(User.id)))
            session.execute(
                insert(Award),
                [
                    {
                        "public_id": f"bench-award-{i:08d}",
                        "share_id": f"b{i:08d}",
                        "badge_class_id": badge.id,
                        "recipient_email": f"student{i:06d}@shizuoka.ac.jp",
                        "recipient_name": f"静岡 学生{i:06d}",
                        "salt": "0" * 32,
                        "state": AwardState.PENDING,
                        "user_id": users[i],
                        "accepted_at": now - timedelta(hours=8),
                    }
                    for i in range(count)
                ],
            )
            session.commit()
            started = time.perf_counter()
            cpu = time.process_time()
            report = run_anchoring(session, settings, now)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            mails = session.scalar(
                select(func.count())
                .select_from(OutboxMail)
                .where(OutboxMail.template == "badge_issued")
            )
            rows = session.scalar(select(func.count()).select_from(AnchoredCredential))
            assert report.issued == mails == rows == count, (report, mails, rows)
        Base.metadata.drop_all(engine)
        engine.dispose()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--awards", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="only this database")
    args = parser.parse_args()
    os.environ.setdefault("WALLET_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-anchoring-"))
    failed = False
    for name, url in databases(args.database_url):
        elapsed, cpu = run(url, args.awards)
        verdict = "ok" if elapsed < TARGET_SECONDS else "OVER TARGET"
        failed |= elapsed >= TARGET_SECONDS
        print(
            f"{name:<10} {args.awards} accepted awards anchored, issued and mailed in "
            f"{elapsed:.2f} s wall, {cpu:.2f} s CPU in this process "
            f"({args.awards / elapsed:.0f}/s; {elapsed / args.awards * 1000:.2f} ms each; "
            f"target < {TARGET_SECONDS:.0f} s) {verdict}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
