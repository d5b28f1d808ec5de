"""The verify page's forms (``/verify``), and its words for why a badge could not be read.

``MESSAGES`` says each ``CheckInputError`` code and each fetch failure's code
(``Check.cause``, docs/fetching.md) in the reader's language; the page uses the same
words next to a field and beside a failed check (``reason_for``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, TextAreaField, URLField
from wtforms.validators import DataRequired, Email, Length

from wallet import forms
from wallet.forms import WalletForm
from wallet.forms.fetch_reasons import FETCH_REASONS, reason_for
from wallet.services.errors import ServiceError

URL_MAX = 2000
# A signed badge is a few KB; a pasted assertion with an embedded badge class and
# issuer, a few tens of KB.
TEXT_MAX = 200_000

MESSAGES = {
    # why a document could not be fetched: the same words as on every page that fetches
    **FETCH_REASONS,
    # what was handed in (services/checking.py)
    "bad_url": _l("Enter the address of a badge, starting with https:// or http://."),
    "not_json": _l(
        "This is neither JSON nor a signed badge (JWS). Paste the badge's JSON as it is, "
        "or its address in the address box."
    ),
    "not_an_assertion": _l("This is not an Open Badges assertion."),
    "not_an_image": _l("This is not a PNG or SVG image."),
    "image_damaged": _l("The image is damaged: its badge could not be read."),
    "no_badge": _l(
        "There is no badge in this image. Use the badge image downloaded from the wallet "
        "or the issuer (a baked image), not a screenshot."
    ),
    "several_badges": _l(
        "This image holds %(count)s badges, and a check is for one badge. Ask for the "
        "image of the badge you want to check."
    ),
    "upload_too_large": _l("The file is larger than %(max_kb)s KB: too large for a badge image."),
}


def message_for(error: ServiceError) -> str:
    if error.code not in MESSAGES:
        return reason_for(error.code)
    text = str(MESSAGES[error.code])
    return text % error.params if error.params else text


def show_error(form: WalletForm, error: ServiceError) -> None:
    forms.show_error(form, error, message_for)


class UrlCheckForm(WalletForm):
    """An address to check; sent by GET, so a link or a scanned QR code arrives checked
    (nothing changes on the server, so no CSRF token)."""

    class Meta:
        csrf = False

    url = URLField(
        _l("Address of the badge or its share page"),
        validators=[
            DataRequired(message=_l("Enter the address of a badge.")),
            Length(max=URL_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


class TextCheckForm(WalletForm):
    kind = HiddenField(default="text")
    text = TextAreaField(
        _l("The badge's JSON, or a signed badge (JWS)"),
        validators=[
            DataRequired(message=_l("Paste the badge's JSON or signed badge.")),
            Length(max=TEXT_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


class ImageCheckForm(WalletForm):
    kind = HiddenField(default="image")
    image = FileField(
        _l("Badge image (PNG or SVG)"),
        validators=[FileRequired(message=_l("Choose the badge image to check."))],
    )


class RecipientForm(WalletForm):
    """Without script: the address to compare with the badge's recipient, and the
    recipient as the result page showed it (hashed with its salt)."""

    email = EmailField(
        _l("Recipient's e-mail address"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Enter an e-mail address.")),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=320),
        ],
    )
    identity = HiddenField(validators=[DataRequired(), Length(max=200)])
    salt = HiddenField(validators=[Length(max=200)])
    url = HiddenField(validators=[Length(max=URL_MAX)])
