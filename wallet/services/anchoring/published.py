"""What ``/ledger`` publishes: the log's state, entries, checkpoints and proofs, as JSON.

Everything a stranger needs to check every anchored badge without us: the entries
(rebuild the tree and every proof with any RFC 9162 implementation), the signed
checkpoints, the keys with their validity periods, and the batches each entry anchors.
"""

from __future__ import annotations

import base64
import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import AnchorBatch, LedgerEntry
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.ledger import parse_batch_entry
from wallet.services.anchoring import log
from wallet.services.errors import NotFoundError, ServiceError

MAX_ENTRIES_PER_PAGE = 1000


class BadRangeError(ServiceError):
    """A page or proof asked for sizes the log does not have."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def keys_json(session: Session) -> list[dict[str, Any]]:
    return [
        {"vkey": k.vkey, "valid_from": _iso(k.valid_from), "valid_until": _iso(k.valid_until)}
        for k in log.published_keys(session)
    ]


def summary(session: Session, base_url: str) -> dict[str, Any]:
    head = log.latest_checkpoint(session)
    return {
        "origin": urls.ledger_origin(base_url),
        "size": head.size if head else 0,
        "checkpoint": head.note if head else None,
        "keys": keys_json(session),
        "entries": urls.ledger_entries(base_url),
        "checkpoints": urls.ledger_checkpoints(base_url),
        "hashing": "RFC 9162: leaf SHA-256(0x00 || entry), node SHA-256(0x01 || left || right)",
        "entry_format": "badge-batch/v1\\n<Merkle root, 64 lowercase hex>\\n",
    }


def _entry_json(entry: LedgerEntry, base_url: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "index": entry.index,
        "entry": base64.b64encode(entry.entry).decode("ascii"),
        "created_at": _iso(entry.created_at),
        "proof": urls.ledger_entry_json(base_url, entry.index),
    }
    with contextlib.suppress(OpenBadgesError):  # another kind of entry: no root
        item["merkle_root"] = parse_batch_entry(entry.entry).hex()
    return item


def entries_page(session: Session, base_url: str, start: int, limit: int) -> dict[str, Any]:
    if start < 0 or not 0 < limit <= MAX_ENTRIES_PER_PAGE:
        raise BadRangeError("range")
    rows = log.entries(session, start, limit)
    size = log.size(session)
    page: dict[str, Any] = {
        "origin": urls.ledger_origin(base_url),
        "size": size,
        "start": start,
        "entries": [_entry_json(e, base_url) for e in rows],
    }
    if start + limit < size:
        page["next"] = f"{urls.ledger_entries(base_url)}?start={start + limit}&limit={limit}"
    return page


def checkpoints_json(session: Session, base_url: str) -> dict[str, Any]:
    return {
        "origin": urls.ledger_origin(base_url),
        "checkpoints": [
            {
                "size": c.size,
                "root_hash": c.root_hash,
                "note": c.note,
                "created_at": _iso(c.created_at),
            }
            for c in log.checkpoints(session)
        ],
    }


def entry_json(session: Session, base_url: str, index: int) -> dict[str, Any]:
    proof = log.entry_proof(session, base_url, index)
    if proof is None:
        raise NotFoundError("ledger_entry")
    batch = session.scalars(select(AnchorBatch).where(AnchorBatch.log_index == index)).first()
    document = proof.to_json()
    document["keys"] = keys_json(session)
    if batch is not None:
        document["batch"] = {
            "size": batch.size,
            "merkle_root": batch.merkle_root,
            "anchored_at": _iso(batch.anchored_at),
            "chain": batch.chain or None,
            "transaction": batch.tx_hash or None,
        }
    return document


def consistency_json(session: Session, base_url: str, old: int, new: int) -> dict[str, Any]:
    tree = log.tree(session)
    if not 0 <= old <= new <= tree.size:
        raise BadRangeError("range")
    return {
        "origin": urls.ledger_origin(base_url),
        "from": old,
        "to": new,
        "proof": [h.hex() for h in tree.consistency_proof(old, new)] if old else [],
    }


def site_document(
    session: Session, base_url: str, parts: list[str], chain_key: tuple[str, bytes] | None
) -> dict[str, Any]:
    """The JSON the routes serve at ``parts`` of a URL path, for the site's own verifier
    (``verifying.SiteFetcher``): the issuer's Blockcerts profile, ``/ledger.json``, an
    entry's proof. ``NotFoundError`` otherwise."""
    match parts:
        case ["ob", "issuers", public_id, "blockcerts"]:
            from wallet.services.anchoring.credentials import issuer_profile_for

            return issuer_profile_for(session, base_url, public_id, chain_key)
        case ["ledger.json"]:
            return summary(session, base_url)
        case ["ledger", "entries", index, "proof.json"] if index.isdigit():
            return entry_json(session, base_url, int(index))
    raise NotFoundError("not_a_document")
