"""The library's error types: only `OpenBadgesError` (and its subclasses) ever escape."""

from __future__ import annotations


class OpenBadgesError(Exception):
    """Base class of every error the Open Badges library raises."""


class DocumentError(OpenBadgesError):
    """A JSON-LD document is malformed: `field` names where (a JSON path), `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class BakingError(OpenBadgesError):
    """An image could not be baked or no badge could be extracted from it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(OpenBadgesError):
    """A JWS is malformed, uses an unsupported algorithm, or its signature does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CanonicalisationError(OpenBadgesError):
    """A JSON-LD document could not be canonicalised (not valid JSON-LD, or too deep)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownContextError(CanonicalisationError):
    """A document names a JSON-LD context that is not bundled: we never fetch one."""

    def __init__(self, url: str) -> None:
        super().__init__(f"context not bundled: {url}")
        self.url = url


class ProofError(OpenBadgesError):
    """A proof is malformed or does not hold: `code` says which check failed, `reason` why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
