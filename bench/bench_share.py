"""What a badge shows the world, under load: share page, images, hosted JSON vs hello-world.

    .venv/bin/python bench/bench_share.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:55432/wallet_bench \\
        --redis-url redis://127.0.0.1:6379/3 [-d 5] [-r 3] [-c 64] [-t 2] [-w 2]

Starts gunicorn (``-w`` sync workers, the same settings for each) serving a Flask
hello-world, the wallet in production mode on PostgreSQL + Redis, and the same wallet
with its short cache of public answers turned off (``WALLET_PUBLIC_CACHE_SECONDS=0``,
wallet/http_cache.py), then drives each URL with ``wrk -t2 -c64 --latency``: the
hello-world, the share page as a stranger opens it (200, the whole page), the same
revalidated with its ETag (304), the Open Graph image, the QR code PNG and the hosted
assertion JSON. Rounds go through every URL in turn, so a busy machine slows them
alike; each row shows the median over the rounds of its throughput and p99, and of
their ratios to the hello-world's of the same round. Targets: 0.5x of hello-world's
throughput or better, p99 within 2x. A route the branch does not have is "pending".

The database at ``--database-url`` is emptied and filled with the demo data
(``flask demo-data``): use one that holds nothing else. Needs ``wrk`` (Debian
package ``wrk``; installed with apt-get when missing and running as root).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _support import free_port, wait_for  # noqa: E402

BIN = ROOT / ".venv" / "bin"

HELLO_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
"""


@dataclass
class Row:
    name: str
    url: str
    headers: tuple[str, ...] = ()
    expect: int = 200
    pending: str = ""
    target: bool = True  # held to the targets (the rows without the cache are not)
    rates: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    rate_ratios: list[float] = field(default_factory=list)
    p99_ratios: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: apt-get install wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "wrk"], check=True, env=env
    )
    return shutil.which("wrk") or sys.exit("wrk did not install")


def _status(url: str, headers: tuple[str, ...] = ()) -> int:
    request = urllib.request.Request(url)  # noqa: S310 (loopback only)
    for header in headers:
        key, _, value = header.partition(": ")
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _etag(url: str, headers: tuple[str, ...]) -> str:
    request = urllib.request.Request(url)  # noqa: S310 (loopback only)
    for header in headers:
        key, _, value = header.partition(": ")
        request.add_header(key, value)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return str(response.headers["ETag"])


