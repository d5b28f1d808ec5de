"""Who may see a badge: chosen when accepting it (public pre-selected, as the
university's current wallet does) and changed later on its page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from wallet.forms import WalletForm

PUBLIC = "public"
PRIVATE = "private"
CHOICES = [SelectChoice(PUBLIC, _l("Public")), SelectChoice(PRIVATE, _l("Private"))]


def visibility_field(*, default: str | None = PUBLIC) -> RadioField:
    """A public/private choice; without a default, one must be sent."""
    validators = [] if default else [InputRequired()]
    return RadioField(
        _l("Who can see this badge?"), choices=CHOICES, default=default, validators=validators
    )


class VisibilityChoice:
    """Mixed into forms that carry a ``visibility`` field."""

    visibility: RadioField

    @property
    def is_public(self) -> bool:
        return bool(self.visibility.data != PRIVATE)


class AcceptForm(VisibilityChoice, WalletForm):
    """Accept a badge, public unless the student picks private."""

    visibility = visibility_field()


class VisibilityForm(VisibilityChoice, WalletForm):
    """Switch a badge public or private; ``next`` is where to go back to (a local path)."""

    visibility = visibility_field(default=None)
    next = HiddenField()
