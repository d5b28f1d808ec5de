"""Deleting an account: the student's data goes, the issuer's records stay verifiable.

What goes: the account, its name, its addresses, its login sessions, tokens and
mail requests, the delivery log of mail to its addresses, and its imported badges
with the images the student uploaded (a baked image names its recipient). What stays: the
awards the university issued, as unclaimed records (``release_award``): their
hosted assertions hold no name and keep verifying wherever a badge file was
handed out, every share surface (page, images, profile) answers 404, and the
office can send mail 1 again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wallet.models import Award, AwardState, ImportedBadge, MailStatus, OutboxMail, User
from wallet.security import verify_password
from wallet.services import issuing
from wallet.services.accounts import WrongPasswordError
from wallet.services.badges import release_award
from wallet.services.blobs import delete_unused_blobs
from wallet.services.outbox import queue_mail

FAREWELL = "account_deleted"  # templates/mail/account_deleted/


def delete_account(session: Session, user: User, password: str, now: datetime) -> int:
    """Delete ``user`` after checking the password; returns how many badges were released.

    A last mail to the login address confirms it. Declined awards stay declined;
    accepted ones (pending, issued, revoked) become unclaimed records.
    """
    if not verify_password(user.password_hash, password):
        raise WrongPasswordError(field="password")
    awards = session.scalars(
        select(Award).where(Award.user_id == user.id, Award.state != AwardState.DECLINED)
    ).all()
    for award, share_id in zip(awards, issuing.new_share_ids(session, len(awards)), strict=True):
        release_award(award, share_id)
    for award in session.scalars(select(Award).where(Award.user_id == user.id)):
        award.user = None  # declined ones: no longer tied to an account that is gone
    addresses = {user.email, *(address.email for address in user.emails)}
    session.execute(
        delete(OutboxMail)
        .where(OutboxMail.to_email.in_(addresses), OutboxMail.status != MailStatus.QUEUED)
        .execution_options(synchronize_session=False)
    )
    queue_mail(
        session,
        template=FAREWELL,
        to_email=user.email,
        locale=user.locale,
        context={"recipient_name": user.name, "badge_count": len(awards)},
    )
    imports = session.scalars(select(ImportedBadge).where(ImportedBadge.user_id == user.id)).all()
    uploads = {item.source_image_sha256 for item in imports if item.source_image_sha256}
    for item in imports:
        session.delete(item)
    session.delete(user)  # addresses, login sessions, tokens, mail requests go with it
    session.flush()
    delete_unused_blobs(session, uploads)
    return len(awards)
