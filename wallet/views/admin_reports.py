"""The programme office's reports under ``/admin``: find any award, export the list as
CSV, the dashboard (department staff too), and the audit log (administrators only).

Which awards a staff member sees is the services' business (``issuing.staff_awards``);
who may open which page, ``views.staff_access``.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import Response, flash, render_template, request, stream_with_context
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from wallet.db import utcnow
from wallet.extensions import db
from wallet.forms.admin import show_error
from wallet.forms.admin_reports import AUDIT_ACTION_LABELS, STATE_LABELS, AwardSearchForm
from wallet.i18n import pick
from wallet.models import AuditEntry
from wallet.services import audit, issuing
from wallet.services.csv_export import csv_chunks
from wallet.services.errors import ValidationError
from wallet.views.common import app_settings, signed_in_user
from wallet.views.staff_access import for_department_staff, office_blueprint

bp = office_blueprint("admin_reports", __name__)
Page = str | tuple[str, int] | Response


def _status(form: object) -> int:
    return 400 if getattr(form, "errors", None) else 200


def _search_form() -> AwardSearchForm:
    form = AwardSearchForm(formdata=request.args)
    locale, session, staff = str(get_locale()), db.session(), signed_in_user()
    form.badge_class.choices = [("", _("Any badge"))] + [
        (str(badge.id), pick(locale, badge.name, badge.name_en))
        for badge in issuing.badge_class_choices(session, staff)
    ]
    form.department.choices = [("", _("Any department"))] + [
        (str(department.id), pick(locale, department.name, department.name_en))
        for department in issuing.department_choices(session, staff)
    ]
    return form


def _award_filter(form: AwardSearchForm) -> issuing.AwardFilter:
    return issuing.AwardFilter(
        text=form.q.data or "",
        badge_class_id=int(form.badge_class.data) if form.badge_class.data else None,
        department_id=int(form.department.data) if form.department.data else None,
        state=form.state.data or "",
        issued_from=form.issued_from.data,
        issued_to=form.issued_to.data,
        sort=form.sort.data or "newest",
    )


def _search_args(form: AwardSearchForm) -> dict[str, str]:
    """The search as typed, for the links to other pages of it and to its CSV."""
    return {field.name: request.args[field.name] for field in form if request.args.get(field.name)}


def _search_page(form: AwardSearchForm, results: issuing.AwardSearchPage | None) -> Page:
    return render_template(
        "admin/awards.html", form=form, results=results, search_args=_search_args(form)
    ), _status(form)


@bp.get("/awards")
@for_department_staff
def search_awards() -> Page:
    form = _search_form()
    results = None
    if form.validate():
        try:
            results = issuing.search_awards(
                db.session(),
                signed_in_user(),
                _award_filter(form),
                timezone=app_settings().timezone,
                after=request.args.get("after", ""),
                before=request.args.get("before", ""),
            )
        except ValidationError as error:
            show_error(form, error)
    return _search_page(form, results)


def _when(moment: datetime | None) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm", rebase=False) if moment else ""


def _csv_cells(row: issuing.AwardRow) -> list[str]:
    return [
        row.name,
        row.email,
        row.student_number,
        row.badge_name,
        row.department_name,
        str(STATE_LABELS.get(row.state, row.state)),
        format_date(row.issued_on, "yyyy-MM-dd", rebase=False),
        _when(row.accepted_at),
        _when(row.issued_at),
        _when(row.revoked_at),
        row.revocation_reason,
        _("Public") if row.is_public else _("Private"),
    ]


@bp.get("/awards.csv")
@for_department_staff
def export_awards() -> Page:
    form = _search_form()
    if not form.validate():
        return _search_page(form, None)
    try:
        rows = issuing.export_awards(
            db.session(), signed_in_user(), _award_filter(form), timezone=app_settings().timezone
        )
    except ValidationError as error:
        show_error(form, error)
        return _search_page(form, None)
    header = [
        _("Name"),
        _("Email"),
        _("Student number"),
        _("Badge"),
        _("Department"),
        _("State"),
        _("Awarded on"),
        _("Accepted at"),
        _("Issued at"),
        _("Revoked at"),
        _("Reason for revoking"),
        _("Visibility"),
    ]
    chunks = csv_chunks(header, (_csv_cells(row) for row in rows))
    filename = f"awards-{format_datetime(utcnow(), 'yyyyMMdd-HHmm')}.csv"
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def _details_text(entry: AuditEntry) -> str:
    """The entry's details as one short line of JSON (plain values, never secrets)."""
    return json.dumps(entry.details, ensure_ascii=False, sort_keys=True) if entry.details else ""


@bp.get("/audit")
def show_audit_log() -> Page:
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "admin/audit.html",
        log=audit.list_entries(db.session(), page=page),
        labels=AUDIT_ACTION_LABELS,
        details_text=_details_text,
    )


def _audit_cells(entry: AuditEntry) -> list[str]:
    return [
        entry.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        entry.actor_email,
        str(entry.actor_id or ""),
        entry.action,
        str(AUDIT_ACTION_LABELS.get(entry.action, entry.action)),
        entry.target_type,
        str(entry.target_id or ""),
        _details_text(entry),
    ]


@bp.get("/audit.csv")
def export_audit_log() -> Page:
    header = [
        _("When (UTC)"),
        _("Staff email"),
        _("Staff id"),
        _("Action code"),
        _("Action"),
        _("Target type"),
        _("Target id"),
        _("Details"),
    ]
    rows = [_audit_cells(entry) for entry in audit.all_entries(db.session())]
    filename = f"audit-{format_datetime(utcnow(), 'yyyyMMdd-HHmm')}.csv"
    return Response(
        "".join(csv_chunks(header, rows)),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@bp.get("/dashboard")
@for_department_staff
def show_dashboard() -> Page:
    period = request.args.get("period", "month")
    status = 200
    if period not in issuing.PERIODS:
        flash(_("Choose months or weeks."), "error")
        period, status = "month", 400
    dashboard = issuing.build_dashboard(
        db.session(), signed_in_user(), period=period, timezone=app_settings().timezone
    )
    return render_template(
        "admin/dashboard.html", dashboard=dashboard, chart=issuing.claims_chart(dashboard.periods)
    ), status
