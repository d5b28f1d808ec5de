"""What a badge shows the world: the share page ``/b/<share_id>`` and the public profile
``/u/<profile_id>``.

Caching (docs/sharing.md, "Caching"): a stranger's view is the same for everyone who
reads it in that language, so it carries a weak ETag over what it shows and may be
kept by browsers and shared caches for ``PUBLIC_MAX_AGE`` seconds (and by each web
process for a moment, ``wallet/http_cache.py``); a conditional GET is answered 304
before any template is drawn. A logged-in viewer's page (it holds their menu, and for
the owner of a private badge the badge itself) is drawn for them and never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

from flask import Blueprint, Response, abort, make_response, render_template, request
from flask_babel import force_locale, get_locale
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from wallet import urls
from wallet.db import utcnow
from wallet.i18n import LOCALES
from wallet.models import User
from wallet.services import badge_tools, imported_badges, sharing
from wallet.services.anchoring import credentials
from wallet.services.errors import NotFoundError
from wallet.services.verifying import VerdictCache
from wallet.views.common import app_settings, private_download, read_session, signed_in_user

bp = Blueprint("share", __name__)

# How long a browser or shared cache may serve a stranger's view without asking again:
# the longest a revocation, an expiry or a switch to private can take to show there.
PUBLIC_MAX_AGE = 60
# This process's recent verdicts (services/verifying.py): a busy page is verified
# about once a minute, and at once again when anything it depends on changes.
VERDICTS = VerdictCache()


@bp.get("/b/<share_id>")
def show_share(share_id: str) -> Response:
    settings = app_settings()
    viewer = _viewer()
    with _language() as locale:
        try:
            shared = sharing.share_page(
                read_session(),
                share_id,
                viewer,
                base_url=settings.base_url,
                timezone=settings.timezone,
                now=utcnow(),
                verdicts=VERDICTS,
                run_time=settings.anchoring_time,
            )
        except NotFoundError:  # not one of our awards: perhaps an imported badge
            return _show_import(share_id, viewer, locale)
        return _answer(
            sharing.share_page_etag(shared, locale) if viewer is None else None,
            lambda: render_template(
                "share/show.html",
                shared=shared,
                award=shared.award,
                badge=shared.award.badge_class,
                verdict=shared.verdict,
                share_url=urls.share(settings.base_url, share_id),
                preview_url=urls.share_preview_image(settings.base_url, share_id, locale),
                ob3_formats=badge_tools.ob3_formats(read_session(), shared.award),
            ),
        )


@bp.get("/b/<share_id>/blockcerts.json")
def download_blockcerts(share_id: str) -> BaseResponse:
    """A public anchored badge's Blockcerts credential (404 like an unknown id when private)."""
    session = read_session()
    try:
        award = sharing.find_shared_award(session, share_id, _viewer())
        name, body = credentials.download(session, award)
    except NotFoundError:
        abort(404)
    return private_download(name, body, "application/json")


def _show_import(share_id: str, viewer: User | None, locale: str) -> Response:
    """An imported badge's page: the verdict of its last check with its issuer."""
    base_url = app_settings().base_url
    shared = imported_badges.shared_import(read_session(), share_id, viewer)
    return _answer(
        imported_badges.shared_import_etag(shared, locale) if viewer is None else None,
        lambda: render_template(
            "share/imported.html",
            shared=shared,
            imported=shared.imported,
            verdict=shared.verdict,
            share_url=urls.share(base_url, share_id),
            preview_url=urls.share_preview_image(base_url, share_id, locale)
            if shared.imported.image_sha256
            else None,
        ),
    )


@bp.get("/u/<profile_id>")
def show_profile(profile_id: str) -> Response:
    settings = app_settings()
    viewer = _viewer()
    now = utcnow()
    with _language() as locale:
        profile = sharing.find_public_profile(read_session(), profile_id, viewer)
        first = profile.awards[0].share_id if profile.awards else None
        return _answer(
            sharing.profile_etag(profile, locale, now) if viewer is None else None,
            lambda: render_template(
                "share/profile.html",
                profile=profile,
                now=now,
                profile_url=urls.profile(settings.base_url, profile_id),
                preview_url=urls.share_preview_image(settings.base_url, first, locale)
                if first
                else None,
            ),
        )


def _viewer() -> User | None:
    return signed_in_user() if current_user.is_authenticated else None


@contextmanager
def _language() -> Iterator[str]:
    """The page's language: ``?lang=ja|en`` picks it for this page alone (a link in
    either language can be shared; strangers switch without a form or a cookie)."""
    lang = request.args.get("lang", "")
    with force_locale(lang) if lang in LOCALES else nullcontext():
        yield str(get_locale())


def _answer(etag: str | None, render: Callable[[], str]) -> Response:
    """A stranger's view (``etag`` given): 304 if they hold it, else the page, either
    way cacheable by anyone. Anyone logged in: drawn for them alone, never stored."""
    if etag is None:
        response = make_response(render())
        response.headers["Cache-Control"] = "private, no-store"
    else:
        if request.if_none_match.contains_weak(etag):
            response = Response(status=304)
        else:
            response = make_response(render())
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    # the language comes from Accept-Language or the language cookie, and a login
    # cookie turns the page into someone's own
    response.vary.update(("Accept-Language", "Cookie"))
    return response
