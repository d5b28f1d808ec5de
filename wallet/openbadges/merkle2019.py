"""Blockcerts v3 MerkleProof2019: the batch Merkle tree, the `proofValue` codec, verification.

- **Leaf** (`targetHash`): SHA-256 of the canonical N-Quads of the credential without its
  proof, canonicalised with Blockcerts' fallback vocabulary so that a term no context defines
  is refused rather than silently left out of what is anchored.
- **Tree**: SHA-256 over the leaves in batch order, `node = SHA-256(left || right)`, no domain
  separation; a level with an odd count carries its last node up unchanged (as chainpoint's
  merkletools, which Blockcerts' cert-issuer uses). One leaf is its own root, with an empty path.
- **Path**: from the leaf upwards, `{"left": h}` (fold `SHA-256(h || acc)`) or `{"right": h}`
  (fold `SHA-256(acc || h)`); a carried-up node adds no step.
- **proofValue**: `z` + base58btc(CBOR array of `[key, value]` pairs), keys 0 merkleRoot,
  1 targetHash, 2 anchors, 3 path. Each hash is a CBOR byte string holding a CBOR-encoded
  string: cert-issuer (Python) writes the hex as a text string, the JavaScript encoder as the raw
  bytes; both are read, the first is written (it is the only one that can carry an Ethereum
  `0x` transaction id). An anchor is a list of `[index, value]` pairs: chain id, network id,
  then the colon-separated rest of the anchor URI, each as a wrapped string.

Anchors (`docs/anchoring.md`): `blink:<chain>:<network>:<transaction id>` for Bitcoin, Ethereum
and Polygon as Blockcerts writes them, and for our own transparency log
`blink:tlog:v1:<origin>:<leaf index>`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import cbor2

from wallet.openbadges import jsonld
from wallet.openbadges.errors import CanonicalisationError, OpenBadgesError, ProofError
from wallet.openbadges.multibase import decode_base58btc, encode_base58btc

PROOF_TYPE = "MerkleProof2019"
CRYPTOSUITE = "merkle-proof-2019"  # the same proof as a DataIntegrityProof
MAX_PATH = 64
MAX_ANCHORS = 16

Side = Literal["left", "right"]

_ROOT_KEYS = {"merkleRoot": 0, "targetHash": 1, "anchors": 2, "path": 3}
_SIDES: dict[Side, int] = {"left": 0, "right": 1}
# chain name -> (CBOR id, {network name: CBOR id}), as @blockcerts/lds-merkle-proof-2019 maps
# them; "tlog" (9162, after RFC 9162) is ours: a Blockcerts verifier cannot check it.
CHAINS: dict[str, tuple[int, dict[str, int]]] = {
    "btc": (0, {"mainnet": 1, "testnet": 3}),
    "eth": (1, {"mainnet": 1, "ropsten": 3, "rinkeby": 4, "goerli": 5, "sepolia": 11155111}),
    "mtc": (2, {"mainnet": 137, "mumbai": 80001}),
    "mocknet": (-1, {"mocknet": -1}),
    "tlog": (9162, {"v1": 1}),
}
_CHAIN_NAMES = {chain_id: name for name, (chain_id, _) in CHAINS.items()}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- the tree ---------------------------------------------------------------------------------


class PathStep(NamedTuple):
    """One step of a Merkle path: the sibling hash and on which side it sits.

    (A named tuple, not a dataclass: cheaper to make, and a million-leaf batch makes two
    million of them, one per tree node, in `MerkleTree.paths`.)
    """

    side: Side
    hash: bytes

    def to_json(self) -> dict[str, str]:
        return {self.side: self.hash.hex()}


class MerkleTree:
    """A batch tree over 32-byte leaves; `path(i)` proves leaf `i` against `root`."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise OpenBadgesError("a Merkle tree needs at least one leaf")
        if any(len(leaf) != 32 for leaf in leaves):
            raise OpenBadgesError("every leaf must be a 32-byte SHA-256 digest")
        levels: list[list[bytes]] = [list(leaves)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            above = [sha256(below[i] + below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            levels.append(above)
        self._levels = levels

    @property
    def root(self) -> bytes:
        return self._levels[-1][0]

    def __len__(self) -> int:
        return len(self._levels[0])

    def path(self, index: int) -> tuple[PathStep, ...]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        steps: list[PathStep] = []
        for level in self._levels[:-1]:
            if index & 1:
                steps.append(PathStep("left", level[index - 1]))
            elif index + 1 < len(level):
                steps.append(PathStep("right", level[index + 1]))
            index >>= 1
        return tuple(steps)

    def paths(self) -> list[tuple[PathStep, ...]]:
        """Every leaf's path, in leaf order: `paths()[i] == path(i)`.

        Built from the root down, each node's path being its sibling step followed by its
        parent's path, so a step object is made once per node, not once per leaf below it.
        """
        above: list[tuple[PathStep, ...]] = [()]
        for level in reversed(self._levels[:-1]):
            last = len(level) - 1
            current: list[tuple[PathStep, ...]] = []
            for index in range(len(level)):
                parent = above[index >> 1]
                if index & 1:
                    current.append((PathStep("left", level[index - 1]), *parent))
                elif index < last:
                    current.append((PathStep("right", level[index + 1]), *parent))
                else:
                    current.append(parent)
            above = current
        return above


def fold(target: bytes, path: Sequence[PathStep]) -> bytes:
    """The root a path leads to from `target`."""
    value = target
    for step in path:
        value = sha256(step.hash + value) if step.side == "left" else sha256(value + step.hash)
    return value


# --- proofValue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MerkleProof:
    """The decoded `proofValue`: root, target hash, path and anchor URIs."""

    merkle_root: bytes
    target_hash: bytes
    path: tuple[PathStep, ...]
    anchors: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON Blockcerts' decoders produce."""
        return {
            "path": [step.to_json() for step in self.path],
            "merkleRoot": self.merkle_root.hex(),
            "targetHash": self.target_hash.hex(),
            "anchors": list(self.anchors),
        }

    def encode(self) -> str:
        """The `proofValue`, in cert-issuer's layout (path, root, target, anchors)."""
        layout = [
            [_ROOT_KEYS["path"], [[_SIDES[s.side], _wrap(s.hash.hex())] for s in self.path]],
            [_ROOT_KEYS["merkleRoot"], _wrap(self.merkle_root.hex())],
            [_ROOT_KEYS["targetHash"], _wrap(self.target_hash.hex())],
            [_ROOT_KEYS["anchors"], [_encode_anchor(anchor) for anchor in self.anchors]],
        ]
        return encode_base58btc(cbor2.dumps(layout))

    @classmethod
    def decode(cls, proof_value: str) -> MerkleProof:
        """Read a `proofValue` written by cert-issuer, the JavaScript encoder or `encode`."""
        try:
            raw = decode_base58btc(proof_value)
        except OpenBadgesError as error:
            raise ProofError("proof.malformed", str(error)) from None
        try:
            layout = cbor2.loads(raw)
        except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):
            raise ProofError("proof.malformed", "the proofValue is not CBOR") from None
        fields: dict[int, Any] = {}
        for pair in _pairs(layout, "the proofValue"):
            fields[pair[0]] = pair[1]
        if not {0, 1, 2} <= fields.keys():
            raise ProofError("proof.malformed", "merkleRoot, targetHash and anchors are required")
        path = []
        for side, value in _pairs(fields.get(3, []), "the path")[: MAX_PATH + 1]:
            if side not in (0, 1):
                raise ProofError("proof.malformed", "a path step is neither left nor right")
            path.append(PathStep("left" if side == 0 else "right", _hash(value)))
        if len(path) > MAX_PATH:
            raise ProofError("proof.malformed", "the path is too long")
        anchors = fields[2]
        if not isinstance(anchors, list) or not 1 <= len(anchors) <= MAX_ANCHORS:
            raise ProofError("proof.malformed", "anchors must be a non-empty list")
        return cls(
            merkle_root=_hash(fields[0]),
            target_hash=_hash(fields[1]),
            path=tuple(path),
            anchors=tuple(_decode_anchor(anchor) for anchor in anchors),
        )


def _wrap(text: str) -> bytes:
    return cbor2.dumps(text)


def _unwrap(value: Any) -> str | bytes:
    if not isinstance(value, bytes):
        raise ProofError("proof.malformed", "a value is not a CBOR byte string")
    try:
        inner = cbor2.loads(value)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):
        raise ProofError("proof.malformed", "a value does not hold CBOR") from None
    if not isinstance(inner, str | bytes):
        raise ProofError("proof.malformed", "a value holds neither text nor bytes")
    return inner


def _hash(value: Any) -> bytes:
    inner = _unwrap(value)
    if isinstance(inner, str):
        try:
            inner = bytes.fromhex(inner)
        except ValueError:
            raise ProofError("proof.malformed", "a hash is not hexadecimal") from None
    if len(inner) != 32:
        raise ProofError("proof.malformed", "a hash is not 32 bytes")
    return inner


def _pairs(value: Any, what: str) -> list[tuple[int, Any]]:
    if not isinstance(value, list):
        raise ProofError("proof.malformed", f"{what} is not a CBOR array")
    pairs = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)):
            raise ProofError("proof.malformed", f"{what} holds something other than [key, value]")
        pairs.append((item[0], item[1]))
    return pairs


