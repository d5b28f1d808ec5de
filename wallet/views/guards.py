"""What a request must look like before any view reads it.

- An id in a path is a database key: ``<int:...>`` matches 1 .. 2**63 - 1
  (SQLite's INTEGER, PostgreSQL's bigint), so a larger number, zero or a
  negative one is a 404 like an id that never existed, not an OverflowError.
- A text part of a path holds no control character (a NUL cannot even be
  sent to PostgreSQL in a query): such a path is a 404 too.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

from wallet.db import ID_MAX


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


def init_app(app: Flask) -> None:
    """Install the converters (before any route is added)."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.converters["default"] = PathTextConverter
    app.url_map.converters["string"] = PathTextConverter
