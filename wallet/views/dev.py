"""Development-only pages: the local mail outbox (``instance/outbox/*.eml``).

Registered only outside production. A newcomer running ``make run`` opens
``/dev/outbox``, picks mail 1 and follows its claim button.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, Response, abort, render_template

from wallet.mail import folder
from wallet.views.common import app_settings

bp = Blueprint("dev", __name__, url_prefix="/dev")

# The mail's own HTML, shown in a sandboxed frame of /dev/outbox/<name>: its inline
# styles may apply, nothing may run, and only this site may frame it.
MAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https: http:; "
    "frame-ancestors 'self'; sandbox"
)


def _outbox_dir() -> Path:
    return Path(app_settings().outbox_dir)


def _message(name: str) -> EmailMessage:
    message = folder.read_outbox_file(_outbox_dir(), name)
    if message is None:
        abort(404)
    return message


@bp.get("/outbox")
def list_outbox() -> str:
    mails = folder.list_outbox(_outbox_dir())
    return render_template("dev/outbox.html", mails=mails, outbox_dir=_outbox_dir())


@bp.get("/outbox/<name>")
def show_mail(name: str) -> str:
    message = _message(name)
    html = folder.message_part(message, "html")
    return render_template(
        "dev/mail.html",
        name=name,
        message=message,
        text=folder.message_part(message, "plain"),
        has_html=bool(html),
        links=folder.html_links(html),
    )


@bp.get("/outbox/<name>/html")
def mail_html(name: str) -> Response:
    html = folder.message_part(_message(name), "html")
    if not html:
        abort(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_HTML_CSP
    response.headers["Cache-Control"] = "no-store"
    return response
