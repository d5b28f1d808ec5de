"""Signed notes (C2SP signed-note) and log checkpoints (C2SP tlog-checkpoint) with Ed25519 keys.

A checkpoint is the note text `origin\\nsize\\nbase64(root)\\n`; signature lines follow a blank
line: `— <key name> base64(key ID || signature)`. The key ID is the first four bytes of
`SHA-256(name || "\\n" || type || public key)`.

Two Ed25519 signature types are supported: `0x01`, the plain note signature (what Go's
`sumdb/note` writes), and `0x04`, the timestamped signature of C2SP tlog-cosignature, which signs
`cosignature/v1\\ntime <t>\\n` + the note text. Our log signs its checkpoints with `0x04` so that
each checkpoint carries, under the signature, the time it was signed: key rotation then works by
validity periods, and a checkpoint verifies only with a key that was valid when it was signed.
Witnesses cosign with the same format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from wallet.openbadges.errors import ProofError

TYPE_ED25519 = 0x01
TYPE_COSIGNATURE = 0x04
KEY_TYPES = (TYPE_ED25519, TYPE_COSIGNATURE)
EM_DASH = "\u2014"
MAX_NOTE = 64 * 1024
MAX_SIGNATURES = 100
CLOCK_SKEW = timedelta(minutes=5)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofError("note.malformed", f"{what} is not base64") from None
    if _b64encode(data) != text:
        raise ProofError("note.malformed", f"{what} is not canonical base64")
    return data


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name) or _CONTROL.search(name):
        raise ProofError("note.malformed", f"invalid key name {name!r}")


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """`SHA-256(name || 0x0A || type || public key)[:4]` as a big-endian integer."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def _timestamp(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp())


def _cosigned_message(text: bytes, timestamp: int) -> bytes:
    return b"cosignature/v1\ntime " + str(timestamp).encode("ascii") + b"\n" + text


