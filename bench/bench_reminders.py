"""Queue claim reminders for 100,000 due awards in one run.

    .venv/bin/python bench/bench_reminders.py [-n 100000] [--database-url URL]

The path measured is the job's: ``reminders.send_due_reminders`` claims batches of
500 due awards (a locking ``SELECT``, one ``UPDATE``), writes a claim token and an outbox
row for each, and commits per batch. The awards are written beforehand with bulk
inserts, all offered a month and a day ago, each with its mail 1 claim token. Runs
on a fresh SQLite file, then on PostgreSQL too when ``WALLET_BENCH_PG_URL`` or
``WALLET_TEST_PG_URL`` is set (its tables are dropped and recreated). Target: under
60 s each (issue 13).
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
from _support import bench_app, databases, seed_badge_class  # noqa: E402

TARGET_SECONDS = 60.0


def run(database_url: str, count: int) -> float:
    from sqlalchemy import func, insert, select, text
    from sqlalchemy.orm import Session

    from wallet import extensions as ext
    from wallet.db import Base
    from wallet.models import Award, AwardState, OutboxMail, Token, TokenPurpose
    from wallet.services import issuing, reminders

    app, settings = bench_app(database_url, "bench-reminders-")
    now = datetime.now(UTC)
    offered = now - timedelta(days=31)
    with app.app_context():
        engine = ext.db.engine
        # a plain session: the bench measures queueing, not the drains a commit kicks
        with Session(engine) as session:
            badge = seed_badge_class(
                session,
                settings,
                issuing.BadgeClassDetails(name="ベンチマーク", description="d", criteria_text="c"),
            )
            session.commit()
            for start in range(0, count, 10_000):
                session.execute(
                    insert(Award),
                    [
                        {
                            "public_id": f"bench-award-{i:08d}",
                            "share_id": f"b{i:08d}",
                            "badge_class_id": badge.id,
                            "recipient_email": f"student{i:06d}@example.ac.jp",
                            "recipient_name": f"静岡 学生{i:06d}",
                            "salt": "0" * 32,
                            "locale": "ja" if i % 5 else "en",
                            "state": AwardState.OFFERED,
                            "issued_on": offered,
                            "created_at": offered,
                        }
                        for i in range(start, min(start + 10_000, count))
                    ],
                )
            # each award's mail 1 link, as issuing wrote it
            award_ids = list(session.scalars(select(Award.id).order_by(Award.id)))
            for start in range(0, count, 10_000):
                session.execute(
                    insert(Token),
                    [
                        {
                            "purpose": TokenPurpose.CLAIM,
                            "token_hash": f"{award_id:064d}",
                            "email": f"student{award_id:06d}@example.ac.jp",
                            "award_id": award_id,
                            "expires_at": offered + timedelta(days=180),
                            "created_at": offered,
                        }
                        for award_id in award_ids[start : start + 10_000]
                    ],
                )
            session.commit()
            if engine.dialect.name == "postgresql":
                # what autovacuum does to a table that grew this much: without
                # statistics the planner takes 100,000 fresh rows for a few
                session.execute(text("ANALYZE award"))
                session.execute(text("ANALYZE token"))
                session.commit()

            started = time.perf_counter()
            queued = reminders.send_due_reminders(
                session,
                reminders.ReminderPolicy.from_days(30, 6),
                base_url=settings.base_url,
                claim_lifetime=timedelta(days=settings.claim_token_days),
                timezone=settings.timezone,
                now=now,
                commit=session.commit,
            )
            elapsed = time.perf_counter() - started
            mails = session.scalar(select(func.count()).select_from(OutboxMail))
            assert queued == mails == count, (queued, mails)
        Base.metadata.drop_all(engine)
        engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--awards", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="only this database")
    args = parser.parse_args()
    os.environ.setdefault("WALLET_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-reminders-"))
    targets = databases(args.database_url)
    failed = False
    for name, url in targets:
        elapsed = run(url, args.awards)
        verdict = "ok" if elapsed < TARGET_SECONDS else "OVER TARGET"
        failed |= elapsed >= TARGET_SECONDS
        print(
            f"{name:<10} {args.awards} due awards: reminders queued in {elapsed:.2f} s "
            f"({args.awards / elapsed:.0f}/s; target < {TARGET_SECONDS:.0f} s) {verdict}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
