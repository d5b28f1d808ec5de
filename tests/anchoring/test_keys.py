"""Rotating the log's key keeps old checkpoints verifying; a retired key signs nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from wallet import urls
from wallet.config import ConfigurationError
from wallet.models import AwardState
from wallet.openbadges.signednote import Signer
from wallet.services.anchoring import check, log
from wallet.services.anchoring.run import run_anchoring

NOW = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)


def night(app: Flask, session: Session, when: datetime, **settings: object) -> None:
    AwardFactory(
        badge_class=BadgeClassFactory(anchored=True),
        state=AwardState.PENDING,
        user=UserFactory(),
        accepted_at=when - timedelta(hours=5),
    )
    run_anchoring(session, app.config["WALLET_SETTINGS"].with_overrides(**settings), when)


def test_a_new_key_takes_over_and_old_checkpoints_still_verify(
    app: Flask, db_session: Session
) -> None:
    settings = app.config["WALLET_SETTINGS"]
    origin = urls.ledger_origin(settings.base_url)
    first, second = Signer.generate(origin), Signer.generate(origin)
    night(app, db_session, NOW, ledger_key=first.skey())
    night(app, db_session, NOW + timedelta(days=1), ledger_key=second.skey())
    keys = log.published_keys(db_session)
    assert [k.vkey for k in keys] == [first.verifier().vkey(), second.verifier().vkey()]
    assert keys[0].valid_until == NOW + timedelta(days=1)
    assert keys[1].valid_until is None
    result = check.check_log(db_session, settings, NOW + timedelta(days=2))
    assert result.ok, result.problems
    assert (result.entries, result.checkpoints, result.credentials) == (2, 2, 2)
    # the retired key may never sign again
    with pytest.raises(ConfigurationError):
        night(app, db_session, NOW + timedelta(days=2), ledger_key=first.skey())


def test_a_key_named_for_another_log_is_refused(app: Flask) -> None:
    settings = app.config["WALLET_SETTINGS"]
    other = Signer.generate("elsewhere.example/ledger").skey()
    with pytest.raises(ConfigurationError):
        log.signer_for(settings.with_overrides(ledger_key=other))
    with pytest.raises(ConfigurationError):
        log.signer_for(settings.with_overrides(ledger_key="PRIVATE+KEY+nonsense"))
    with pytest.raises(ConfigurationError):
        log.signer_for(settings.with_overrides(env="production", ledger_key=""))
