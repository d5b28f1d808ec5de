"""/dev/outbox: the local mail folder, browsable in development only."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_settings
from tests.unit.test_outbox_delivery import CLAIM_URL, award_context
from wallet import create_app, jobs
from wallet.mail import Envelope, FolderTransport, render_message


@pytest.fixture
def outbox(app: Flask) -> Iterator[Path]:
    folder: Path = app.config["WALLET_SETTINGS"].outbox_dir
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def write_mail(app: Flask, folder: Path, mail_id: int, to: str, locale: str = "ja") -> str:
    with app.app_context():
        message = render_message(
            Envelope(
                mail_id=mail_id,
                template="award_notice",
                to_email=to,
                locale=locale,
                context=award_context(),
                created_at=datetime.now(UTC),
            ),
            app.config["WALLET_SETTINGS"],
        )
    before = set(folder.iterdir())
    FolderTransport(folder).send(message)
    (path,) = set(folder.iterdir()) - before
    return path.name


def test_outbox_lists_mail_newest_first(app: Flask, client: FlaskClient, outbox: Path) -> None:
    write_mail(app, outbox, 1, "first@shizuoka.ac.jp")
    write_mail(app, outbox, 2, "second@shizuoka.ac.jp", locale="en")

    response = client.get("/dev/outbox")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "オープンバッジ授与のお知らせ" in page
    assert "You have been awarded an Open Badge" in page
    assert page.index("second@shizuoka.ac.jp") < page.index("first@shizuoka.ac.jp")


def test_empty_outbox_says_so(client: FlaskClient, outbox: Path) -> None:
    response = client.get("/dev/outbox")
    assert response.status_code == 200
    assert "まだメールはありません" in response.get_data(as_text=True)


def test_one_mail_shows_its_text_and_the_claim_button(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    name = write_mail(app, outbox, 3, "hanako@shizuoka.ac.jp")

    page = client.get(f"/dev/outbox/{name}").get_data(as_text=True)

    assert "hanako@shizuoka.ac.jp" in page
    assert "静岡 花子 様" in page  # the text part
    assert re.search(rf'<a class="button" href="{re.escape(CLAIM_URL)}">バッジを受け取る</a>', page)
    assert f'<iframe class="mail-frame" sandbox src="/dev/outbox/{name}/html"' in page


def test_html_part_is_served_sandboxed_for_the_frame(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    name = write_mail(app, outbox, 4, "hanako@shizuoka.ac.jp")

    response = client.get(f"/dev/outbox/{name}/html")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert CLAIM_URL in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in csp
    assert "frame-ancestors 'self'" in csp
    assert "script-src" not in csp  # default-src 'none' covers scripts
    assert "default-src 'none'" in csp


@pytest.mark.parametrize(
    "path",
    [
        "/dev/outbox/..%2Fsecret.eml",
        "/dev/outbox/../secret.eml",
        "/dev/outbox/%2E%2E%2Fsecret.eml",
        "/dev/outbox/..%5Csecret.eml",
        "/dev/outbox/.hidden.eml",
        "/dev/outbox/link.eml",
        "/dev/outbox/link.eml/html",
        "/dev/outbox/missing.eml",
        "/dev/outbox/notes.txt",
    ],
)
def test_only_files_of_the_outbox_can_be_opened(
    app: Flask, client: FlaskClient, outbox: Path, path: str
) -> None:
    secret = outbox.parent / "secret.eml"
    write_mail(app, outbox, 5, "hanako@shizuoka.ac.jp")
    (outbox / "notes.txt").write_text("not a mail")
    (outbox / ".hidden.eml").write_text("Subject: hidden\n\nhidden")
    shutil.copy(next(outbox.glob("*.eml")), secret)
    (outbox / "link.eml").symlink_to(secret)
    try:
        response = client.get(path)
    finally:
        secret.unlink()
    assert response.status_code == 404
    assert "hanako@shizuoka.ac.jp" not in response.get_data(as_text=True)


def test_no_dev_pages_in_production(app: Flask, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, env="production")
    try:
        production = create_app(settings)
        assert not [r for r in production.url_map.iter_rules() if r.rule.startswith("/dev")]
        assert production.test_client().get("/dev/outbox").status_code == 404
    finally:
        jobs.configure_huey(jobs.huey, app.config["WALLET_SETTINGS"])
