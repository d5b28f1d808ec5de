"""Hand messages over: SMTP (production) or ``.eml`` files in the outbox folder."""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from wallet.config import Settings
from wallet.mail.errors import MailTransportError

# RFC 3463 enhanced status code at the start of a reply's text: "5.1.1 ...".
_ENHANCED_STATUS = re.compile(rb"\s*5\.(\d{1,3})\.(\d{1,3})\b")
# RFC 5321 replies about the mailbox or address itself (when no enhanced code says more).
_ADDRESS_REPLIES = frozenset({550, 551, 553})


def is_permanent_refusal(code: int, text: bytes | str) -> bool:
    """True when a reply says this address will never take mail, so retrying is pointless.

    Only what is about the recipient's address counts: enhanced status ``5.1.x``
    (bad mailbox, domain or syntax) and ``5.2.1`` (mailbox disabled), or, without
    an enhanced code, 550, 551 and 553. Every other refusal may be the relay's own
    state or configuration and is retried (docs/mail.md, "Which refusals are
    permanent"): 530/535 authentication, 550 ``5.7.x`` relaying denied or
    policy, 552 storage, 554 transaction failed, 500-504 a confused session.
    """
    if not 500 <= code < 600:
        return False
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
    enhanced = _ENHANCED_STATUS.match(raw)
    if enhanced:
        subject, detail = (int(part) for part in enhanced.groups())
        return subject == 1 or (subject, detail) == (2, 1)
    return code in _ADDRESS_REPLIES


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class SMTPTransport:
    """One SMTP connection, opened on first use and reused for every message.

    After a connection failure the transport stays down for the rest of its
    life, so one unreachable server costs one timeout per run, not one per mail.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        ca_file: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.ca_file = ca_file
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._down: MailTransportError | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._down is not None:
            raise self._down
        if self._smtp is not None:
            return self._smtp
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self._tls_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
            except BaseException:
                smtp.close()
                raise
        except (OSError, smtplib.SMTPException) as error:
            self._down = MailTransportError(f"cannot connect to {self.host}:{self.port}: {error}")
            raise self._down from error
        self._smtp = smtp
        return smtp

    def _tls_context(self) -> ssl.SSLContext:
        """The system's trusted CAs, or only ``ca_file`` (a relay with a private CA)."""
        return ssl.create_default_context(cafile=self.ca_file or None)

    def send(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            smtp = self._connect()
            try:
                smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected as error:
                # A server may drop an idle connection: reconnect once.
                self._smtp = None
                if attempt == 2:
                    raise MailTransportError(str(error)) from error
            except smtplib.SMTPRecipientsRefused as error:
                replies = list(error.recipients.values())
                raise MailTransportError(
                    f"recipient refused: {error.recipients}",
                    permanent=bool(replies)
                    and all(is_permanent_refusal(code, text) for code, text in replies),
                ) from error
            except smtplib.SMTPResponseException as error:
                self._reset(smtp)
                # A refused sender (MAIL FROM) is our own configuration, never the
                # recipient's fault; a refusal after DATA may name the recipient.
                permanent = isinstance(error, smtplib.SMTPDataError) and is_permanent_refusal(
                    error.smtp_code, error.smtp_error
                )
                raise MailTransportError(
                    f"{error.smtp_code} {error.smtp_error!r}", permanent=permanent
                ) from error
            except (OSError, smtplib.SMTPException) as error:
                self._smtp = None
                smtp.close()
                raise MailTransportError(str(error)) from error

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._smtp = None
            smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class FolderTransport:
    """Development: each message becomes an ``.eml`` file in the outbox folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        ident = re.sub(r"[^A-Za-z0-9.]", "", str(message["Message-ID"] or ""))[:60]
        name = f"{stamp}-{ident or 'mail'}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(message.as_bytes())
            os.replace(tmp, self.folder / name)
        except OSError as error:
            raise MailTransportError(f"cannot write {self.folder}: {error}") from error

    def close(self) -> None:
        return None


def make_transport(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SMTPTransport(
            settings.smtp_host,
            settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout,
        )
    return FolderTransport(settings.outbox_dir)


@contextmanager
def open_transport(settings: Settings) -> Iterator[Transport]:
    """SMTP when ``smtp_host`` is set, else the outbox folder; closed on exit."""
    transport = make_transport(settings)
    try:
        yield transport
    finally:
        transport.close()
