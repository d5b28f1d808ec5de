"""Mail: render ``templates/mail/<name>/`` into messages and send them.

``render`` builds the message, ``transports`` hands it to SMTP or the outbox
folder, ``folder`` reads that folder back for the development pages.
"""

from __future__ import annotations

from email.message import EmailMessage

from wallet.config import Settings
from wallet.mail.errors import MailError, MailRenderError, MailTransportError
from wallet.mail.render import Envelope, message_id_for, render_message
from wallet.mail.transports import (
    FolderTransport,
    SMTPTransport,
    Transport,
    make_transport,
    open_transport,
)

__all__ = [
    "Envelope",
    "FolderTransport",
    "MailError",
    "MailRenderError",
    "MailTransportError",
    "Mailer",
    "SMTPTransport",
    "Transport",
    "make_transport",
    "message_id_for",
    "open_transport",
    "render_message",
]


class Mailer:
    """Render an envelope and hand it to a transport; the callable services get."""

    def __init__(self, settings: Settings, transport: Transport) -> None:
        self.settings = settings
        self.transport = transport

    def __call__(self, envelope: Envelope) -> EmailMessage:
        message = render_message(envelope, self.settings)
        self.transport.send(message)
        return message
