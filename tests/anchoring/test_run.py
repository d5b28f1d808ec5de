"""The daily anchoring run: pending anchored awards become anchored, issued and mailed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from wallet.models import (
    AnchorBatch,
    Award,
    AwardState,
    LedgerEntry,
    OutboxMail,
)
from wallet.openbadges import blockcerts
from wallet.services.anchoring import credentials, log
from wallet.services.anchoring.run import run_anchoring

NOW = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)  # 03:00 on 3 April in Tokyo


def pending(count: int, **kwargs: object) -> list[Award]:
    badge = BadgeClassFactory(anchored=True)
    return [
        AwardFactory(
            badge_class=badge,
            state=AwardState.PENDING,
            user=UserFactory(),
            accepted_at=NOW - timedelta(hours=10),
            **kwargs,
        )
        for _ in range(count)
    ]


def test_the_run_anchors_issues_and_mails_every_pending_award(
    app: Flask, db_session: Session
) -> None:
    awards = pending(3)
    settings = app.config["WALLET_SETTINGS"]
    report = run_anchoring(db_session, settings, NOW)
    assert (report.built, report.anchored, report.issued) == (3, 3, 3)
    for award in awards:
        db_session.refresh(award)
        assert award.state == AwardState.ISSUED
        assert award.issued_at == NOW
        credential = credentials.credential_of(db_session, award)
        assert credential is not None
        document = credentials.signed_credential(credential)
        _proof, anchors = blockcerts.verify_anchored(
            document, log.DatabaseLog(db_session, settings.base_url), now=NOW
        )
        assert anchors[0].kind == "tlog"
        assert anchors[0].index == 0
        assert document["credentialSubject"]["name"] == award.recipient_name
    mails = db_session.scalars(select(OutboxMail).where(OutboxMail.template == "badge_issued"))
    assert sorted(m.to_email for m in mails) == sorted(a.user.email for a in awards)
    assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_a_second_run_anchors_nothing_twice(app: Flask, db_session: Session) -> None:
    pending(2)
    settings = app.config["WALLET_SETTINGS"]
    run_anchoring(db_session, settings, NOW)
    again = run_anchoring(db_session, settings, NOW + timedelta(days=1))
    assert (again.built, again.anchored, again.issued) == (0, 0, 0)
    assert db_session.scalar(select(func.count()).select_from(AnchorBatch)) == 1
    assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    mails = db_session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.template == "badge_issued")
    )
    assert mails == 2


def test_the_run_signs_each_issued_badges_3_0_credential(app: Flask, db_session: Session) -> None:
    """The completing step signs the Open Badges 3.0 credentials in bulk, valid from the
    run, each verifying with the issuer's published key and pointing at its own bit."""
    from tests.ob3_support import AppFetcher
    from wallet.models import AwardCredential
    from wallet.openbadges.ob3.verify import verify

    awards = pending(3)
    revoked = pending(1, revoked_at=NOW - timedelta(hours=1))[0]
    run_anchoring(db_session, app.config["WALLET_SETTINGS"], NOW)
    stored = {row.award_id: row for row in db_session.scalars(select(AwardCredential)).all()}
    assert set(stored) == {award.id for award in awards}  # not the revoked one
    assert revoked.id not in stored
    assert len({row.status_index for row in stored.values()}) == 3
    fetcher = AppFetcher(app.test_client())
    for award in awards:
        report = verify(stored[award.id].document, fetcher, recipients=[award.recipient_email])
        assert report.valid, report.failures
        assert report.credential.valid_from == NOW
