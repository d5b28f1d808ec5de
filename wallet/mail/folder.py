"""Read the development outbox folder (``.eml`` files) for the ``/dev/outbox`` pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

OUTBOX_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.eml$")


@dataclass(frozen=True)
class OutboxFile:
    name: str
    subject: str
    to: str
    date: datetime | None


def _outbox_path(folder: Path, name: str) -> Path | None:
    """The file ``name`` directly inside ``folder``, or None: no other path is reachable."""
    if not OUTBOX_FILE.match(name) or ".." in name:
        return None
    path = folder / name
    try:
        if path.resolve().parent != folder.resolve() or not path.is_file():
            return None
    except OSError:
        return None
    return path


def _parse_date(value: object) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_outbox(folder: Path, *, limit: int = 200) -> list[OutboxFile]:
    """The newest ``.eml`` files written by the folder transport, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if OUTBOX_FILE.match(p.name)), reverse=True)
    files = []
    parser = BytesHeaderParser(policy=policy.default)
    for name in names[:limit]:
        path = _outbox_path(folder, name)
        if path is None:
            continue
        with path.open("rb") as handle:
            headers = parser.parse(handle)
        files.append(
            OutboxFile(
                name=name,
                subject=str(headers["Subject"] or ""),
                to=str(headers["To"] or ""),
                date=_parse_date(headers["Date"]),
            )
        )
    return files


def read_outbox_file(folder: Path, name: str) -> EmailMessage | None:
    """One message from the outbox folder, or None when ``name`` is not one of its files."""
    path = _outbox_path(folder, name)
    if path is None:
        return None
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    return message if isinstance(message, EmailMessage) else None


def message_part(message: EmailMessage, subtype: str) -> str:
    """The decoded ``text/<subtype>`` body of a message, or an empty string."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return str(part.get_content())


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or None
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            text = " ".join("".join(self._text).split())
            self.links.append((text or self._href, self._href))
            self._href = None


def html_links(html: str) -> list[tuple[str, str]]:
    """(text, href) of each distinct http(s) link in an HTML body, in order.

    A button followed by its address in plain text is one link, named by the button.
    """
    collector = _LinkCollector()
    collector.feed(html)
    seen: set[str] = set()
    links = []
    for text, href in collector.links:
        if urlsplit(href).scheme in {"http", "https"} and href not in seen:
            seen.add(href)
            links.append((text, href))
    return links
