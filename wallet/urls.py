"""Every absolute public URL the wallet hands out, in one place.

Mails, Open Badges documents, share links and QR codes carry these addresses
for years, so they are a contract (DESIGN.md, "Public URLs"). Services build
them here from the site's base URL rather than with f-strings that mirror the
routes; ``tests/unit/test_urls.py`` checks each against the route it names.
No Flask here: services and jobs use it outside a request.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit


def _join(base_url: str, *parts: str | int) -> str:
    return base_url.rstrip("/") + "/" + "/".join(quote(str(part), safe="") for part in parts)


# -- pages ---------------------------------------------------------------------------


def claim(base_url: str, token: str) -> str:
    """Mail 1's button: ``/claim/<token>``."""
    return _join(base_url, "claim", token)


def activate(base_url: str, token: str) -> str:
    return _join(base_url, "activate", token)


def password_reset(base_url: str, token: str | None = None) -> str:
    """The form to ask for a reset link, or (with a token) the link itself."""
    return _join(base_url, "password", "reset", *([token] if token else []))


def verify_added_email(base_url: str, token: str) -> str:
    return _join(base_url, "account", "emails", "verify", token)


def undo_added_email(base_url: str, token: str) -> str:
    return _join(base_url, "claim", "undo", token)


def account(base_url: str) -> str:
    return _join(base_url, "account")


def office(base_url: str) -> str:
    """The programme office's start page (``/admin/``), named in a staff invitation."""
    return _join(base_url, "admin", "")


def wallet_badge(base_url: str, award_id: int) -> str:
    """The badge in its owner's wallet: ``/wallet/badges/<id>``."""
    return _join(base_url, "wallet", "badges", award_id)


def share(base_url: str, share_id: str) -> str:
    """The share page employers and QR codes open: ``/b/<share-id>``."""
    return _join(base_url, "b", share_id)


def shares_prefix(base_url: str) -> str:
    """What every share page's address starts with (the verify page reads share links)."""
    return _join(base_url, "b") + "/"


def share_linkedin(base_url: str, share_id: str) -> str:
    """The short redirect to LinkedIn's "Add to profile"."""
    return _join(base_url, "b", share_id, "linkedin")


def share_preview_image(base_url: str, share_id: str, locale: str) -> str:
    """The share page's Open Graph image (1200 x 630 PNG) in ``locale``."""
    return _join(base_url, "b", share_id, "og.png") + "?" + urlencode({"lang": locale})


def share_qr_png(base_url: str, share_id: str) -> str:
    """The share page's QR code as a print-quality PNG (for a CV)."""
    return _join(base_url, "b", share_id, "qr.png")


def share_qr_svg(base_url: str, share_id: str) -> str:
    """The share page's QR code as SVG (scales to any print size)."""
    return _join(base_url, "b", share_id, "qr.svg")


def share_signature_badge(base_url: str, share_id: str) -> str:
    """A small PNG of the badge for e-mail signatures (mail programs drop SVG)."""
    return _join(base_url, "b", share_id, "badge.png")


def profile(base_url: str, profile_id: str) -> str:
    return _join(base_url, "u", profile_id)


# -- Open Badges 2.0 hosted documents (docs/documents.md) ---------------------------


def issuer(base_url: str, public_id: str) -> str:
    return _join(base_url, "ob", "issuers", public_id)


def revocation_list(base_url: str, issuer_public_id: str) -> str:
    return _join(base_url, "ob", "issuers", issuer_public_id, "revocations")


def badge_class(base_url: str, public_id: str) -> str:
    return _join(base_url, "ob", "badges", public_id)


def assertions_prefix(base_url: str) -> str:
    """What every hosted assertion id starts with (the issuer's verification policy)."""
    return _join(base_url, "ob", "assertions") + "/"


def assertion(base_url: str, public_id: str) -> str:
    return _join(base_url, "ob", "assertions", public_id)


def image(base_url: str, sha256: str) -> str:
    return _join(base_url, "ob", "images", sha256)


def blockcerts_issuer(base_url: str, issuer_public_id: str) -> str:
    """The issuer's Blockcerts profile (anchored badges name it as their issuer)."""
    return _join(base_url, "ob", "issuers", issuer_public_id, "blockcerts")


# -- the transparency log --------------------------------------------------------------


def ledger_origin(base_url: str) -> str:
    """The log's name in its checkpoints and anchors: the site's host and path + ``/ledger``
    (no scheme: C2SP origins are schemeless). ``https://`` + origin is where it is served."""
    parts = urlsplit(base_url.rstrip("/"))
    return f"{parts.netloc}{parts.path}/ledger"


def ledger(base_url: str) -> str:
    return _join(base_url, "ledger")


def ledger_json(base_url: str) -> str:
    return _join(base_url, "ledger.json")


def ledger_entries(base_url: str) -> str:
    return _join(base_url, "ledger", "entries.json")


def ledger_checkpoints(base_url: str) -> str:
    return _join(base_url, "ledger", "checkpoints.json")


def ledger_entry(base_url: str, index: int) -> str:
    return _join(base_url, "ledger", "entries", index)


def ledger_entry_json(base_url: str, index: int) -> str:
    return _join(base_url, "ledger", "entries", index, "proof.json")


def wallet_badge_blockcerts(base_url: str, award_id: int) -> str:
    return _join(base_url, "wallet", "badges", award_id, "blockcerts.json")


def share_blockcerts(base_url: str, share_id: str) -> str:
    return _join(base_url, "b", share_id, "blockcerts.json")


# --- Open Badges 3.0 (docs/openbadges3.md) ---------------------------------------------


def ob3_issuer(base_url: str, issuer_public_id: str) -> str:
    """The issuer's 3.0 profile: its id in every credential, listing its keys."""
    return _join(base_url, "ob", "v3", "issuers", issuer_public_id)


def ob3_issuer_did(base_url: str, issuer_public_id: str) -> str:
    """The issuer's did:web, whose DID document lives at ``ob3_issuer(...)/did.json``."""
    parts = urlsplit(base_url)
    host = parts.netloc.replace(":", "%3A")
    path = [p for p in parts.path.split("/") if p]
    return ":".join(["did:web", host, *path, "ob", "v3", "issuers", issuer_public_id])


def ob3_issuer_did_document(base_url: str, issuer_public_id: str) -> str:
    return _join(base_url, "ob", "v3", "issuers", issuer_public_id, "did.json")


def ob3_status_list(base_url: str, issuer_public_id: str, number: int) -> str:
    """One of the issuer's status lists (a signed BitstringStatusListCredential)."""
    return _join(base_url, "ob", "v3", "issuers", issuer_public_id, "status", number)


def ob3_credential(base_url: str, award_public_id: str) -> str:
    """An award's OpenBadgeCredential: its id, and where its JSON is served."""
    return _join(base_url, "ob", "v3", "credentials", award_public_id)
