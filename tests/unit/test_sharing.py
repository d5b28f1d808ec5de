"""The visibility rule: private badges are not found on public surfaces, except by their owner."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, UserFactory
from wallet.db import utcnow
from wallet.models import AwardState
from wallet.services.errors import NotFoundError
from wallet.services.sharing import find_shared_award


def test_a_public_badge_is_found_by_anyone(db_session: Session) -> None:
    owner = UserFactory()
    award = AwardFactory(issued=True, user=owner, is_public=True)
    assert find_shared_award(db_session, award.share_id, None) is award
    assert find_shared_award(db_session, award.share_id, UserFactory()) is award


def test_a_private_badge_is_found_only_by_its_owner(db_session: Session) -> None:
    owner = UserFactory()
    award = AwardFactory(issued=True, user=owner, is_public=False)
    assert find_shared_award(db_session, award.share_id, owner) is award
    for stranger in (None, UserFactory()):
        with pytest.raises(NotFoundError):
            find_shared_award(db_session, award.share_id, stranger)


@pytest.mark.parametrize("state", [AwardState.OFFERED, AwardState.DECLINED])
def test_a_badge_never_accepted_has_no_public_face(db_session: Session, state: str) -> None:
    owner = UserFactory()
    award = AwardFactory(state=state, user=owner, is_public=True)
    with pytest.raises(NotFoundError):
        find_shared_award(db_session, award.share_id, owner)


def test_pending_and_revoked_badges_stay_visible(db_session: Session) -> None:
    owner = UserFactory()
    pending = AwardFactory(state=AwardState.PENDING, user=owner, is_public=True)
    revoked = AwardFactory(issued=True, user=owner, is_public=True, revoked_at=utcnow())
    assert find_shared_award(db_session, pending.share_id, None) is pending
    assert find_shared_award(db_session, revoked.share_id, None) is revoked


@pytest.mark.parametrize("share_id", ["", "nope", "x" * 17, "\x00", "a\x00b", "ab/cd", "静岡"])
def test_unknown_ids_are_not_found(db_session: Session, share_id: str) -> None:
    with pytest.raises(NotFoundError):
        find_shared_award(db_session, share_id, None)
