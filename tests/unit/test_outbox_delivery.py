"""Delivery of the outbox: SMTP outages, retries with backoff, no duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from tests.smtp import SMTPServer, free_port
from wallet import extensions as ext
from wallet import jobs
from wallet.config import Settings
from wallet.mail import Envelope, MailTransportError
from wallet.models import MailStatus, OutboxMail
from wallet.services.outbox import MAX_ATTEMPTS, _claim_due, deliver_due_mail, queue_mail

CLAIM_URL = "http://wallet.test/claim/secret-claim-token"


def award_context(name: str = "静岡 花子") -> dict[str, object]:
    return {
        "recipient_name": name,
        "badge_name": "データサイエンス基礎",
        "badge_name_en": "Data Science Basics",
        "issuer_name": "静岡大学",
        "issuer_name_en": "Shizuoka University",
        "claim_url": CLAIM_URL,
        "claim_expires_on": "2026-07-01",
    }


def queue_award_notices(session: Session, count: int, locale: str = "ja") -> list[OutboxMail]:
    mails = [
        queue_mail(
            session,
            template="award_notice",
            to_email=f"student{i}@shizuoka.ac.jp",
            locale=locale,
            context=award_context(),
        )
        for i in range(count)
    ]
    session.commit()
    return mails


def later(minutes: float = 1) -> datetime:
    """A moment after the rows were queued (they are due from their creation)."""
    return datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.fixture
def smtp_settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the app at SMTP on a loopback port where nothing listens (yet)."""
    settings = app.config["WALLET_SETTINGS"].with_overrides(
        smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False, smtp_timeout=5.0
    )
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    return settings


def rows(session: Session) -> list[OutboxMail]:
    session.expire_all()
    return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_smtp_down_keeps_mail_queued_then_all_arrive_once(
    db_session: Session, smtp_settings: Settings
) -> None:
    queue_award_notices(db_session, 3)
    start = later()

    report = jobs.deliver_outbox(clock=lambda: start)

    assert (report.sent, report.retrying) == (0, 3)
    for mail in rows(db_session):
        assert mail.status == MailStatus.QUEUED
        assert mail.attempts == 1
        assert mail.next_attempt_at == start + timedelta(seconds=30)
        assert "127.0.0.1" in mail.last_error
        assert mail.context["claim_url"] == CLAIM_URL  # kept for the next attempt

    server = SMTPServer(port=smtp_settings.smtp_port)
    server.start()
    try:
        # not due yet: the backoff is respected even though the server is back
        assert jobs.deliver_outbox(clock=lambda: start + timedelta(seconds=10)).claimed == 0
        assert server.messages == []

        assert jobs.deliver_outbox(clock=lambda: start + timedelta(seconds=31)).sent == 3
        assert jobs.deliver_outbox(clock=lambda: start + timedelta(hours=5)).claimed == 0
        received = server.wait_for(3)
    finally:
        server.stop()

    assert len(received) == 3
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "student0@shizuoka.ac.jp",
        "student1@shizuoka.ac.jp",
        "student2@shizuoka.ac.jp",
    ]
    assert {r.subject for r in received} == {"オープンバッジ授与のお知らせ"}
    assert all(CLAIM_URL in r.body("plain") for r in received)
    for mail in rows(db_session):
        assert mail.status == MailStatus.SENT
        assert mail.context == {}  # the claim link is not kept once sent
        assert mail.subject == "オープンバッジ授与のお知らせ"
        assert mail.sent_at is not None
        assert mail.message_id in {r.message["Message-ID"] for r in received}


