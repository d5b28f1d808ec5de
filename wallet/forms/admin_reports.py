"""The programme office's reports: the award search form and the labels of award states
and audit log actions (shown on pages and written into CSV exports)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from wallet.forms import WalletForm
from wallet.services.issuing import MAX_QUERY

STATE_LABELS: dict[str, Any] = {
    "offered": _l("Not yet claimed"),
    "pending": _l("Accepted, waiting for the ledger"),
    "issued": _l("Issued"),
    "declined": _l("Declined"),
    "revoked": _l("Revoked"),
}
AUDIT_ACTION_LABELS: dict[str, Any] = {
    "award.issue": _l("Awarded a list"),
    "award.resend": _l("Sent the notification again"),
    "award.revoke": _l("Revoked an award"),
    "badge_class.create": _l("Created a badge"),
    "badge_class.edit": _l("Edited a badge"),
    "issuer.edit": _l("Edited the issuer profile"),
    "mail.requeue": _l("Queued failed mail again"),
    "staff.create": _l("Created a staff account"),
    "staff.invite": _l("Invited a staff member"),
    "staff.access": _l("Changed a staff member's role or departments"),
    "staff.deactivate": _l("Turned a staff account off"),
    "staff.reactivate": _l("Turned a staff account on again"),
    "staff.reinvite": _l("Sent a staff invitation again"),
    "department.create": _l("Created a department"),
    "department.rename": _l("Renamed a department"),
}
_DATE = _l("Enter a date as YYYY-MM-DD.")


class AwardSearchForm(WalletForm):
    """The award search: a GET form, so a search is a link to share (no CSRF token,
    since it changes nothing). Build it with ``formdata=request.args``; the view
    puts the badge classes in ``badge_class.choices`` and the departments in
    ``department.choices``."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name, address or student number"),
        validators=[Optional(), Length(max=MAX_QUERY)],
        description=_l("Any part of it, for example 花子, @example.ac.jp or 7031."),
    )
    badge_class = SelectField(_l("Badge"), choices=[], validate_choice=True, default="")
    department = SelectField(_l("Department"), choices=[], validate_choice=True, default="")
    state = SelectField(
        _l("State"),
        choices=[SelectChoice("", _l("Any state"))]
        + [SelectChoice(value, label) for value, label in STATE_LABELS.items()],
        default="",
    )
    issued_from = DateField(
        _l("Awarded from"), validators=[Optional()], invalid_value_message=_DATE
    )
    issued_to = DateField(_l("Awarded until"), validators=[Optional()], invalid_value_message=_DATE)
    sort = SelectField(
        _l("Order"),
        choices=[
            SelectChoice("newest", _l("Newest first")),
            SelectChoice("oldest", _l("Oldest first")),
        ],
        default="newest",
    )