def _gunicorn(
    app: str, port: int, workers: int, env: dict[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=cwd,
        env=env,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(wrk: str, row: Row, args: argparse.Namespace) -> tuple[float, float]:
    """One wrk run: requests per second and p99 in ms."""
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
    ]
    for header in row.headers:
        command += ["-H", header]
    output = subprocess.run([*command, row.url], check=True, capture_output=True, text=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if not rate or not p99:
        sys.exit(f"could not read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    for problem in (
        f"{bad.group(1)} non-2xx/3xx" if bad else "",
        socket_errors.group(1) if socket_errors else "",
    ):
        if problem:
            row.errors.append(problem)
    return float(rate.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)]


def _seed(database_url: str, redis_url: str, base_url: str, instance: Path) -> dict[str, str]:
    """Empty the database, load the demo data; the demo student's public badge's ids."""
    from sqlalchemy import select

    from wallet import create_app
    from wallet import extensions as ext
    from wallet.config import Settings
    from wallet.db import Base
    from wallet.models import Award

    settings = Settings(
        env="testing",
        secret_key="bench",
        database_url=database_url,
        base_url=base_url,
        instance_path=instance,
        redis_url=redis_url,
    )
    app = create_app(settings)
    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        Base.metadata.create_all(ext.db.engine)
        result = app.test_cli_runner().invoke(args=["demo-data"])
        if result.exit_code != 0:
            sys.exit(result.output)
        share_id = result.output.split("/b/", 1)[1].split()[0]
        award = ext.db.session.scalars(select(Award).where(Award.share_id == share_id)).one()
        routes = {rule.rule for rule in app.url_map.iter_rules()}
        ids = {"share_id": share_id, "public_id": award.public_id}
        ids |= {route: "yes" for route in routes}
        ext.db.session.remove()
        ext.db.engine.dispose()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("WALLET_BENCH_PG_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("WALLET_BENCH_REDIS_URL", ""))
    parser.add_argument("-d", "--duration", type=int, default=5, help="seconds per URL and round")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-c", "--connections", type=int, default=64)
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("-w", "--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--app-root",
        type=Path,
        default=ROOT,
        help="serve the wallet from another checkout (e.g. `git archive` of an older commit)",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql") or not args.redis_url:
        sys.exit("give --database-url (PostgreSQL, emptied!) and --redis-url")
    wrk = _ensure_wrk()

    work = Path(tempfile.mkdtemp(prefix="bench-share-"))
    (work / "hello_app.py").write_text(HELLO_APP)
    hello_port, wallet_port, plain_port = free_port(), free_port(), free_port()
    base_url = f"http://127.0.0.1:{wallet_port}"
    plain_url = f"http://127.0.0.1:{plain_port}"
    ids = _seed(args.database_url, args.redis_url, base_url, work)
    lang = ("Accept-Language: ja",)

    def share(base: str) -> str:
        return f"{base}/b/{ids['share_id']}"

    def assertion(base: str) -> str:
        return f"{base}/ob/assertions/{ids['public_id']}"

    rows = [
        Row("hello-world", f"http://127.0.0.1:{hello_port}/"),
        Row("share page", share(base_url), lang),
        Row("share page, revalidated", share(base_url), lang, expect=304),
        Row("OG image", f"{share(base_url)}/og.png?lang=ja"),
        Row("QR code PNG", f"{share(base_url)}/qr.png"),
        Row("hosted assertion JSON", assertion(base_url)),
        Row("share page, no cache", share(plain_url), lang, target=False),
        Row("revalidated, no cache", share(plain_url), lang, expect=304, target=False),
        Row("assertion JSON, no cache", assertion(plain_url), target=False),
    ]
    for row, route in ((rows[3], "/b/<share_id>/og.png"), (rows[4], "/b/<share_id>/qr.png")):
        if route not in ids:
            row.pending = f"pending: no {route} route on this branch"

    env = {
        **os.environ,
        "PYTHONPATH": str(args.app_root),
        "WALLET_ENV": "production",
        "WALLET_SECRET_KEY": "bench-secret-key-not-for-production",
        "WALLET_DATABASE_URL": args.database_url,
        "WALLET_BASE_URL": base_url,
        "WALLET_REDIS_URL": args.redis_url,
        "WALLET_INSTANCE_PATH": str(work),
    }
    plain_env = {**env, "WALLET_BASE_URL": plain_url, "WALLET_PUBLIC_CACHE_SECONDS": "0"}
    servers = [
        _gunicorn("hello_app:app", hello_port, args.workers, env, work),
        _gunicorn("wsgi:app", wallet_port, args.workers, env, args.app_root),
        _gunicorn("wsgi:app", plain_port, args.workers, plain_env, args.app_root),
    ]
    try:
        for url in (rows[0].url, base_url + "/", plain_url + "/"):
            wait_for(url)
        for row in rows:
            if row.expect == 304:
                page = row.url
                row.headers = (*lang, f"If-None-Match: {_etag(page, lang)}")
        for row in rows:
            if row.pending:
                continue
            status = _status(row.url, row.headers)
            if status != row.expect:
                sys.exit(f"{row.name}: {row.url} answered {status}, expected {row.expect}")
            for _ in range(20):  # each worker's connections and caches warm
                _status(row.url, row.headers)
        for _ in range(args.rounds):
            base_rate, base_p99 = 0.0, 0.0
            for row in rows:
                if row.pending:
                    continue
                rate, p99 = _wrk(wrk, row, args)
                if row is rows[0]:
                    base_rate, base_p99 = rate, p99
                row.rates.append(rate)
                row.p99s.append(p99)
                row.rate_ratios.append(rate / base_rate)
                row.p99_ratios.append(p99 / base_p99)
    finally:
        for server in servers:
            _stop(server)
        shutil.rmtree(work, ignore_errors=True)
    _report(rows, args)


def _report(rows: list[Row], args: argparse.Namespace) -> None:
    median = statistics.median
    print(
        f"gunicorn {args.workers} sync workers; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s; median of {args.rounds} rounds; PostgreSQL + Redis; "
        f"wallet from {args.app_root}"
    )
    print(f"{'':26} {'req/s':>8} {'x hello':>8} {'p99 ms':>8} {'x hello':>8}")
    for row in rows:
        if row.pending:
            print(f"{row.name:26} {row.pending}")
            continue
        rate, p99 = median(row.rate_ratios), median(row.p99_ratios)
        met = rate >= 0.5 and p99 <= 2
        verdict = "" if row is rows[0] else ("ok" if met else "MISSED")
        if not row.target and row is not rows[0]:
            verdict = f"({'meets' if met else 'below'} the targets)"
        problems = f" {sorted(set(row.errors))}" if row.errors else ""
        print(
            f"{row.name:26} {median(row.rates):8.0f} {rate:8.2f} {median(row.p99s):8.1f} "
            f"{p99:8.2f}  {verdict}{problems}"
        )


if __name__ == "__main__":
    main()
