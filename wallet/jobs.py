"""Background tasks on Huey: SQLite store by default, Redis in production.

Run a worker with ``huey_consumer wallet.jobs.huey``. Task bodies take ids, not
objects, are idempotent, and call services inside an application context.

``huey`` is built from the environment at import (what the consumer needs) and
reconfigured from the app's settings by ``init_app``: tests and other callers of
``create_app(settings)`` get the job store their settings describe.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from wallet import extensions as ext
from wallet import mail
from wallet.config import Settings
from wallet.db import utcnow
from wallet.models import MailRequest, OutboxMail
from wallet.openbadges.fetching import Fetcher
from wallet.safe_fetch import fetcher_for
from wallet.services import importing, mail_requests, outbox, reminders
from wallet.services.anchoring import chains
from wallet.services.anchoring import run as anchoring_run

log = logging.getLogger(__name__)

# Mails claimed per transaction; a run goes on until nothing is due.
BATCH_SIZE = 100
MAX_BATCHES_PER_RUN = 1000
# At most this many drains are queued for one commit (one per batch of new mail).
DRAIN_FANOUT = 4
_PENDING = "wallet.rows_to_drain"  # session.info: table name -> rows added


def _storage(settings: Settings) -> tuple[type[Any], dict[str, Any]]:
    if settings.redis_url:
        return RedisStorage, {"url": settings.redis_url}
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    return SqliteStorage, {"filename": str(settings.instance_path / "jobs.sqlite3")}


def make_huey(settings: Settings) -> Huey:
    """Immediate in-memory (tests), Redis (production) or SQLite in ``instance/``."""
    storage_class, kwargs = _storage(settings)
    return Huey(
        "wallet",
        results=False,
        immediate=settings.huey_immediate,
        storage_class=storage_class,
        **kwargs,
    )


def _store_key(settings: Settings) -> tuple[Any, ...]:
    return (settings.redis_url, str(settings.instance_path), settings.huey_immediate)


def configure_huey(queue: Huey, settings: Settings) -> None:
    """Point an existing Huey (and the tasks bound to it) at the store of ``settings``."""
    key = _store_key(settings)
    if _configured.get(id(queue)) == key:
        return
    storage_class, kwargs = _storage(settings)
    queue.storage_class = storage_class
    queue.storage_kwargs = kwargs
    queue.immediate = settings.huey_immediate
    queue.storage = queue.create_storage()
    _configured[id(queue)] = key


_configured: dict[int, tuple[Any, ...]] = {}
_env_settings = Settings.from_env()
huey = make_huey(_env_settings)
_configured[id(huey)] = _store_key(_env_settings)
_worker_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app (tests, immediate mode) or one app per worker process."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        from wallet import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app


@contextmanager
def _job_session() -> Iterator[tuple[Settings, Session]]:
    """The app's settings and a database session of the job's own, closed at the end:
    a job may run right after another session's commit (immediate mode) and commits
    as it goes."""
    with app_context() as app:
        session = ext.db.session.session_factory()
        try:
            yield app.config["WALLET_SETTINGS"], session
        finally:
            session.close()


def _in_batches(
    session: Session, batch: Callable[[], int], size: int, max_batches: int = MAX_BATCHES_PER_RUN
) -> int:
    """Run ``batch`` (which handles up to ``size`` rows and says how many) and commit,
    until a batch comes back short; returns the total."""
    done = 0
    for _ in range(max_batches):
        count = batch()
        session.commit()
        done += count
        if count < size:
            break
    return done


def deliver_outbox(
    *, batch_size: int = BATCH_SIZE, clock: Callable[[], datetime] = utcnow
) -> outbox.DeliveryReport:
    """Deliver every due mail through one transport (one SMTP connection).

    Uses a session of its own: it may run right after another session's commit
    (immediate mode), and it commits after every mail.
    """
    total = outbox.DeliveryReport()
    with _job_session() as (settings, session), mail.open_transport(settings) as transport:
        send = mail.Mailer(settings, transport)
        for _ in range(MAX_BATCHES_PER_RUN):
            report = outbox.deliver_due_mail(
                session, send, clock(), batch_size, commit=session.commit
            )
            total.claimed += report.claimed
            total.sent += report.sent
            total.retrying += report.retrying
            total.failed += report.failed
            if report.claimed < batch_size:
                break
    if total.claimed:
        log.info(
            "outbox: %d sent, %d to retry, %d failed", total.sent, total.retrying, total.failed
        )
    return total


@huey.task()
def drain_outbox() -> None:
    """Deliver due mail now (queued after every commit that added outbox rows)."""
    deliver_outbox()


def answer_mail_requests(*, clock: Callable[[], datetime] = utcnow) -> int:
    """Answer every waiting mail request (reset, mail 1 again, ...); returns how many.

    A session of its own, committed after each batch; the mail it queues is
    delivered by ``drain_outbox``, kicked by that commit.
    """
    with _job_session() as (settings, session):
        return _in_batches(
            session,
            lambda: mail_requests.answer_mail_requests(
                session,
                base_url=settings.base_url,
                claim_token_days=settings.claim_token_days,
                timezone=settings.timezone,
                now=clock(),
                limit=BATCH_SIZE,
            ),
            BATCH_SIZE,
        )


@huey.task(retries=3, retry_delay=30)
def drain_mail_requests() -> None:
    """Answer mail requests now (queued after every commit that added one)."""
    answer_mail_requests()


@huey.periodic_task(crontab(minute="*"))
def drain_outbox_every_minute() -> None:
    """Retries, and mail or requests whose kick was lost (e.g. the job store was down)."""
    answer_mail_requests()
    deliver_outbox()


# -- imported badges: checked again with their issuers ------------------------------

# Imported badges checked per transaction; each may take a few fetches from its issuer.
REVERIFY_BATCH_SIZE = 20
REVERIFY_MAX_BATCHES = 50


def reverify_imported_badges(
    *, fetcher: Fetcher | None = None, clock: Callable[[], datetime] = utcnow
) -> int:
    """Check again every imported badge whose last check is a day old, oldest first, in
    batches (a commit after each); returns how many. A badge revoked since shows as
    revoked, with the issuer's reason. ``fetcher`` defaults to the safe fetcher."""
    with _job_session() as (settings, session):
        reach = fetcher or fetcher_for(settings)
        checked = _in_batches(
            session,
            lambda: importing.reverify_due(
                session,
                reach,
                base_url=settings.base_url,
                now=clock(),
                limit=REVERIFY_BATCH_SIZE,
            ),
            REVERIFY_BATCH_SIZE,
            REVERIFY_MAX_BATCHES,
        )
    if checked:
        log.info("imported badges: %d checked again", checked)
    return checked


