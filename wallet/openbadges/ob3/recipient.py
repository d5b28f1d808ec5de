"""Is this credential someone's? Its subject `id` (a URL or DID), or an `identifier` whose
`identityHash` is the candidate hashed with the identifier's salt (as Open Badges 2.0 hashes)."""

from __future__ import annotations

from collections.abc import Iterable

from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.hashing import hash_identity, normalise_email
from wallet.openbadges.ob3.documents import Credential


def recipient_matches(credential: Credential, candidates: Iterable[str]) -> bool:
    """Whether any candidate (an email, or a URL/DID) is the credential's subject: compared
    with `credentialSubject.id`, and with each `identifier` (hashed with its salt)."""
    subject = credential.subject
    values = list(candidates)
    if subject.id is not None and subject.id in values:
        return True
    for identifier in subject.identifier:
        for candidate in values:
            identity = (
                normalise_email(candidate)
                if identifier.identity_type == "emailAddress"
                else candidate.strip()
            )
            if not identifier.hashed:
                if identity == identifier.identity_hash:
                    return True
                continue
            algorithm = identifier.identity_hash.partition("$")[0].lower()
            try:
                hashed = hash_identity(identity, identifier.salt, algorithm)
            except OpenBadgesError:
                break
            if hashed.lower() == identifier.identity_hash.lower():
                return True
    return False
