"""The transparency log's Merkle tree (RFC 9162 §2.1): tree heads, inclusion and consistency proofs.

Unlike the Blockcerts batch tree (`merkle2019`), leaves and nodes are domain-separated, so a
node can never be passed off as a leaf: `leaf = SHA-256(0x00 || entry)`,
`node = SHA-256(0x01 || left || right)`, and the empty tree's head is `SHA-256("")`. The tree
over n leaves splits at the largest power of two below n (§2.1.1); proofs are generated and
checked with the algorithms of §2.1.3 (inclusion) and §2.1.4 (consistency).

Every function is pure and offline: a third party holding the log's leaf hashes (or entries)
rebuilds every tree head and proof with `LogTree` alone.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from wallet.openbadges.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_PROOF = 64  # a proof for a tree of fewer than 2**63 leaves has at most 63 + 1 hashes


def leaf_hash(entry: bytes) -> bytes:
    """`SHA-256(0x00 || entry)`."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """`SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (which is at least 2)."""
    return 1 << ((size - 1).bit_length() - 1)


class LogTree:
    """An append-only tree over leaf hashes, keeping every complete subtree's hash.

    `levels[k][i]` is the hash of leaves `[i * 2**k, (i + 1) * 2**k)`, so any tree head or
    proof at any earlier size takes O(log² n) hashes at most.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for value in leaf_hashes:
            self.append_hash(value)

    @classmethod
    def from_entries(cls, entries: Iterable[bytes]) -> LogTree:
        return cls(leaf_hash(entry) for entry in entries)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, entry: bytes) -> int:
        """Append an entry; return its index."""
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, value: bytes) -> int:
        """Append a leaf hash; return its index."""
        if len(value) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        index = self.size
        self._levels[0].append(value)
        level = 0
        while len(self._levels[level]) % 2 == 0:
            below = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append([])
            self._levels[level + 1].append(node_hash(below[-2], below[-1]))
            level += 1
        return index

    def leaf(self, index: int) -> bytes:
        return self._levels[0][index]

    def _check_size(self, size: int | None) -> int:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"the log has {self.size} leaves, not {size}")
        return size

    def _range(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end), end > start."""
        width = end - start
        if width & (width - 1) == 0:  # a complete, aligned subtree: stored
            level = width.bit_length() - 1
            return self._levels[level][start >> level]
        middle = start + _split(width)
        return node_hash(self._range(start, middle), self._range(middle, end))

    def root(self, size: int | None = None) -> bytes:
        """The tree head over the first `size` leaves (default: all)."""
        size = self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._range(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1, the leaf's sibling first."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            middle = start + _split(end - start)
            if index < middle:
                proof.append(self._range(middle, end))
                end = middle
            else:
                proof.append(self._range(start, middle))
                start = middle
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1."""
        new_size = self._check_size(new_size)
        if not 0 < old_size <= new_size:
            raise ValueError("a consistency proof runs from a non-empty tree to a larger one")
        proof: list[bytes] = []
        start, end, m, complete = 0, new_size, old_size, True
        while m != end - start:
            middle = _split(end - start)
            if m <= middle:
                proof.append(self._range(start + middle, end))
                end = start + middle
            else:
                proof.append(self._range(start, start + middle))
                start += middle
                m -= middle
                complete = False
        if not complete:
            proof.append(self._range(start, end))
        proof.reverse()
        return proof


def _check_hashes(proof: Sequence[bytes], what: str) -> None:
    if len(proof) > MAX_PROOF:
        raise ProofError(f"log.{what}", "the proof is too long")
    if any(len(value) != HASH_SIZE for value in proof):
        raise ProofError(f"log.{what}", "a proof hash is not 32 bytes")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The tree head an inclusion proof leads to (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError("log.inclusion", f"leaf {index} is outside a tree of {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError("log.inclusion", "the leaf hash is not 32 bytes")
    _check_hashes(proof, "inclusion")
    fn, sn, value = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("log.inclusion", "the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            value = node_hash(value, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("log.inclusion", "the proof is shorter than the tree is deep")
    return value


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise `ProofError` unless `leaf` is leaf `index` of the tree of `size` with head `root`."""
    if not hmac.compare_digest(root_from_inclusion_proof(index, size, leaf, proof), root):
        raise ProofError("log.inclusion", "the proof does not lead to the tree head")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise `ProofError` unless the tree of `new_size` extends the tree of `old_size`
    (RFC 9162 §2.1.4.2): the log has only appended since the older head."""
    if old_size <= 0 or old_size > new_size:
        raise ProofError("log.consistency", "sizes must satisfy 0 < old size <= new size")
    if old_size == new_size:
        if proof:
            raise ProofError("log.consistency", "equal sizes take an empty proof")
        if not hmac.compare_digest(old_root, new_root):
            raise ProofError("log.consistency", "two different heads for the same size")
        return
    if not proof:
        raise ProofError("log.consistency", "the proof is empty")
    _check_hashes(proof, "consistency")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old head is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofError("log.consistency", "the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            first = node_hash(value, first)
            second = node_hash(value, second)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("log.consistency", "the proof is shorter than the tree is deep")
    if not hmac.compare_digest(first, old_root):
        raise ProofError("log.consistency", "the proof does not lead to the old head")
    if not hmac.compare_digest(second, new_root):
        raise ProofError("log.consistency", "the proof does not lead to the new head")
