"""Forms of the claim flow live with the account forms; this module names them."""

from __future__ import annotations

from wallet.forms import ActionForm
from wallet.forms.accounts import EmailForm, RegisterForm, TermsForm
from wallet.forms.sharing import AcceptForm

__all__ = ["AcceptForm", "ActionForm", "EmailForm", "RegisterForm", "TermsForm"]
