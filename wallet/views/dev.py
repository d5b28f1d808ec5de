"""Development-only pages: the local mail outbox (``instance/outbox/*.eml``).

Registered only outside production. A newcomer running ``make run`` opens
``/dev/outbox``, picks mail 1 and follows its claim button.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from wallet.db import utcnow
from wallet.extensions import db
from wallet.forms import ActionForm
from wallet.mail import folder
from wallet.services.anchoring import chains
from wallet.services.anchoring.run import run_anchoring
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


@bp.post("/anchoring/run")
def run_anchoring_now() -> BaseResponse:
    """The programme office's development button: the daily anchoring run, now."""
    if not (current_user.is_authenticated and current_user.is_staff):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    settings = app_settings()
    report = run_anchoring(db.session(), settings, utcnow(), chains.chain_for(settings))
    flash(
        _(
            "Anchoring run: %(built)s credentials built, %(issued)s badges issued.",
            built=report.built,
            issued=report.issued,
        )
    )
    return redirect(url_for("admin.index"))


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