def _encode_anchor(anchor: str) -> list[list[Any]]:
    parts = anchor.split(":")
    if len(parts) < 4 or parts[0] != "blink" or parts[1] not in CHAINS:
        raise ProofError("anchor.unknown", f"cannot encode anchor {anchor!r}")
    chain, network, rest = parts[1], parts[2], parts[3:]
    chain_id, networks = CHAINS[chain]
    if network not in networks:
        raise ProofError("anchor.unknown", f"unknown {chain} network {network!r}")
    encoded: list[list[Any]] = [[0, chain_id], [1, networks[network]]]
    encoded.extend([index, _wrap(part)] for index, part in enumerate(rest, start=2))
    return encoded


def _decode_anchor(anchor: Any) -> str:
    parts = dict(_pairs(anchor, "an anchor"))
    chain_id = parts.get(0)
    chain = _CHAIN_NAMES.get(chain_id) if isinstance(chain_id, int) else None
    if chain is None:
        raise ProofError("anchor.unknown", "the anchor names an unknown chain")
    names = {value: name for name, value in CHAINS[chain][1].items()}
    segments = ["blink", chain]
    network = parts.get(1)
    if isinstance(network, int) and network in names:
        segments.append(names[network])
    elif isinstance(network, bytes):  # cert-issuer's mock anchors put text here
        segments.append(_text(network))
    else:
        raise ProofError("anchor.unknown", f"unknown {chain} network")
    for index in sorted(key for key in parts if key >= 2):
        segments.append(_text(parts[index]))
    return ":".join(segments)


