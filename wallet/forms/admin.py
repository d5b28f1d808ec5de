"""Programme office forms: issuer profile, badge classes, completers lists, revocation.

Shape checks only. Image and CSV contents are checked by the services, whose
typed errors come back here as translated messages next to the right field.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, Regexp

from wallet import forms
from wallet.forms import WalletForm
from wallet.models import BadgeKind
from wallet.services.errors import ServiceError
from wallet.services.issuing import (
    LINKEDIN_ID_MAX,
    MAX_EMAIL,
    MAX_ISSUER_DESCRIPTION,
    MAX_NAME,
    MAX_REASON,
    MAX_TEXT,
    MAX_URL,
)

MAIL_DOMAINS_TEXT_MAX = 2000  # far more than MAX_DOMAINS names; what is echoed stays short

# What each service error code tells the programme office.
MESSAGES: dict[str, Any] = {
    # images
    "image_empty": _l("Choose an image file."),
    "image_too_large": _l("The image is too large. The limit is %(max_kb)s KB."),
    "image_type": _l("Only PNG or SVG images can be used."),
    "png_broken": _l("This PNG image is damaged and cannot be read."),
    "png_too_big": _l("The image is too large: at most %(max_side)s × %(max_side)s pixels."),
    "png_too_small": _l("The image is too small: at least %(min_side)s × %(min_side)s pixels."),
    "svg_broken": _l("This SVG image cannot be read (it is not well-formed SVG)."),
    "svg_entities": _l("SVG images with entity declarations are not accepted."),
    "svg_doctype": _l(
        "SVG images whose DOCTYPE carries its own declarations (<!DOCTYPE svg [ … ]>) "
        "are not accepted. Export the image again as plain SVG."
    ),
    "svg_too_deep": _l(
        "This SVG image is nested too deeply (more than %(max_depth)s levels). "
        "Simplify its groups and styles."
    ),
    "svg_script": _l("SVG images that contain scripts are not accepted."),
    "svg_event_handler": _l("SVG images with event handlers (on… attributes) are not accepted."),
    "svg_element": _l(
        "SVG images with <%(element)s> elements are not accepted: a badge image may hold "
        "drawing elements only (no links, animation or embedded documents). "
        "Remove it and export the image again."
    ),
    "svg_attribute": _l(
        "SVG images with the attribute %(attribute)s are not accepted. "
        "Remove it and export the image again."
    ),
    "svg_external": _l(
        "SVG images that load other files or web addresses are not accepted. "
        "Embed everything in the image."
    ),
    "svg_embedded_image": _l(
        "Pictures embedded in an SVG image must be PNG, JPEG, GIF or WebP data "
        "(data:image/…;base64). Embedded SVG and damaged data are not accepted."
    ),
    "svg_css": _l(
        "The CSS in this SVG image uses %(css)s, which is not accepted. "
        "Use plain properties such as fill, stroke and font-size."
    ),
    # badge classes and the issuer
    "no_issuer": _l("Fill in the issuer profile first."),
    "criteria_missing": _l("Describe the criteria, give a criteria URL, or both."),
    "bad_kind": _l("Choose hosted or anchored."),
    "bad_valid_days": _l("Enter a number of days between 1 and 36500, or leave it empty."),
    "too_many_tags": _l("Use at most %(max_tags)s tags of up to %(max_len)s characters each."),
    "kind_locked": _l("The type cannot change once this badge has been awarded."),
    "linkedin_id_digits": _l(
        "Enter the LinkedIn company ID as digits only (for example 1234567), or leave it empty."
    ),
    "linkedin_id_long": _l("This LinkedIn company ID is too long: at most %(max)d digits."),
    "mail_domain_invalid": _l(
        "“%(domain)s” is not a mail domain. Enter domains such as shizuoka.ac.jp, one per line."
    ),
    "mail_domains_too_many": _l("Enter at most %(max)d mail domains."),
    # completers lists
    "too_large": _l("The file is too large. The limit is %(max_kb)s KB."),
    "too_many_rows": _l("The file has too many rows. Upload at most %(max_rows)s at a time."),
    "encoding": _l(
        "The file could not be read as text in UTF-8 or Shift_JIS. In Excel, save it as "
        "“CSV UTF-8 (comma delimited)” and try again."
    ),
    "not_csv": _l("This does not look like a CSV file of names and email addresses."),
    "empty": _l("The file has no rows."),
    "missing_column": _l(
        "The file has no %(column)s column. Use the headers name and email "
        "(or 氏名 and メールアドレス), or put the name first and the email second."
    ),
    "stale_preview": _l("This preview has expired. Please upload the file again."),
    "concurrent_batch": _l(
        "Some of these people were awarded this badge at the same moment by another upload. "
        "Please upload the file again."
    ),
    # awards
    "award_revoked": _l("This award has been revoked."),
    "award_claimed": _l("This award has already been accepted, so there is nothing to resend."),
    "reason_missing": _l("Give the reason for revoking. Verifiers will see it."),
    "reason_too_long": _l("The reason is too long (at most %(max_len)s characters)."),
    # award search
    "query_too_long": _l("Search for at most %(max_len)s characters."),
    "query_control": _l("Remove the hidden control characters from the search."),
    "bad_state": _l("Choose a state from the list."),
    "bad_sort": _l("Choose newest or oldest first."),
    "dates_reversed": _l("The end date is before the start date."),
    "bad_cursor": _l("This page link is damaged. Search again from the first page of results."),
    "bad_period": _l("Choose months or weeks."),
    # departments
    "bad_department": _l("Choose one of the departments in the list."),
    "department_name_missing": _l("Enter the department's name in Japanese."),
    "department_exists": _l("Another department is already called “%(name)s”."),
    "invalid": _l("Please check this value."),
    **forms.TEXT_MESSAGES,
}

COLUMN_NAMES = {"name": _l("name"), "email": _l("email")}

ROW_PROBLEMS: dict[str, Any] = {
    "missing_name": _l("The name is missing."),
    "name_too_long": _l("The name is too long."),
    "name_hidden_character": _l(
        "The name contains a hidden control character, shown here as [U+…]."
    ),
    "name_invisible": _l("The name has no visible characters."),
    "missing_email": _l("The email address is missing."),
    "bad_email": _l("This is not a valid email address."),
    "bad_student_number": _l("The student number is too long."),
    "student_number_hidden_character": _l(
        "The student number contains a hidden or invisible character."
    ),
    "bad_language": _l("The language must be ja or en."),
    "duplicate": _l("This address appears earlier in the file."),
    "already_awarded": _l("Already awarded this badge: it will be skipped."),
}


def message_for(error: ServiceError) -> str:
    """The translated message for a service error, with its parameters filled in."""
    params = dict(error.params)
    if "column" in params:
        params["column"] = str(COLUMN_NAMES.get(str(params["column"]), params["column"]))
    text = str(MESSAGES.get(error.code, MESSAGES["invalid"]))
    return text % params if params else text


def show_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service error next to its field, in the words of ``MESSAGES``."""
    forms.show_error(form, error, message_for)


