"""Another issuer, on loopback: Open Badges 2.0 hosted and signed badges from `issuer.test`.

The verify page checks badges from anywhere through the safe fetcher; here that
"anywhere" is a `LoopbackServer` which the name `issuer.test` reaches through a static
resolver and the fetcher's explicit allow-list (docs/fetching.md), so nothing leaves
loopback. Documents are built with the wallet's Open Badges library and served at their
ids; revocation comes three ways: a 410 answer, `"revoked": true`, and the list.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import openbadges_bakery
from flask import Flask

from tests.loopback_http import LoopbackServer, answer
from tests.unit.openbadges import world
from wallet.openbadges.hashing import hashed_recipient
from wallet.openbadges.signing import sign_assertion
from wallet.openbadges.v2 import (
    Assertion,
    BadgeClass,
    CryptographicKey,
    Profile,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
)
from wallet.safe_fetch import Limits, SafeFetcher, StaticResolver

HOST = "issuer.test"
RECIPIENT = "taro.suzuki@example.org"
SALT = "0c4f6d9e2a7b41c8"
ISSUED_ON = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)


class RemoteIssuer:
    """`Example College` at `http://issuer.test:<port>`: a profile with a public key and a
    revocation list, one badge class with a PNG image, and any assertions published."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.origin = server.url("", host=HOST).rstrip("/")
        self.issuer = Profile(
            id=self.url("/issuer"),
            name="Example College",
            url=self.origin,
            email="badges@example.org",
            public_key=(self.url("/key"),),
            revocation_list=self.url("/revocations"),
        )
        self.badge = BadgeClass(
            id=self.url("/badges/python"),
            name="Python Programming",
            description="Wrote and tested three programs.",
            image=self.url("/images/python.png"),
            criteria=self.url("/criteria"),
            issuer=self.issuer.id,
        )
        self.key = CryptographicKey(self.url("/key"), self.issuer.id, world.key().public_key_pem)
        self.revoked: list[RevokedAssertion] = []
        self.publish(self.issuer, self.badge, self.key)
        self.server.routes["/images/python.png"] = answer(world.png_bytes(), "image/png")
        self._publish_list()

    def url(self, path: str) -> str:
        return self.origin + path

    def publish(self, *documents: Any) -> None:
        for document in documents:
            body = json.dumps(document.to_json()).encode()
            self.server.routes[document.id[len(self.origin) :]] = answer(body)

    def hosted(self, name: str, *, publish: bool = True, **changes: Any) -> Assertion:
        assertion = Assertion(
            id=self.url(f"/assertions/{name}"),
            recipient=hashed_recipient(RECIPIENT, SALT),
            badge=self.badge.id,
            verification=VerificationObject(),
            issued_on=ISSUED_ON,
        )
        assertion = replace(assertion, **changes)
        if publish:
            self.publish(assertion)
        return assertion

    def signed(self, name: str, **changes: Any) -> str:
        """A signed (RS256) assertion, as a compact JWS."""
        assertion = self.hosted(
            name,
            publish=False,
            verification=VerificationObject(type="SignedBadge", creator=self.key.id),
            **changes,
        )
        return sign_assertion(assertion, world.private_key("current"))

    def revoke_by_gone(self, name: str, reason: str) -> str:
        """The assertion's address answers 410 with the reason."""
        url = self.url(f"/assertions/{name}")
        body = json.dumps({"id": url, "revoked": True, "revocationReason": reason}).encode()
        self.server.routes[f"/assertions/{name}"] = answer(body, status=410)
        return url

    def revoke_in_document(self, name: str, reason: str) -> str:
        """The hosted assertion says `"revoked": true`."""
        url = self.hosted(name).id
        document = {**self.hosted(name, publish=False).to_json(), "revoked": True}
        document["revocationReason"] = reason
        self.server.routes[f"/assertions/{name}"] = answer(json.dumps(document).encode())
        return url

    def revoke_in_list(self, assertion_id: str, reason: str) -> None:
        self.revoked.append(RevokedAssertion(assertion_id, reason))
        self._publish_list()

    def _publish_list(self) -> None:
        self.publish(RevocationList(self.url("/revocations"), self.issuer.id, tuple(self.revoked)))

    def fetcher(self) -> SafeFetcher:
        """The safe fetcher, allowed to reach this server (and nothing else on loopback);
        its time limits shrunk so that a slow answer fails the test quickly."""
        return SafeFetcher(
            resolver=StaticResolver({HOST: "127.0.0.1"}),
            allow=[("127.0.0.1", self.server.port)],
            limits=Limits(read_timeout=0.5, total_timeout=2.0),
        )


def baked_by_bakery(payload: str, kind: str = "png") -> bytes:
    """An image baked by `openbadges-bakery` (another implementation than ours)."""
    image = world.png_bytes() if kind == "png" else world.SVG
    return bytes(openbadges_bakery.bake(io.BytesIO(image), payload).read())


@contextmanager
def remote_issuer(app: Flask | None = None) -> Iterator[RemoteIssuer]:
    """A running remote issuer; with `app`, that app's verify page fetches through it."""
    with LoopbackServer() as server:
        issuer = RemoteIssuer(server)
        if app is None:
            yield issuer
            return
        before = app.extensions.get("wallet.fetcher")
        app.extensions["wallet.fetcher"] = issuer.fetcher()
        try:
            yield issuer
        finally:
            if before is None:
                app.extensions.pop("wallet.fetcher", None)
            else:
                app.extensions["wallet.fetcher"] = before
