"""Two nodes asked for the same new image at once both answer, and it is kept once.

Real commits on two connections (``fresh_app``), on SQLite and on PostgreSQL. On
PostgreSQL the second insert waits for the first transaction and then fails on the
key, and the winner's row is read back; SQLite runs the transactions one after the
other, so the second finds the first's row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import fresh_app
from tests.factories import AwardFactory, UserFactory
from wallet import extensions as ext
from wallet.models import Award, RenderedImage
from wallet.services import share_images
from wallet.services.share_images import DrawnImage

BASE = "https://openbadge.shizuoka.ac.jp"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_app(tmp_path, ratelimit_enabled=False) as app:
        yield app


@pytest.fixture
def share_id(app: Flask) -> str:
    with app.app_context():
        award = AwardFactory(issued=True, user=UserFactory(), is_public=True)
        ext.db.session.commit()
        return award.share_id


def _award(session: Session, share_id: str) -> Award:
    award = session.scalar(select(Award).where(Award.share_id == share_id))
    assert award is not None
    return award


def _rows(app: Flask) -> int:
    with app.app_context():
        return ext.db.session.scalar(select(func.count()).select_from(RenderedImage)) or 0


def _preview(session: Session, share_id: str) -> DrawnImage:
    return share_images.share_preview(
        session, _award(session, share_id), locale="ja", base_url=BASE, now=datetime.now(UTC)
    )


def test_the_second_node_uses_the_first_nodes_drawing(app: Flask, share_id: str) -> None:
    """Node B looks before node A commits, draws too, and finds A's row when it stores."""
    with app.app_context():
        engine = ext.db.engine
    first = Session(engine)
    second = Session(engine)
    answers: dict[str, DrawnImage] = {}
    failures: list[BaseException] = []

    def other_node() -> None:
        try:
            answers["second"] = _preview(second, share_id)
            second.commit()
        except BaseException as error:  # reported by the test thread
            failures.append(error)
            second.rollback()

    try:
        answers["first"] = _preview(first, share_id)  # drawn and flushed, not committed
        thread = threading.Thread(target=other_node)
        thread.start()
        time.sleep(0.5)  # the other node has looked and drawn, and waits on the key
        first.commit()
        thread.join(timeout=30)
    finally:
        first.close()
        second.close()
    assert not failures, failures
    assert answers["second"] == answers["first"]
    assert _rows(app) == 1


def test_two_first_requests_at_once_both_get_the_image(app: Flask, share_id: str) -> None:
    start = threading.Barrier(2)
    answers: list[tuple[int, str | None, bytes]] = []

    def fetch() -> None:
        client = app.test_client()
        start.wait()
        response = client.get(f"/b/{share_id}/og.png")
        answers.append((response.status_code, response.headers.get("ETag"), response.data))

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _etag, _data in answers] == [200, 200]
    assert answers[0][1:] == answers[1][1:]
    assert _rows(app) == 1
