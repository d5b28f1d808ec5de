"""/verify with a hosted badge's address pasted, fetched from another server on loopback.

    .venv/bin/python bench/bench_verify_page.py [-n 200] [-w 2]

Two wallets: the **issuer**, gunicorn (``-w`` sync workers) on loopback with the demo
data on SQLite, and the **verifier**, an app in this process whose verify page fetches
through the safe fetcher (docs/fetching.md) with the name ``issuer.test`` pointed at the
issuer's port by an explicit allow-list, exactly as tests do. The verifier's base URL is
another site's, so the demo badge is one of "another issuer's" badges to it: every
document (assertion, badge class, issuer profile, revocation list, image) is fetched over
HTTP, not read from the database (``SiteFetcher``).

Rows, each ``-n`` requests, p50 / p95 / mean:

- **library alone**: ``verify_hosted`` on the same documents already fetched (a dict lookup);
- **library + safe fetcher**: ``verify_hosted`` through the safe fetcher, no Flask;
- **/verify, first check**: ``GET /verify?url=<assertion>`` through the verifier app's
  test client, the result cache emptied before each request: fetch, verify, draw the page;
- **/verify, repeat**: the same inside the cache window (60 s): no fetch;
- **/verify, the empty form**: the page with no check, for what drawing it costs.

Targets (issue 10): first check p50 under 50 ms; a repeat under 5 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wallet.openbadges.fetching import FetchResult

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _support import free_port, wait_for  # noqa: E402

BIN = ROOT / ".venv" / "bin"
HOST = "issuer.test"


def _seed_issuer(env: dict[str, str]) -> str:
    """Migrate the issuer's database, load the demo data; the demo badge's assertion URL."""
    flask = [str(BIN / "flask"), "--app", "wallet"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    done = subprocess.run(
        [*flask, "demo-data"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    share_id = done.stdout.split("/b/", 1)[1].split()[0]
    database = env["WALLET_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        (public_id,) = connection.execute(
            "SELECT public_id FROM award WHERE share_id = ?", (share_id,)
        ).fetchone()
    return f"{env['WALLET_BASE_URL']}/ob/assertions/{public_id}"


def _timed(action: Callable[[], object], number: int) -> list[float]:
    times = []
    for _ in range(number):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _row(name: str, times: list[float]) -> tuple[str, float, float, float]:
    p95 = statistics.quantiles(times, n=20)[-1]
    return name, statistics.median(times), p95, statistics.fmean(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--number", type=int, default=200)
    parser.add_argument("-w", "--workers", type=int, default=2, help="issuer's gunicorn workers")
    args = parser.parse_args()

    from wallet import create_app
    from wallet import extensions as ext
    from wallet.config import Settings
    from wallet.db import Base
    from wallet.openbadges.fetching import MemoryFetcher
    from wallet.openbadges.verify import verify_hosted
    from wallet.safe_fetch import SafeFetcher, StaticResolver
    from wallet.views import verify as verify_view

    work = Path(tempfile.mkdtemp(prefix="bench-verify-page-"))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WALLET_ENV": "development",
        "WALLET_SECRET_KEY": "bench-secret-key-not-for-production",
        "WALLET_DATABASE_URL": f"sqlite:///{work / 'issuer.sqlite3'}",
        "WALLET_BASE_URL": f"http://{HOST}:{port}",
        "WALLET_INSTANCE_PATH": str(work),
    }
    url = _seed_issuer(env)
    issuer = subprocess.Popen(
        [
            *(str(BIN / "gunicorn"), "-w", str(args.workers), "-k", "sync"),
            *("-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"),
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        fetcher = SafeFetcher(
            resolver=StaticResolver({HOST: "127.0.0.1"}), allow=[("127.0.0.1", port)]
        )
        settings = Settings(
            env="testing",
            secret_key="bench",
            database_url=f"sqlite:///{work / 'verifier.sqlite3'}",
            base_url="http://verifier.test",
            instance_path=work,
            ratelimit_enabled=False,
        )
        app = create_app(settings)
        app.extensions["wallet.fetcher"] = fetcher
        with app.app_context():
            Base.metadata.create_all(ext.db.engine)
        client = app.test_client()

        recording = _Recording(fetcher)
        if not verify_hosted(url, recording).valid:
            sys.exit(f"the demo badge does not verify through the fetcher: {url}")
        memory = MemoryFetcher(recording.answers)
        if not verify_hosted(url, memory).valid:
            sys.exit("the demo badge does not verify from memory")

        def first_check() -> None:
            verify_view.RESULTS.clear()
            response = client.get("/verify", query_string={"url": url})
            assert response.status_code == 200, response.status_code
            assert 'class="verdict verdict-valid"' in response.text

        def blank() -> None:
            assert client.get("/verify").status_code == 200

        def repeat() -> None:
            response = client.get("/verify", query_string={"url": url})
            assert response.status_code == 200, response.status_code

        for _ in range(10):  # connections, templates and caches warm
            first_check()
            verify_hosted(url, fetcher)
        rows = [
            _row(
                "library alone (documents at hand)",
                _timed(lambda: verify_hosted(url, memory), args.number),
            ),
            _row(
                "library + safe fetcher (no Flask)",
                _timed(lambda: verify_hosted(url, fetcher), args.number),
            ),
            _row("/verify, first check", _timed(first_check, args.number)),
        ]
        first_check()
        rows.append(_row("/verify, repeat inside the cache window", _timed(repeat, args.number)))
        rows.append(_row("/verify, the empty form (drawing the page)", _timed(blank, args.number)))
    finally:
        os.killpg(issuer.pid, signal.SIGTERM)
        issuer.wait(15)
        shutil.rmtree(work, ignore_errors=True)

    library = rows[0][1]
    print(f"\n{len(recording.answers)} documents per check; {args.number} requests per row\n")
    print("| what | p50 | p95 | mean | p50 x library |")
    print("|---|---|---|---|---|")
    for name, p50, p95, mean in rows:
        print(f"| {name} | {p50:.2f} ms | {p95:.2f} ms | {mean:.2f} ms | {p50 / library:.1f} |")
    print("\ntargets: first check p50 < 50 ms; repeat < 5 ms")


class _Recording:
    """A fetcher that keeps every answer, to replay them from memory."""

    def __init__(self, fetcher: Callable[[str], FetchResult]) -> None:
        self.fetcher = fetcher
        self.answers: dict[str, FetchResult] = {}

    def __call__(self, url: str) -> FetchResult:
        answer = self.fetcher(url)
        self.answers[url] = answer
        return answer


if __name__ == "__main__":
    main()
