"""The student's data as one ZIP file (``services/data_export.py``), from the account page.

A POST with the CSRF token rather than a GET link: the answer is the whole account,
built on demand, so another site must not be able to start it (a GET would run from
any page's link or image, and link prefetchers would build it unasked), and it is
rate-limited like the other costly account actions.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, send_file, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from wallet.db import utcnow
from wallet.extensions import db, limiter
from wallet.forms import ActionForm
from wallet.forms.accounts import message_for
from wallet.services import data_export
from wallet.views.common import app_settings, signed_in_user

bp = Blueprint("data_export", __name__)


@bp.post("/account/export")
@login_required
@limiter.limit("5 per minute")
def download_data() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    settings = app_settings()
    try:
        export = data_export.export_data(
            db.session(), signed_in_user(), settings.base_url, utcnow(), settings.timezone
        )
    except data_export.ExportTooLargeError as error:
        flash(message_for(error), "error")
        return redirect(url_for("auth.account") + "#export-heading")
    response = send_file(
        io.BytesIO(export.data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.filename,
        conditional=False,
        etag=False,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