def test_server_stopped_between_runs(
    db_session: Session, smtp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SMTPServer(port=smtp_settings.smtp_port)
    server.start()
    queue_award_notices(db_session, 2)
    assert jobs.deliver_outbox(clock=later).sent == 2
    server.stop()

    queue_award_notices(db_session, 2)
    start = later()
    assert jobs.deliver_outbox(clock=lambda: start).retrying == 2

    server = SMTPServer(port=smtp_settings.smtp_port)
    server.start()
    try:
        assert jobs.deliver_outbox(clock=lambda: start + timedelta(minutes=1)).sent == 2
        received = server.wait_for(2)
    finally:
        server.stop()
    assert len(received) == 2
    assert [m.status for m in rows(db_session)] == [MailStatus.SENT] * 4


def test_backoff_doubles_and_gives_up_after_the_last_attempt(db_session: Session) -> None:
    queue_award_notices(db_session, 1)

    def refuse(_envelope: Envelope) -> EmailMessage:
        raise MailTransportError("421 try again later")

    now = later()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        report = deliver_due_mail(db_session, refuse, now, 10, commit=db_session.commit)
        assert report.claimed == 1
        (mail,) = rows(db_session)
        waits.append(mail.next_attempt_at - now)
        now = mail.next_attempt_at

    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(waits) == timedelta(hours=1)
    (mail,) = rows(db_session)
    assert mail.status == MailStatus.FAILED
    assert mail.attempts == MAX_ATTEMPTS
    assert "421" in mail.last_error
    assert (
        deliver_due_mail(
            db_session, refuse, now + timedelta(days=1), 10, commit=db_session.commit
        ).claimed
        == 0
    )


def test_permanent_refusal_fails_at_once(db_session: Session) -> None:
    queue_award_notices(db_session, 1)

    def reject(_envelope: Envelope) -> EmailMessage:
        raise MailTransportError("550 no such user", permanent=True)

    report = deliver_due_mail(db_session, reject, later(), 10, commit=db_session.commit)

    assert report.failed == 1
    (mail,) = rows(db_session)
    assert (mail.status, mail.attempts) == (MailStatus.FAILED, 1)


def test_a_second_worker_never_sends_a_claimed_mail(db_session: Session) -> None:
    """While worker A is sending, worker B runs: it must skip A's mails."""
    queue_award_notices(db_session, 3)
    now = later()
    sent: list[int] = []
    other_worker: list[int] = []

    def send_a(envelope: Envelope) -> EmailMessage:
        if not other_worker:
            session_b = ext.db.session.session_factory()
            report = deliver_due_mail(session_b, send_b, now, 10, commit=session_b.commit)
            other_worker.append(report.claimed)
            session_b.close()
        sent.append(envelope.mail_id)
        return EmailMessage()

    def send_b(envelope: Envelope) -> EmailMessage:
        sent.append(envelope.mail_id)
        return EmailMessage()

    deliver_due_mail(db_session, send_a, now, 10, commit=db_session.commit)

    assert other_worker == [0]
    assert sorted(sent) == sorted(m.id for m in rows(db_session))
    assert len(sent) == 3


def test_sent_mail_is_never_sent_again(db_session: Session) -> None:
    queue_award_notices(db_session, 2)
    sent: list[int] = []

    def send(envelope: Envelope) -> EmailMessage:
        sent.append(envelope.mail_id)
        return EmailMessage()

    for hours in (0, 1, 24, 24 * 30):
        deliver_due_mail(db_session, send, later(60 * hours + 1), 10, commit=db_session.commit)

    assert len(sent) == 2
    assert db_session.scalar(select(func.count()).select_from(OutboxMail)) == 2


def test_a_claim_never_takes_more_than_its_batch(db_session: Session) -> None:
    """The rest stays due for the next batch (or another worker), on every database."""
    queue_award_notices(db_session, 5)
    now = later()
    first = _claim_due(db_session, now=now, limit=2)
    second = _claim_due(db_session, now=now, limit=2)
    third = _claim_due(db_session, now=now, limit=2)
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    ids = [c.envelope.mail_id for c in first + second + third]
    assert len(set(ids)) == 5
    assert _claim_due(db_session, now=now, limit=2) == []


def test_postgres_workers_skip_mail_another_worker_is_claiming(app: Flask) -> None:
    """Two workers claiming at the same moment on PostgreSQL: neither waits, none overlaps."""
    with app.app_context():
        engine = ext.db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    with Session(engine) as setup:
        ids = [m.id for m in queue_award_notices(setup, 4)]
    worker_a, worker_b = Session(engine), Session(engine)
    try:
        now = later()
        claimed_a = _claim_due(worker_a, now=now, limit=2)  # A holds its row locks (no commit yet)
        worker_b.execute(text("SET LOCAL lock_timeout = '2s'"))
        claimed_b = _claim_due(worker_b, now=now, limit=10)

        mails_a = {c.envelope.mail_id for c in claimed_a}
        mails_b = {c.envelope.mail_id for c in claimed_b}
        assert len(mails_a) == 2
        assert mails_a.isdisjoint(mails_b)
        assert mails_a | mails_b == set(ids)
    finally:
        worker_a.rollback()
        worker_b.rollback()
        worker_a.close()
        worker_b.close()
        with Session(engine) as cleanup:
            cleanup.execute(delete(OutboxMail).where(OutboxMail.id.in_(ids)))
            cleanup.commit()
