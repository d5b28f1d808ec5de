"""Failed mail: which refusals are permanent, and re-queueing over a relay that recovers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.smtp import SMTPServer
from tests.unit.test_outbox_delivery import CLAIM_URL, queue_award_notices
from wallet import jobs
from wallet.config import Settings
from wallet.mail.transports import is_permanent_refusal
from wallet.models import MailStatus, OutboxMail
from wallet.services.outbox import MAX_ATTEMPTS, requeue_failed_mail


@pytest.mark.parametrize(
    ("code", "text", "permanent"),
    [
        (550, "5.1.1 <x@shizuoka.ac.jp>: Recipient address rejected: User unknown", True),
        (550, "No such user here", True),
        (553, "5.1.3 Invalid address syntax", True),
        (551, "User not local", True),
        (550, "5.2.1 Mailbox disabled", True),
        (554, "5.1.2 Bad destination system address", True),
        # the relay's own state or configuration: retried
        (550, "5.7.1 Relaying denied", False),
        (554, "5.7.1 Client host rejected: Access denied", False),
        (554, "Transaction failed", False),
        (552, "5.2.2 Mailbox full", False),
        (552, "Message size exceeds fixed maximum", False),
        (535, "5.7.8 Authentication credentials invalid", False),
        (530, "5.7.0 Authentication required", False),
        (503, "5.5.1 Bad sequence of commands", False),
        (451, "4.3.0 Temporary lookup failure", False),
        (421, "4.1.1 try later", False),
    ],
)
def test_only_address_errors_are_permanent(code: int, text: str, permanent: bool) -> None:
    assert is_permanent_refusal(code, text.encode()) is permanent


@pytest.fixture
def relay(app: Flask, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch) -> SMTPServer:
    settings: Settings = app.config["WALLET_SETTINGS"].with_overrides(
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_starttls=False,
        smtp_timeout=5.0,
    )
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    return smtp_server


def _mails(session: Session) -> list[OutboxMail]:
    session.expire_all()
    return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_a_relay_refusing_5xx_for_hours_loses_nothing_for_good(
    db_session: Session, relay: SMTPServer
) -> None:
    """A misconfigured relay answers 554 until every retry is used up; the office
    re-queues the mails twice, the relay is fixed, each arrives exactly once."""
    queue_award_notices(db_session, 2)
    relay.refuse_data_with = "554 5.7.1 Relay access denied"
    now = datetime.now(UTC) + timedelta(minutes=1)

    for attempt in range(MAX_ATTEMPTS):
        jobs.deliver_outbox(clock=lambda at=now + timedelta(hours=attempt): at)
    now += timedelta(hours=MAX_ATTEMPTS)
    assert relay.refusals == 2 * MAX_ATTEMPTS
    failed = _mails(db_session)
    assert {(m.status, m.attempts) for m in failed} == {(MailStatus.FAILED, MAX_ATTEMPTS)}
    assert all("554" in m.last_error and "Relay access denied" in m.last_error for m in failed)
    assert all(m.context["claim_url"] == CLAIM_URL for m in failed)  # kept to send later

    relay.refuse_data_with = ""  # the relay is fixed
    assert requeue_failed_mail(db_session, now) == 2
    assert requeue_failed_mail(db_session, now) == 0  # asked twice: queued once
    db_session.commit()
    assert jobs.deliver_outbox(clock=lambda: now).sent == 2
    assert requeue_failed_mail(db_session, now, [failed[0].id]) == 0  # already sent
    db_session.commit()
    assert jobs.deliver_outbox(clock=lambda: now + timedelta(hours=1)).claimed == 0

    received = relay.wait_for(2)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "student0@shizuoka.ac.jp",
        "student1@shizuoka.ac.jp",
    ]
    assert {m.status for m in _mails(db_session)} == {MailStatus.SENT}


def test_an_unknown_mailbox_fails_at_once_and_can_be_re_sent_once_fixed(
    db_session: Session, relay: SMTPServer
) -> None:
    queue_award_notices(db_session, 1)
    relay.refuse_recipients_with = "550 5.1.1 User unknown"
    now = datetime.now(UTC) + timedelta(minutes=1)
    assert jobs.deliver_outbox(clock=lambda: now).failed == 1
    (mail,) = _mails(db_session)
    assert (mail.status, mail.attempts) == (MailStatus.FAILED, 1)
    assert "User unknown" in mail.last_error

    relay.refuse_recipients_with = ""  # e.g. the mailbox was created after all
    assert requeue_failed_mail(db_session, now, [mail.id]) == 1
    db_session.commit()
    assert jobs.deliver_outbox(clock=lambda: now).sent == 1
    assert len(relay.wait_for(1)) == 1


def test_a_refused_recipient_for_relaying_is_retried(
    db_session: Session, relay: SMTPServer
) -> None:
    queue_award_notices(db_session, 1)
    relay.refuse_recipients_with = "550 5.7.1 Relaying denied"
    now = datetime.now(UTC) + timedelta(minutes=1)
    assert jobs.deliver_outbox(clock=lambda: now).retrying == 1
    relay.refuse_recipients_with = ""
    assert jobs.deliver_outbox(clock=lambda: now + timedelta(minutes=1)).sent == 1
    assert len(relay.wait_for(1)) == 1


def test_the_command_re_queues_all_or_one(app: Flask, db_session: Session) -> None:
    mails = queue_award_notices(db_session, 3)
    for mail in mails:
        mail.status = MailStatus.FAILED
        mail.attempts = MAX_ATTEMPTS
        mail.last_error = "421 try again later"
    db_session.commit()
    runner = app.test_cli_runner()

    one = runner.invoke(args=["outbox", "retry", "--id", str(mails[0].id)])
    assert "1 failed mails queued again" in one.output
    rest = runner.invoke(args=["outbox", "retry"])
    assert "2 failed mails queued again" in rest.output
    again = runner.invoke(args=["outbox", "retry"])
    assert "0 failed mails queued again" in again.output
    assert {(m.status, m.attempts) for m in _mails(db_session)} == {(MailStatus.QUEUED, 0)}
