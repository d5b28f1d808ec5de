"""Typed errors raised by services; views turn them into field errors and 4xx."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. ``code`` is stable and machine-readable; views translate it.

    A subclass names its ``code`` (and may name a default ``field``, the form
    field the message belongs next to). An error that stands for a family of
    refusals takes the code when raised instead, with the values its message
    needs as ``params``: ``IssuingError("reason_too_long", field="reason",
    max_len=1000)``.
    """

    code = "error"
    field: str | None = None

    def __init__(
        self, code: str | None = None, *, field: str | None = None, **params: object
    ) -> None:
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field
        self.params = params
        super().__init__(self.code)


class NotFoundError(ServiceError):
    code = "not_found"


class PermissionDeniedError(ServiceError):
    code = "permission_denied"


class ValidationError(ServiceError):
    code = "invalid"


class TokenInvalidError(ServiceError):
    """Unknown, used or expired: deliberately one error for all three."""

    code = "token_invalid"


class ImageRejectedError(ValidationError):
    """An uploaded image is not acceptable; ``code`` says why (views translate it)."""
