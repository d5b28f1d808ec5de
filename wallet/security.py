"""Password hashing, secret tokens, response headers."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, request

# argon2id, RFC 9106 "second recommended" profile (64 MiB, t=3, p=4).
password_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)

# A real hash to verify against when the account does not exist, so a login
# for an unknown email costs the same time as one for a known email.
_DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not ``stored_hash`` exists."""
    try:
        return password_hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return password_hasher.check_needs_rehash(stored_hash)


def new_token() -> str:
    """A URL-safe secret with 256 random bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_security_headers(app: Flask) -> None:
    production = app.config.get("WALLET_SETTINGS") and app.config["WALLET_SETTINGS"].is_production

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        # a page framed by the site itself (the signature preview) says so itself
        response.headers.setdefault("X-Frame-Options", "DENY")
        if "Cache-Control" not in response.headers and request.endpoint != "static":
            # private unless a page says otherwise (the public Open Badges documents
            # and images do): no shared or back-button cache may keep a page with a
            # student's badges, name or address
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        return response
