"""Revocation: W3C Bitstring Status Lists (read and written) and 1EdTech revocation lists (read).

A `BitstringStatusListEntry` points at bit `statusListIndex` of a status list credential
whose `credentialSubject.encodedList` is `u` + base64url(gzip(bitstring)); bit i is byte
i // 8, bit 7 - i % 8 (the first bit is the most significant). A set bit with purpose
`revocation` means revoked. The list credential is fetched by the caller and must itself be
verified (it is a credential of the same issuer); `verify` does both.

A `1EdTechRevocationList` entry names a document listing revoked credential ids (with
reasons).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wallet.openbadges import _fields as f
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.ob3.documents import VC_V2, format_datetime

BITSTRING_ENTRY = "BitstringStatusListEntry"
LEGACY_ENTRY = "StatusList2021Entry"  # the list format Bitstring Status List grew out of
REVOCATION_LIST = "1EdTechRevocationList"
MIN_BITS = 131_072  # 16 KB: the specification's minimum, so one bit does not single anyone out
MAX_LIST_BYTES = 16 * 1024 * 1024


class StatusError(OpenBadgesError):
    """A status entry or list is malformed, or they do not belong together."""


@dataclass(frozen=True)
class Status:
    """What a status entry says: `set` is the bit (or listing); `reason` the issuer's words."""

    purpose: str
    set: bool
    reason: str = ""


# Bitstrings ---------------------------------------------------------------------------------


def new_bitstring(bits: int = MIN_BITS) -> bytearray:
    """All bits clear, at least the specification's 16 KB."""
    return bytearray((max(bits, MIN_BITS) + 7) // 8)


def encode(bitstring: bytes | bytearray) -> str:
    """`encodedList`: multibase `u` + base64url (no padding) of the gzipped bitstring."""
    packed = gzip.compress(bytes(bitstring), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded_list: str) -> bytes:
    """The bitstring of an `encodedList` (`u`-prefixed, or bare base64url as StatusList2021)."""
    if not isinstance(encoded_list, str) or not encoded_list:
        raise StatusError("encodedList must be a non-empty string")
    text = encoded_list[1:] if encoded_list.startswith("u") else encoded_list
    try:
        padded = text + "=" * (-len(text) % 4)
        packed = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise StatusError("encodedList is not base64url") from None
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        bitstring = inflater.decompress(packed, MAX_LIST_BYTES)
    except zlib.error:
        raise StatusError("encodedList is not gzip data") from None
    if inflater.unconsumed_tail:
        raise StatusError(f"the status list inflates past {MAX_LIST_BYTES} bytes")
    if not inflater.eof or not bitstring:
        raise StatusError("encodedList is not a complete gzip stream")
    return bitstring


def bit(bitstring: bytes | bytearray, index: int) -> bool:
    if not 0 <= index < len(bitstring) * 8:
        raise StatusError(f"statusListIndex {index} is outside the list")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def set_bit(encoded_list: str, index: int, value: bool = True) -> str:
    """The `encodedList` with bit `index` set (revoke) or cleared (reinstate)."""
    bitstring = bytearray(decode(encoded_list))
    bit(bitstring, index)  # range check
    if value:
        bitstring[index // 8] |= 0x80 >> (index % 8)
    else:
        bitstring[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF
    return encode(bitstring)


def entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, str]:
    """The `credentialStatus` of the credential given bit `index` of the list at `list_url`."""
    return {
        "id": f"{list_url}#{index}",
        "type": BITSTRING_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def list_credential(
    list_url: str,
    issuer: str,
    encoded_list: str,
    valid_from: datetime,
    purpose: str = "revocation",
) -> dict[str, Any]:
    """An unsigned BitstringStatusListCredential (sign it with `integrity.sign`)."""
    return {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from, "validFrom"),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }


# Reading an entry against a fetched list ------------------------------------------------------


def entry_url(status_entry: Mapping[str, Any]) -> str:
    """Where the list an entry refers to lives (what the caller fetches)."""
    kind = status_entry.get("type")
    key = "id" if kind == REVOCATION_LIST else "statusListCredential"
    value = status_entry.get(key)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise StatusError(f"credentialStatus.{key} must be an http(s) URL")
    return value


def check_bitstring(status_entry: Mapping[str, Any], list_doc: Any) -> Status:
    """The bit a `BitstringStatusListEntry` (or `StatusList2021Entry`) points at."""
    purpose = status_entry.get("statusPurpose")
    raw_index = status_entry.get("statusListIndex")
    if not isinstance(purpose, str) or not purpose:
        raise StatusError("credentialStatus.statusPurpose is required")
    if not isinstance(raw_index, str) or not raw_index.isdigit():
        raise StatusError("credentialStatus.statusListIndex must be a number in a string")
    if not isinstance(list_doc, Mapping) or list_doc.get("id") != entry_url(status_entry):
        raise StatusError("the status list is not the one the credential names")
    subject = list_doc.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise StatusError("the status list has no credentialSubject")
    purposes = f.object_list(subject, "statusPurpose")
    if purpose not in purposes:
        raise StatusError(f"the status list is not for {purpose}")
    return Status(purpose, bit(decode(subject.get("encodedList", "")), int(raw_index)))


def check_revocation_list(credential_id: str, list_doc: Any) -> Status:
    """Whether a `1EdTechRevocationList` document lists `credential_id`."""
    if not isinstance(list_doc, Mapping):
        raise StatusError("the revocation list is not a JSON object")
    for item in f.object_list(list_doc, "revokedCredentials"):
        if isinstance(item, Mapping) and item.get("id") == credential_id:
            reason = item.get("revocationReason")
            return Status("revocation", True, reason if isinstance(reason, str) else "")
    return Status("revocation", False)


def kind(status_entry: Any) -> str:
    """`bitstring`, `1edtech`, or `unknown` for an entry of another kind."""
    if not isinstance(status_entry, Mapping):
        return "unknown"
    if status_entry.get("type") in (BITSTRING_ENTRY, LEGACY_ENTRY):
        return "bitstring"
    if status_entry.get("type") == REVOCATION_LIST:
        return "1edtech"
    return "unknown"
