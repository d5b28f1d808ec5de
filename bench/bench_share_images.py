"""Share images are drawn once: the first request for each image against later ones.

    .venv/bin/python bench/bench_share_images.py [-n 20] [-r 50] [--database-url URL]

Through the real web path with Flask's test client, anonymous, on public badges:
for each of ``-n`` badges (each with its own SVG class image, name and share id)
request ``og.png``, ``qr.png``, ``qr.svg`` and ``badge.png`` once (drawn and
stored), then ``-r`` more times each (found by key, bytes read from the
database), then ``-r`` times with ``If-None-Match`` (304: key look-up only). It
checks that the later requests added no ``RenderedImage`` row and returned the
same bytes. Runs on a fresh SQLite file, then on PostgreSQL too when
``WALLET_BENCH_PG_URL`` or ``WALLET_TEST_PG_URL`` is set (its tables are dropped
and recreated). Prints median milliseconds per request and the ratio first/later.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _support import databases  # noqa: E402

IMAGES = ("og.png", "qr.png", "qr.svg", "badge.png")
BADGE_SVG = (ROOT / "tests" / "data" / "svg" / "benign" / "inkscape-gradient-badge.svg").read_text()


def _badge_svg(n: int) -> bytes:
    """The same drawing with one extra shape of a colour of its own: a distinct image each."""
    mark = f'<circle cx="10" cy="10" r="4" fill="#{n * 2654435761 % 0xFFFFFF:06x}"/></svg>'
    return BADGE_SVG.replace("</svg>", mark).encode()


Timings = dict[str, dict[str, list[float]]]


def run(database_url: str, badges: int, repeat: int) -> Timings:
    from sqlalchemy import func, select

    from tests.conftest import make_settings
    from tests.factories import AwardFactory, BadgeClassFactory, BlobFactory, UserFactory
    from wallet import create_app
    from wallet import extensions as ext
    from wallet.db import Base
    from wallet.models import RenderedImage

    instance = Path(tempfile.mkdtemp(prefix="bench-share-images-"))
    settings = make_settings(
        instance,
        database_url=database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
        ratelimit_enabled=False,
    )
    app = create_app(settings)
    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        Base.metadata.create_all(ext.db.engine)
        owner = UserFactory()
        share_ids = []
        for n in range(badges):
            blob = BlobFactory(data=_badge_svg(n), content_type="image/svg+xml")
            badge = BadgeClassFactory(image_sha256=blob.sha256)
            award = AwardFactory(issued=True, user=owner, is_public=True, badge_class=badge)
            share_ids.append(award.share_id)
        ext.db.session.commit()
        ext.db.session.remove()

    def rows() -> int:
        with app.app_context():
            count = ext.db.session.scalar(select(func.count()).select_from(RenderedImage))
            ext.db.session.remove()
            return count or 0

    client = app.test_client()
    timings: Timings = {name: {"first": [], "later": [], "304": []} for name in IMAGES}

    def timed(url: str, expect: int, **headers: str) -> tuple[float, bytes, str]:
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == expect, (url, response.status_code)
        return elapsed, response.data, response.headers["ETag"]

    first_bytes: dict[str, bytes] = {}
    for share_id in share_ids:
        for name in IMAGES:
            url = f"/b/{share_id}/{name}"
            elapsed, first_bytes[url], _etag = timed(url, 200)
            timings[name]["first"].append(elapsed)
    drawn = rows()
    assert drawn == len(IMAGES) * badges, drawn
    for share_id in share_ids:
        for name in IMAGES:
            url = f"/b/{share_id}/{name}"
            for _ in range(repeat):
                elapsed, later_bytes, etag = timed(url, 200)
                assert later_bytes == first_bytes[url], url
                timings[name]["later"].append(elapsed)
            for _ in range(repeat):
                elapsed, _, _ = timed(url, 304, **{"If-None-Match": etag})
                timings[name]["304"].append(elapsed)
    assert rows() == drawn, "a later request drew an image"

    with app.app_context():
        Base.metadata.drop_all(ext.db.engine)
        ext.db.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--badges", type=int, default=20)
    parser.add_argument("-r", "--repeat", type=int, default=50)
    parser.add_argument("--database-url", default="", help="only this database")
    args = parser.parse_args()
    os.environ.setdefault("WALLET_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-share-images-"))
    targets = databases(args.database_url)
    print(f"{args.badges} badges; later and 304: {args.repeat} requests per image each")
    header = ("database", "image", "first ms", "later ms", "304 ms", "first/later")
    print("{:<11}{:<11}{:>9}{:>10}{:>8}{:>13}".format(*header))
    for database, url in targets:
        timings = run(url, args.badges, args.repeat)
        for name, runs in timings.items():
            first, later, cached = (
                statistics.median(runs[k]) * 1000 for k in ("first", "later", "304")
            )
            print(
                f"{database:<11}{name:<11}{first:>9.2f}{later:>10.2f}{cached:>8.2f}"
                f"{first / later:>12.1f}x"
            )


if __name__ == "__main__":
    main()
