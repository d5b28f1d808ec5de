"""The issuing services' error."""

from __future__ import annotations

from wallet.services.errors import ValidationError


class IssuingError(ValidationError):
    """A request the programme office can fix; ``code`` says what (views translate it)."""
