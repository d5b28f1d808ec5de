"""What several benchmarks share: which databases to run on, and loopback servers.

Benchmarks run as scripts (``.venv/bin/python bench/bench_x.py``), so this folder is
on ``sys.path`` and they import it as ``_support``.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request


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
