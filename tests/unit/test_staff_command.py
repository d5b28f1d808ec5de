"""``flask create-staff`` with a role and departments; the commands' audit rows."""

from __future__ import annotations

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import DepartmentFactory, IssuerFactory, UserFactory
from wallet.models import AuditEntry, Department, MailStatus, OutboxMail, StaffRole, User
from wallet.services.outbox import queue_mail


@pytest.fixture
def departments(db_session: Session) -> tuple[Department, Department]:
    issuer = IssuerFactory()
    return (
        DepartmentFactory(issuer=issuer, name="工学部", name_en="Faculty of Engineering"),
        DepartmentFactory(issuer=issuer, name="教育学部", name_en="Faculty of Education"),
    )


def _run(app: Flask, *args: str) -> Result:
    command = ["create-staff", "kogaku@shizuoka.ac.jp", "--name", "工学部 学務係"]
    return app.test_cli_runner().invoke(args=[*command, *args, "--generate-password"])


def _entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _user(session: Session) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == "kogaku@shizuoka.ac.jp"))


def test_department_staff_by_name_and_by_id(
    app: Flask, db_session: Session, departments: tuple[Department, Department]
) -> None:
    engineering, education = departments
    result = _run(
        app,
        "--role",
        "department",
        "--department",
        "faculty of engineering",  # the English name, any case
        "--department",
        str(education.id),
        "--department",
        "工学部",  # named twice: once is enough
    )
    assert result.exit_code == 0, result.output
    assert "department staff (工学部, 教育学部)" in result.output
    user = _user(db_session)
    assert user is not None
    assert user.staff_role == StaffRole.DEPARTMENT
    assert [d.id for d in user.departments] == [engineering.id, education.id]
    (entry,) = _entries(db_session)
    assert (entry.action, entry.actor_id, entry.actor_email) == ("staff.create", None, "")
    assert entry.details == {
        "email": "kogaku@shizuoka.ac.jp",
        "name": "工学部 学務係",
        "role": "department",
        "departments": [
            {"id": engineering.id, "name": "工学部"},
            {"id": education.id, "name": "教育学部"},
        ],
    }


def test_an_administrator(
    app: Flask, db_session: Session, departments: tuple[Department, Department]
) -> None:
    result = _run(app, "--role", "admin")
    assert result.exit_code == 0, result.output
    assert "administrator" in result.output
    user = _user(db_session)
    assert user is not None
    assert user.is_admin
    assert user.departments == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Missing option '--role'"),
        (("--role", "owner"), "'owner' is not one of 'admin', 'department'"),
        (("--role", "department"), "department staff need at least one --department"),
        (("--role", "admin", "--department", "工学部"), "leave out --department"),
        (("--role", "department", "--department", "法学部"), "no department '法学部'"),
        (("--role", "department", "--department", "999999"), "no department '999999'"),
        (("--role", "department", "--department", str(2**80)), "no department"),
    ],
)
def test_mistakes_are_refused_with_what_to_fix(
    app: Flask,
    db_session: Session,
    departments: tuple[Department, Department],
    args: tuple[str, ...],
    message: str,
) -> None:
    result = _run(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert _user(db_session) is None
    assert _entries(db_session) == []


def test_an_ambiguous_name_asks_for_the_id(
    app: Flask, db_session: Session, departments: tuple[Department, Department]
) -> None:
    other = IssuerFactory()
    DepartmentFactory(issuer=other, name="工学部", name_en="")
    result = _run(app, "--role", "department", "--department", "工学部")
    assert result.exit_code != 0
    assert "names more than one department; give its id" in result.output


def test_a_taken_address_and_a_bad_one(
    app: Flask, db_session: Session, departments: tuple[Department, Department]
) -> None:
    UserFactory(email="kogaku@shizuoka.ac.jp")
    taken = _run(app, "--role", "admin")
    assert taken.exit_code != 0
    assert "already exists" in taken.output
    bad = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "not-an-address",
            "--name",
            "x",
            "--role",
            "admin",
            "--generate-password",
        ]
    )
    assert bad.exit_code != 0
    assert "'not-an-address' is not an email address" in bad.output
    assert _entries(db_session) == []


def test_the_departments_command_lists_ids_for_create_staff(
    app: Flask, departments: tuple[Department, Department]
) -> None:
    engineering, education = departments
    output = app.test_cli_runner().invoke(args=["departments"]).output
    assert f"{engineering.id}\t工学部 / Faculty of Engineering" in output
    assert f"{education.id}\t教育学部 / Faculty of Education" in output


def test_outbox_retry_leaves_an_audit_row_from_the_command_line(
    app: Flask, db_session: Session
) -> None:
    mail = queue_mail(
        db_session, template="award_notice", to_email="a@shizuoka.ac.jp", locale="ja", context={}
    )
    mail.status = MailStatus.FAILED
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["outbox", "retry", "--id", str(mail.id)])
    assert result.exit_code == 0, result.output
    (entry,) = _entries(db_session)
    assert (entry.action, entry.actor_id, entry.actor_email) == ("mail.requeue", None, "")
    assert (entry.target_type, entry.target_id) == ("outbox_mail", mail.id)
    assert entry.details == {"count": 1, "mail_ids": [mail.id]}
    db_session.expire_all()
    assert db_session.get(OutboxMail, mail.id).status == MailStatus.QUEUED  # type: ignore[union-attr]
