"""Signed notes and checkpoints: published vectors, key rotation, forgeries."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from wallet.openbadges import signednote
from wallet.openbadges.errors import ProofError
from wallet.openbadges.signednote import (
    EM_DASH,
    Checkpoint,
    Signer,
    Verifier,
    cosign,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    sign_note,
)
from wallet.openbadges.translog import LogTree

# golang.org/x/mod/sumdb/note, package documentation (the reference implementation's example).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n" + f"{EM_DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
    "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/signed-note, "Verifier keys", Example.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM_DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYj"
    "OBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

ORIGIN = "badges.example.ac.jp/ledger"
T0 = datetime(2026, 4, 1, tzinfo=UTC)
ROTATED = datetime(2026, 10, 1, tzinfo=UTC)


def test_the_reference_key_signs_the_reference_note_byte_for_byte() -> None:
    signer = Signer.from_skey(GO_SKEY)
    assert signer.skey() == GO_SKEY
    assert signer.verifier().vkey() == GO_VKEY
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE
    note, verified = open_note(GO_NOTE, [Verifier.from_vkey(GO_VKEY)])
    assert note.text == GO_TEXT
    assert verified[0].verifier.name == "PeterNeumann"


def test_the_specifications_example_verifies() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    assert verifier.key_id == 0x530D903A
    note, _ = open_note(SPEC_NOTE, [verifier])
    assert note.text == "This is an example message.\n"


def test_a_changed_text_or_signature_is_refused() -> None:
    verifier = Verifier.from_vkey(GO_VKEY)
    with pytest.raises(ProofError, match="forged"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [verifier])
    line = GO_NOTE.splitlines()[-1]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[10] ^= 1
    forged = GO_NOTE.replace(line.split(" ")[2], base64.b64encode(bytes(raw)).decode())
    with pytest.raises(ProofError, match="forged"):
        open_note(forged, [verifier])


def test_unknown_keys_are_ignored_but_one_known_signature_is_needed() -> None:
    stranger = Signer.generate("PeterNeumann", signednote.TYPE_ED25519)  # same name, other ID
    note = GO_NOTE + f"{EM_DASH} PeterNeumann " + sign_note(GO_TEXT, [stranger]).split(" ")[-1]
    _, verified = open_note(note, [Verifier.from_vkey(GO_VKEY)])
    assert len(verified) == 1
    with pytest.raises(ProofError) as raised:
        open_note(GO_NOTE, [stranger.verifier()])
    assert raised.value.code == "note.unknown_key"


@pytest.mark.parametrize(
    "note",
    [
        "no signatures\n",
        "text\n\n",
        "text\n\n- PeterNeumann AAAAAAA=\n",
        "text\n\n— PeterNeumann not*base64\n",
        "text\n\n— Peter+Neumann AAAAAAAA\n",
        "text\x01\n\n— PeterNeumann AAAAAAAA\n",
        "text\n\n— PeterNeumann AAAAAAAA",
        b"text\xff\n\n\xe2\x80\x94 PeterNeumann AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_typed_errors(note: str | bytes) -> None:
    with pytest.raises(ProofError):
        parse_note(note)


def test_vkeys_and_skeys_check_their_key_ids() -> None:
    with pytest.raises(ProofError):
        Verifier.from_vkey(GO_VKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(ProofError):
        Signer.from_skey(GO_SKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(ProofError):
        Verifier.from_vkey("no-plus-signs")


# --- checkpoints --------------------------------------------------------------------------


def checkpoint(size: int = 5) -> Checkpoint:
    tree = LogTree.from_entries(f"root {i}".encode() for i in range(size))
    return Checkpoint(ORIGIN, size, tree.root())


def test_checkpoint_text_is_the_c2sp_layout() -> None:
    text = Checkpoint(ORIGIN, 20852163, bytes(range(32))).text()
    assert text == f"{ORIGIN}\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert Checkpoint.parse(text) == Checkpoint(ORIGIN, 20852163, bytes(range(32)))


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n5\n",
        f"{ORIGIN}\n05\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        f"{ORIGIN}\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        f"{ORIGIN}\n5\nAAECAw==\n",
        f"{ORIGIN}\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(ProofError):
        Checkpoint.parse(text)


def test_a_checkpoint_verifies_with_the_key_valid_when_it_was_signed() -> None:
    old, new = Signer.generate(ORIGIN), Signer.generate(ORIGIN)
    keys = [old.verifier(T0, ROTATED), new.verifier(ROTATED)]
    before = sign_checkpoint(checkpoint(3), old, T0 + timedelta(days=30))
    after = sign_checkpoint(checkpoint(7), new, ROTATED + timedelta(days=1))
    opened = open_checkpoint(before, keys)
    assert opened.key == keys[0]
    assert opened.signed_at == T0 + timedelta(days=30)
    assert opened.checkpoint == checkpoint(3)
    assert open_checkpoint(after, keys).key == keys[1]


def test_a_retired_key_cannot_sign_new_checkpoints() -> None:
    old, new = Signer.generate(ORIGIN), Signer.generate(ORIGIN)
    keys = [old.verifier(T0, ROTATED), new.verifier(ROTATED)]
    late = sign_checkpoint(checkpoint(), old, ROTATED + timedelta(days=1))
    with pytest.raises(ProofError) as raised:
        open_checkpoint(late, keys)
    assert raised.value.code == "note.key_expired"
    early = sign_checkpoint(checkpoint(), new, T0)
    with pytest.raises(ProofError):
        open_checkpoint(early, keys)


def test_a_checkpoint_by_another_key_or_log_is_refused() -> None:
    log, impostor = Signer.generate(ORIGIN), Signer.generate(ORIGIN)
    signed = sign_checkpoint(checkpoint(), impostor, T0)
    with pytest.raises(ProofError):
        open_checkpoint(signed, [log.verifier()])
    other_log = Signer.generate("other.example/log")
    foreign = sign_checkpoint(Checkpoint("other.example/log", 1, bytes(32)), other_log, T0)
    with pytest.raises(ProofError):
        open_checkpoint(foreign, [log.verifier()])


def test_a_changed_tree_head_is_refused() -> None:
    log = Signer.generate(ORIGIN)
    signed = sign_checkpoint(checkpoint(5), log, T0)
    tampered = signed.replace("\n5\n", "\n6\n", 1)
    with pytest.raises(ProofError, match="forged"):
        open_checkpoint(tampered, [log.verifier()])


def test_future_dated_checkpoints_are_refused() -> None:
    log = Signer.generate(ORIGIN)
    signed = sign_checkpoint(checkpoint(), log, T0 + timedelta(hours=1))
    with pytest.raises(ProofError) as raised:
        open_checkpoint(signed, [log.verifier()], now=T0)
    assert raised.value.code == "checkpoint.future"
    assert open_checkpoint(signed, [log.verifier()], now=T0 + timedelta(hours=1))


def test_witness_cosignatures_are_reported_and_checked() -> None:
    log, witness = Signer.generate(ORIGIN), Signer.generate("witness.example/w1")
    signed = cosign(sign_checkpoint(checkpoint(), log, T0), witness, T0 + timedelta(minutes=1))
    opened = open_checkpoint(signed, [log.verifier()], witnesses=[witness.verifier()])
    assert [w.verifier.name for w in opened.witnesses] == ["witness.example/w1"]
    assert opened.witnesses[0].signed_at == T0 + timedelta(minutes=1)
    # unknown to this verifier: ignored
    assert open_checkpoint(signed, [log.verifier()]).witnesses == ()
    # a witness's signature alone never stands in for the log's
    witnessed_only = sign_note(checkpoint().text(), [witness], T0)
    with pytest.raises(ProofError) as raised:
        open_checkpoint(witnessed_only, [log.verifier()], witnesses=[witness.verifier()])
    assert raised.value.code == "checkpoint.unsigned"


def test_signing_needs_the_logs_own_name_and_a_time() -> None:
    with pytest.raises(ValueError, match="origin"):
        sign_checkpoint(checkpoint(), Signer.generate("someone.else/log"), T0)
    with pytest.raises(ValueError, match="time"):
        sign_note("text\n", [Signer.generate(ORIGIN)])


def test_a_signed_but_impossible_time_is_refused() -> None:
    # found by fuzzing: a timestamp below 2**63 but past year 9999 made datetime raise
    log = Signer.generate(ORIGIN)
    text = checkpoint().text().encode()
    timestamp = 2**62
    key = Ed25519PrivateKey.from_private_bytes(log.seed)
    message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + text
    raw = log.verifier().key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big")
    raw += key.sign(message)
    note = f"{text.decode()}\n{EM_DASH} {ORIGIN} {base64.b64encode(raw).decode()}\n"
    with pytest.raises(ProofError, match="impossible time"):
        open_checkpoint(note, [log.verifier()])


GOOD_NOTE = sign_checkpoint(
    Checkpoint(ORIGIN, 5, bytes(32)), Signer(ORIGIN, 4, bytes(range(32))), T0
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(GOOD_NOTE)),
            st.sampled_from(["", "\n", " ", "+", "=", "/", "A", "0", EM_DASH, "\u2028", "é"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_a_mangled_checkpoint_is_a_proof_error_or_still_genuine(
    edits: list[tuple[int, str, bool]],
) -> None:
    text = GOOD_NOTE
    for position, character, replace in edits:
        text = text[:position] + character + text[position + (1 if replace else 0) :]
    key = Signer(ORIGIN, 4, bytes(range(32))).verifier()
    try:
        opened = open_checkpoint(text, [key])
    except ProofError:
        return
    assert opened.checkpoint == Checkpoint(ORIGIN, 5, bytes(32))
