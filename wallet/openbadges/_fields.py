"""Readers for untrusted JSON: each failure is a DocumentError naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges.errors import DocumentError

_ID_PATTERN = re.compile(r"^(https?://[^\s]+|urn:uuid:[0-9a-fA-F-]{36}|_:[^\s]+)$")


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def as_object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DocumentError(path or "document", "must be a JSON object")
    return value


def types_of(doc: Mapping[str, Any], path: str) -> tuple[str, ...]:
    return _strings(doc.get("type", doc.get("@type")), join(path, "type"))


def expect_type(doc: Mapping[str, Any], path: str, *allowed: str) -> None:
    """The `type` (string or list; absent is tolerated) includes one of `allowed`."""
    found = types_of(doc, path)
    if found and not any(_bare(item) in allowed for item in found):
        raise DocumentError(join(path, "type"), f"must be {' or '.join(allowed)}")


def _bare(type_name: str) -> str:
    # Some issuers write compact IRIs such as "obi:Assertion".
    return type_name.rsplit(":", 1)[-1] if not type_name.startswith("http") else type_name


def text(doc: Mapping[str, Any], key: str, path: str) -> str:
    value = optional_text(doc, key, path)
    if value is None:
        raise DocumentError(join(path, key), "is required")
    return value


def optional_text(doc: Mapping[str, Any], key: str, path: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DocumentError(join(path, key), "must be a string")
    if not value.strip():
        raise DocumentError(join(path, key), "must not be empty")
    return value


def identifier(doc: Mapping[str, Any], key: str, path: str) -> str:
    value = text(doc, key, path)
    check_identifier(value, join(path, key))
    return value


def check_identifier(value: str, path: str) -> None:
    if not _ID_PATTERN.match(value):
        raise DocumentError(path, "must be an http(s) URL, a urn:uuid: or a _: identifier")


def text_list(doc: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    """A string or a list of strings (JSON-LD compaction turns one-element lists into values)."""
    return _strings(doc.get(key), join(path, key))


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise DocumentError(path, "must be a string or a list of strings")


def object_list(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def optional_bool(doc: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = doc.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise DocumentError(join(path, key), "must be true or false")


def parse_datetime(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise DocumentError(path, "must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise DocumentError(path, "must be an ISO 8601 date-time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise DocumentError(path, "must carry a time zone (Z or +hh:mm)")
    return parsed


def format_datetime(value: datetime, path: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DocumentError(path, "must carry a time zone (Z or +hh:mm)")
    return value.isoformat()
