"""Badges from other issuers in the wallet: import one (by address or baked image), see
it, make it public or private, remove it. Its share page is ``views/share.py``'s."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from wallet import urls
from wallet.db import utcnow
from wallet.extensions import db, limiter
from wallet.forms import ActionForm
from wallet.forms.importing import ImportImageForm, ImportUrlForm, show_refusal
from wallet.forms.sharing import VisibilityForm
from wallet.models import ImportedBadge
from wallet.services import imported_badges, importing
from wallet.services.importing import MAX_UPLOAD_BYTES, ImportRefusedError
from wallet.views.common import app_settings, remote_fetcher, safe_next, signed_in_user

bp = Blueprint("importing", __name__, url_prefix="/wallet")
Page = str | tuple[str, int] | Response

# Refusals that are about the wallet's state rather than the badge.
_CONFLICTS = {"duplicate", "ours_in_wallet"}
# Each import fetches from another site: a handful a minute is plenty for a person.
IMPORT_LIMIT = "10 per minute"


def _form_page(
    url_form: ImportUrlForm | None = None,
    image_form: ImportImageForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "importing/new.html",
        url_form=url_form or ImportUrlForm(formdata=None),
        image_form=image_form or ImportImageForm(formdata=None),
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    ), status


@bp.get("/import")
@login_required
def new_import() -> Page:
    return _form_page()


@bp.post("/import/url")
@login_required
@limiter.limit(IMPORT_LIMIT)
def import_url() -> Page:
    form = ImportUrlForm()
    if not form.validate_on_submit():
        return _form_page(url_form=form, status=400)
    try:
        imported = _import(str(form.url.data).strip())
    except ImportRefusedError as error:
        show_refusal(form.url, error)
        return _form_page(url_form=form, status=_status(error))
    return _imported(imported.id)


@bp.post("/import/image")
@login_required
@limiter.limit(IMPORT_LIMIT)
def import_image() -> Page:
    form = ImportImageForm()
    if not form.validate_on_submit() or not isinstance(form.image.data, FileStorage):
        return _form_page(image_form=form, status=400)
    try:
        imported = _import(form.image.data.read(MAX_UPLOAD_BYTES + 1))
    except ImportRefusedError as error:
        show_refusal(form.image, error)
        return _form_page(image_form=form, status=_status(error))
    return _imported(imported.id)


def _import(data: str | bytes) -> ImportedBadge:
    settings = app_settings()
    return importing.import_badge(
        db.session(),
        signed_in_user(),
        data,
        remote_fetcher(),
        base_url=settings.base_url,
        now=utcnow(),
        max_image_bytes=settings.max_image_bytes,
    )


def _status(error: ImportRefusedError) -> int:
    if error.code == "image_too_large":
        return 413
    return 409 if error.code in _CONFLICTS else 422


def _imported(imported_id: int) -> Response:
    db.session.commit()
    flash(_("The badge is in your wallet. It is private until you make it public."), "success")
    return redirect(url_for("importing.show_import", imported_id=imported_id))


@bp.get("/imported/<int:imported_id>")
@login_required
def show_import(imported_id: int) -> Page:
    imported = imported_badges.get_imported_badge(db.session(), signed_in_user(), imported_id)
    base_url = app_settings().base_url
    return render_template(
        "importing/show.html",
        imported=imported,
        verdict=importing.stored_verdict(imported),
        share_url=urls.share(base_url, imported.share_id),
        form=ActionForm(),
        now=utcnow(),
    )


@bp.post("/imported/<int:imported_id>/visibility")
@login_required
def set_import_visibility(imported_id: int) -> Page:
    imported_badges.get_imported_badge(db.session(), signed_in_user(), imported_id)  # 404 first
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    imported = imported_badges.set_import_visibility(
        db.session(), signed_in_user(), imported_id, form.is_public
    )
    db.session.commit()
    if imported.is_public:
        flash(_("The badge is public: anyone with its link or QR code can see it."), "success")
    else:
        flash(_("The badge is private: only you can see it."), "success")
    back = safe_next(form.next.data) or url_for("importing.show_import", imported_id=imported_id)
    return redirect(back)


@bp.post("/imported/<int:imported_id>/delete")
@login_required
def delete_import(imported_id: int) -> Page:
    if not ActionForm().validate_on_submit():
        abort(400)
    imported_badges.delete_imported_badge(db.session(), signed_in_user(), imported_id)
    db.session.commit()
    flash(_("The imported badge was removed from your wallet."), "success")
    return redirect(url_for("wallet.index") + "#imported")