@dataclass(frozen=True)
class Verifier:
    """A public key to check signatures with, valid from `valid_from` until `valid_until`."""

    name: str
    key_type: int
    public_key: bytes
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.key_type not in KEY_TYPES or len(self.public_key) != 32:
            raise ProofError("key.malformed", "only 32-byte Ed25519 keys of type 1 or 4")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.key_type, self.public_key)

    def vkey(self) -> str:
        """`<name>+<hex key ID>+base64(type || public key)`."""
        material = _b64encode(bytes([self.key_type]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{material}"

    @classmethod
    def from_vkey(
        cls,
        vkey: str,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> Verifier:
        name, plus, rest = vkey.partition("+")
        id_hex, plus2, material = rest.partition("+")
        if not (plus and plus2 and re.fullmatch(r"[0-9a-f]{8}", id_hex)):
            raise ProofError("key.malformed", "a vkey is name+hexid+base64")
        raw = _b64decode(material, "the vkey")
        if len(raw) != 33:
            raise ProofError("key.malformed", "an Ed25519 vkey holds 33 bytes")
        verifier = cls(name, raw[0], raw[1:], valid_from, valid_until)
        if verifier.key_id != int(id_hex, 16):
            raise ProofError("key.malformed", "the vkey's key ID does not match its key")
        return verifier

    def is_valid_at(self, moment: datetime) -> bool:
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until

    def check(self, text: bytes, signature: bytes) -> datetime | None:
        """Check a signature (without its key ID); return the signed time for type 4."""
        signed_at = None
        message, timestamp = text, 0
        if self.key_type == TYPE_COSIGNATURE:
            if len(signature) != 8 + 64:
                raise ProofError("note.signature", f"{self.name}: not a timestamped signature")
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp >= 1 << 63:
                raise ProofError("note.signature", f"{self.name}: the timestamp is out of range")
            signature = signature[8:]
            message = _cosigned_message(text, timestamp)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            raise ProofError("note.signature", f"{self.name}: the signature is forged") from None
        if self.key_type == TYPE_COSIGNATURE:
            try:
                signed_at = datetime.fromtimestamp(timestamp, UTC)
            except (OverflowError, OSError, ValueError):
                raise ProofError("note.signature", f"{self.name}: an impossible time") from None
        return signed_at


@dataclass(frozen=True)
class Signer:
    """A private key that signs notes under `name`."""

    name: str
    key_type: int
    seed: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.key_type not in KEY_TYPES or len(self.seed) != 32:
            raise ProofError("key.malformed", "only 32-byte Ed25519 seeds of type 1 or 4")

    @classmethod
    def generate(cls, name: str, key_type: int = TYPE_COSIGNATURE) -> Signer:
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(name, key_type, seed)

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Read `PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)`."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise ProofError("key.malformed", "a signer key is PRIVATE+KEY+name+hexid+base64")
        raw = _b64decode(parts[4], "the signer key")
        if len(raw) != 33:
            raise ProofError("key.malformed", "an Ed25519 signer key holds 33 bytes")
        signer = cls(parts[2], raw[0], raw[1:])
        if parts[3] != f"{signer.verifier().key_id:08x}":
            raise ProofError("key.malformed", "the signer key's ID does not match its key")
        return signer

    def skey(self) -> str:
        material = _b64encode(bytes([self.key_type]) + self.seed)
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id:08x}+{material}"

    def verifier(
        self, valid_from: datetime | None = None, valid_until: datetime | None = None
    ) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return Verifier(self.name, self.key_type, public, valid_from, valid_until)

    def sign(self, text: bytes, at: datetime | None = None) -> bytes:
        """Key ID || signature (|| preceded by the timestamp for type 4)."""
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        prefix = self.verifier().key_id.to_bytes(4, "big")
        if self.key_type == TYPE_ED25519:
            return prefix + key.sign(text)
        if at is None:
            raise ValueError("a timestamped signature needs the signing time")
        timestamp = _timestamp(at)
        return prefix + timestamp.to_bytes(8, "big") + key.sign(_cosigned_message(text, timestamp))


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    signature: bytes  # without the key ID


@dataclass(frozen=True)
class Verified:
    verifier: Verifier
    signed_at: datetime | None


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ProofError("note.malformed", "the note text must end with a newline")
    if _CONTROL.search(text):
        raise ProofError("note.malformed", "the note holds control characters")


def sign_note(text: str, signers: Sequence[Signer], at: datetime | None = None) -> str:
    """The signed note: text, a blank line, one signature line per signer."""
    _check_text(text)
    lines = [
        f"{EM_DASH} {signer.name} {_b64encode(signer.sign(text.encode('utf-8'), at))}\n"
        for signer in signers
    ]
    return text + "\n" + "".join(lines)


def parse_note(note: str | bytes) -> Note:
    """Split a signed note into its text and signature lines, checking only the syntax."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise ProofError("note.malformed", "the note is not UTF-8") from None
    if len(note) > MAX_NOTE:
        raise ProofError("note.malformed", "the note is too long")
    _check_text(note)
    split = note.rfind("\n\n")
    if split == -1:
        raise ProofError("note.malformed", "no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    signatures = []
    for line in block.splitlines():
        prefix, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if prefix != EM_DASH or not name or not encoded or " " in encoded:
            raise ProofError("note.malformed", "a signature line is not '— name signature'")
        _check_name(name)
        raw = _b64decode(encoded, "a signature")
        if len(raw) < 5:
            raise ProofError("note.malformed", "a signature is too short")
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    if not signatures:
        raise ProofError("note.malformed", "the note has no signature")
    if len(signatures) > MAX_SIGNATURES:
        raise ProofError("note.malformed", "the note has too many signatures")
    return Note(text, tuple(signatures))


def open_note(
    note: str | bytes, verifiers: Sequence[Verifier], *, at: datetime | None = None
) -> tuple[Note, list[Verified]]:
    """Verify a note against known keys, as the signed-note spec requires.

    Signatures by unknown keys (name and ID) are ignored; one by a known key that fails, or
    that was made outside the key's validity period, rejects the whole note; at least one must
    verify. The time a signature was made is its own timestamp (type 4) or `at` (type 1).
    """
    parsed = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    text = parsed.text.encode("utf-8")
    verified = []
    for signature in parsed.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        signed_at = verifier.check(text, signature.signature) or at
        has_period = verifier.valid_from is not None or verifier.valid_until is not None
        if has_period and (signed_at is None or not verifier.is_valid_at(signed_at)):
            raise ProofError(
                "note.key_expired", f"{verifier.name}: signed outside the key's validity period"
            )
        verified.append(Verified(verifier, signed_at))
    if not verified:
        raise ProofError("note.unknown_key", "no signature by a known key")
    return parsed, verified


# --- checkpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin line, tree size, root hash (and opaque extension lines)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        _check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise ProofError("checkpoint.malformed", "a checkpoint is at least three lines")
        origin, size, root = lines[:3]
        if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size):
            raise ProofError("checkpoint.malformed", "the tree size is not a decimal number")
        root_hash = _b64decode(root, "the root hash")
        if len(root_hash) != 32:
            raise ProofError("checkpoint.malformed", "the root hash is not 32 bytes")
        return cls(origin, int(size), root_hash, tuple(lines[3:]))


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signed_at: datetime | None
    key: Verifier
    witnesses: tuple[Verified, ...]


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer, at: datetime) -> str:
    """The checkpoint as a signed note, signed by the log's key at `at`."""
    if signer.name != checkpoint.origin:
        raise ValueError("the log's key is named after its origin")
    return sign_note(checkpoint.text(), [signer], at)


def cosign(note: str, witness: Signer, at: datetime) -> str:
    """Add a witness's timestamped cosignature line to a signed checkpoint."""
    parsed = parse_note(note)
    line = f"{EM_DASH} {witness.name} {_b64encode(witness.sign(parsed.text.encode(), at))}\n"
    return note + line


def open_checkpoint(
    note: str | bytes,
    log_keys: Sequence[Verifier],
    *,
    witnesses: Sequence[Verifier] = (),
    now: datetime | None = None,
) -> SignedCheckpoint:
    """Verify a checkpoint signed by one of the log's keys (the one valid when it was signed).

    Only keys named after the checkpoint's origin count as the log's; witness cosignatures
    that verify are returned. A signature dated in the future (past `now` plus five minutes'
    skew) is refused.
    """
    parsed = parse_note(note)
    checkpoint = Checkpoint.parse(parsed.text)
    keys = [key for key in log_keys if key.name == checkpoint.origin]
    _, verified = open_note(note, [*keys, *witnesses])
    log_signatures = [v for v in verified if v.verifier in keys]
    if not log_signatures:
        raise ProofError("checkpoint.unsigned", "no signature by the log's key")
    for signature in verified:
        if now is not None and signature.signed_at and signature.signed_at > now + CLOCK_SKEW:
            raise ProofError("checkpoint.future", f"{signature.verifier.name}: signed in future")
    first = log_signatures[0]
    cosigners = tuple(v for v in verified if v.verifier not in keys)
    return SignedCheckpoint(checkpoint, first.signed_at, first.verifier, cosigners)
