"""The README's production section running on loopback, for the multi-node test.

``running_cluster`` gives each variable the section exports a value, runs its
``flask db upgrade`` and ``flask create-staff``, starts its ``gunicorn`` line twice (nodes
A and B) and its ``huey_consumer`` line once, on a scratch PostgreSQL database and Redis
database, with mail going to an aiosmtpd relay on loopback. ``Office`` is the programme
office in a browser; ``assert_delivered_once`` compares the outbox with what the relay got.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gunicorn
import redis
from huey.storage import RedisStorage
from sqlalchemy import Engine, Row, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.factories import png_bytes
from tests.smtp import Received, SMTPServer, free_port
from tests.system.browsing import Node, Visitor
from tests.system.production import PROJECT_ROOT, Processes, Recipe, read_recipe
from wallet import jobs, urls
from wallet.models import MailStatus, OutboxMail
from wallet.openbadges.signednote import Signer
from wallet.services.ob3 import keys as ob3_keys

ORIGIN = "https://wallet.test"  # the proxy's public origin (tests/system/browsing.py)
REDIS_DB = 9  # the test's own database on the test Redis, emptied before and after
OUTBOX = OutboxMail.__table__


@contextmanager
def relay() -> Iterator[SMTPServer]:
    """The SMTP relay the worker delivers to: aiosmtpd on loopback, keeping every message."""
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the test PostgreSQL server, dropped at the end."""
    url = make_url(server_url)
    name = f"wallet_nodes_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def scratch_redis(server_url: str) -> Iterator[str]:
    parts = urlsplit(server_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def readme_values(*, database_url: str, redis_url: str, smtp_host: str) -> dict[str, str]:
    """A value for every variable the README's production section exports."""
    return {
        "WALLET_ENV": "production",
        "WALLET_SECRET_KEY": secrets.token_urlsafe(48),  # one for all the processes
        "WALLET_DATABASE_URL": database_url,
        "WALLET_REDIS_URL": redis_url,
        "WALLET_BASE_URL": ORIGIN,
        # `flask ledger new-key`, once: the log's key is named after the site's origin
        "WALLET_LEDGER_KEY": Signer.generate(urls.ledger_origin(ORIGIN)).skey(),
        "WALLET_CREDENTIAL_KEY": ob3_keys.new_secret(),  # `flask credentials new-key`
        "WALLET_SMTP_HOST": smtp_host,
        "WALLET_SMTP_USER": "",  # the loopback relay takes mail without a login
        "WALLET_SMTP_PASSWORD": "",
        "WALLET_TRUSTED_PROXIES": "1",  # the test is the proxy in front
    }


def production_environment(
    recipe: Recipe, *, database_url: str, redis_url: str, smtp: SMTPServer
) -> dict[str, str]:
    """The README's variables, and what only this machine needs."""
    values = readme_values(database_url=database_url, redis_url=redis_url, smtp_host=smtp.host)
    assert values.keys() == recipe.variables, "give the README's variables a value here"
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WALLET_", "FLASK_", "GUNICORN_"))
    }
    return {
        **inherited,
        **values,
        "WALLET_SMTP_PORT": str(smtp.port),
        "WALLET_SMTP_STARTTLS": "false",  # no TLS on loopback
        "PYTHONPATH": str(PROJECT_ROOT),  # this checkout's code, whatever the venv points at
    }


@dataclass
class Cluster:
    a: Node
    b: Node
    recipe: Recipe
    processes: Processes
    smtp: SMTPServer
    database: Engine
    redis_url: str
    disks: Path  # each process's WALLET_INSTANCE_PATH under here
    staff: tuple[str, str]

    def start_worker(self, name: str) -> None:
        """``huey_consumer wallet.jobs.huey …`` as the README runs it."""
        command = self.recipe.command("huey_consumer")
        self.processes.start(name, command, WALLET_INSTANCE_PATH=str(self.disks / name))

    def mails_to(self, email: str, count: int, timeout: float = 20) -> list[Received]:
        """At least ``count`` mails to ``email``, in the order they came."""
        deadline = time.monotonic() + timeout
        while len(found := self.smtp.to(email)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} mails to {email}, not {count}:\n"
                    + "\n".join(self.processes.log(n, 1500) for n in self.processes.running)
                )
            time.sleep(0.05)
        return found

    def sent_rows(self, emails: set[str], timeout: float = 30) -> list[Row[Any]]:
        """The outbox rows to ``emails`` once none is waiting and the job queue is empty."""
        deadline = time.monotonic() + timeout
        queue = RedisStorage(jobs.huey.name, url=self.redis_url)
        try:
            while True:
                with self.database.connect() as connection:
                    rows = list(
                        connection.execute(
                            select(OUTBOX).where(OUTBOX.c.to_email.in_(sorted(emails)))
                        )
                    )
                waiting = [r for r in rows if r.status == MailStatus.QUEUED]
                if rows and not waiting and not queue.queue_size():
                    break
                assert time.monotonic() < deadline, f"{len(waiting)} mails still waiting"
                time.sleep(0.1)
        finally:
            queue.pool.disconnect()
        time.sleep(0.5)  # a second delivery of the same mail would be on its way by now
        return rows


def assert_delivered_once(cluster: Cluster, emails: set[str]) -> list[Row[Any]]:
    """Every outbox row to ``emails`` sent, and the relay got each exactly once."""
    rows = cluster.sent_rows(emails)
    assert {r.status for r in rows} == {MailStatus.SENT}, [(r.template, r.last_error) for r in rows]
    with cluster.smtp.lock:
        messages = [m for m in cluster.smtp.messages if set(m.rcpt_tos) & emails]
    received = Counter(str(m.message["Message-ID"]) for m in messages)
    twice = {message_id: n for message_id, n in received.items() if n > 1}
    assert not twice, f"delivered more than once: {twice}"
    assert received == Counter(r.message_id for r in rows)
    return rows


