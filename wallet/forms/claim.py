"""Forms of the claim flow live with the account forms; this module names them."""

from __future__ import annotations

from wallet.forms.accounts import ActionForm, EmailForm, RegisterForm, TermsForm

__all__ = ["ActionForm", "EmailForm", "RegisterForm", "TermsForm"]
