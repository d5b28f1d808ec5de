"""Requests that read and then write keep working while another connection writes.

The mail worker (or a second member of staff) writes all the time. On SQLite a
transaction that read first and then wants to write used to fail at once with
"database is locked", and the error page itself then failed. Here a real second
connection writes in a loop while the requests run, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.accounts_support import make_claim
from tests.conftest import fresh_app
from tests.factories import PASSWORD, BadgeClassFactory, IssuerFactory, UserFactory
from tests.helpers import csrf_token, post_form
from tests.web.admin_helpers import sealed_value, upload
from wallet import extensions as ext
from wallet.models import Award, OutboxMail, User

ROUNDS = 8


class Writer(threading.Thread):
    """Short write transactions one after another on a connection of its own, like the
    mail worker: each holds the write lock (and on PostgreSQL the student's row) a moment."""

    def __init__(self, app: Flask, user_id: int) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.user_id = user_id
        self.stop = threading.Event()
        self.commits = 0

    def run(self) -> None:
        with self.app.app_context():
            while not self.stop.is_set():
                with ext.db.engine.begin() as connection:
                    connection.execute(
                        update(User).where(User.id == self.user_id).values(locale=User.locale)
                    )
                    connection.execute(
                        OutboxMail.__table__.insert().values(
                            template="noop", to_email="worker@example.test", status="sent"
                        )
                    )
                    time.sleep(0.03)
                self.commits += 1
                time.sleep(0.002)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_app(tmp_path, ratelimit_enabled=False) as app:
        yield app


@pytest.fixture
def world(app: Flask) -> dict[str, object]:
    with app.app_context():  # closed again: each request must get an app context of its own
        student = UserFactory(email="hanako@shizuoka.ac.jp")
        staff = UserFactory(staff=True)
        IssuerFactory()
        badge = BadgeClassFactory()
        make_claim(recipient_email="jiro@shizuoka.ac.jp")
        ext.db.session.commit()
        return {
            "student": student.email,
            "student_id": student.id,
            "staff": staff.email,
            "badge": badge.id,
        }


def _logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_reads_then_writes_wait_for_a_busy_writer(app: Flask, world: dict[str, object]) -> None:
    student = _logged_in(app, str(world["student"]))
    stranger = app.test_client()
    writer = Writer(app, int(str(world["student_id"])))
    writer.start()
    statuses: list[tuple[str, int]] = []
    try:
        for n in range(ROUNDS):
            answer = post_form(
                student, "/account/emails", {"email": f"extra{n}@example.ac.jp"}, page="/account"
            )
            statuses.append(("add address", answer.status_code))
            answer = post_form(stranger, "/password/reset", {"email": str(world["student"])})
            statuses.append(("reset", answer.status_code))
            answer = post_form(stranger, "/claim/resend", {"email": "jiro@shizuoka.ac.jp"})
            statuses.append(("claim resend", answer.status_code))
            answer = post_form(
                app.test_client(), "/login", {"email": world["student"], "password": PASSWORD}
            )
            statuses.append(("login", answer.status_code))
    finally:
        writer.stop.set()
        writer.join()
    assert writer.commits > ROUNDS, "the writer did not run alongside the requests"
    failed = [(what, code) for what, code in statuses if code >= 500]
    assert not failed, f"{len(failed)} of {len(statuses)} requests failed: {failed[:5]}"
    assert all(code == 302 for _what, code in statuses)


def test_two_staff_confirming_the_same_list_at_once(app: Flask, world: dict[str, object]) -> None:
    badge_id = world["badge"]
    rows = "".join(f"学生 {n},student{n}@example.ac.jp\n" for n in range(40))
    offices = [_logged_in(app, str(world["staff"])) for _ in range(2)]
    sealed = []
    for office in offices:
        preview = post_form(
            office,
            f"/admin/badges/{badge_id}/upload",
            {"file": upload("list.csv", ("氏名,メールアドレス\n" + rows).encode())},
            content_type="multipart/form-data",
        )
        sealed.append((office, sealed_value(preview.get_data(as_text=True)), csrf_token(office)))
    start = threading.Barrier(2)
    statuses: list[int] = []

    def confirm(office: FlaskClient, value: str, token: str) -> None:
        start.wait()
        answer = office.post(
            f"/admin/badges/{badge_id}/confirm", data={"sealed": value, "csrf_token": token}
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=confirm, args=item) for item in sealed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses)[-1] < 500, statuses
    with app.app_context():
        awards = ext.db.session.scalar(select(func.count()).select_from(Award))
        mails = ext.db.session.scalar(
            select(func.count()).where(OutboxMail.template == "award_notice")
        )
    assert awards == 41  # the 40 rows once, and the claim made in the fixture
    assert mails == 40
