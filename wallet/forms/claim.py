"""Forms of the claim flow live with the account forms; this module names them."""

from __future__ import annotations

from wallet.forms import ActionForm
from wallet.forms.accounts import EmailForm, RegisterForm, TermsForm

__all__ = ["ActionForm", "EmailForm", "RegisterForm", "TermsForm"]
