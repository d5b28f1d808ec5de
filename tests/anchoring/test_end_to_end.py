"""A student accepts an anchored badge; the night's run anchors it; mail 2 arrives over
SMTP; the badge verifies as anchored in the wallet, on its share page and offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.helpers import post_form
from tests.smtp import SMTPServer
from tests.web.admin_helpers import log_in
from wallet import jobs
from wallet.config import Settings
from wallet.models import Award, AwardState, User
from wallet.openbadges import blockcerts
from wallet.services.anchoring import log

ACCEPTED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
NIGHT = datetime(2026, 4, 1, 18, 0, 30, tzinfo=UTC)  # 03:00:30 on 2 April in Tokyo


def test_accept_pending_run_mail_2_and_anchored(
    app: Flask,
    db_session: Session,
    client: FlaskClient,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings: Settings = app.config["WALLET_SETTINGS"].with_overrides(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_starttls=False
    )
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", settings)
    with time_machine.travel(ACCEPTED - timedelta(days=1), tick=False) as clock:
        student = UserFactory(email="hanako@shizuoka.ac.jp", name="静岡 花子")
        award = AwardFactory(
            badge_class=BadgeClassFactory(anchored=True, name="データサイエンス基礎"),
            recipient_email=student.email,
            state=AwardState.OFFERED,
        )
        clock.move_to(ACCEPTED)
        log_in(client, student)
        accepted = post_form(
            client,
            f"/wallet/badges/{award.id}/accept",
            {"visibility": "public"},
            page=f"/wallet/badges/{award.id}",
        )
        assert accepted.status_code == 302
        db_session.refresh(award)
        assert award.state == AwardState.PENDING
        wallet = client.get("/wallet").get_data(as_text=True)
        assert "2026/04/02" in wallet  # the day it completes
        share = client.get(f"/b/{award.share_id}").get_data(as_text=True)
        assert "verdict-pending" in share
        assert "2026年4月2日" in share  # pending: completes on 2 April
        assert jobs.anchor_pending_awards() == ""  # not yet: due at 03:00 in Tokyo

        clock.move_to(NIGHT)
        summary = jobs.anchor_pending_awards()
        assert "1 issued" in summary
        jobs.deliver_outbox()
        (mail,) = [m for m in smtp_server.wait_for(1) if m.rcpt_tos == [student.email]]
        assert mail.subject == "オープンバッジ発行完了のお知らせ"
        assert f"{settings.base_url}/ledger" in mail.body("plain")
        assert f"{settings.base_url}/wallet/badges/{award.id}" in mail.body("plain")

        db_session.refresh(award)
        assert award.state == AwardState.ISSUED
        page = client.get(f"/wallet/badges/{award.id}").get_data(as_text=True)
        assert "公開台帳に記録済み" in page
        downloaded = json.loads(client.get(f"/wallet/badges/{award.id}/blockcerts.json").data)
        assert downloaded["credentialSubject"]["name"] == "静岡 花子"
        _, anchors = blockcerts.verify_anchored(
            downloaded, log.DatabaseLog(db_session, settings.base_url), now=NIGHT
        )
        assert anchors[0].kind == "tlog"
        share = client.get(f"/b/{award.share_id}").get_data(as_text=True)
        assert "有効なバッジ" in share
        assert "公開台帳へ記録済み" in share


def test_the_commands_run_the_job_and_check_the_whole_log(app: Flask, db_session: Session) -> None:
    badge = BadgeClassFactory(anchored=True)
    for _ in range(2):
        AwardFactory(
            badge_class=badge,
            state=AwardState.PENDING,
            user=UserFactory(),
            accepted_at=datetime.now(UTC) - timedelta(hours=1),
        )
    runner = app.test_cli_runner()
    ran = runner.invoke(args=["anchoring", "run"])
    assert "2 credentials built, 2 anchored, 2 issued" in ran.output
    checked = runner.invoke(args=["ledger", "check"])
    assert checked.exit_code == 0, checked.output
    assert "1 entries, 1 checkpoints, 1 batches, 2 credentials checked." in checked.output
    key = runner.invoke(args=["ledger", "new-key"]).output.strip()
    assert key.startswith("PRIVATE+KEY+wallet.test/ledger+")


def test_the_log_check_reports_a_rewritten_checkpoint(app: Flask, db_session: Session) -> None:
    badge = BadgeClassFactory(anchored=True)
    AwardFactory(
        badge_class=badge,
        state=AwardState.PENDING,
        user=UserFactory(),
        accepted_at=datetime.now(UTC) - timedelta(hours=1),
    )
    runner = app.test_cli_runner()
    runner.invoke(args=["anchoring", "run"])
    checkpoint = log.latest_checkpoint(db_session)
    assert checkpoint is not None
    if db_session.get_bind().dialect.name == "postgresql":
        return  # the trigger refuses the rewrite itself (tests/migrations)
    checkpoint.note = checkpoint.note.replace("\n1\n", "\n2\n", 1)
    db_session.flush()
    checked = runner.invoke(args=["ledger", "check"])
    assert checked.exit_code != 0
    assert "PROBLEM: checkpoint of size 1" in checked.output


def test_the_demo_runs_the_daily_anchoring_from_the_programme_office(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    """`make run`: the demo student's anchored badge is pending; staff press the button."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    pending = db_session.scalars(select(Award).where(Award.state == AwardState.PENDING)).all()
    assert len(pending) == 1
    staff = db_session.scalars(select(User).where(User.staff_role == "admin")).first()
    assert staff is not None
    response = post_form(
        client,
        "/login",
        {"email": staff.email, "password": "shizuoka-demo-2026"},
    )
    assert response.status_code == 302
    index = client.get("/admin/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "毎日の記録処理を今すぐ実行" in index
    ran = post_form(client, "/dev/anchoring/run", {}, page="/admin/")
    assert ran.status_code == 302
    db_session.refresh(pending[0])
    assert pending[0].state == AwardState.ISSUED
    assert "1 件のバッジを発行しました" in client.get("/admin/").get_data(as_text=True)
    # a student cannot press it
    student = app.test_client()
    assert student.post("/dev/anchoring/run").status_code in (400, 404)
