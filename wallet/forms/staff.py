"""Administrators' forms: staff accounts (invite, role and departments) and departments.

The view puts the departments in ``department_ids.choices``. Shape checks only: the
rules (an administrator has no departments, department staff at least one, nobody
changes their own role) are the staff service's, whose errors come back here.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from wallet import forms
from wallet.forms import WalletForm, admin
from wallet.models import StaffRole
from wallet.services.accounts import NAME_MAX
from wallet.services.errors import ServiceError
from wallet.services.issuing import MAX_EMAIL, MAX_NAME

MESSAGES: dict[str, Any] = {
    **admin.MESSAGES,
    "account_exists": _l("An account with this email address already exists."),
    "name_invalid": _l("Enter the name."),
    "bad_role": _l("Choose administrator or department staff."),
    "department_unknown": _l("Choose departments from the list."),
    "admin_departments": _l(
        "An administrator sees every department: untick the departments, "
        "or choose department staff."
    ),
    "departments_missing": _l("Tick at least one department for department staff."),
    "own_access": _l(
        "You cannot change your own role: ask another administrator. "
        "(So there is always an administrator left to undo a change.)"
    ),
    "own_account": _l("You cannot turn your own account off: ask another administrator."),
    "invitation_used": _l(
        "This member has already chosen a password. If they forgot it, they can use "
        "“Forgot your password?” on the login page."
    ),
    "invitation_off": _l("Turn the account on first, then send the invitation again."),
}

ROLE_LABELS: dict[str, Any] = {
    StaffRole.ADMIN.value: _l("Administrator"),
    StaffRole.DEPARTMENT.value: _l("Department staff"),
}


def message_for(error: ServiceError) -> str:
    """The translated message for a staff or department error."""
    text = str(MESSAGES.get(error.code, MESSAGES["invalid"]))
    return text % error.params if error.params else text


def show_error(form: FlaskForm, error: ServiceError) -> None:
    forms.show_error(form, error, message_for)


def role_label(role: str | None) -> str:
    label = ROLE_LABELS.get(role or "")
    return str(label) if label is not None else (role or "")


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (none ticked: an empty list)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role() -> RadioField:
    return RadioField(
        _l("Role"),
        choices=[
            SelectChoice(
                StaffRole.DEPARTMENT.value,
                _l(
                    "Department staff: the badges, lists and awards of the departments ticked below"
                ),
            ),
            SelectChoice(
                StaffRole.ADMIN.value,
                _l(
                    "Administrator: every department, the issuer profile, staff and "
                    "departments, failed mail and the audit log"
                ),
            ),
        ],
        default=StaffRole.DEPARTMENT.value,
    )


def _departments() -> CheckboxListField:
    return CheckboxListField(
        _l("Departments"),
        coerce=int,
        choices=[],
        description=_l("For department staff only."),
    )


class StaffAccessForm(WalletForm):
    role = _role()
    department_ids = _departments()


class InviteStaffForm(WalletForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=MAX_EMAIL),
            Email(_l("Enter an email address."), check_deliverability=False),
        ],
        description=_l("The invitation goes here; it is also the login."),
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=NAME_MAX)]
    )
    locale = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")],
        default="ja",
    )
    role = _role()
    department_ids = _departments()


class DepartmentForm(WalletForm):
    name = StringField(
        _l("Name (Japanese)"),
        validators=[
            DataRequired(_l("Enter the department's name in Japanese.")),
            Length(max=MAX_NAME),
        ],
        description=_l("For example 工学部 or 教育学研究科."),
    )
    name_en = StringField(
        _l("Name (English)"),
        validators=[Optional(), Length(max=MAX_NAME)],
        description=_l("For example Faculty of Engineering."),
    )
