"""Claim reminders: monthly, at most six, never after accept, decline or revoke, never twice."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from huey.storage import MemoryStorage
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import fresh_app
from tests.factories import BadgeClassFactory, UserFactory
from tests.smtp import SMTPServer
from wallet import extensions as ext
from wallet import jobs
from wallet.config import Settings
from wallet.models import Award, OutboxMail, Token, TokenPurpose
from wallet.security import hash_token
from wallet.services import badges, issuing, reminders
from wallet.services.csv_import import CompleterRow

T0 = datetime(2026, 4, 1, 1, 30, tzinfo=UTC)  # 10:30 in Tokyo
BASE_URL = "http://wallet.test"
REMINDER = reminders.CLAIM_REMINDER


def _issue(session: Session, *emails: str, locale: str = "ja") -> list[Award]:
    badge = BadgeClassFactory(name_en="Data Science Basics")
    rows = [
        CompleterRow(line=i, name=f"静岡 花子{i}", email=email, locale=locale)
        for i, email in enumerate(emails, start=1)
    ]
    issuing.issue_awards(
        session,
        badge.id,
        rows,
        base_url=BASE_URL,
        claim_lifetime=timedelta(days=180),
        now=T0,
    )
    session.commit()
    return list(session.scalars(select(Award).order_by(Award.id)))


def _reminders(session: Session) -> list[OutboxMail]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMail).where(OutboxMail.template == REMINDER).order_by(OutboxMail.id)
        )
    )


def _run_daily(days: int, on_day: dict[int, object] | None = None) -> Iterator[int]:
    """Run the hourly job once a day at T0's time for ``days`` days; yield each day."""
    for day in range(days + 1):
        with time_machine.travel(T0 + timedelta(days=day, minutes=5), tick=False):
            yield day
            jobs.send_claim_reminders()


def _raw_token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_six_reminders_a_month_apart_then_none(db_session: Session) -> None:
    (award,) = _issue(db_session, "hanako@shizuoka.ac.jp")
    mail_1 = db_session.scalars(select(OutboxMail)).one()

    for _day in _run_daily(240):
        pass

    sent = _reminders(db_session)
    assert len(sent) == 6
    assert [(m.created_at - T0).days for m in sent] == [30, 60, 90, 120, 150, 180]
    assert {m.to_email for m in sent} == {"hanako@shizuoka.ac.jp"}
    assert {m.locale for m in sent} == {"ja"}
    db_session.refresh(award)
    assert award.reminders_sent == 6
    # while mail 1's link lives, each reminder's new link ends on the same day
    assert {m.context["claim_expires_on"] for m in sent[:5]} == {mail_1.context["claim_expires_on"]}
    assert all(m.context["awarded_on"] == "2026-04-01" for m in sent)
    assert len({m.context["claim_url"] for m in [mail_1, *sent]}) == 7


def test_a_reminder_after_the_link_expired_carries_a_fresh_one(db_session: Session) -> None:
    _issue(db_session, "hanako@shizuoka.ac.jp")
    for _day in _run_daily(181):
        pass
    last = _reminders(db_session)[-1]
    assert (last.created_at - T0).days == 180  # mail 1's link ended at that moment

    raw = _raw_token(str(last.context["claim_url"]))
    token = db_session.scalars(select(Token).where(Token.token_hash == hash_token(raw))).one()
    assert token.purpose == TokenPurpose.CLAIM
    assert token.expires_at == last.created_at + timedelta(days=180)
    assert last.context["claim_expires_on"] == "2027-03-27"
    assert token.is_usable(T0 + timedelta(days=300))


def test_reminders_stop_at_once_when_accepted_declined_or_revoked(db_session: Session) -> None:
    accepts, declines, revoked, waits = _issue(
        db_session, "a@shizuoka.ac.jp", "d@shizuoka.ac.jp", "r@shizuoka.ac.jp", "w@shizuoka.ac.jp"
    )
    accepting = UserFactory(email="a@shizuoka.ac.jp")
    declining = UserFactory(email="d@shizuoka.ac.jp")

    for day in _run_daily(200):
        now = T0 + timedelta(days=day)
        if day == 45:  # after the first reminder
            badges.accept_award(db_session, accepting, accepts.id, BASE_URL, now, public=False)
            badges.decline_award(db_session, declining, declines.id, now)
            db_session.commit()
        if day == 10:  # before any reminder
            issuing.revoke_award(db_session, revoked.id, "誤って授与しました", now=now)
            db_session.commit()

    counts = Counter(m.to_email for m in _reminders(db_session))
    assert counts == {"a@shizuoka.ac.jp": 1, "d@shizuoka.ac.jp": 1, "w@shizuoka.ac.jp": 6}
    assert waits.recipient_email == "w@shizuoka.ac.jp"


def test_a_run_killed_half_way_leaves_the_rest_for_the_next_none_twice(
    db_session: Session,
) -> None:
    awards = _issue(db_session, *(f"s{i}@shizuoka.ac.jp" for i in range(5)))
    policy = reminders.ReminderPolicy.from_days(30, 6)
    now = T0 + timedelta(days=31)
    commits = 0

    def dies_at_the_second_batch() -> None:
        nonlocal commits
        commits += 1
        if commits == 2:
            raise RuntimeError("worker killed")
        db_session.commit()

    with pytest.raises(RuntimeError, match="killed"):
        reminders.send_due_reminders(
            db_session,
            policy,
            base_url=BASE_URL,
            claim_lifetime=timedelta(days=180),
            timezone="Asia/Tokyo",
            now=now,
            commit=dies_at_the_second_batch,
            batch_size=2,
        )
    db_session.rollback()
    assert len(_reminders(db_session)) == 2  # the first batch went; the second is undone

    def again() -> int:
        return reminders.send_due_reminders(
            db_session,
            policy,
            base_url=BASE_URL,
            claim_lifetime=timedelta(days=180),
            timezone="Asia/Tokyo",
            now=now + timedelta(hours=1),
            commit=db_session.commit,
            batch_size=2,
        )

    assert again() == 3
    assert again() == 0  # a second run at once finds nothing due
    counts = Counter(m.to_email for m in _reminders(db_session))
    assert counts == {award.recipient_email: 1 for award in awards}
    db_session.expire_all()
    assert {a.reminders_sent for a in db_session.scalars(select(Award))} == {1}