def row_problem(code: str) -> str:
    return str(ROW_PROBLEMS.get(code, MESSAGES["invalid"]))


def _half_width(value: str | None) -> str | None:
    """Full-width digits and spaces (typed with a Japanese input method) as ASCII."""
    return unicodedata.normalize("NFKC", value).strip() if value else value


def _web_url(message: Any) -> URL:
    return URL(require_tld=False, message=message)


class DomainListField(TextAreaField):
    """A list of domains as lines of text: the stored list shows one domain a line."""

    def process_data(self, value: Any) -> None:
        self.data = "\n".join(value) if isinstance(value, list) else value


class IssuerForm(WalletForm):
    name = StringField(_l("Name (Japanese)"), validators=[DataRequired(), Length(max=MAX_NAME)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=MAX_NAME)])
    url = URLField(
        _l("Website"),
        validators=[DataRequired(), Length(max=MAX_URL), _web_url(_l("Enter a web address."))],
        description=_l("For example https://www.shizuoka.ac.jp/"),
    )
    email = EmailField(
        _l("Contact email"),
        validators=[DataRequired(), Length(max=MAX_EMAIL), Email(_l("Enter an email address."))],
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=MAX_ISSUER_DESCRIPTION)]
    )
    logo = FileField(_l("Logo (PNG or SVG)"))
    linkedin_organization_id = StringField(
        _l("LinkedIn company ID (optional)"),
        filters=[_half_width],
        validators=[
            Optional(),
            Regexp(r"^[0-9]+$", message=MESSAGES["linkedin_id_digits"]),
            Length(max=LINKEDIN_ID_MAX, message=MESSAGES["linkedin_id_long"]),
        ],
        description=_l(
            "The number in the address of the university's LinkedIn page as its "
            "administrators see it (linkedin.com/company/1234567/admin). With it, students "
            "who add a badge to their LinkedIn profile see the university's logo and link."
        ),
    )
    mail_domains = DomainListField(
        _l("University mail domains (optional)"),
        validators=[Optional(), Length(max=MAIL_DOMAINS_TEXT_MAX)],
        description=_l(
            "One per line, for example shizuoka.ac.jp; subdomains are included. A student "
            "whose addresses are all at these domains is asked, once a term, to add a "
            "personal address, so the wallet stays theirs after graduation."
        ),
    )


