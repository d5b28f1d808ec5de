"""Who may open which page of the programme office (``/admin``): the one guard.

Not a view module (no routes of its own): every blueprint under ``/admin`` is made
by ``office_blueprint``, whose ``before_request`` is ``check_office_access``:

- nobody logged in: to the login page;
- logged in without a staff role (a student): 403, as for every ``/admin`` page;
- an administrator: every page;
- department staff: only the pages marked ``@for_department_staff``, whose
  services show their departments' badge classes and awards only (an id of
  another department's is ``NotFoundError``). Any other page (issuer profile,
  staff and departments, failed mail, audit log) is a 404, the same page as for
  an id that does not exist: no hint that there is something to see.

So a new page is for administrators until it is marked, and what a marked page
shows is the services' scope (``issuing.scope``), not a check in the view.
The office's menu is built from the same rule: a link is shown to whoever may
open it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from wallet.extensions import login_manager
from wallet.models import User
from wallet.services.errors import NotFoundError
from wallet.views.common import signed_in_user

View = TypeVar("View", bound=Callable[..., Any])
_MARK = "is_for_department_staff"

# The office's menu, in order: (endpoint, label). Each link shows only to those who may open it.
MENU = (
    ("admin.index", _l("Badges")),
    ("admin_reports.search_awards", _l("Find awards")),
    ("admin_reports.show_dashboard", _l("Dashboard")),
    ("admin.new_badge_class", _l("New badge")),
    ("admin.edit_issuer", _l("Issuer profile")),
    ("admin_staff.list_departments", _l("Departments")),
    ("admin_staff.list_staff", _l("Staff")),
    ("admin.list_failed_mail", _l("Failed mail")),
    ("admin_reports.show_audit_log", _l("Audit log")),
)


def for_department_staff(view: View) -> View:
    """Mark a view department staff may open too (its services scope what it shows)."""
    setattr(view, _MARK, True)
    return view


def may_open(user: User, endpoint: str) -> bool:
    """Whether ``user`` may open the office page ``endpoint`` at all."""
    if user.is_admin:
        return True
    if not user.is_staff:
        return False
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, _MARK, False))


def check_office_access() -> Response | None:
    """``before_request`` of every office blueprint (see the module's docstring)."""
    if not current_user.is_authenticated:
        return cast(Response, login_manager.unauthorized())
    user = signed_in_user()
    if not user.is_staff:
        abort(403)
    if not may_open(user, request.endpoint or ""):
        raise NotFoundError()
    return None


def _office_menu() -> dict[str, object]:
    if not current_user.is_authenticated:  # an error page before the guard (a CSRF refusal)
        return {"office_menu": []}
    user = signed_in_user()
    return {
        "office_menu": [
            (url_for(endpoint), label, endpoint == request.endpoint)
            for endpoint, label in MENU
            if may_open(user, endpoint)
        ]
    }


def office_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under ``/admin`` whose every page passes ``check_office_access``."""
    bp = Blueprint(name, import_name, url_prefix="/admin")
    bp.before_request(check_office_access)
    bp.context_processor(_office_menu)
    return bp
