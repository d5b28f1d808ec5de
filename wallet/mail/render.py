"""Render ``templates/mail/<name>/`` (subject.txt, body.txt, body.html) into a message.

Rendering needs an application context (templates, translations) but no request:
workers render too. See docs/mail.md for the template format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, format_date, gettext
from flask_babel import format_datetime as format_local_datetime
from jinja2 import TemplateError

from wallet.config import Settings
from wallet.mail.errors import MailRenderError

LOCALES = ("ja", "en")
TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_WHITESPACE = re.compile(r"\s+")


class _CachingHeaderRegistry(HeaderRegistry):
    """The stock registry builds a new class for every header it parses; reuse them."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


MAIL_POLICY = policy.default.clone(header_factory=_CachingHeaderRegistry())


@dataclass(frozen=True)
class Envelope:
    """The plain values of one outbox row: what rendering needs."""

    mail_id: int
    template: str
    to_email: str
    locale: str
    context: Mapping[str, Any]
    created_at: datetime


def mail_domain(settings: Settings) -> str:
    """The domain of the From address, else the site's host name."""
    _name, address = parseaddr(settings.mail_from)
    domain = address.rpartition("@")[2]
    return domain or urlsplit(settings.base_url).hostname or "localhost"


def message_id_for(envelope: Envelope, settings: Settings) -> str:
    """Stable per outbox row: a resent duplicate carries the same Message-ID."""
    created = int(envelope.created_at.timestamp())
    return f"<outbox.{envelope.mail_id}.{created}@{mail_domain(settings)}>"


def _localized(locale: str) -> Any:
    def localized(primary: object, english: object = "") -> str:
        if locale == "en" and english:
            return str(english)
        return "" if primary is None else str(primary)

    return localized


def _format_iso_date(value: object) -> str:
    if isinstance(value, date):
        return str(format_date(value, format="long"))
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return str(format_date(day, format="long"))


def _format_iso_datetime(value: object) -> str:
    """An ISO timestamp written out for the locale, in the site's time zone, with the zone."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(format_local_datetime(moment, format="long"))


def render_message(
    envelope: Envelope, settings: Settings, *, now: datetime | None = None
) -> EmailMessage:
    """Render the envelope's template in its locale into a multipart/alternative message."""
    if not TEMPLATE_NAME.match(envelope.template):
        raise MailRenderError(f"bad template name {envelope.template!r}")
    locale = envelope.locale if envelope.locale in LOCALES else settings.default_locale
    env = current_app.jinja_env
    folder = f"mail/{envelope.template}"
    with force_locale(locale):
        variables = {
            **envelope.context,
            "locale": locale,
            "to_email": envelope.to_email,
            "localized": _localized(locale),
            "format_date": _format_iso_date,
            "format_datetime": _format_iso_datetime,
            "site_name": gettext("Open Badge Wallet"),
            "base_url": settings.base_url,
        }
        try:
            subject = env.get_template(f"{folder}/subject.txt").render(variables)
            text = env.get_template(f"{folder}/body.txt").render(variables)
            html = env.get_template(f"{folder}/body.html").render(variables)
        except TemplateError as error:
            raise MailRenderError(f"{folder}: {error}") from error

    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = _WHITESPACE.sub(" ", subject).strip()
    message["From"] = settings.mail_from
    message["To"] = envelope.to_email
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id_for(envelope, settings)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = locale
    # base64: safe for any line length and cheap to encode (no guessing per part)
    message.set_content(text.strip() + "\n", subtype="plain", cte="base64")
    message.add_alternative(html, subtype="html", cte="base64")
    return message
