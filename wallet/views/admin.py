"""The programme office under ``/admin``: issuer profile, badge classes, awards, failed mail.

Who may open which page: ``views.staff_access`` (department staff the pages marked
``for_department_staff``, where the services show their departments' classes only).
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from wallet.db import utcnow
from wallet.extensions import db
from wallet.forms import ActionForm
from wallet.forms.admin import (
    BadgeClassForm,
    CompletersUploadForm,
    ConfirmBatchForm,
    IssuerForm,
    RevokeForm,
    mail_kind,
    message_for,
    row_problem,
    show_error,
)
from wallet.i18n import pick
from wallet.services import issuing, outbox
from wallet.services.csv_import import open_sealed_rows, seal_rows
from wallet.services.errors import ValidationError
from wallet.services.text import reveal
from wallet.views.common import app_settings, signed_in_user
from wallet.views.staff_access import for_department_staff, office_blueprint

bp = office_blueprint("admin", __name__)
Page = str | tuple[str, int] | Response
PREVIEW_HOURS = 12


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    limit_kb = app_settings().max_csv_bytes // 1024
    return render_template("admin/too_large.html", limit_kb=limit_kb), 413


def _status(form: object) -> int:
    return 400 if getattr(form, "errors", None) else 200


def _upload(data: object, limit: int) -> bytes | None:
    """At most ``limit + 1`` bytes of an uploaded file: enough to tell it is too big."""
    if not isinstance(data, FileStorage):
        return None
    return bytes(data.read(limit + 1))


@bp.get("/")
@for_department_staff
def index() -> Page:
    session = db.session()
    staff = signed_in_user()
    departments = issuing.department_choices(session, staff)
    return render_template(
        "admin/index.html",
        issuer=issuing.get_issuer(session),
        departments=departments,
        own_departments=[] if staff.is_admin else departments,  # named for department staff
        summaries=issuing.list_badge_classes(session, staff),
        dev_tools=not app_settings().is_production,
        form=ActionForm(),
    )


@bp.route("/issuer", methods=["GET", "POST"])
def edit_issuer() -> Page:
    session = db.session()
    issuer = issuing.get_issuer(session)
    form = IssuerForm(obj=issuer)
    if form.validate_on_submit():
        details = issuing.IssuerDetails(
            name=form.name.data or "",
            name_en=form.name_en.data or "",
            url=form.url.data or "",
            email=form.email.data or "",
            description=form.description.data or "",
            linkedin_organization_id=form.linkedin_organization_id.data or "",
            mail_domains=form.mail_domains.data or "",
        )
        limit = app_settings().max_image_bytes
        try:
            issuing.save_issuer(
                session,
                details,
                logo=_upload(form.logo.data, limit),
                max_image_bytes=limit,
                actor=signed_in_user(),
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The issuer profile has been saved."), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/issuer.html", form=form, issuer=issuer), _status(form)


def _badge_form(**kwargs: object) -> BadgeClassForm:
    """The badge form, its departments those the staff member may put a badge in."""
    form = BadgeClassForm(**kwargs)
    locale = str(get_locale())
    form.department_id.choices = [
        (d.id, pick(locale, d.name, d.name_en))
        for d in issuing.department_choices(db.session(), signed_in_user())
    ]
    return form


def _badge_details(form: BadgeClassForm) -> issuing.BadgeClassDetails:
    return issuing.BadgeClassDetails(
        name=form.name.data or "",
        name_en=form.name_en.data or "",
        description=form.description.data or "",
        description_en=form.description_en.data or "",
        criteria_text=form.criteria_text.data or "",
        criteria_url=form.criteria_url.data or "",
        kind=form.kind.data or "",
        valid_days=form.valid_days.data,
        tags=issuing.parse_tags(form.tags.data or ""),
    )


@bp.route("/badges/new", methods=["GET", "POST"])
@for_department_staff
def new_badge_class() -> Page:
    session = db.session()
    form = _badge_form()
    if form.validate_on_submit():
        limit = app_settings().max_image_bytes
        try:
            badge = issuing.create_badge_class(
                session,
                _badge_details(form),
                department_id=form.department_id.data or 0,
                image=_upload(form.image.data, limit) or b"",
                max_image_bytes=limit,
                actor=signed_in_user(),
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The badge has been created."), "success")
            return redirect(url_for("admin.show_badge_class", badge_class_id=badge.id))
    return render_template("admin/badge_form.html", form=form, badge=None), _status(form)


@bp.route("/badges/<int:badge_class_id>/edit", methods=["GET", "POST"])
@for_department_staff
def edit_badge_class(badge_class_id: int) -> Page:
    session = db.session()
    badge = issuing.visible_badge_class(session, signed_in_user(), badge_class_id)
    form = _badge_form(obj=badge)
    if request.method == "GET":
        form.tags.data = ", ".join(badge.tags or [])
    if form.validate_on_submit():
        limit = app_settings().max_image_bytes
        try:
            issuing.update_badge_class(
                session,
                badge.id,
                _badge_details(form),
                department_id=form.department_id.data,
                image=_upload(form.image.data, limit),
                max_image_bytes=limit,
                actor=signed_in_user(),
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The badge has been saved."), "success")
            return redirect(url_for("admin.show_badge_class", badge_class_id=badge.id))
    return render_template("admin/badge_form.html", form=form, badge=badge), _status(form)


@bp.get("/badges/<int:badge_class_id>")
@for_department_staff
def show_badge_class(badge_class_id: int) -> Page:
    session = db.session()
    page = request.args.get("page", 1, type=int) or 1
    badge = issuing.visible_badge_class(session, signed_in_user(), badge_class_id)
    return render_template(
        "admin/badge.html",
        badge=badge,
        awards=issuing.list_awards(session, badge.id, page=page),
        batches=issuing.list_batches(session, badge.id),
        action_form=ActionForm(),
    )


@bp.route("/badges/<int:badge_class_id>/upload", methods=["GET", "POST"])
@for_department_staff
def upload_completers(badge_class_id: int) -> Page:
    session = db.session()
    settings = app_settings()
    badge = issuing.visible_badge_class(session, signed_in_user(), badge_class_id)
    form = CompletersUploadForm()
    if form.validate_on_submit():
        try:
            completers = issuing.preview_completers(
                session,
                badge.id,
                _upload(form.file.data, settings.max_csv_bytes) or b"",
                max_bytes=settings.max_csv_bytes,
                max_rows=settings.max_csv_rows,
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            filename = reveal(getattr(form.file.data, "filename", "") or "")
            confirm = ConfirmBatchForm(
                formdata=None,
                sealed=seal_rows(
                    completers.rows,
                    secret=settings.secret_key,
                    badge_class_id=badge.id,
                    user_id=signed_in_user().id,
                    filename=filename,
                ),
            )
            return render_template(
                "admin/preview.html",
                badge=badge,
                completers=completers,
                filename=filename,
                confirm_form=confirm,
                upload_form=CompletersUploadForm(formdata=None),
                row_problem=row_problem,
            )
    return render_template("admin/upload.html", form=form, badge=badge), _status(form)


@bp.post("/badges/<int:badge_class_id>/confirm")
@for_department_staff
def confirm_completers(badge_class_id: int) -> Page:
    session = db.session()
    settings = app_settings()
    badge = issuing.visible_badge_class(session, signed_in_user(), badge_class_id)
    form = ConfirmBatchForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sealed = open_sealed_rows(
            form.sealed.data or "",
            secret=settings.secret_key,
            badge_class_id=badge.id,
            user_id=signed_in_user().id,
            max_age_seconds=PREVIEW_HOURS * 3600,
        )
        batch = issuing.issue_awards(
            session,
            badge.id,
            sealed.rows,
            base_url=settings.base_url,
            claim_lifetime=timedelta(days=settings.claim_token_days),
            created_by_id=signed_in_user().id,
            filename=sealed.filename,
            timezone=settings.timezone,
            default_locale=settings.default_locale,
            actor=signed_in_user(),
        )
    except ValidationError as error:
        flash(message_for(error), "error")
        upload = CompletersUploadForm(formdata=None)
        return render_template("admin/upload.html", form=upload, badge=badge), 400
    session.commit()
    flash(
        _(
            "%(created)s awarded; their notification mails are being sent. "
            "%(skipped)s skipped (already awarded).",
            created=batch.created_count,
            skipped=batch.skipped_count,
        ),
        "success",
    )
    return redirect(url_for("admin.show_badge_class", badge_class_id=badge.id))


@bp.post("/awards/<int:award_id>/resend")
@for_department_staff
def resend_award(award_id: int) -> Page:
    session = db.session()
    settings = app_settings()
    award = issuing.visible_award(session, signed_in_user(), award_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        issuing.resend_claim(
            session,
            award.id,
            base_url=settings.base_url,
            claim_lifetime=timedelta(days=settings.claim_token_days),
            timezone=settings.timezone,
            actor=signed_in_user(),
        )
    except ValidationError as error:
        flash(message_for(error), "error")
    else:
        session.commit()
        flash(
            _(
                "The notification mail will be sent again to %(email)s.",
                email=award.recipient_email,
            ),
            "success",
        )
    return redirect(url_for("admin.show_badge_class", badge_class_id=award.badge_class_id))


@bp.route("/awards/<int:award_id>/revoke", methods=["GET", "POST"])
@for_department_staff
def revoke_award(award_id: int) -> Page:
    session = db.session()
    award = issuing.visible_award(session, signed_in_user(), award_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            issuing.revoke_award(session, award.id, form.reason.data or "", actor=signed_in_user())
        except ValidationError as error:
            show_error(form, error)
        else:
            session.commit()
            flash(_("The badge has been revoked."), "success")
            return redirect(url_for("admin.show_badge_class", badge_class_id=award.badge_class_id))
    return render_template("admin/revoke.html", form=form, award=award), _status(form)


@bp.get("/mail/failed")
def list_failed_mail() -> Page:
    return render_template(
        "admin/failed_mail.html",
        failed=outbox.list_failed_mail(db.session()),
        mail_kind=mail_kind,
        action_form=ActionForm(),
    )


def _requeue(mail_ids: list[int] | None) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    count = outbox.requeue_failed_mail(session, utcnow(), mail_ids, actor=signed_in_user())
    session.commit()
    if count:
        flash(
            ngettext(
                "%(num)s mail is queued again; it goes out within a minute.",
                "%(num)s mails are queued again; they go out within a minute.",
                count,
            ),
            "success",
        )
    else:
        flash(_("Nothing to re-send: these mails are already queued or sent."), "info")
    return redirect(url_for("admin.list_failed_mail"))


@bp.post("/mail/failed/<int:mail_id>/retry")
def retry_failed_mail(mail_id: int) -> Response:
    return _requeue([outbox.get_mail(db.session(), mail_id).id])


@bp.post("/mail/failed/retry")
def retry_all_failed_mail() -> Response:
    return _requeue(None)