@huey.periodic_task(crontab(minute="17"))
def reverify_imported_badges_hourly() -> None:
    """Each hour, the imported badges last checked a day ago or more."""
    reverify_imported_badges()


# -- anchored badges: the daily run ----------------------------------------------------


def anchor_pending_awards(*, clock: Callable[[], datetime] = utcnow, force: bool = False) -> str:
    """The daily anchoring run (docs/anchoring.md) when it is due, or now with ``force``;
    returns what it did, for the log and the command line."""
    with _job_session() as (settings, session):
        chain = chains.chain_for(settings)
        report = anchoring_run.run_if_due(session, settings, clock(), chain, force=force)
    if report is None:
        return ""
    summary = anchoring_run.describe(report)
    log.info("anchoring: %s", summary)
    return summary


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("anchoring")
def anchor_when_due() -> None:
    """Checked each minute, cheaply: the run starts at ``WALLET_ANCHORING_TIME`` (local),
    catches up after a worker outage, and retries a batch the chain has not confirmed."""
    anchor_pending_awards()


# -- claim reminders ------------------------------------------------------------------


def send_claim_reminders(*, clock: Callable[[], datetime] = utcnow) -> int:
    """Queue every due claim reminder (docs/operations.md); returns how many.

    A session of its own, committed after each batch: a run killed half-way
    leaves the rest due for the next run, and none counted twice.
    """
    with _job_session() as (settings, session):
        count = reminders.send_reminders_now(session, settings, clock())
    if count:
        log.info("reminders: %d queued", count)
    return count


@huey.periodic_task(crontab(minute="47"))
def send_claim_reminders_hourly() -> None:
    """Reminders fall due through the day (a month after each award's mail)."""
    send_claim_reminders()


# -- queue a drain after each commit that added mail or a mail request -------------


def _count_new(session: Session, table: str, count: int) -> None:
    if count:
        pending = session.info.setdefault(_PENDING, {})
        pending[table] = pending.get(table, 0) + count


def _note_new_rows(session: Session, _context: object, _instances: object) -> None:
    for model in (OutboxMail, MailRequest):
        _count_new(session, model.__tablename__, sum(isinstance(o, model) for o in session.new))


def _note_bulk_insert(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if state.is_insert and getattr(table, "name", None) == OutboxMail.__tablename__:
        params = state.parameters
        _count_new(
            state.session, OutboxMail.__tablename__, len(params) if isinstance(params, list) else 1
        )


def _kick_after_commit(session: Session) -> None:
    """Queue the drains; for a large batch of mail several, so that parallel workers share it.
    Releasing a savepoint fires this too: the mail is not committed yet, so the drain waits
    for the outermost commit (a worker would find nothing, and in immediate mode it would
    wait for the write lock this very transaction holds)."""
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, {})
    mail, requests = (
        pending.get(OutboxMail.__tablename__, 0),
        pending.get(MailRequest.__tablename__, 0),
    )
    try:
        if requests:
            drain_mail_requests()
        for _ in range(min(DRAIN_FANOUT, math.ceil(mail / BATCH_SIZE))):
            drain_outbox()
    except Exception:  # the job store being down must not fail the committed change
        log.exception("could not queue a drain; the periodic run will do the work")


def _forget_after_rollback(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        session.info.pop(_PENDING, None)


def _listen_once(target: Any, name: str, handler: Callable[..., None]) -> None:
    if not event.contains(target, name, handler):
        event.listen(target, name, handler)


def init_app(app: Flask) -> None:
    """Point the queue at the app's job store and kick delivery after commits."""
    from flask_sqlalchemy.session import Session as FlaskSession

    configure_huey(huey, app.config["WALLET_SETTINGS"])
    _listen_once(FlaskSession, "before_flush", _note_new_rows)
    _listen_once(FlaskSession, "do_orm_execute", _note_bulk_insert)
    _listen_once(FlaskSession, "after_commit", _kick_after_commit)
    _listen_once(FlaskSession, "after_soft_rollback", _forget_after_rollback)
