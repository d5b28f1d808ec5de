"""The SMTP transport: login when configured, one connection reused, clear failures."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.smtp import free_port
from wallet.mail import MailTransportError, SMTPTransport


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str]]] = []
        self.connections = 0
        self.logins: list[str] = []

    async def handle_EHLO(
        self, _server: Any, session: Any, _envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if getattr(session, "counted", False) is False:
            session.counted = True
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        ok = (data.login, data.password) == (b"wallet", b"s3cret")
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=recorder.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield recorder, port
    controller.stop()


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "noreply@wallet.test"
    mail["To"] = to
    mail["Subject"] = "オープンバッジ授与のお知らせ"
    mail.set_content("本文")
    return mail


def test_logs_in_and_reuses_one_connection(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    transport = SMTPTransport(
        "127.0.0.1", port, user="wallet", password="s3cret", starttls=False, timeout=5
    )
    for i in range(3):
        transport.send(message(f"student{i}@shizuoka.ac.jp"))
    transport.close()

    assert recorder.logins == ["wallet"]
    assert recorder.connections == 1
    assert [rcpt for _from, rcpt in recorder.messages] == [
        ["student0@shizuoka.ac.jp"],
        ["student1@shizuoka.ac.jp"],
        ["student2@shizuoka.ac.jp"],
    ]


def test_wrong_password_is_a_transport_error(server: tuple[Recorder, int]) -> None:
    _recorder, port = server
    transport = SMTPTransport(
        "127.0.0.1", port, user="wallet", password="wrong", starttls=False, timeout=1
    )
    with pytest.raises(MailTransportError, match="cannot connect"):
        transport.send(message("student@shizuoka.ac.jp"))
    transport.close()


def test_refused_recipient_is_permanent_and_the_connection_goes_on(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    transport = SMTPTransport("127.0.0.1", port, starttls=False, timeout=5)
    with pytest.raises(MailTransportError) as refused:
        transport.send(message("nobody@shizuoka.ac.jp"))
    assert refused.value.permanent
    transport.send(message("student@shizuoka.ac.jp"))
    transport.close()
    assert [rcpt for _from, rcpt in recorder.messages] == [["student@shizuoka.ac.jp"]]


def test_no_server_is_a_temporary_error() -> None:
    transport = SMTPTransport("127.0.0.1", free_port(), starttls=False, timeout=5)
    with pytest.raises(MailTransportError) as down:
        transport.send(message("student@shizuoka.ac.jp"))
    assert not down.value.permanent
    transport.close()
