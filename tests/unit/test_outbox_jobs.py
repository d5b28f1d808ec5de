"""The job side: a drain is queued when mail is committed, never for a rollback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tests.conftest import make_settings
from tests.factories import UserFactory
from tests.smtp import SMTPServer
from tests.unit.test_outbox_delivery import award_context
from wallet import jobs
from wallet.models import MailStatus, OutboxMail, User
from wallet.services.outbox import queue_mail


@pytest.fixture
def queue(app: Flask) -> Huey:
    """The app's Huey on a fresh in-memory store (conftest restores it afterwards)."""
    jobs.huey.storage = MemoryStorage("wallet-test")
    return jobs.huey


@pytest.fixture
def smtp_app(app: Flask, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch) -> Flask:
    settings = app.config["WALLET_SETTINGS"].with_overrides(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_starttls=False
    )
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    return app


def queue_one(session: Session, email: str = "hanako@shizuoka.ac.jp") -> OutboxMail:
    return queue_mail(
        session, template="award_notice", to_email=email, locale="ja", context=award_context()
    )


def mail_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMail)) or 0


def test_commit_with_mail_queues_one_drain(db_session: Session, queue: Huey) -> None:
    queue_one(db_session)
    queue_one(db_session, "taro@shizuoka.ac.jp")
    assert queue.pending_count() == 0  # nothing before the commit

    db_session.commit()

    assert queue.pending_count() == 1
    (task,) = queue.pending()
    assert task.name.endswith("drain_outbox")


def test_a_savepoint_released_waits_for_the_real_commit(db_session: Session, queue: Huey) -> None:
    queue_one(db_session)
    with db_session.begin_nested():  # e.g. issuing the badge's 3.0 credential after accepting
        UserFactory()
    assert queue.pending_count() == 0  # the mail is not committed yet

    db_session.commit()

    assert queue.pending_count() == 1


def test_rolled_back_change_leaves_no_mail_and_no_job(db_session: Session, queue: Huey) -> None:
    UserFactory(email="hanako@shizuoka.ac.jp")
    queue_one(db_session)
    db_session.rollback()

    assert db_session.scalar(select(User).where(User.email == "hanako@shizuoka.ac.jp")) is None
    assert mail_count(db_session) == 0
    UserFactory()  # a later commit without mail queues nothing either
    db_session.commit()
    assert queue.pending_count() == 0


def test_commit_without_mail_queues_nothing(db_session: Session, queue: Huey) -> None:
    UserFactory()
    db_session.commit()
    assert queue.pending_count() == 0


def test_bulk_inserted_mail_also_queues_a_drain(db_session: Session, queue: Huey) -> None:
    db_session.execute(
        insert(OutboxMail),
        [
            {"template": "award_notice", "to_email": f"s{i}@shizuoka.ac.jp", "context": {}}
            for i in range(3)
        ],
    )
    db_session.commit()
    assert queue.pending_count() == 1


def test_a_large_batch_queues_drains_for_parallel_workers(db_session: Session, queue: Huey) -> None:
    rows = [{"template": "award_notice", "to_email": f"s{i}@shizuoka.ac.jp"} for i in range(250)]
    db_session.execute(insert(OutboxMail), rows)
    db_session.commit()
    assert queue.pending_count() == 3  # one per batch of 100


def test_immediate_mode_delivers_on_commit(
    db_session: Session, queue: Huey, smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    queue.immediate = True
    mail = queue_one(db_session)
    db_session.commit()

    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["hanako@shizuoka.ac.jp"]
    assert received.subject == "オープンバッジ授与のお知らせ"
    db_session.refresh(mail)
    assert mail.status == MailStatus.SENT
    assert mail.context == {}


def test_init_app_points_the_queue_at_the_apps_store(app: Flask, tmp_path: Path) -> None:
    original = app.config["WALLET_SETTINGS"]
    try:
        jobs.configure_huey(jobs.huey, make_settings(tmp_path, huey_immediate=True))
        assert jobs.huey.immediate
        assert isinstance(jobs.huey.storage, MemoryStorage)

        jobs.configure_huey(jobs.huey, make_settings(tmp_path))
        assert not jobs.huey.immediate
        assert isinstance(jobs.huey.storage, SqliteStorage)
        assert (tmp_path / "jobs.sqlite3").exists()

        jobs.configure_huey(jobs.huey, make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
        assert isinstance(jobs.huey.storage, RedisStorage)
    finally:
        jobs.configure_huey(jobs.huey, original)
    assert jobs.drain_outbox.huey is jobs.huey  # tasks follow the reconfigured store


REDIS_URL = os.environ.get("WALLET_TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="WALLET_TEST_REDIS_URL not set (bin/test sets it)")
def test_redis_store_carries_the_drain_to_a_worker(
    app: Flask, db_session: Session, smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    original = app.config["WALLET_SETTINGS"]
    jobs.configure_huey(jobs.huey, original.with_overrides(redis_url=REDIS_URL))
    try:
        assert isinstance(jobs.huey.storage, RedisStorage)
        jobs.huey.flush()
        queue_one(db_session)
        db_session.commit()
        assert jobs.huey.pending_count() == 1

        task = jobs.huey.dequeue()  # what a consumer process does
        jobs.huey.execute(task)

        (received,) = smtp_server.wait_for(1)
        assert received.subject == "オープンバッジ授与のお知らせ"
        assert jobs.huey.pending_count() == 0
    finally:
        jobs.huey.flush()
        jobs.configure_huey(jobs.huey, original)
