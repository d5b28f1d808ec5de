"""Typed errors raised by services; views turn them into field errors and 4xx."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. ``code`` is stable and machine-readable; views translate it."""

    code = "error"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message or self.code)
        self.field = field


class NotFoundError(ServiceError):
    code = "not_found"


class PermissionDeniedError(ServiceError):
    code = "permission_denied"


class ValidationError(ServiceError):
    code = "invalid"


class TokenInvalidError(ServiceError):
    """Unknown, used or expired: deliberately one error for all three."""

    code = "token_invalid"
