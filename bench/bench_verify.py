"""Verify a hosted badge with an in-memory fetcher: library time per verification.

    .venv/bin/python bench/bench_verify.py [--number 2000]

The fetcher answers from prepared responses (a dict lookup), so the time measured is the
library's: parsing, checks, recipient hash, revocation list and image sniffing.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, datetime

from PIL import Image

from wallet.openbadges.fetching import FetchResult, MemoryFetcher
from wallet.openbadges.hashing import hashed_recipient
from wallet.openbadges.v2 import (
    Assertion,
    BadgeClass,
    Criteria,
    Profile,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
)
from wallet.openbadges.verify import verify_hosted

ORIGIN = "https://badges.example.ac.jp"
EMAIL = "hanako.yamada@example.ac.jp"


def documents() -> dict[str, FetchResult]:
    issuer = Profile(
        f"{ORIGIN}/ob/issuers/1",
        "Example University",
        ORIGIN,
        "badges@example.ac.jp",
        revocation_list=f"{ORIGIN}/ob/revocations/1",
    )
    badge = BadgeClass(
        f"{ORIGIN}/ob/badges/1",
        "Data Science Basics",
        "Completed the data science foundation course.",
        f"{ORIGIN}/ob/images/badge.png",
        Criteria(narrative="Pass all six assignments."),
        issuer.id,
    )
    assertion = Assertion(
        f"{ORIGIN}/ob/assertions/1",
        hashed_recipient(EMAIL),
        badge.id,
        VerificationObject(),
        datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
    )
    revoked = tuple(RevokedAssertion(f"{ORIGIN}/ob/assertions/r{n}") for n in range(20))
    revocations = RevocationList(f"{ORIGIN}/ob/revocations/1", issuer.id, revoked)
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (20, 90, 160)).save(buffer, format="PNG")
    fetcher = MemoryFetcher(
        {doc.id: doc.to_json() for doc in (issuer, badge, assertion, revocations)}
        | {str(badge.image): buffer.getvalue()}
    )
    return {url: fetcher(url) for url in fetcher.documents}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    prepared = documents()
    fetcher = prepared.__getitem__
    url = f"{ORIGIN}/ob/assertions/1"
    now = datetime(2026, 11, 25, tzinfo=UTC)
    report = verify_hosted(url, fetcher, recipients=[EMAIL], now=now)
    assert report.valid, report.failures
    timings = []
    for _ in range(args.number):
        start = time.perf_counter()
        verify_hosted(url, fetcher, recipients=[EMAIL], now=now)
        timings.append(time.perf_counter() - start)
    timings.sort()
    print(f"verify_hosted, {len(report.checks)} checks, {args.number} runs")
    median = statistics.median(timings) * 1e3
    p95 = timings[int(0.95 * len(timings))] * 1e3
    print(f"median {median:.3f} ms, p95 {p95:.3f} ms, best {timings[0] * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