class BadgeClassForm(WalletForm):
    """The badge class form; the view puts the departments in ``department_id.choices``."""

    department_id = SelectField(
        _l("Department"),
        coerce=int,
        choices=[],
        description=_l("The faculty or school that awards this badge; its staff manage it."),
    )
    name = StringField(
        _l("Badge name (Japanese)"), validators=[DataRequired(), Length(max=MAX_NAME)]
    )
    name_en = StringField(_l("Badge name (English)"), validators=[Optional(), Length(max=MAX_NAME)])
    description = TextAreaField(
        _l("Description (Japanese)"), validators=[DataRequired(), Length(max=MAX_TEXT)]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=MAX_TEXT)]
    )
    criteria_text = TextAreaField(
        _l("Criteria"),
        validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("What a student did to earn this badge."),
    )
    criteria_url = URLField(
        _l("Criteria URL"),
        validators=[Optional(), Length(max=MAX_URL), _web_url(_l("Enter a web address."))],
    )
    image = FileField(
        _l("Badge image (PNG or SVG)"),
        description=_l("A square image of at least 200 × 200 pixels looks best."),
    )
    kind = SelectField(
        _l("Type"),
        choices=[
            SelectChoice(
                BadgeKind.HOSTED.value, _l("Hosted: issued as soon as the student accepts")
            ),
            SelectChoice(
                BadgeKind.ANCHORED.value, _l("Anchored: recorded in the daily ledger the next day")
            ),
        ],
        default=BadgeKind.HOSTED.value,
    )
    valid_days = IntegerField(
        _l("Valid for (days)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=36_500, message=_l("Enter a number between 1 and 36500.")),
        ],
        description=_l("Leave empty if the badge does not expire."),
    )
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Separate tags with commas."),
    )


class CompletersUploadForm(WalletForm):
    file = FileField(
        _l("Completers list (CSV)"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l(
            "Columns: name, email, and optionally student number and language (ja/en). "
            "UTF-8 or Shift_JIS; the header row is optional."
        ),
    )


class ConfirmBatchForm(WalletForm):
    sealed = HiddenField(validators=[DataRequired()])


class RevokeForm(WalletForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give the reason for revoking. Verifiers will see it.")),
            Length(max=MAX_REASON),
        ],
        description=_l("Shown to anyone who verifies this badge."),
    )


# What each outbox template is, for the failed-mail page (the template names are code).
MAIL_KINDS = {
    "award_notice": _l("Award notice (mail 1)"),
    "claim_reminder": _l("Claim reminder"),
    "badge_issued": _l("Badge issued (mail 2)"),
    "activation": _l("Account activation"),
    "password_reset": _l("Password reset"),
    "add_email": _l("Address confirmation"),
    "address_added": _l("Address added notice"),
    "address_removed": _l("Address removed notice"),
    "login_throttled": _l("Login failures notice"),
    "account_deleted": _l("Account deleted notice"),
    "staff_invitation": _l("Staff invitation"),
}


def mail_kind(template: str) -> str:
    """The office's name for an outbox template; the template name itself if unknown."""
    label = MAIL_KINDS.get(template)
    return str(label) if label is not None else template
