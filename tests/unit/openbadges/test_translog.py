"""The log's Merkle tree: RFC 9162 hashing, Certificate Transparency vectors, property tests."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallet.openbadges import translog
from wallet.openbadges.errors import ProofError
from wallet.openbadges.translog import LogTree, verify_consistency, verify_inclusion

VECTORS = Path(__file__).parent / "vectors" / "tlog"

# transparency-dev/merkle testonly/constants.go: the leaf inputs of the RFC 6962 reference
# tree and its root at every size from 0 to 8.
LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
               "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def reference_tree() -> LogTree:
    return LogTree.from_entries(bytes.fromhex(leaf) for leaf in LEAF_INPUTS)


def probes(kind: str) -> list[dict[str, Any]]:
    document = json.loads((VECTORS / f"{kind}.json").read_text(encoding="utf-8"))
    return document["probes"]  # type: ignore[no-any-return]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def b64s(values: list[str] | None) -> list[bytes]:
    return [b64(value) for value in values or []]


def test_hashes_are_domain_separated() -> None:
    assert translog.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert translog.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert translog.EMPTY_ROOT.hex() == ROOTS[0]


def test_reference_tree_heads_at_every_size() -> None:
    tree = reference_tree()
    assert [tree.root(size).hex() for size in range(9)] == ROOTS


@pytest.mark.parametrize("probe", probes("inclusion"), ids=lambda p: p["file"])
def test_certificate_transparency_inclusion_probes(probe: dict[str, Any]) -> None:
    arguments = (probe["leafIdx"], probe["treeSize"], b64(probe["leafHash"]),
                 b64s(probe["proof"]), b64(probe["root"]))  # fmt: skip
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*arguments)
    else:
        verify_inclusion(*arguments)


@pytest.mark.parametrize("probe", probes("consistency"), ids=lambda p: p["file"])
def test_certificate_transparency_consistency_probes(probe: dict[str, Any]) -> None:
    arguments = (probe["size1"], probe["size2"], b64(probe["root1"]), b64(probe["root2"]),
                 b64s(probe["proof"]))  # fmt: skip
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*arguments)
    else:
        verify_consistency(*arguments)


def test_we_generate_the_published_proofs() -> None:
    tree = reference_tree()
    happy = [p for p in probes("inclusion") if p["file"].endswith("/happy-path.json")]
    assert len(happy) == 5
    for probe in happy:
        assert tree.leaf(probe["leafIdx"]) == b64(probe["leafHash"])
        assert tree.inclusion_proof(probe["leafIdx"], probe["treeSize"]) == b64s(probe["proof"])
    happy = [p for p in probes("consistency") if p["file"].endswith("/happy-path.json")]
    assert len(happy) == 5
    for probe in happy:
        assert tree.root(probe["size1"]) == b64(probe["root1"])
        assert tree.consistency_proof(probe["size1"], probe["size2"]) == b64s(probe["proof"])


def test_proofs_need_sizes_inside_the_tree() -> None:
    tree = reference_tree()
    with pytest.raises(ValueError, match="not in a tree"):
        tree.inclusion_proof(8, 8)
    with pytest.raises(ValueError, match="leaves"):
        tree.root(9)
    with pytest.raises(ValueError, match="non-empty"):
        tree.consistency_proof(0, 3)


def entries(count: int) -> list[bytes]:
    return [f"batch root {i}".encode() for i in range(count)]


sizes = st.integers(min_value=1, max_value=130)


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_every_inclusion_proof_verifies_and_any_tampering_fails(
    size: int, data: st.DataObject
) -> None:
    tree = LogTree.from_entries(entries(size))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tree.inclusion_proof(index)
    root, leaf = tree.root(), tree.leaf(index)
    verify_inclusion(index, size, leaf, proof, root)
    # (A proof for a tree of n also folds for some larger sizes whose extra leaves would hang
    # off the same nodes: the signed checkpoint binds size and root together, not the proof.)
    tampered = [
        (index, size, translog.leaf_hash(b"forged"), proof, root),
        (index, size, leaf, proof, translog.leaf_hash(b"forged root")),
        (index + 1, size, leaf, proof, root),
        (index, size, leaf, [*proof, root], root),
    ]
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        flipped = bytearray(proof[position])
        flipped[data.draw(st.integers(min_value=0, max_value=31))] ^= 1
        tampered.append((index, size, leaf, [*proof[:position], bytes(flipped),
                                             *proof[position + 1 :]], root))  # fmt: skip
        tampered.append((index, size, leaf, proof[:-1], root))
    for arguments in tampered:
        with pytest.raises(ProofError):
            verify_inclusion(*arguments)


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_every_consistency_proof_verifies_and_any_tampering_fails(
    new_size: int, data: st.DataObject
) -> None:
    tree = LogTree.from_entries(entries(new_size))
    old_size = data.draw(st.integers(min_value=1, max_value=new_size))
    proof = tree.consistency_proof(old_size)
    old_root, new_root = tree.root(old_size), tree.root()
    verify_consistency(old_size, new_size, old_root, new_root, proof)
    forged = translog.leaf_hash(b"forged")
    tampered = [
        (old_size, new_size, forged, new_root, proof),
        (old_size, new_size, old_root, forged, proof),
        (old_size, new_size, old_root, new_root, [*proof, forged]),
    ]
    if proof:
        tampered.append((old_size, new_size, old_root, new_root, [forged, *proof[1:]]))
        tampered.append((old_size, new_size, old_root, new_root, proof[:-1]))
    for arguments in tampered:
        with pytest.raises(ProofError):
            verify_consistency(*arguments)


@settings(deadline=None)  # timing varies on a shared machine
@given(st.integers(min_value=2, max_value=60), st.data())
def test_a_rewritten_history_is_inconsistent(size: int, data: st.DataObject) -> None:
    honest = entries(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 2))
    forked = [*honest]
    forked[index] = b"rewritten"
    old = LogTree.from_entries(honest[: index + 1])
    new = LogTree.from_entries(forked)
    proof = new.consistency_proof(index + 1)
    with pytest.raises(ProofError):
        verify_consistency(index + 1, size, old.root(), new.root(), proof)


def test_appending_one_by_one_equals_building_at_once() -> None:
    built = LogTree.from_entries(entries(37))
    grown = LogTree()
    for number, entry in enumerate(entries(37)):
        assert grown.append(entry) == number
        assert grown.root() == built.root(number + 1)
