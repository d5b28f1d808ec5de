"""SMTP with STARTTLS and login: a relay with a private CA, an untrusted one, none.

The relay is aiosmtpd on loopback with a certificate made here. It records what
it reads from the client after any TLS layer, so a test can tell that no
``AUTH`` (and so no password) ever left the wallet.
"""

from __future__ import annotations

import base64
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.smtp import free_port
from wallet import jobs
from wallet.config import Settings
from wallet.models import MailStatus, OutboxMail
from wallet.services.outbox import DeliveryReport, queue_mail

USER = "wallet-relay"
PASSWORD = "correct horse battery staple"


@dataclass
class Certificate:
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost (the relay's own CA)."""
    folder = tmp_path_factory.mktemp("relay-ca")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test University mail relay")])
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


@dataclass
class Delivered:
    rcpt_tos: list[str]
    tls: bool
    login: str | None


@dataclass
class Relay:
    """What the server saw: mails, calls to its authenticator, the client's bytes."""

    port: int = field(default_factory=free_port)
    delivered: list[Delivered] = field(default_factory=list)
    auth_calls: list[str] = field(default_factory=list)
    wire: bytearray = field(default_factory=bytearray)
    opened: int = 0
    closed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.delivered.append(
                Delivered(
                    list(envelope.rcpt_tos),
                    tls=session.ssl is not None,
                    login=session.auth_data.login.decode() if session.authenticated else None,
                )
            )
        return "250 OK"

    def authenticate(
        self, _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        with self.lock:
            self.auth_calls.append(mechanism)
        ok = (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, auth_data=data)

    def wait_until_disconnected(self, timeout: float = 5.0) -> None:
        """Every connection closed, so every byte the client sent has been read."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.opened and self.closed >= self.opened:
                    return
            time.sleep(0.02)
        raise AssertionError(f"{self.opened - self.closed} connection(s) still open")

    def assert_no_credentials_sent(self) -> None:
        self.wait_until_disconnected()
        wire = bytes(self.wire).upper()
        assert self.auth_calls == []
        assert b"AUTH" not in wire
        for secret in (PASSWORD.encode(), base64.b64encode(PASSWORD.encode())):
            assert secret.upper() not in wire
        assert b"MAIL FROM" not in wire
        assert self.delivered == []


class _RecordingSMTP(SMTP):
    def __init__(self, relay: Relay, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relay = relay
        self._counted = False

    def connection_made(self, transport: Any) -> None:
        if not self._counted:  # called again on the TLS layer after STARTTLS
            self._counted = True
            with self.relay.lock:
                self.relay.opened += 1
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        with self.relay.lock:
            self.relay.wire.extend(data)
        super().data_received(data)

    def connection_lost(self, error: Exception | None) -> None:
        with self.relay.lock:
            self.relay.closed += 1
        super().connection_lost(error)


class _RecordingController(Controller):
    def __init__(self, relay: Relay, **kwargs: Any) -> None:
        super().__init__(relay, hostname="127.0.0.1", port=relay.port, **kwargs)
        self.relay = relay

    def factory(self) -> SMTP:
        return _RecordingSMTP(self.relay, self.handler, **self.SMTP_kwargs)


def start_relay(*, tls: ssl.SSLContext | None) -> tuple[Relay, Controller]:
    relay = Relay()
    if tls is None:
        # A relay without STARTTLS that would take a password in clear: the
        # wallet must not offer it one.
        controller = _RecordingController(
            relay, authenticator=relay.authenticate, auth_require_tls=False
        )
    else:
        controller = _RecordingController(
            relay,
            tls_context=tls,
            require_starttls=True,
            authenticator=relay.authenticate,
            auth_require_tls=True,
        )
    controller.start()
    # the controller's own start-up probe is one connection; count only ours
    relay.wait_until_disconnected()
    with relay.lock:
        relay.wire.clear()
    return relay, controller


@pytest.fixture
def tls_relay(certificate: Certificate) -> Iterator[Relay]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert_file, certificate.key_file)
    relay, controller = start_relay(tls=context)
    yield relay
    controller.stop()


@pytest.fixture
def plain_relay() -> Iterator[Relay]:
    relay, controller = start_relay(tls=None)
    yield relay
    controller.stop()


def use_relay(
    app: Flask, monkeypatch: pytest.MonkeyPatch, relay: Relay, *, ca_file: Path | None
) -> None:
    settings: Settings = app.config["WALLET_SETTINGS"]
    monkeypatch.setitem(
        app.config,
        "WALLET_SETTINGS",
        settings.with_overrides(
            smtp_host="127.0.0.1",
            smtp_port=relay.port,
            smtp_user=USER,
            smtp_password=PASSWORD,
            smtp_starttls=True,
            smtp_ca_file="" if ca_file is None else str(ca_file),
            smtp_timeout=5.0,
        ),
    )


def queue_award_notice(session: Session) -> OutboxMail:
    mail = queue_mail(
        session,
        template="award_notice",
        to_email="student@shizuoka.ac.jp",
        locale="ja",
        context={
            "recipient_name": "静岡 花子",
            "badge_name": "データサイエンス基礎",
            "badge_name_en": "Data Science Basics",
            "issuer_name": "静岡大学",
            "issuer_name_en": "Shizuoka University",
            "claim_url": "http://wallet.test/claim/secret-claim-token",
            "claim_expires_on": "2026-07-01",
        },
    )
    session.commit()
    return mail


def deliver() -> DeliveryReport:
    return jobs.deliver_outbox(clock=lambda: datetime.now(UTC) + timedelta(minutes=1))


def the_mail(session: Session) -> OutboxMail:
    session.expire_all()
    (mail,) = session.scalars(select(OutboxMail))
    return mail


def assert_still_queued(session: Session, error: str) -> None:
    mail = the_mail(session)
    assert mail.status == MailStatus.QUEUED
    assert mail.attempts == 1
    assert error in mail.last_error
    assert mail.sent_at is None


def test_starttls_with_the_configured_ca_logs_in_and_delivers(
    app: Flask,
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
    tls_relay: Relay,
    certificate: Certificate,
) -> None:
    use_relay(app, monkeypatch, tls_relay, ca_file=certificate.cert_file)
    queue_award_notice(db_session)

    report = deliver()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert tls_relay.delivered == [Delivered(["student@shizuoka.ac.jp"], tls=True, login=USER)]
    assert tls_relay.auth_calls != []
    mail = the_mail(db_session)
    assert (mail.status, mail.last_error) == (MailStatus.SENT, "")
    assert mail.sent_at is not None


def test_an_untrusted_certificate_sends_nothing_and_no_password(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch, tls_relay: Relay
) -> None:
    use_relay(app, monkeypatch, tls_relay, ca_file=None)
    queue_award_notice(db_session)

    report = deliver()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert_still_queued(db_session, "CERTIFICATE_VERIFY_FAILED")
    tls_relay.assert_no_credentials_sent()
    assert b"STARTTLS" in tls_relay.wire.upper()  # it did try


def test_a_relay_without_starttls_gets_no_password_and_no_mail(
    app: Flask,
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
    plain_relay: Relay,
    certificate: Certificate,
) -> None:
    # the CA is trusted, so the only thing missing is the relay's STARTTLS
    use_relay(app, monkeypatch, plain_relay, ca_file=certificate.cert_file)
    queue_award_notice(db_session)

    report = deliver()

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert_still_queued(db_session, "STARTTLS")
    plain_relay.assert_no_credentials_sent()


def test_the_ca_file_is_read_from_the_environment(tmp_path: Path) -> None:
    environ = {"WALLET_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(environ).smtp_ca_file == ""
    bundle = tmp_path / "relay-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    environ["WALLET_SMTP_CA_FILE"] = str(bundle)
    assert Settings.from_env(environ).smtp_ca_file == str(bundle)
