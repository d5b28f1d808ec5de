"""Our hosted badges, and the baked images students download, pass the 1EdTech Open Badges
validator (openbadges-validator-core).

The validator runs in its own virtualenv (`bin/validator-venv` builds `.venv-validator/`),
offline, against a real HTTP server on loopback: see `run_validator.py` and
docs/documents.md.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import make_settings
from tests.factories import (
    PASSWORD,
    AwardFactory,
    BadgeClassFactory,
    BlobFactory,
    IssuerFactory,
    UserFactory,
)
from tests.helpers import post_form
from tests.smtp import free_port
from tests.unit.openbadges import world
from wallet import create_app
from wallet import extensions as ext
from wallet.db import Base

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_PYTHON = ROOT / ".venv-validator" / "bin" / "python"
RUNNER = Path(__file__).with_name("run_validator.py")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not VALIDATOR_PYTHON.exists(),
        reason="the 1EdTech validator is not installed: run bin/validator-venv",
    ),
]


@dataclass
class Site:
    app: Flask
    url: str

    def assertion_url(self, public_id: str) -> str:
        return f"{self.url}/ob/assertions/{public_id}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a real loopback port, base_url = that address, with its own SQLite DB
    (the documents do not depend on the database engine, and a shared PostgreSQL database
    must not be dropped under the rest of the suite)."""
    instance = tmp_path_factory.mktemp("interop")
    port = free_port()
    settings = make_settings(
        instance,
        base_url=f"http://127.0.0.1:{port}",
        database_url=f"sqlite:///{instance / 'interop.sqlite3'}",
        ratelimit_enabled=False,
    )
    app = create_app(settings)
    with app.app_context():
        Base.metadata.create_all(ext.db.engine)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(app=app, url=settings.base_url)
    server.shutdown()
    with app.app_context():
        ext.db.session.remove()
        ext.db.engine.dispose()


@pytest.fixture(scope="module")
def awards(site: Site) -> dict[str, str]:
    """Public ids of: a live award, a revoked one (same badge class)."""
    with site.app.app_context():
        logo = BlobFactory()
        issuer = IssuerFactory(image_sha256=logo.sha256, description="静岡大学")
        badge_class = BadgeClassFactory(issuer=issuer, criteria_url="https://example.ac.jp/c")
        live = AwardFactory(
            badge_class=badge_class,
            issued=True,
            recipient_email="hanako@shizuoka.ac.jp",
            expires_at=datetime.now(UTC) + timedelta(days=365),
        )
        revoked = AwardFactory(
            badge_class=badge_class,
            issued=True,
            recipient_email="taro@shizuoka.ac.jp",
            revoked_at=datetime.now(UTC),
            revocation_reason="記録の誤り",
        )
        ids = {"live": live.public_id, "revoked": revoked.public_id}
        ext.db.session.commit()
        ext.db.session.remove()
    return ids


@pytest.fixture(scope="module")
def baked(site: Site, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The owner's downloads of a PNG badge and an SVG badge, through the wallet's pages."""
    with site.app.app_context():
        owner = UserFactory(email="jiro@shizuoka.ac.jp")
        issuer = IssuerFactory()
        svg = BlobFactory(data=world.SVG, content_type="image/svg+xml")
        mine = {"issued": True, "user": owner, "recipient_email": owner.email, "is_public": False}
        ids = {
            "png": AwardFactory(badge_class=BadgeClassFactory(issuer=issuer), **mine).id,
            "svg": AwardFactory(
                badge_class=BadgeClassFactory(issuer=issuer, image_sha256=svg.sha256), **mine
            ).id,
        }
        ext.db.session.commit()
        ext.db.session.remove()
    client = site.app.test_client()
    response = post_form(client, "/login", {"email": "jiro@shizuoka.ac.jp", "password": PASSWORD})
    assert response.status_code == 302
    folder = tmp_path_factory.mktemp("downloads")
    files = {}
    for fmt, award_id in ids.items():
        download = client.get(f"/wallet/badges/{award_id}/download.{fmt}")
        assert download.status_code == 200, (fmt, download.status_code)
        files[fmt] = folder / f"badge.{fmt}"
        files[fmt].write_bytes(download.data)
    return files


def validate(url: str | None, email: str, *, file: Path | None = None) -> dict[str, Any]:
    target = [url] if file is None else ["--file", str(file)]
    completed = subprocess.run(
        [str(VALIDATOR_PYTHON), str(RUNNER), *target, "--email", email],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "refused:" not in completed.stderr, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def errors(result: dict[str, Any]) -> list[str]:
    return [
        message.get("result", "")
        for message in result["report"]["messages"]
        if message.get("messageLevel") == "ERROR"
    ]


def test_hosted_badge_is_valid_for_its_recipient(site: Site, awards: dict[str, str]) -> None:
    url = site.assertion_url(awards["live"])
    result = validate(url, "hanako@shizuoka.ac.jp")
    report = result["report"]
    assert report["valid"] is True, json.dumps(report, ensure_ascii=False, indent=2)
    assert report["errorCount"] == 0
    assert report["warningCount"] == 0, report["messages"]
    assert report["recipientProfile"] == {"email": "hanako@shizuoka.ac.jp"}
    types = {node.get("type") for node in result["graph"]}
    assert types >= {"Assertion", "BadgeClass", "Issuer"}


def test_wrong_recipient_is_invalid(site: Site, awards: dict[str, str]) -> None:
    result = validate(site.assertion_url(awards["live"]), "someone.else@shizuoka.ac.jp")
    assert result["report"]["valid"] is False
    assert any("recipient" in message.lower() for message in errors(result)), errors(result)


def test_revoked_badge_is_invalid(site: Site, awards: dict[str, str]) -> None:
    # Validator 1.1.2 has no notion of revocation for hosted badges: it fails on the 410
    # body ({id, revoked, revocationReason}), which is no longer a whole Assertion.
    result = validate(site.assertion_url(awards["revoked"]), "taro@shizuoka.ac.jp")
    assert result["report"]["valid"] is False
    assert result["report"]["errorCount"] > 0
    assert "Assertion" not in {node.get("type") for node in result["graph"]}


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_downloaded_baked_badge_is_valid_with_no_account(
    site: Site, baked: dict[str, Path], fmt: str
) -> None:
    """What the owner downloads (a private badge, even) verifies from the file alone: the
    validator unbakes it and fetches the assertion URL it carries."""
    result = validate(None, "jiro@shizuoka.ac.jp", file=baked[fmt])
    assert result["input"]["value"].startswith(f"{site.url}/ob/assertions/")
    report = result["report"]
    assert report["valid"] is True, json.dumps(report, ensure_ascii=False, indent=2)
    assert report["errorCount"] == 0
    assert report["warningCount"] == 0, report["messages"]
    types = {node.get("type") for node in result["graph"]}
    assert types >= {"Assertion", "BadgeClass", "Issuer"}
    assert (
        validate(None, "someone.else@shizuoka.ac.jp", file=baked[fmt])["report"]["valid"] is False
    )
