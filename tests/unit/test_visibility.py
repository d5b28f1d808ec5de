"""Students switch their badges public or private; nobody else can."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, UserFactory
from wallet.models import AwardState
from wallet.services.errors import NotFoundError
from wallet.services.sharing import (
    find_shared_award,
    get_owned_award,
    get_shareable_award,
    set_visibility,
)


def test_the_owner_switches_a_badge_private_and_back(db_session: Session) -> None:
    owner = UserFactory()
    award = AwardFactory(issued=True, user=owner, is_public=True)
    assert set_visibility(db_session, owner, award.id, False) is award
    assert award.is_public is False
    with pytest.raises(NotFoundError):
        find_shared_award(db_session, award.share_id, None)
    set_visibility(db_session, owner, award.id, True)
    assert find_shared_award(db_session, award.share_id, None) is award


def test_pending_and_revoked_badges_can_be_switched(db_session: Session) -> None:
    owner = UserFactory()
    pending = AwardFactory(state=AwardState.PENDING, user=owner, is_public=True)
    revoked = AwardFactory(issued=True, user=owner, is_public=True, revoked_at=datetime.now(UTC))
    set_visibility(db_session, owner, pending.id, False)
    set_visibility(db_session, owner, revoked.id, False)
    assert not pending.is_public
    assert not revoked.is_public


def test_someone_elses_badge_is_not_found(db_session: Session) -> None:
    award = AwardFactory(issued=True, user=UserFactory(), is_public=True)
    with pytest.raises(NotFoundError):
        set_visibility(db_session, UserFactory(), award.id, False)
    assert award.is_public is True


@pytest.mark.parametrize("state", [AwardState.OFFERED, AwardState.DECLINED])
def test_badges_not_accepted_have_nothing_to_switch(db_session: Session, state: str) -> None:
    owner = UserFactory()
    award = AwardFactory(state=state, user=owner, recipient_email=owner.email)
    with pytest.raises(NotFoundError):
        set_visibility(db_session, owner, award.id, True)
    with pytest.raises(NotFoundError):
        get_owned_award(db_session, owner, award.id)


def test_unknown_ids_are_not_found(db_session: Session) -> None:
    with pytest.raises(NotFoundError):
        set_visibility(db_session, UserFactory(), 987654321, True)


def test_revoked_badges_have_nothing_to_share(db_session: Session) -> None:
    owner = UserFactory()
    revoked = AwardFactory(issued=True, user=owner, is_public=True, revoked_at=datetime.now(UTC))
    assert get_owned_award(db_session, owner, revoked.id) is revoked
    with pytest.raises(NotFoundError):
        get_shareable_award(db_session, owner, revoked.id)
