"""Issuing 10,000 Open Badges 3.0 credentials at once (a year's completers accepting on
one day, or one daily run), as the app issues them.

    .venv/bin/python bench/bench_ob3_issuing.py [-n 10000] [--database-url URL]

Measured: ``ob3.issuing.issue_credentials`` on 10,000 issued hosted awards: each
credential built, signed (an eddsa-rdfc-2022 Data Integrity proof, and the VC-JWT), and all
rows inserted and committed; beside it, what the Data Integrity signing alone costs each
(`integrity.sign`, strict, on a sample), as a share of the whole. Runs on a fresh SQLite
file, then on PostgreSQL when ``WALLET_BENCH_PG_URL`` or ``WALLET_TEST_PG_URL`` is set.
Target: under 60 s (issue 12).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _support import bench_app, data_science_badge, databases, seed_badge_class  # noqa: E402

TARGET_SECONDS = 60.0
SAMPLE = 200


def run(database_url: str, count: int) -> tuple[float, float]:
    from sqlalchemy import func, insert, select
    from sqlalchemy.orm import Session

    from wallet import extensions as ext
    from wallet.db import Base
    from wallet.models import Award, AwardCredential, AwardState, BadgeKind
    from wallet.openbadges.ob3 import integrity
    from wallet.services.ob3 import issuing as ob3_issuing
    from wallet.services.ob3.keys import signer_for

    app, settings = bench_app(database_url, "bench-ob3-")
    now = datetime.now(UTC)
    with app.app_context():
        engine = ext.db.engine
        with Session(engine) as session:
            badge = seed_badge_class(session, settings, data_science_badge(BadgeKind.HOSTED))
            session.commit()
            session.execute(
                insert(Award),
                [
                    {
                        "public_id": f"bench-award-{i:08d}",
                        "share_id": f"b{i:08d}",
                        "badge_class_id": badge.id,
                        "recipient_email": f"student{i:06d}@shizuoka.ac.jp",
                        "recipient_name": f"静岡 学生{i:06d}",
                        "salt": f"{i:032x}",
                        "state": AwardState.ISSUED,
                        "accepted_at": now,
                        "issued_at": now,
                    }
                    for i in range(count)
                ],
            )
            session.commit()
            awards = list(session.scalars(select(Award).order_by(Award.id)))
            started = time.perf_counter()
            ob3_issuing.issue_credentials(session, settings, awards, now)
            session.commit()
            elapsed = time.perf_counter() - started
            rows = session.scalar(select(func.count()).select_from(AwardCredential))
            assert rows == count, rows
            signer = signer_for(session, settings, badge.issuer, now)
            documents = [
                ob3_issuing.credential_document(award, settings.base_url, now, (1, number))
                for number, award in enumerate(awards[:SAMPLE])
            ]
            started = time.perf_counter()
            for document in documents:
                integrity.sign(
                    document, signer.private_key, signer.verification_method, created=now
                )
            ordinary = (time.perf_counter() - started) / SAMPLE
        Base.metadata.drop_all(engine)
        engine.dispose()
    return elapsed, ordinary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--awards", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="only this database")
    args = parser.parse_args()
    os.environ.setdefault("WALLET_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-ob3-"))
    failed = False
    for name, url in databases(args.database_url):
        elapsed, ordinary = run(url, args.awards)
        each = elapsed / args.awards
        verdict = "ok" if elapsed < TARGET_SECONDS else "OVER TARGET"
        failed |= elapsed >= TARGET_SECONDS
        print(
            f"{name:<10} {args.awards} credentials signed (JSON + JWT) and stored in "
            f"{elapsed:.2f} s ({each * 1000:.2f} ms each; target < {TARGET_SECONDS:.0f} s) "
            f"{verdict}; of which Data Integrity signing {ordinary * 1000:.2f} ms "
            f"({ordinary / each:.0%})"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
