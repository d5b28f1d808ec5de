"""Links that carry a badge to other sites: X, Facebook, a LinkedIn post, LinkedIn's
"Add to profile" form.

Pure: plain values (or an award already loaded) in, URLs out; no session, no request.
Every query value is percent-encoded (``%20`` for a space, UTF-8 for Japanese), and
only the parameters each site documents are sent. Dates are read in the site's time
zone (Asia/Tokyo by default): a badge awarded at 01:00 on 1 April in Tokyo was awarded
in April, whatever UTC says. LinkedIn's months are 1-12.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from wallet import urls
from wallet.models import Award

X_INTENT = "https://twitter.com/intent/tweet"
FACEBOOK_SHARER = "https://www.facebook.com/sharer/sharer.php"
LINKEDIN_FEED = "https://www.linkedin.com/sharing/share-offsite/"
LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def _with_query(endpoint: str, params: list[tuple[str, str]]) -> str:
    # safe="": "/", ":", "?" and "&" inside a value are encoded too
    return endpoint + "?" + urlencode(params, quote_via=quote, safe="")


def x_post(share_url: str, text: str) -> str:
    """X's post form, filled in with ``text`` and the share page."""
    return _with_query(X_INTENT, [("text", text), ("url", share_url)])


def facebook_post(share_url: str) -> str:
    """Facebook's share dialog; the preview comes from the share page's Open Graph tags."""
    return _with_query(FACEBOOK_SHARER, [("u", share_url)])


def linkedin_post(share_url: str) -> str:
    """A LinkedIn feed post of the share page (title and picture from its Open Graph tags)."""
    return _with_query(LINKEDIN_FEED, [("url", share_url)])


@dataclass(frozen=True)
class Certification:
    """What LinkedIn's "Add to profile" form is filled in with."""

    name: str
    organization_name: str
    organization_id: str  # LinkedIn's company id, "" when the issuer has none
    issued_on: datetime
    expires_at: datetime | None
    cert_url: str  # the share page
    cert_id: str  # the share id


def linkedin_add_to_profile(cert: Certification, timezone: str) -> str:
    """LinkedIn's "Add licence or certification" form, filled in.

    ``organizationId`` when the issuer has a LinkedIn company id (LinkedIn then
    shows its logo and links the company), ``organizationName`` otherwise;
    ``expirationYear``/``expirationMonth`` only for a badge that expires.
    """
    zone = ZoneInfo(timezone)
    issued = cert.issued_on.astimezone(zone)
    params = [("startTask", "CERTIFICATION_NAME"), ("name", cert.name)]
    if cert.organization_id:
        params.append(("organizationId", cert.organization_id))
    else:
        params.append(("organizationName", cert.organization_name))
    params += [("issueYear", str(issued.year)), ("issueMonth", str(issued.month))]
    if cert.expires_at is not None:
        expires = cert.expires_at.astimezone(zone)
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params += [("certUrl", cert.cert_url), ("certId", cert.cert_id)]
    return _with_query(LINKEDIN_ADD_TO_PROFILE, params)


def in_locale(locale: str, primary: str, english: str) -> str:
    """A badge text in ``locale``: the rule of ``wallet.i18n.pick``, which services
    cannot import (it reads the request)."""
    return english if locale == "en" and english else primary


def certification_for(award: Award, base_url: str, locale: str) -> Certification:
    """The award as a LinkedIn certification, its names in ``locale`` when there are any."""
    badge = award.badge_class
    issuer = badge.issuer
    return Certification(
        name=in_locale(locale, badge.name, badge.name_en),
        organization_name=in_locale(locale, issuer.name, issuer.name_en),
        organization_id=issuer.linkedin_organization_id.strip(),
        issued_on=award.issued_on,
        expires_at=award.expires_at,
        cert_url=urls.share(base_url, award.share_id),
        cert_id=award.share_id,
    )


@dataclass(frozen=True)
class ShareLinks:
    """Every way the badge detail page offers to share a badge."""

    page: str  # the share page itself (copy link, Web Share)
    x: str
    facebook: str
    linkedin_post: str
    linkedin_profile: str  # our short redirect to "Add to profile" (/b/<id>/linkedin)


def share_links_for(award: Award, base_url: str, text: str) -> ShareLinks:
    """The share links of ``award``; ``text`` is the post's words (in the reader's language)."""
    page = urls.share(base_url, award.share_id)
    return ShareLinks(
        page=page,
        x=x_post(page, text),
        facebook=facebook_post(page),
        linkedin_post=linkedin_post(page),
        linkedin_profile=urls.share_linkedin(base_url, award.share_id),
    )
