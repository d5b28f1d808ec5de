"""Importing a badge from another issuer: by its address, or by its baked image.

``message_for`` words every refusal of ``services.importing`` (``ImportRefusedError``).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, StringField
from wtforms.validators import DataRequired, Length, Regexp

from wallet.forms import WalletForm
from wallet.forms.fetch_reasons import reason_for
from wallet.services.errors import ServiceError
from wallet.services.importing import MAX_URL_LENGTH


class ImportUrlForm(WalletForm):
    url = StringField(
        _l("The badge's address"),
        description=_l(
            "The address of the badge's assertion (its Open Badges data), as the issuer or "
            "another wallet gives it. It starts with https://."
        ),
        validators=[
            DataRequired(message=_l("Paste the badge's address.")),
            Length(max=MAX_URL_LENGTH, message=_l("This address is too long.")),
            Regexp(r"^\s*https?://", message=_l("Enter an address starting with https://.")),
        ],
    )


class ImportImageForm(WalletForm):
    image = FileField(
        _l("The badge image (PNG or SVG)"),
        description=_l("A badge image downloaded from another wallet or issuer, with its data."),
        validators=[FileRequired(_l("Choose the badge image."))],
    )


# which part of the badge failed (services.verifying.CHECK_GROUPS)
FAILED_CHECKS = {
    "issuer": _l("The issuer's profile could not be checked."),
    "record": _l("The badge's data is not complete or not published by its issuer."),
    "signature": _l("The badge's signature is not valid."),
    "recipient": _l("The badge's recipient could not be checked."),
    "revocation": _l("The issuer's revocation list could not be read."),
    "expiry": _l("The badge's dates are not valid."),
    "image": _l("The badge's image could not be checked."),
}

MESSAGES = {
    "not_a_url": _l("Enter an address starting with https://."),
    "image_too_large": _l("The image is too large (at most %(max_mb)s MB)."),
    "not_an_image": _l("This file is not a PNG or SVG image."),
    "no_badge_in_image": _l(
        "This image carries no badge data. Download the badge again from the wallet or "
        "site that holds it (the image with its data), or paste its address instead."
    ),
    "several_badges_in_image": _l(
        "This image carries %(count)s badges. Import them one at a time, by their addresses."
    ),
    "ours_in_wallet": _l("This badge is already in your wallet."),
    "ours": _l(
        "This badge was issued through this wallet, so it cannot be imported. If it was "
        "awarded to you, it comes to your wallet by itself: accept it from its mail, or add "
        "the address it was sent to in account settings."
    ),
    "unsupported_format": _l(
        "This kind of badge (%(format)s) cannot be imported yet. Open Badges 2.0 badges can."
    ),
    "revoked": _l("The issuer has revoked this badge, so it cannot be imported."),
    "revoked_reason": _l(
        "The issuer has revoked this badge, so it cannot be imported. Its reason: %(reason)s"
    ),
    "expired": _l("This badge expired on %(expires)s, so it cannot be imported."),
    "other_recipient": _l(
        "This badge was issued to %(address)s, which is not one of your verified addresses. "
        "Add and confirm that address in account settings, then import it again."
    ),
    "other_recipient_hashed": _l(
        "This badge was issued to an address that does not match any of your verified "
        "addresses. If it was sent to another address of yours, add and confirm that "
        "address in account settings, then import it again."
    ),
    "duplicate": _l("This badge is already in your wallet (imported on %(date)s)."),
    "unverified": _l("This badge could not be verified, so it cannot be imported."),
    "invalid": _l("Please check this value."),
}


def message_for(error: ServiceError) -> str:
    params = error.params
    if error.code == "fetch_failed":
        return f"{MESSAGES['unverified']} {reason_for(str(params.get('cause', '')))}"
    if error.code == "unverified":
        detail = FAILED_CHECKS.get(str(params.get("check", "")), "")
        return f"{MESSAGES['unverified']} {detail}".strip()
    if error.code == "revoked" and params.get("reason"):
        return str(MESSAGES["revoked_reason"]) % {"reason": params["reason"]}
    if error.code in ("expired", "duplicate"):
        moment = params.get("expires") or params.get("imported_at")
        day = format_date(moment) if isinstance(moment, datetime) else ""
        return str(MESSAGES[error.code]) % {"expires": day, "date": day}
    text = str(MESSAGES.get(error.code, MESSAGES["invalid"]))
    return text % params if params else text


def show_refusal(field: Field, error: ServiceError) -> None:
    """Put a refusal next to the field that was sent (the address or the image)."""
    field.errors = [*field.errors, message_for(error)]
