"""What a request must look like before any view reads it.

- An id in a path is a database key: ``<int:...>`` matches 1 .. ``db.ID_MAX``
  (PostgreSQL's integer), so a larger number, zero or a negative one is a 404
  like an id that never existed, not an OverflowError (SQLite) or a DataError
  (PostgreSQL).
- A text part of a path holds no control character (a NUL cannot even be
  sent to PostgreSQL in a query): such a path is a 404 too.
- A POST body is an HTML form post (urlencoded or multipart) with each field
  sent once. JSON or any other body is a 415, a field sent twice a 400, each
  with a message. Only a list of checkboxes takes a field more than once: those
  are named in ``REPEATABLE_FIELDS``.

The fields' values are the forms' business (``wallet.forms.WalletForm``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

from wallet.db import ID_MAX

FORM_BODIES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# lists of checkboxes: a staff member's departments (wallet/forms/staff.py)
REPEATABLE_FIELDS = frozenset({"department_ids"})


class DatabaseIdConverter(IntegerConverter):
    """``<int:name>``: ASCII digits naming a key the database can hold."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


class PathTextConverter(UnicodeConverter):
    """``<name>``: any text without a slash or a control character."""

    def to_python(self, value: str) -> str:
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            raise ValidationError()
        return value


class NotAFormError(UnsupportedMediaType):
    """A POST whose body is not a form: JSON, plain text, XML."""

    message = _l(
        "This address only accepts forms sent from the wallet's own pages. "
        "Go back, reload the page and send the form again."
    )


class RepeatedFieldError(BadRequest):
    """A form post that carries one field more than once."""

    message = _l(
        "The form sent a field more than once. Go back, reload the page and send the form again."
    )


def init_app(app: Flask) -> None:
    """Install the converters (before any route is added) and the body check."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.converters["default"] = PathTextConverter
    app.url_map.converters["string"] = PathTextConverter
    app.before_request(refuse_odd_posts)


def refuse_odd_posts() -> None:
    """Only form posts reach a view. Runs after the CSRF check, which stays first."""
    if request.method != "POST" or request.endpoint is None:
        return
    has_body = bool(request.mimetype or request.content_length)
    if has_body and request.mimetype not in FORM_BODIES:
        raise NotAFormError()
    names = [
        name for name, _value in request.form.items(multi=True) if name not in REPEATABLE_FIELDS
    ]
    names += [name for name, _value in request.files.items(multi=True)]
    if len(names) != len(set(names)):
        raise RepeatedFieldError()