def test_interval_and_count_come_from_the_settings(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.config["WALLET_SETTINGS"].with_overrides(
        reminder_interval_days=7, reminder_count=2
    )
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    _issue(db_session, "hanako@shizuoka.ac.jp")
    for _day in _run_daily(60):
        pass
    assert [(m.created_at - T0).days for m in _reminders(db_session)] == [7, 14]


def test_count_zero_turns_reminders_off(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.config["WALLET_SETTINGS"].with_overrides(reminder_count=0)
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    _issue(db_session, "hanako@shizuoka.ac.jp")
    for _day in _run_daily(100):
        pass
    assert _reminders(db_session) == []


def test_awards_from_before_reminders_existed_get_only_what_is_left(db_session: Session) -> None:
    """The first run after an upgrade: a badge offered long ago is not reminded any more."""
    old, recent = _issue(db_session, "old@shizuoka.ac.jp", "recent@shizuoka.ac.jp")
    old.created_at = T0 - timedelta(days=400)
    recent.created_at = T0 - timedelta(days=170)
    db_session.commit()
    for _day in _run_daily(60):
        pass
    sent = _reminders(db_session)
    # 170 days old: due at once, then once more before 210 days (7 months) have passed
    assert [m.to_email for m in sent] == ["recent@shizuoka.ac.jp", "recent@shizuoka.ac.jp"]


def test_the_command_sends_what_is_due_now(app: Flask, db_session: Session) -> None:
    _issue(db_session, "hanako@shizuoka.ac.jp")
    runner = app.test_cli_runner()
    with time_machine.travel(T0 + timedelta(days=29), tick=False):
        assert "0 reminders queued." in runner.invoke(args=["reminders", "send"]).output
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        assert "1 reminders queued." in runner.invoke(args=["reminders", "send"]).output
        assert "0 reminders queued." in runner.invoke(args=["reminders", "send"]).output
    assert len(_reminders(db_session)) == 1


def test_a_reminder_arrives_over_smtp_in_both_languages(
    app: Flask,
    db_session: Session,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings: Settings = app.config["WALLET_SETTINGS"].with_overrides(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_starttls=False
    )
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    _issue(db_session, "hanako@shizuoka.ac.jp")
    _issue(db_session, "taro@shizuoka.ac.jp", locale="en")
    with time_machine.travel(T0 + timedelta(days=30, hours=1), tick=False):
        assert jobs.send_claim_reminders() == 2
        jobs.deliver_outbox()
    received = smtp_server.wait_for(2)  # the two reminders (mail 1 is due later: real time)

    by_subject = {(m.rcpt_tos[0], m.subject): m for m in received}
    ja = by_subject["hanako@shizuoka.ac.jp", "【再送】オープンバッジ受け取りのお願い"]
    en = by_subject["taro@shizuoka.ac.jp", "Reminder: your Open Badge is waiting to be received"]
    sent = {m.to_email: m for m in _reminders(db_session)}
    assert sent["hanako@shizuoka.ac.jp"].status == "sent"
    assert sent["hanako@shizuoka.ac.jp"].context == {}  # the link is not kept once sent
    for message, wanted in (
        (ja, "2026年4月1日に"),
        (en, "awarded you an Open Badge on April 1, 2026"),
    ):
        plain, html = message.body("plain"), message.body("html")
        assert wanted in plain
        assert wanted in html
        assert f"{BASE_URL}/claim/" in plain
        assert f'href="{BASE_URL}/claim/' in html


def test_two_runs_at_once_on_postgres_share_the_awards(tmp_path: Path) -> None:
    """Run A holds its claimed awards (not committed yet); run B skips them, never waits."""
    if not (os.environ.get("WALLET_TEST_DATABASE_URL") or "").startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    with fresh_app(tmp_path) as app, app.app_context():
        ids = [a.id for a in _issue(ext.db.session(), *(f"s{i}@x.jp" for i in range(4)))]
        ext.db.session.remove()
        policy = reminders.ReminderPolicy.from_days(30, 6)
        now = T0 + timedelta(days=31)
        run_a, run_b = Session(ext.db.engine), Session(ext.db.engine)
        try:
            claimed_a = reminders._claim_due(run_a, policy, now, 2)
            run_b.execute(text("SET LOCAL lock_timeout = '2s'"))
            claimed_b = reminders._claim_due(run_b, policy, now, 10)
            assert len(claimed_a) == 2
            assert set(claimed_a).isdisjoint(claimed_b)
            assert set(claimed_a) | set(claimed_b) == set(ids)
        finally:
            run_a.rollback()
            run_b.rollback()
            run_a.close()
            run_b.close()


def test_a_run_that_queued_reminders_kicks_delivery(db_session: Session) -> None:
    _issue(db_session, *(f"s{i}@shizuoka.ac.jp" for i in range(150)))
    jobs.huey.storage = MemoryStorage("reminders-test")  # conftest puts it back
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        assert jobs.send_claim_reminders() == 150
    assert [t.name.rsplit(".", 1)[-1] for t in jobs.huey.pending()] == ["drain_outbox"] * 2
