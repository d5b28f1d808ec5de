"""Two web nodes and a worker, started as the README's production section says, sharing
PostgreSQL and Redis: a student claims a badge with every step on another node, rate limits
count across nodes, and every mail reaches the (loopback) relay once.

Runs in the PostgreSQL pass of bin/test, which also starts Redis; skipped elsewhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from limits import parse
from sqlalchemy import func, select

from tests.smtp import Received
from tests.system.browsing import Form, Node, Visitor
from tests.system.cluster import (
    ORIGIN,
    OUTBOX,
    Cluster,
    Office,
    assert_delivered_once,
    readme_values,
    running_cluster,
)
from tests.system.production import read_recipe
from wallet import jobs
from wallet.config import Settings
from wallet.models import MailStatus
from wallet.views.auth import LIMIT as FORM_LIMIT

DATABASE_URL = os.environ.get("WALLET_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("WALLET_TEST_REDIS_URL", "")
MISSING = (
    ""
    if DATABASE_URL.startswith("postgresql") and REDIS_URL
    else "needs PostgreSQL and Redis: WALLET_TEST_DATABASE_URL (postgresql) and "
    "WALLET_TEST_REDIS_URL, as in the PostgreSQL pass of bin/test"
)
pytestmark = pytest.mark.system

LINK = re.compile(r"https://wallet\.test/(?:claim|activate)/[A-Za-z0-9_\-]+")
BADGE = "データサイエンス修了証"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if MISSING:
        pytest.skip(MISSING)
    with running_cluster(tmp_path_factory.mktemp("nodes"), DATABASE_URL, REDIS_URL) as running:
        yield running


@pytest.fixture(scope="module")
def office(cluster: Cluster) -> Office:
    return Office(cluster)


def test_the_readme_says_what_this_test_runs() -> None:
    """Checked in every pass, with or without PostgreSQL: the section still has the commands
    the cluster is started with, and no variable the test gives no value."""
    recipe = read_recipe()
    assert recipe.command("flask", "db", "upgrade").env == {"FLASK_APP": "wallet"}
    staff = recipe.command("flask", "create-staff")
    assert "--name" in staff.argv
    web = recipe.command("gunicorn")
    web.with_option("--bind", "127.0.0.1:1").with_option("--workers", "1")
    assert web.argv[-1] == "wsgi:app"
    assert recipe.command("huey_consumer").argv[1] == "wallet.jobs.huey"
    values = readme_values(database_url="-", redis_url="-", smtp_host="-")
    assert values.keys() == recipe.variables


def test_the_recipe_reader_takes_exports_and_commands_apart() -> None:
    readme = (
        "# x\n\n## Production\n\n```sh\n"
        "export WALLET_A=1 WALLET_B=$(python3 -c 'print(2)')  # a comment\n"
        "export WALLET_C=…\n"
        "pip install -e .\n"
        'FLASK_APP=wallet flask create-staff x@example.ac.jp --name "教務 課"  # asks\n'
        "gunicorn --bind 127.0.0.1:8000 wsgi:app\n"
        "```\n\n## Next\n\n```sh\nhuey_consumer elsewhere\n```\n"
    )
    recipe = read_recipe(readme)
    assert recipe.variables == {"WALLET_A", "WALLET_B", "WALLET_C"}
    staff = recipe.command("flask", "create-staff")
    assert staff.env == {"FLASK_APP": "wallet"}
    assert staff.argv == ("flask", "create-staff", "x@example.ac.jp", "--name", "教務 課")
    assert recipe.command("gunicorn").with_option("--bind", "h:1").argv[2] == "h:1"
    with pytest.raises(AssertionError):
        recipe.command("huey_consumer")  # not in the production section


def link_in(mail: Received) -> str:
    match = LINK.search(mail.body("plain"))
    assert match, mail.body("plain")
    return match.group(0)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_a_student_claims_with_every_step_on_another_node(cluster: Cluster, office: Office) -> None:
    a, b = cluster.a, cluster.b
    email, password = "hanako@shizuoka.ac.jp", "夏の富士山に登る 2026"
    name = f"{BADGE} A/B"
    office.award(office.new_badge(name), [("静岡 花子", email)])
    (notice,) = cluster.mails_to(email, 1)
    claim = link_in(notice)
    student = Visitor(ORIGIN, "198.51.100.7")

    # mail 1's link and the terms on A
    opened = student.get(a, claim)
    assert opened.status_code == 200
    assert name in opened.text
    terms = student.get(a, claim + "/terms")
    agreed = student.post_page_form(a, terms, {"agree": "y"}, has="agree", allow_redirects=False)
    assert agreed.status_code == 302
    # registration on B: B knows the terms were agreed on A (the signed session cookie)
    register = student.get(b, agreed.headers["Location"])
    assert path_of(register.url) == path_of(claim) + "/register"
    assert email in register.text
    registered = student.post_page_form(
        b,
        register,
        {"name": "静岡 花子", "password": password, "confirm": password},
        has="confirm",
        allow_redirects=False,
    )
    assert registered.status_code == 302, registered.text
    # the "check your mail" page on A
    check_mail = student.get(a, registered.headers["Location"])
    assert check_mail.status_code == 200
    assert email in check_mail.text

    # the activation mail, delivered by the worker: its page on B, the button on A
    activation = cluster.mails_to(email, 2)[1]
    page = student.get(b, link_in(activation))
    assert page.status_code == 200
    activated = student.post_page_form(a, page, {}, action=path_of(link_in(activation)))
    assert path_of(activated.url) == "/login"
    # the login form A drew (filled in from the session) sent to B
    login = student.form(activated, action="/login")
    assert dict(login.fields)["email"] == email
    wallet = student.submit(b, login, {"password": password})
    assert path_of(wallet.url) == "/wallet", wallet.text
    assert name in wallet.text
    on_a = student.get(a, "/wallet")
    assert path_of(on_a.url) == "/wallet"
    assert name in on_a.text

    # the badge issued at the first login: mail 2
    issued = cluster.mails_to(email, 3)[2]
    assert "/wallet/badges/" in issued.body("plain")

    # logging out on A ends the login on B too, for a copy of the old cookies as well
    kept = student.http.cookies.copy()
    student.post_page_form(a, on_a, {}, action="/logout")
    thief = Visitor(ORIGIN, "198.51.100.7")
    thief.http.cookies.update(kept)
    assert path_of(thief.get(b, "/wallet").url) == "/login"

    rows = assert_delivered_once(cluster, {email})
    assert sorted(r.template for r in rows) == ["activation", "award_notice", "badge_issued"]
    # nothing was kept on a node's own disk
    assert [p for p in cluster.disks.rglob("*") if p.is_file()] == []


def test_rate_limits_count_across_nodes(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    allowed = parse(FORM_LIMIT).amount
    visitor = Visitor(ORIGIN, "203.0.113.50")
    form = visitor.form(visitor.get(a, "/password/reset"), has="email")

    def ask(node: Node, who: Visitor = visitor, form: Form = form) -> int:
        data = {"email": "ghost@shizuoka.ac.jp"}
        return who.submit(node, form, data, allow_redirects=False).status_code

    answers = [ask((a, b)[n % 2]) for n in range(allowed)]
    assert answers == [302] * allowed  # half on each node: neither alone is near the limit
    assert ask(a) == 429
    assert ask(b) == 429
    other = Visitor(ORIGIN, "203.0.113.51")  # another client, behind the same proxy
    assert ask(b, other, other.form(other.get(b, "/password/reset"), has="email")) == 302


def test_two_workers_send_a_large_list_once(cluster: Cluster, office: Office) -> None:
    completers = [(f"学生 {n}", f"s{n:04d}@shizuoka.ac.jp") for n in range(150)]
    badge_id = office.new_badge(f"{BADGE} 150")
    cluster.start_worker("worker-2")
    try:
        cluster.processes.wait_for_log("worker-2", "Huey consumer started")
        office.award(badge_id, completers)
        # more drains than the commit queued, for both workers' threads at once
        jobs.configure_huey(jobs.huey, Settings(redis_url=cluster.redis_url))
        try:
            for _ in range(6):
                jobs.drain_outbox()
        finally:
            jobs.huey.storage.pool.disconnect()
        rows = assert_delivered_once(cluster, {email for _, email in completers})
    finally:
        cluster.processes.stop("worker-2")
    assert len(rows) == len(completers)
    with cluster.database.connect() as connection:
        failed = connection.scalar(select(func.count()).where(OUTBOX.c.status == MailStatus.FAILED))
    assert failed == 0
