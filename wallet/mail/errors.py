"""Why a mail could not be rendered or handed over."""

from __future__ import annotations


class MailError(Exception):
    """A mail could not be rendered or handed over."""

    permanent = False


class MailRenderError(MailError):
    """The template is missing or broken, or its context lacks a value."""


class MailTransportError(MailError):
    """The server (or the outbox folder) did not take the message."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
