"""Our hosted badges pass the 1EdTech Open Badges validator (openbadges-validator-core).

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
from tests.factories import AwardFactory, BadgeClassFactory, BlobFactory, IssuerFactory
from tests.smtp import free_port
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


def validate(url: str, email: str) -> dict[str, Any]:
    completed = subprocess.run(
        [str(VALIDATOR_PYTHON), str(RUNNER), url, "--email", email],
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