@contextmanager
def running_cluster(work: Path, database_server: str, redis_server: str) -> Iterator[Cluster]:
    """The README's production block started in ``work``: the schema, a staff account, two
    web nodes and a worker; every process ended and the scratch stores dropped on exit."""
    (work / "logs").mkdir()
    recipe = read_recipe()
    with (
        relay() as smtp,
        scratch_database(database_server) as database_url,
        scratch_redis(redis_server) as redis_url,
    ):
        env = production_environment(
            recipe, database_url=database_url, redis_url=redis_url, smtp=smtp
        )
        processes = Processes(work / "logs", env)
        database = create_engine(database_url, poolclass=NullPool)
        disks = work / "disks"
        try:
            disk = str(disks / "flask")
            processes.run(recipe.command("flask", "db", "upgrade"), WALLET_INSTANCE_PATH=disk)
            created = processes.run(
                recipe.command("flask", "create-staff").plus("--generate-password"),
                WALLET_INSTANCE_PATH=disk,
            )
            staff_email = next(w for w in recipe.command("flask", "create-staff").argv if "@" in w)
            password = re.search(r"Password: (\S+)", created)
            assert password, created
            web = recipe.command("gunicorn")
            nodes = [Node("A", free_port()), Node("B", free_port())]
            for node in nodes:
                command = web.with_option("--bind", f"127.0.0.1:{node.port}")
                command = command.with_option("--workers", "2")  # a small machine runs both
                if gunicorn.version_info >= (27,):  # two masters on one host (README)
                    command = command.plus("--control-socket", str(work / f"{node.name}.ctl"))
                processes.start(node.name, command, WALLET_INSTANCE_PATH=str(disks / node.name))
            cluster = Cluster(
                a=nodes[0],
                b=nodes[1],
                recipe=recipe,
                processes=processes,
                smtp=smtp,
                database=database,
                redis_url=redis_url,
                disks=disks,
                staff=(staff_email, password.group(1)),
            )
            cluster.start_worker("worker")
            for node in nodes:
                processes.wait_for_http(node.name, node.port)
            yield cluster
        finally:
            processes.stop_all()
            database.dispose()


class Office:
    """The programme office in a browser, each step on the node the test names."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.browser = Visitor(ORIGIN, "192.0.2.10")
        a, b = cluster.a, cluster.b
        email, password = cluster.staff
        login = self.browser.get(a, "/login")
        done = self.browser.post_page_form(
            b, login, {"email": email, "password": password}, action="/login"
        )
        assert done.status_code == 200, done.text
        assert self.browser.get(a, "/admin/").status_code == 200
        issuer = self.browser.get(b, "/admin/issuer")
        saved = self.browser.post_page_form(
            a,
            issuer,
            {
                "name": "静岡大学",
                "name_en": "Shizuoka University",
                "url": "https://www.shizuoka.ac.jp/",
                "email": "openbadge@shizuoka.ac.jp",
            },
            has="url",
        )
        assert urlsplit(saved.url).path == "/admin/", saved.text

    def new_department(self, name: str, name_en: str) -> int:
        """A department, created on one node; its id read back on the other."""
        a, b = self.cluster.a, self.cluster.b
        page = self.browser.get(a, "/admin/departments/new")
        made = self.browser.submit(
            b, self.browser.form(page, has="name_en"), {"name": name, "name_en": name_en}
        )
        assert urlsplit(made.url).path == "/admin/departments", made.status_code
        listed = self.browser.get(a, "/admin/departments").text
        ids = [int(found) for found in re.findall(r"/admin/departments/(\d+)/edit", listed)]
        assert ids, "the new department is not listed"
        return max(ids)

    def new_badge(self, name: str) -> int:
        a, b = self.cluster.a, self.cluster.b
        tag = secrets.token_hex(3)  # department names are unique per issuer
        department = self.new_department(f"学部 {tag}", f"Faculty {tag}")
        page = self.browser.get(a, "/admin/badges/new")
        form = self.browser.form(page, has="kind")
        made = self.browser.submit(
            b,
            form,
            {
                "name": name,
                "description": "修了を証明します。",
                "criteria_text": "全科目修得",
                "department_id": str(department),
            },
            files={"image": ("badge.png", png_bytes(200), "image/png")},
        )
        found = re.fullmatch(r"/admin/badges/(\d+)", urlsplit(made.url).path)
        assert found, (made.status_code, made.url)
        return int(found.group(1))

    def award(self, badge_id: int, completers: list[tuple[str, str]]) -> None:
        """Upload the list on one node, confirm the preview on the other."""
        a, b = self.cluster.a, self.cluster.b
        upload = self.browser.get(a, f"/admin/badges/{badge_id}/upload")
        csv = "name,email\n" + "".join(f"{name},{email}\n" for name, email in completers)
        preview = self.browser.submit(
            b,
            self.browser.form(upload, has="file"),
            files={"file": ("completers.csv", csv.encode(), "text/csv")},
        )
        assert preview.status_code == 200, preview.text
        confirm = self.browser.form(preview, action=f"/admin/badges/{badge_id}/confirm")
        done = self.browser.submit(a, confirm)
        assert urlsplit(done.url).path == f"/admin/badges/{badge_id}", done.status_code
