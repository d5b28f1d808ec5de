"""``/verify``: anyone checks any badge, no account needed (docs/verifying.md).

An address arrives by GET (``/verify?url=...``: a link or a scanned QR code opens the
result at once); pasted text and uploaded images by POST. The result is the share
page's verdict view. The recipient check runs in the browser (``static/js/recipient.js``);
``/verify/recipient`` is its no-script fallback, which compares and forgets the address.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from wallet.db import utcnow
from wallet.extensions import limiter
from wallet.forms.fetch_reasons import reason_for
from wallet.forms.verify import (
    ImageCheckForm,
    RecipientForm,
    TextCheckForm,
    UrlCheckForm,
    show_error,
)
from wallet.services import checking
from wallet.services.anchoring import chains
from wallet.services.checking import CheckInputError
from wallet.views.common import app_settings, read_session, remote_fetcher

bp = Blueprint("verify", __name__)
Page = tuple[str, int]
# This process's recent results (services/checking.py): a QR code scanned by a room
# full of people is fetched and verified about once a minute.
RESULTS = checking.CheckCache()
CheckForm = UrlCheckForm | TextCheckForm | ImageCheckForm


def _is_checking() -> bool:
    """The form alone costs nothing; a check fetches and verifies (and is limited)."""
    return request.method == "POST" or "url" in request.args


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("20 per minute", exempt_when=lambda: not _is_checking())
def check() -> Page:
    forms = _forms()
    form = forms.get("sent")
    result = None
    if form is not None and form.validate():
        settings = app_settings()
        try:
            result = checking.check_badge(
                read_session(),
                *_given(form),
                base_url=settings.base_url,
                remote=remote_fetcher(),
                now=utcnow(),
                cache=RESULTS,
                chain=chains.reader_for(settings),
                chain_key=chains.chain_key(settings),
                settings=settings,
            )
        except CheckInputError as error:
            show_error(form, error)
    status = 400 if form is not None and form.errors else 200
    return _page(forms, result, status)


def _forms() -> dict[str, CheckForm]:
    """The page's three forms, the one sent (if any) read from the request as ``sent``."""
    forms = _blank_forms()
    if request.method == "POST":
        kind = request.form.get("kind", "")
        if kind not in ("text", "image"):
            abort(400)
        forms[kind] = forms["sent"] = TextCheckForm() if kind == "text" else ImageCheckForm()
    elif "url" in request.args:
        forms["url"] = forms["sent"] = UrlCheckForm(formdata=request.args)
    return forms


def _blank_forms() -> dict[str, CheckForm]:
    return {
        "url": UrlCheckForm(formdata=None),
        "text": TextCheckForm(formdata=None),
        "image": ImageCheckForm(formdata=None),
    }


def _given(form: CheckForm) -> tuple[str | bytes, checking.InputKind]:
    if isinstance(form, ImageCheckForm):
        upload = form.image.data
        if not isinstance(upload, FileStorage):
            return b"", "image"
        # one byte past the limit is enough to tell it is too large
        return bytes(upload.read(checking.MAX_UPLOAD_BYTES + 1)), "image"
    if isinstance(form, UrlCheckForm):
        return str(form.url.data), "url"
    return str(form.text.data), "text"


def _page(forms: dict[str, CheckForm], result: checking.CheckedBadge | None, status: int) -> Page:
    recipient = RecipientForm(formdata=None)
    if result is not None and result.recipient is not None:
        recipient.identity.data = result.recipient.identity
        recipient.salt.data = result.recipient.salt or ""
        recipient.url.data = forms["url"].url.data or ""
    page = render_template(
        "verify/check.html", result=result, forms=forms, recipient_form=recipient, reason=reason_for
    )
    return page, status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Page:
    """More than the app takes in one request: the form could not be read at all."""
    forms = _blank_forms()
    show_error(
        forms["image"],
        CheckInputError(
            "upload_too_large", field="image", max_kb=checking.MAX_UPLOAD_BYTES // 1024
        ),
    )
    return _page(forms, None, 413)


@bp.post("/verify/recipient")
def check_recipient() -> Page:
    """The recipient check without script: the address is compared here and forgotten
    (never stored or logged); the answer is shown with the form to try another."""
    form = RecipientForm()
    matches = None
    if form.validate_on_submit():
        matches = checking.recipient_matches(
            str(form.identity.data), str(form.salt.data or ""), str(form.email.data)
        )
    back = (
        form.url.data
        if isinstance(form.url.data, str) and form.url.data.startswith(("http://", "https://"))
        else ""
    )
    page = render_template("verify/recipient.html", form=form, matches=matches, back_url=back)
    return page, 200 if matches is not None else 400
