"""Multibase base58btc (`z` + Bitcoin-alphabet base58), as MerkleProof2019 and Multikey use it."""

from __future__ import annotations

from wallet.openbadges.errors import OpenBadgesError

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {character: value for value, character in enumerate(ALPHABET)}
MAX_TEXT = 64 * 1024
# Big-integer arithmetic in chunks of ten base58 digits (58**10 < 2**63): ten times fewer
# passes over a proofValue's kilobyte-sized number than digit by digit.
_CHUNK = 10
_CHUNK_BASE = 58**_CHUNK


def encode_base58btc(data: bytes) -> str:
    """`z` followed by the base58btc text of `data` (each leading zero byte is a `1`)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, chunk = divmod(number, _CHUNK_BASE)
        for _ in range(_CHUNK):
            chunk, remainder = divmod(chunk, 58)
            digits.append(ALPHABET[remainder])
    text = "".join(reversed(digits)).lstrip("1")
    return "z" + "1" * zeros + text


def decode_base58btc(text: str) -> bytes:
    """The bytes of a `z`-prefixed base58btc multibase string."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise OpenBadgesError("not a base58btc multibase string (it must start with z)")
    if len(text) > MAX_TEXT:
        raise OpenBadgesError("the multibase string is too long")
    body = text[1:]
    number = 0
    head = len(body) % _CHUNK
    for start in range(-_CHUNK + head if head else 0, len(body), _CHUNK):
        chunk = 0
        for character in body[max(start, 0) : start + _CHUNK]:
            value = _INDEX.get(character)
            if value is None:
                raise OpenBadgesError(f"not base58btc: {character!r}")
            chunk = chunk * 58 + value
        width = start + _CHUNK - max(start, 0)
        number = number * 58**width + chunk
    zeros = len(body) - len(body.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
