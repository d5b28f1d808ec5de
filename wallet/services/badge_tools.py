"""What a student can do with one of their badges: share it, put it in a mail signature
or on a CV, download it baked, add it to LinkedIn.

Everything here is the owner's, found through ``sharing`` (anyone else's badge is
"not found"), and only for badges that are theirs to show: pending or issued, not
revoked. Whether the world may look is ``Award.is_public``; a private badge's kits
carry no links, and the pages offer to make it public first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import Award, AwardState, BadgeClass, Blob, User
from wallet.openbadges import baking
from wallet.services import share_images, share_links
from wallet.services.blobs import get_blob
from wallet.services.documents import assertion_document
from wallet.services.errors import NotFoundError
from wallet.services.share_links import ShareLinks
from wallet.services.sharing import SHOWN_STATES, find_shared_award, get_shareable_award
from wallet.services.signature import Signature, signature_for

BAKED_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class ShareKit:
    """The badge detail page's visibility switch and share panel."""

    is_public: bool
    can_share: bool  # False once revoked: only the switch is left
    links: ShareLinks | None  # None while private or revoked
    download_formats: tuple[str, ...]
    # the Open Badges 3.0 credential's downloads (json, jwt, png, svg): issued badges only
    ob3_formats: tuple[str, ...] = ()


def share_kit(
    session: Session, user: User, award: Award, base_url: str, post_text: str
) -> ShareKit | None:
    """The share panel for ``award`` as its detail page shows it to ``user``; None while
    it is not theirs to show (offered, declined). ``post_text`` is the text of an X post,
    in the reader's language."""
    if award.user_id != user.id or award.state not in SHOWN_STATES:
        return None
    if award.is_revoked:
        return ShareKit(award.is_public, can_share=False, links=None, download_formats=())
    links = share_links.share_links_for(award, base_url, post_text) if award.is_public else None
    return ShareKit(
        is_public=award.is_public,
        can_share=True,
        links=links,
        download_formats=baked_formats(session, award.badge_class),
        ob3_formats=ob3_formats(session, award),
    )


def ob3_formats(session: Session, award: Award) -> tuple[str, ...]:
    """The 3.0 downloads: issued badges only (a pending one has no credential yet)."""
    if award.state != AwardState.ISSUED or award.is_revoked:
        return ()
    return ("json", "jwt", *baked_formats(session, award.badge_class))


@dataclass(frozen=True)
class SignatureKit:
    award: Award
    signature: Signature


def signature_kit(
    session: Session, user: User, award_id: int, base_url: str, locale: str
) -> SignatureKit:
    """The e-mail signature of one of ``user``'s badges; ``NotFoundError`` if it has none."""
    award = get_shareable_award(session, user, award_id)
    return SignatureKit(award=award, signature=signature_for(award, base_url, locale))


@dataclass(frozen=True)
class CvKit:
    """What the printable CV page shows: the share page's address and its QR codes."""

    award: Award
    share_url: str
    qr_svg: str
    qr_png: str


def cv_kit(session: Session, user: User, award_id: int, base_url: str) -> CvKit:
    """The CV kit of one of ``user``'s badges; ``NotFoundError`` if it has none."""
    award = get_shareable_award(session, user, award_id)
    return CvKit(
        award=award,
        share_url=urls.share(base_url, award.share_id),
        qr_svg=urls.share_qr_svg(base_url, award.share_id),
        qr_png=urls.share_qr_png(base_url, award.share_id),
    )


def linkedin_add_to_profile_url(
    session: Session, share_id: str, viewer: User | None, base_url: str, locale: str, timezone: str
) -> str:
    """Where ``/b/<share_id>/linkedin`` sends ``viewer``: LinkedIn's "Add to profile" form,
    filled in. The visibility rule applies (``NotFoundError`` for a private badge seen
    by anyone but its owner, as for an unknown id), and a revoked badge is not offered."""
    award = find_shared_award(session, share_id, viewer)
    if award.is_revoked:
        raise NotFoundError()
    certification = share_links.certification_for(award, base_url, locale)
    return share_links.linkedin_add_to_profile(certification, timezone)


# --- baked downloads -------------------------------------------------------------------------


@dataclass(frozen=True)
class BakedBadge:
    data: bytes
    content_type: str
    filename: str


def baked_formats(session: Session, badge_class: BadgeClass) -> tuple[str, ...]:
    """What the badge can be downloaded as: PNG always (an SVG class image is drawn as a
    512 px PNG first, since many backpacks take only PNG), and SVG for an SVG image."""
    content_type = session.scalar(
        select(Blob.content_type).where(Blob.sha256 == badge_class.image_sha256)
    )
    return ("png", "svg") if content_type == BAKED_TYPES["svg"] else ("png",)


# path separators, characters Windows refuses, controls and bidi formatting characters
_NOT_IN_FILENAMES = re.compile(
    '[\\\\/:*?"<>|\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]'
)


def file_stem(name: str) -> str:
    """``name`` as the stem of a file name on any system: no path separators or
    characters Windows refuses, no controls or bidi formatting, not ``..``; Japanese
    stays. At most 60 characters; ``openbadge`` when nothing is left."""
    return " ".join(_NOT_IN_FILENAMES.sub(" ", name).split())[:60].strip(" .") or "openbadge"


def _filename(name: str, extension: str) -> str:
    return f"{file_stem(name)}.{extension}"


def bake_award(session: Session, user: User, award_id: int, base_url: str, fmt: str) -> BakedBadge:
    """One of ``user``'s badges as an image with its hosted assertion baked in (PNG: an
    ``iTXt openbadges`` chunk; SVG: ``<openbadges:assertion verify="assertion URL">``).

    Any validator extracts the assertion and fetches its URL, so the file verifies with
    no account. ``NotFoundError`` for anyone else's badge, an offered, declined or
    revoked one, or a format the class image is not in.
    """
    award = get_shareable_award(session, user, award_id)
    if fmt not in baked_formats(session, award.badge_class):
        raise NotFoundError()
    return bake(session, award, base_url, fmt)


def badge_image(session: Session, award: Award, fmt: str) -> bytes:
    """The badge class image as ``fmt`` (an SVG class image is drawn as a PNG for "png")."""
    image = get_blob(session, award.badge_class.image_sha256)
    if BAKED_TYPES[fmt] != image.content_type:  # a PNG of an SVG badge
        return share_images.image_bytes(session, share_images.raster_badge(session, image.sha256))
    return image.data


def bake(session: Session, award: Award, base_url: str, fmt: str) -> BakedBadge:
    """``award`` baked as ``fmt`` (one of its ``baked_formats``), whoever asks: the
    caller has checked that the badge is theirs and not revoked."""
    data = badge_image(session, award, fmt)
    assertion = assertion_document(award, base_url).to_json()
    verify = assertion["id"] if fmt == "svg" else None
    return BakedBadge(
        data=baking.bake(data, json.dumps(assertion, ensure_ascii=False), verify=verify),
        content_type=BAKED_TYPES[fmt],
        filename=_filename(award.badge_class.name, fmt),
    )