def _text(value: Any) -> str:
    inner = _unwrap(value)
    return inner if isinstance(inner, str) else inner.hex()


# --- credentials ------------------------------------------------------------------------------


def _is_merkle_proof(proof: Any) -> bool:
    return isinstance(proof, Mapping) and (
        proof.get("type") == PROOF_TYPE
        or (proof.get("type") == "DataIntegrityProof" and proof.get("cryptosuite") == CRYPTOSUITE)
    )


def unsigned(
    credential: Mapping[str, Any], proof: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The credential as it was hashed: without its proof, or, for chained proofs, with only
    the proofs that came before `proof`."""
    document = dict(credential)
    proofs = document.pop("proof", None)
    if isinstance(proofs, list):
        if proof is None or proof not in proofs:
            raise ProofError("proof.missing", "name which of the chained proofs to check")
        earlier = proofs[: proofs.index(proof)]
        if earlier:
            document["proof"] = earlier
    return document


def target_hash(credential: Mapping[str, Any], proof: Mapping[str, Any] | None = None) -> bytes:
    """The leaf of a credential: SHA-256 of its canonical form without the proof."""
    document = jsonld.with_fallback_vocab(unsigned(credential, proof))
    try:
        nquads = jsonld.canonicalize(document)
    except CanonicalisationError as error:
        raise ProofError("credential.canonical", error.reason) from None
    unmapped = jsonld.unmapped_terms(nquads)
    if unmapped:
        raise ProofError("credential.unmapped_terms", ", ".join(unmapped))
    return sha256(nquads.encode("utf-8"))


def proof_object(proof: MerkleProof, *, created: str, verification_method: str) -> dict[str, Any]:
    """The credential's `proof` member for a decoded proof."""
    return {
        "type": PROOF_TYPE,
        "created": created,
        "proofValue": proof.encode(),
        "proofPurpose": "assertionMethod",
        "verificationMethod": verification_method,
    }


def find_proof(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    """The credential's (last) MerkleProof2019 proof."""
    proofs = credential.get("proof")
    candidates = proofs if isinstance(proofs, list) else [proofs]
    for proof in reversed(candidates):
        if isinstance(proof, Mapping) and _is_merkle_proof(proof):
            return proof
    raise ProofError("proof.missing", "the credential has no MerkleProof2019 proof")


def verify_credential(credential: Mapping[str, Any]) -> MerkleProof:
    """Recompute the leaf, compare it with `targetHash`, fold the path, compare the root.

    Returns the decoded proof, whose `merkle_root` the caller then looks for in the anchors
    (a chain transaction or our log). Raises `ProofError` naming the failed check.
    """
    proof = find_proof(credential)
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str):
        raise ProofError("proof.malformed", "the proof has no proofValue")
    decoded = MerkleProof.decode(proof_value)
    if not hmac.compare_digest(target_hash(credential, proof), decoded.target_hash):
        raise ProofError("credential.hash_mismatch", "the credential is not the one anchored")
    if not hmac.compare_digest(fold(decoded.target_hash, decoded.path), decoded.merkle_root):
        raise ProofError("proof.root_mismatch", "the path does not lead to the Merkle root")
    return decoded


def batch_proofs(leaves: Sequence[bytes], anchors: Sequence[str]) -> list[MerkleProof]:
    """One proof per leaf, in batch order, once the batch root is anchored."""
    tree = MerkleTree(leaves)
    anchored = tuple(anchors)
    return [
        MerkleProof(tree.root, leaf, path, anchored)
        for leaf, path in zip(leaves, tree.paths(), strict=True)
    ]


def tlog_anchor(origin: str, index: int) -> str:
    """Our log's anchor URI for the entry at `index` (a `:` in the origin is written `%3A`)."""
    if index < 0:
        raise ValueError("a log index is not negative")
    return f"blink:tlog:v1:{origin.replace('%', '%25').replace(':', '%3A')}:{index}"


def parse_tlog_anchor(anchor: str) -> tuple[str, int]:
    """The (origin, leaf index) a `blink:tlog:v1:` anchor names."""
    prefix = "blink:tlog:v1:"
    origin, _, index = anchor.removeprefix(prefix).rpartition(":")
    if not anchor.startswith(prefix) or not origin or not index.isdigit() or ":" in origin:
        raise ProofError("anchor.unknown", f"not a transparency log anchor: {anchor!r}")
    return origin.replace("%3A", ":").replace("%25", "%"), int(index)
