"""Administrators' pages under ``/admin``: staff accounts and departments.

None is marked for department staff (``views.staff_access``): to them these
pages do not exist. Every change goes in the audit log (the services write it).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from wallet.db import utcnow
from wallet.extensions import db
from wallet.forms import ActionForm
from wallet.forms.staff import (
    DepartmentForm,
    InviteStaffForm,
    StaffAccessForm,
    role_label,
    show_error,
)
from wallet.i18n import pick
from wallet.models import User
from wallet.services import issuing, staff
from wallet.services.accounts import AccountExistsError
from wallet.services.errors import ValidationError
from wallet.views.common import app_settings, signed_in_user
from wallet.views.staff_access import office_blueprint

bp = office_blueprint("admin_staff", __name__)
Page = str | tuple[str, int] | Response


def _status(form: object) -> int:
    return 400 if getattr(form, "errors", None) else 200


def _with_departments(form: StaffAccessForm | InviteStaffForm) -> None:
    locale = str(get_locale())
    form.department_ids.choices = [
        (s.department.id, pick(locale, s.department.name, s.department.name_en))
        for s in issuing.list_departments(db.session())
    ]


def _access(form: StaffAccessForm | InviteStaffForm) -> staff.StaffAccess:
    return staff.StaffAccess(form.role.data or "", tuple(form.department_ids.data or ()))


@bp.get("/staff")
def list_staff() -> Page:
    session = db.session()
    members = staff.list_staff(session)
    return render_template(
        "admin/staff.html",
        members=members,
        invited=staff.pending_invitations(session, [m.id for m in members]),
        role_label=role_label,
        me=signed_in_user(),
    )


@bp.route("/staff/new", methods=["GET", "POST"])
def invite_staff() -> Page:
    session = db.session()
    form = InviteStaffForm()
    _with_departments(form)
    if form.validate_on_submit():
        try:
            member = staff.invite_staff_member(
                session,
                form.email.data or "",
                form.name.data or "",
                access=_access(form),
                locale=form.locale.data or "ja",
                base_url=app_settings().base_url,
                actor=signed_in_user(),
            )
        except (ValidationError, AccountExistsError) as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("%(email)s has been invited by mail.", email=member.email), "success")
            return redirect(url_for("admin_staff.list_staff"))
    return render_template("admin/staff_invite.html", form=form), _status(form)


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
def edit_staff(user_id: int) -> Page:
    session = db.session()
    member = staff.get_staff_member(session, user_id)
    current = {"role": member.staff_role, "department_ids": [d.id for d in member.departments]}
    form = StaffAccessForm(data=current)
    _with_departments(form)
    if form.validate_on_submit():
        try:
            staff.change_staff_access(session, member.id, _access(form), actor=signed_in_user())
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The role and departments of %(email)s are saved.", email=member.email))
            return redirect(url_for("admin_staff.list_staff"))
    return _edit_page(member, ActionForm(formdata=None), form), _status(form)


def _edit_page(member: User, action_form: ActionForm, form: StaffAccessForm | None = None) -> str:
    """The member's page; ``form`` as posted, or their current access; ``action_form``
    carries the error of a button that was refused (turn off/on, invite again)."""
    if form is None:
        form = StaffAccessForm(formdata=None, role=member.staff_role)
        _with_departments(form)
        form.department_ids.data = [d.id for d in member.departments]
    session = db.session()
    return render_template(
        "admin/staff_edit.html",
        form=form,
        member=member,
        me=signed_in_user(),
        action_form=action_form,
        invitation_pending=not member.is_deactivated and staff.invitation_pending(session, member),
        invitation_days=staff.INVITATION_LIFETIME.days,
    )


def _button(user_id: int) -> tuple[Session, User, ActionForm]:
    """The member a button on their page acts on, and its form (400 when not valid)."""
    session = db.session()
    member = staff.get_staff_member(session, user_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return session, member, form


def _switch(user_id: int, *, on: bool) -> Page:
    session, member, form = _button(user_id)
    try:
        if on:
            staff.reactivate_staff_member(session, member.id, actor=signed_in_user())
        else:
            staff.deactivate_staff_member(session, member.id, actor=signed_in_user(), now=utcnow())
    except ValidationError as error:
        show_error(form, error)
        return _edit_page(member, form), 400
    session.commit()
    if on:
        flash(_("%(email)s can log in again.", email=member.email), "success")
    else:
        flash(_("%(email)s can no longer log in.", email=member.email), "success")
    return redirect(url_for("admin_staff.list_staff"))


@bp.post("/staff/<int:user_id>/invite-again")
def reinvite_staff(user_id: int) -> Page:
    session, member, form = _button(user_id)
    try:
        staff.resend_invitation(
            session, member.id, base_url=app_settings().base_url, actor=signed_in_user()
        )
    except ValidationError as error:
        show_error(form, error)
        return _edit_page(member, form), 400
    session.commit()
    flash(_("The invitation to %(email)s has been sent again.", email=member.email), "success")
    return redirect(url_for("admin_staff.edit_staff", user_id=member.id))


@bp.post("/staff/<int:user_id>/deactivate")
def deactivate_staff(user_id: int) -> Page:
    return _switch(user_id, on=False)


@bp.post("/staff/<int:user_id>/reactivate")
def reactivate_staff(user_id: int) -> Page:
    return _switch(user_id, on=True)


@bp.get("/departments")
def list_departments() -> Page:
    session = db.session()
    return render_template(
        "admin/departments.html",
        summaries=issuing.list_departments(session),
        issuer=issuing.get_issuer(session),
    )


@bp.route("/departments/new", methods=["GET", "POST"])
def new_department() -> Page:
    session = db.session()
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            issuing.create_department(
                session, form.name.data or "", form.name_en.data or "", actor=signed_in_user()
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The department has been created."), "success")
            return redirect(url_for("admin_staff.list_departments"))
    return render_template("admin/department_form.html", form=form, department=None), _status(form)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id: int) -> Page:
    session = db.session()
    department = issuing.get_department(session, department_id)
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            issuing.rename_department(
                session,
                department.id,
                form.name.data or "",
                form.name_en.data or "",
                actor=signed_in_user(),
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The department has been renamed."), "success")
            return redirect(url_for("admin_staff.list_departments"))
    return render_template("admin/department_form.html", form=form, department=department), _status(
        form
    )
