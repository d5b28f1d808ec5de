"""Flask-WTF forms, one module per area: shape and format checks only, no database."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm

from wallet.services.errors import ServiceError

MessageFor = Callable[[ServiceError], str]


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (accept, decline, activate, resend)."""


def show_error(form: FlaskForm, error: ServiceError, message_for: MessageFor) -> None:
    """Put a service error next to its field (or on the form as a whole).

    ``message_for`` is the area's wording of service errors, so each area keeps
    its own messages while the placing is done the same way everywhere.
    """
    message = message_for(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
