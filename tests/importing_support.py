"""Another issuer, on a loopback server the safe fetcher is allowed to reach.

``ForeignIssuer`` publishes an issuer profile, a badge class with its image, a public
key and a revocation list at ``http://issuer.test:<port>/...``, and makes hosted or
signed (RS256) assertions for an address, plain or hashed. Routes are read on every
request, so a test can revoke a badge after it was imported.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.loopback_http import LoopbackServer, answer
from tests.unit.openbadges.world import SVG, png_bytes
from wallet.openbadges.baking import bake_png, bake_svg
from wallet.openbadges.hashing import hashed_recipient
from wallet.openbadges.signing import generate_private_key_pem, public_key_pem, sign_assertion
from wallet.openbadges.v2 import (
    Assertion,
    BadgeClass,
    Criteria,
    CryptographicKey,
    IdentityObject,
    Profile,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
)
from wallet.safe_fetch import SafeFetcher, StaticResolver

HOST = "issuer.test"
ISSUER_NAME = "Example Institute of Technology"
BADGE_NAME = "Cloud Foundations"
_KEY = generate_private_key_pem()


class ForeignIssuer:
    """Start with ``with ForeignIssuer() as issuer:``."""

    def __init__(self) -> None:
        self.server = LoopbackServer({})
        self.origin = f"http://{HOST}:{self.server.port}"
        self.revoked: list[RevokedAssertion] = []
        self.issuer = Profile(
            id=self.url("/issuer"),
            name=ISSUER_NAME,
            url=self.origin + "/",
            email="badges@issuer.test",
            public_key=(self.url("/key"),),
            revocation_list=self.url("/revocations"),
        )
        self.badge = BadgeClass(
            id=self.url("/badge"),
            name=BADGE_NAME,
            description="Knows the basics of cloud computing.",
            image=self.url("/badge.png"),
            criteria=Criteria(narrative="Pass the final exam."),
            issuer=self.issuer.id,
        )
        self.publish(self.issuer, self.badge)
        self.publish(CryptographicKey(self.url("/key"), self.issuer.id, public_key_pem(_KEY)))
        self.server.routes["/badge.png"] = answer(png_bytes(), "image/png")
        self._publish_revocations()

    def __enter__(self) -> ForeignIssuer:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def url(self, path: str) -> str:
        return self.server.url(path, host=HOST)

    def fetcher(self) -> SafeFetcher:
        """The safe fetcher, with this server (and nothing else on loopback) allowed."""
        return SafeFetcher(
            resolver=StaticResolver({HOST: "127.0.0.1"}),
            allow=[("127.0.0.1", self.server.port)],
        )

    def publish(self, *documents: Any) -> None:
        for document in documents:
            path = document.id[len(self.origin) :]
            body = json.dumps(document.to_json()).encode()
            self.server.routes[path] = answer(body, "application/ld+json")

    def assertion(
        self,
        email: str,
        *,
        hashed: bool = True,
        signed: bool = False,
        expires: datetime | None = None,
        issued_on: datetime | None = None,
    ) -> Assertion:
        recipient = (
            hashed_recipient(email)
            if hashed
            else IdentityObject(identity=email, type="email", hashed=False)
        )
        number = secrets.token_hex(6)
        return Assertion(
            id=f"urn:uuid:{uuid.uuid4()}" if signed else self.url(f"/a/{number}"),
            recipient=recipient,
            badge=self.badge.id,
            verification=VerificationObject(type="SignedBadge", creator=self.url("/key"))
            if signed
            else VerificationObject(),
            issued_on=issued_on or datetime.now(UTC) - timedelta(days=30),
            expires=expires,
        )

    def hosted(self, email: str, **options: Any) -> str:
        """A published hosted assertion for ``email``: its URL."""
        document = self.assertion(email, **options)
        self.publish(document)
        return document.id

    def signed(self, email: str, **options: Any) -> str:
        """A signed assertion for ``email``: its compact JWS."""
        return sign_assertion(self.assertion(email, signed=True, **options), _KEY)

    def baked_png(self, payload: str) -> bytes:
        return bake_png(png_bytes(), payload)

    def baked_svg(self, payload: str) -> bytes:
        return bake_svg(SVG, payload)

    def revoke(self, assertion_id: str, reason: str) -> None:
        self.revoked.append(RevokedAssertion(assertion_id, reason))
        self._publish_revocations()

    def _publish_revocations(self) -> None:
        self.publish(RevocationList(self.url("/revocations"), self.issuer.id, tuple(self.revoked)))
