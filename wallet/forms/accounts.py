"""Account forms: login, registration, passwords, name, addresses, language, profile.

Shape checks only; the password policy (common list, not the email) lives in
``wallet.services.accounts`` and comes back as a typed error that
``show_error`` puts next to the right field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

from wallet import forms
from wallet.forms import WalletForm
from wallet.forms.sharing import VisibilityChoice, visibility_field
from wallet.services.accounts import NAME_MAX
from wallet.services.errors import ServiceError
from wallet.services.passwords import PASSWORD_MAX, PASSWORD_MIN

EMAIL_MAX = 320

# What each service error code says to the student.
MESSAGES = {
    "password_short": _l("Use at least %(n)s characters.", n=PASSWORD_MIN),
    "password_long": _l("Use at most %(n)s characters.", n=PASSWORD_MAX),
    "password_email": _l("Do not use your email address as your password."),
    "password_common": _l("This password is too common. Please choose another one."),
    "wrong_password": _l("The current password is not correct."),
    "name_invalid": _l("Enter your name."),
    "login_failed": _l("The email address or password is not correct."),
    "account_inactive": _l(
        "Your account is not activated yet. Open the link in the activation mail, "
        "or have it sent again below."
    ),
    "account_exists": _l(
        "An account for this email address already exists. Please log in instead."
    ),
    "account_deactivated": _l(
        "This account has been turned off. If you still need it, ask the "
        "programme office's administrator to turn it on again."
    ),
    "token_invalid": _l("This link is not valid any more. It may have expired or been used."),
    "award_revoked": _l("The issuer has withdrawn this badge, so it can no longer be accepted."),
    "award_decided": _l("You have already accepted or declined this badge."),
    "terms_not_accepted": _l("Please read and agree to the terms of use first."),
    "export_too_large": _l(
        "Your data is too large for one file (more than %(max_mb)s MB). "
        "Please ask the programme office for a copy."
    ),
    "invalid": _l("Please check this value."),
    **forms.TEXT_MESSAGES,
}


# Messages that count something: worded for the number the error carries.
COUNTED: dict[str, Callable[[ServiceError], str]] = {
    "login_throttled": lambda error: ngettext(
        "Too many failed login attempts. To protect the account, logging in is paused "
        "for %(num)s minute. If you have forgotten your password, set a new one: "
        "that works right away.",
        "Too many failed login attempts. To protect the account, logging in is paused "
        "for %(num)s minutes. If you have forgotten your password, set a new one: "
        "that works right away.",
        cast(int, error.params["minutes"]),
    ),
}


def message_for(error: ServiceError) -> str:
    counted = COUNTED.get(error.code)
    if counted is not None:
        return counted(error)
    text = str(MESSAGES.get(error.code, MESSAGES["invalid"]))
    return text % error.params if error.params else text


def show_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service error next to its field, in the words of ``MESSAGES``."""
    forms.show_error(form, error, message_for)


def _password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l(
                    "Use %(min)s to %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX
                ),
            ),
        ],
        description=_l(
            "%(min)s to %(max)s characters. Avoid common passwords and your email address.",
            min=PASSWORD_MIN,
            max=PASSWORD_MAX,
        ),
    )


def _confirmation() -> PasswordField:
    return PasswordField(
        _l("Password (again)"),
        validators=[
            DataRequired(message=_l("Enter the password again.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
    )


def _email(label: str | None = None) -> EmailField:
    return EmailField(
        label or _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("This email address is too long.")),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )


def _name() -> StringField:
    return StringField(
        _l("Name (氏名)"),
        validators=[
            DataRequired(message=_l("Enter your name.")),
            Length(max=NAME_MAX, message=_l("The name is too long.")),
        ],
        description=_l("As it should appear on your badges, e.g. 静岡 太郎."),
    )


class LoginForm(WalletForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("This email address is too long.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class RegisterForm(VisibilityChoice, WalletForm):
    name = _name()
    password = _password(_l("Password"))
    confirm = _confirmation()
    # the badge behind the claim link is accepted at the first login, as chosen here
    visibility = visibility_field()


class TermsForm(WalletForm):
    agree = BooleanField(
        _l("I have read and agree to the terms of use."),
        validators=[DataRequired(message=_l("Please agree to the terms of use to continue."))],
    )


class EmailForm(WalletForm):
    """Asks for an address: re-send a link, reset a password."""

    email = _email()


class NewPasswordForm(WalletForm):
    password = _password(_l("New password"))
    confirm = _confirmation()


class ChangePasswordForm(WalletForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    password = _password(_l("New password"))
    confirm = _confirmation()


class NameForm(WalletForm):
    name = _name()


class DeleteAccountForm(WalletForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Enter your password."))],
    )
    understood = BooleanField(
        _l("I understand that my account and my wallet are deleted for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class AddEmailForm(WalletForm):
    email = _email(_l("Another email address"))


class LanguageForm(WalletForm):
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")],
        validate_choice=True,
    )


class ProfileForm(WalletForm):
    """The public profile switch: one button that turns it on, or off."""

    public = HiddenField(validators=[AnyOf(("on", "off"))])
