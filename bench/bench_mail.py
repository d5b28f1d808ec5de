"""Mail delivery rate: N queued mails through the real delivery path to a loopback SMTP server.

    .venv/bin/python bench/bench_mail.py [-n 2000] [-w WORKERS] [--database-url URL]

The path measured is the job's: ``wallet.jobs.deliver_outbox`` claims batches,
renders each mail (Jinja, ja/en), sends it over one SMTP connection per run and
commits each outcome; ``-w 2`` runs two such drains side by side, as two
Huey worker threads do (``make worker``). The SMTP server (aiosmtpd) runs in a
separate process so it does not compete with the sender for the interpreter
lock. Target: >= 200 mails/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _CountingHandler:
    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _serve(port: int, counter: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--mails", type=int, default=2000)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument(
        "-w", "--workers", type=int, default=1, help="drains run side by side (huey -w)"
    )
    args = parser.parse_args()

    from sqlalchemy import func, insert, select

    from tests.smtp import free_port
    from wallet import create_app, jobs
    from wallet import extensions as ext
    from wallet.config import Settings
    from wallet.db import Base
    from wallet.models import MailStatus, OutboxMail
    from wallet.services import outbox

    instance = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    port = free_port()
    counter, ready, stop = mp.Value("i", 0), mp.Event(), mp.Event()
    server = mp.Process(target=_serve, args=(port, counter, ready, stop), daemon=True)
    server.start()
    ready.wait(10)

    settings = Settings(
        env="testing",
        secret_key="bench",
        database_url=args.database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
        base_url="http://wallet.bench",
        instance_path=instance,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
    )
    app = create_app(settings)
    try:
        with app.app_context():
            engine = ext.db.engine
            Base.metadata.drop_all(engine)
            Base.metadata.create_all(engine)
            rows = [
                {
                    "template": "award_notice",
                    "to_email": f"student{i}@shizuoka.ac.jp",
                    "locale": "en" if i % 5 == 0 else "ja",
                    "context": {
                        "recipient_name": f"静岡 太郎{i}",
                        "badge_name": "データサイエンス基礎",
                        "badge_name_en": "Data Science Basics",
                        "issuer_name": "静岡大学",
                        "issuer_name_en": "Shizuoka University",
                        "claim_url": f"http://wallet.bench/claim/token-{i:06d}",
                        "claim_expires_on": "2026-07-01",
                    },
                }
                for i in range(args.mails)
            ]
            ext.db.session.execute(insert(OutboxMail), rows)
            ext.db.session.commit()

            reports: list[outbox.DeliveryReport] = []

            def drain() -> None:
                with app.app_context():
                    reports.append(jobs.deliver_outbox())

            threads = [threading.Thread(target=drain) for _ in range(args.workers)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            delivered = sum(report.sent for report in reports)

            sent = ext.db.session.scalar(
                select(func.count()).where(OutboxMail.status == MailStatus.SENT)
            )
            deadline = time.monotonic() + 10
            while counter.value < args.mails and time.monotonic() < deadline:
                time.sleep(0.05)
            ext.db.session.remove()
            Base.metadata.drop_all(engine)
            engine.dispose()
    finally:
        stop.set()
        server.join(10)

    print(f"database:  {engine.dialect.name}, {args.workers} worker(s)")
    print(f"mails:     {args.mails} queued, {delivered} sent ({sent} rows marked sent)")
    print(f"received:  {counter.value} by the SMTP server")
    print(f"time:      {elapsed:.2f} s")
    print(f"rate:      {delivered / elapsed:.0f} mails/s")
    if counter.value != args.mails or delivered != args.mails or sent != args.mails:
        sys.exit("not every mail arrived exactly once")


if __name__ == "__main__":
    main()
