"""Flask-WTF forms, one module per area: shape and format checks only, no database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FileField, HiddenField, RadioField, SelectMultipleField

from wallet.services.errors import ServiceError

MessageFor = Callable[[ServiceError], str]
# A browser leaves out an unticked box, a radio group with nothing chosen and a list of
# checkboxes with none ticked; hidden fields carry the page's own values (next, sealed,
# the CSRF token), which have checks of their own.
_MAY_BE_LEFT_OUT = (BooleanField, RadioField, HiddenField, SelectMultipleField)
# nothing sent is a choice of its own: no radio button chosen (the default stands), no
# checkbox ticked (an empty list)
_NOTHING_CHOSEN = (RadioField, SelectMultipleField)

# ``wallet.services.text`` refusals, in the same words in every area
TEXT_MESSAGES = {
    "text_control": _l(
        "Remove the hidden control character %(char)s from this text. Such characters "
        "can change how the text looks to others."
    ),
    "text_invisible": _l("Enter visible characters, not only spaces or invisible characters."),
    "text_too_long": _l("Use at most %(max_len)s characters."),
}

_NOT_TEXT = _l("This field takes text, not a file.")
_NOT_FILE = _l("Choose a file for this field.")
_MISSING = _l("This field is missing from the form. Reload the page and send the form again.")
_DAMAGED = _l("The form arrived damaged. Reload the page and send it again.")
_NUL = _l("This text contains a NUL character, which cannot be saved. Please type it again.")


class WalletForm(FlaskForm):
    """The base of every form: it reads what a browser's form post sends, nothing else.

    - Never a JSON body (Flask-WTF would put one's numbers and lists in the fields).
    - A text field reads text and a file field reads a file: a file where text
      belongs, text where a file belongs, or a NUL character (no database column
      can store it) is an error next to the field.
    - A field a browser always sends but the post left out is an error too, never
      the stored value (``obj=``) or a default quietly kept in its place.

    A form built to be shown on a page answering another form's post passes
    ``formdata=None``. (A field sent twice never gets here: ``views.guards``.)
    """

    class Meta:
        def wrap_formdata(self, form: WalletForm, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given by the caller
            if not form.is_submitted():
                return None
            return form._read_post()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._refused: dict[str, object] = {}
        super().__init__(*args, **kwargs)

    def _read_post(self) -> MultiDict[str, Any]:
        data: MultiDict[str, Any] = MultiDict()
        for field in self:
            texts = request.form.getlist(field.name)
            files = request.files.getlist(field.name)
            if isinstance(field, FileField):
                if any(texts):
                    self._refused[field.name] = _NOT_FILE
                if files:
                    data.setlist(field.name, files)
                continue
            if any(files):
                self._refused[field.name] = _NOT_TEXT
            elif any("\x00" in text for text in texts):
                self._refused[field.name] = _NUL
            elif not texts and not isinstance(field, _MAY_BE_LEFT_OUT):
                self._refused[field.name] = _MISSING
            if texts or not isinstance(field, _NOTHING_CHOSEN):
                data.setlist(field.name, texts or [""])
        return data

    def validate(self, extra_validators: Any = None) -> bool:
        is_valid = bool(super().validate(extra_validators))
        for field in self:
            if field.name not in self._refused:
                continue
            if isinstance(field, HiddenField):  # nothing is shown next to a hidden field
                if str(_DAMAGED) not in self.form_errors:
                    self.form_errors.append(str(_DAMAGED))
            else:
                field.errors.append(str(self._refused[field.name]))
        return is_valid and not self._refused


class ActionForm(WalletForm):
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
