"""The Ethereum anchor against a real chain (Hardhat's node on loopback): a root goes into one
transaction, is read back, and survives resends, crashes and a node that is down."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.anchoring.conftest import STRANGER_KEY, UNFUNDED_KEY, Chain
from tests.smtp import free_port
from wallet.config import Settings
from wallet.openbadges import merkle2019
from wallet.openbadges.errors import ProofError
from wallet.openbadges.ethanchor import BURN_ADDRESS, verify_eth_anchor
from wallet.services.anchoring.ethereum import (
    AnchorRejected,
    AnchorUnavailable,
    EthereumAnchor,
    TransactionSuperseded,
    intrinsic_gas,
)


def root_of(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def test_a_root_is_anchored_in_one_transaction_and_read_back(chain: Chain) -> None:
    anchor = chain.anchor()
    root = root_of("batch of the night")
    before = chain.nonce(anchor.address)

    prepared = anchor.prepare(root)
    # signed, not sent: the chain knows nothing of it yet
    assert prepared.sender == anchor.address
    assert prepared.nonce == before
    assert anchor.confirmation(prepared.tx_hash) is None
    assert anchor.transaction(prepared.tx_hash) is None

    anchor.send(prepared)
    chain.wait_mined(prepared.tx_hash)
    confirmation = anchor.confirmation(prepared.tx_hash)
    assert confirmation is not None
    assert confirmation.mined_at.tzinfo is UTC
    assert abs(confirmation.mined_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert confirmation.confirmations >= 1

    assert anchor.transaction_root(prepared.tx_hash) == root
    raw = chain.rpc("eth_getTransactionByHash", prepared.tx_hash)
    assert raw["input"] == "0x" + root.hex()  # the data is the root, nothing else
    assert raw["to"].lower() == BURN_ADDRESS
    assert int(raw["value"], 16) == 0
    receipt = chain.rpc("eth_getTransactionReceipt", prepared.tx_hash)
    assert int(receipt["gasUsed"], 16) == intrinsic_gas(root)
    assert int(receipt["blockNumber"], 16) == confirmation.block_number
    assert anchor.anchor_uri(prepared.tx_hash) == f"blink:eth:sepolia:{prepared.tx_hash}"
    assert anchor.parse_anchor_uri(anchor.anchor_uri(prepared.tx_hash)).tx_hash == (
        prepared.tx_hash
    )
    assert chain.nonce(anchor.address) == before + 1


def test_sending_again_pending_or_mined_or_after_a_crash_makes_no_second_transaction(
    chain: Chain,
) -> None:
    anchor = chain.anchor()
    before = chain.nonce(anchor.address)
    with chain.mining_stopped():
        prepared = anchor.prepare(root_of("sent twice"))
        anchor.send(prepared)
        anchor.send(prepared)  # the node already has it in its pool
        pending = anchor.transaction(prepared.tx_hash)
        assert pending is not None
        assert pending.block_number is None
        assert anchor.confirmation(prepared.tx_hash) is None
        chain.mine()
    assert anchor.confirmation(prepared.tx_hash) is not None

    # the job was killed after sending and before recording it: a new process sends the
    # stored transaction again, and that is all
    restarted = chain.anchor()
    restarted.send(prepared)
    restarted.send(prepared)
    assert chain.nonce(anchor.address) == before + 1
    mined = restarted.transaction(prepared.tx_hash)
    assert mined is not None
    assert mined.data == root_of("sent twice")


def test_a_stored_transaction_whose_nonce_was_used_elsewhere_must_be_prepared_again(
    chain: Chain,
) -> None:
    anchor = chain.anchor(STRANGER_KEY)
    stored = anchor.prepare(root_of("prepared, then the process died"))
    # meanwhile the same key sent something else with that nonce
    other = anchor.prepare(root_of("something else"))
    assert other.nonce == stored.nonce
    anchor.send(other)
    chain.wait_mined(other.tx_hash)

    with pytest.raises(TransactionSuperseded):
        anchor.send(stored)
    assert anchor.transaction(stored.tx_hash) is None
    again = anchor.prepare(root_of("prepared, then the process died"))
    anchor.send(again)
    chain.wait_mined(again.tx_hash)
    assert anchor.transaction_root(again.tx_hash) == root_of("prepared, then the process died")


def test_a_transaction_stuck_on_fees_too_low_is_replaced_with_higher_fees(chain: Chain) -> None:
    anchor = chain.anchor()
    root = root_of("a night of high fees")
    before = chain.nonce(anchor.address)
    with chain.mining_stopped():
        stuck = anchor.prepare(root)
        anchor.send(stuck)
        offered = chain.rpc("eth_getTransactionByHash", stuck.tx_hash)
        # the base fee jumps above what the transaction offered: blocks go on without it
        chain.rpc("hardhat_setNextBlockBaseFeePerGas", hex(4 * int(offered["maxFeePerGas"], 16)))
        chain.mine()
        assert anchor.confirmation(stuck.tx_hash) is None

        replacement = anchor.reprice(root, stuck)
        assert replacement.nonce == stuck.nonce
        assert replacement.tx_hash != stuck.tx_hash
        assert anchor.transaction(replacement.tx_hash) is None  # signed, not sent
        anchor.send(replacement)
        raised = chain.rpc("eth_getTransactionByHash", replacement.tx_hash)
        for fee in ("maxFeePerGas", "maxPriorityFeePerGas"):
            assert int(raised[fee], 16) * 1000 >= int(offered[fee], 16) * 1125
        chain.mine()
    chain.wait_mined(replacement.tx_hash)
    assert anchor.transaction_root(replacement.tx_hash) == root
    assert anchor.transaction(stuck.tx_hash) is None  # the pool dropped what it replaced
    assert chain.nonce(anchor.address) == before + 1


def test_a_key_without_funds_is_refused_and_nothing_is_sent(chain: Chain) -> None:
    anchor = chain.anchor(UNFUNDED_KEY)
    before = chain.rpc("eth_blockNumber")
    with pytest.raises(AnchorRejected, match=r"(?i)fund"):
        anchor.send(anchor.prepare(root_of("no money")))
    assert chain.rpc("eth_blockNumber") == before


def test_a_node_of_another_chain_is_refused(chain: Chain) -> None:
    mainnet = chain.anchor(chain_id=1, network="mainnet")
    with pytest.raises(AnchorRejected, match="serves chain 11155111, not 1"):
        mainnet.prepare(root_of("wrong chain"))


class _Node(BaseHTTPRequestHandler):
    """A JSON-RPC endpoint that answers every request with the server's canned reply."""

    server: _FakeNode

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.delay:
            time.sleep(self.server.delay)
        status, body = self.server.reply
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting, as it should

    def log_message(self, format: str, *args: object) -> None:
        pass


class _FakeNode(ThreadingHTTPServer):
    daemon_threads = True
    reply: tuple[int, bytes] = (200, b"{}")
    delay: float = 0


@pytest.fixture
def fake_node() -> Iterator[_FakeNode]:
    server = _FakeNode(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _unreachable(url: str) -> EthereumAnchor:
    key = "0x" + "11" * 32
    return EthereumAnchor(
        rpc_url=url, chain_id=11155111, private_key=key, network="sepolia", timeout=0.5
    )


def test_a_node_that_is_down_says_try_again_later(chain: Chain, fake_node: _FakeNode) -> None:
    prepared = chain.anchor().prepare(root_of("prepared while the node was up"))
    tx = "0x" + "ab" * 32
    down = _unreachable(f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    proxy = _unreachable(f"http://127.0.0.1:{fake_node.server_address[1]}/")
    started = time.monotonic()
    calls = [
        lambda node: node.prepare(root_of("x")),
        lambda node: node.send(prepared),
        lambda node: node.confirmation(tx),
        lambda node: node.transaction(tx),
    ]
    replies = [((502, b"Bad Gateway"), 0.0), ((200, b"<html>"), 0.0), ((200, b"{}"), 1.0)]
    for node in (down, proxy):
        for call in calls:
            for reply, delay in replies:
                fake_node.reply, fake_node.delay = reply, delay
                with pytest.raises(AnchorUnavailable) as error:
                    call(node)
                assert not isinstance(error.value, AnchorRejected)
                assert "did not answer" in str(error.value)
    assert time.monotonic() - started < 20  # no retry loop of its own: the job backs off


def test_errors_never_show_the_url_path_which_may_hold_an_api_key() -> None:
    node = _unreachable(f"http://127.0.0.1:{free_port()}/v3/secret-project-key")
    with pytest.raises(AnchorUnavailable) as error:
        node.confirmation("0x" + "ab" * 32)
    assert "secret-project-key" not in str(error.value)
    assert "secret" not in repr(node)


def test_the_library_reports_a_transaction_whose_data_differs(chain: Chain) -> None:
    anchor = chain.anchor()
    leaves = [root_of(f"credential {i}") for i in range(3)]
    true_root = merkle2019.MerkleTree(leaves).root
    prepared = anchor.prepare(root_of("another batch's root"))
    anchor.send(prepared)
    chain.wait_mined(prepared.tx_hash)
    proofs = merkle2019.batch_proofs(leaves, [anchor.anchor_uri(prepared.tx_hash)])
    assert proofs[0].merkle_root == true_root

    with pytest.raises(ProofError) as error:
        verify_eth_anchor(proofs[0], network="sepolia", transaction=anchor.transaction)
    assert error.value.code == "chain.data_mismatch"
    assert "data differs" in error.value.reason

    honest = anchor.prepare(true_root)
    anchor.send(honest)
    chain.wait_mined(honest.tx_hash)
    proofs = merkle2019.batch_proofs(leaves, [anchor.anchor_uri(honest.tx_hash)])
    found = verify_eth_anchor(
        proofs[2],
        network="sepolia",
        transaction=anchor.transaction,
        issuing_addresses=[anchor.address],
    )
    assert found.mined_at is not None
    assert found.data == true_root
    with pytest.raises(ProofError) as error:
        verify_eth_anchor(
            proofs[2],
            network="sepolia",
            transaction=anchor.transaction,
            issuing_addresses=[chain.anchor(STRANGER_KEY).address],
        )
    assert error.value.code == "chain.wrong_sender"


def test_the_anchor_is_built_from_the_settings_or_not_at_all() -> None:
    assert EthereumAnchor.from_settings(Settings()) is None
    key = "0x" + "22" * 32
    settings = Settings(
        eth_rpc_url="https://node.example/v3/k",
        eth_chain="sepolia",
        eth_chain_id=11155111,
        eth_private_key=key,
    )
    anchor = EthereumAnchor.from_settings(settings)
    assert anchor is not None
    assert anchor.network == "sepolia"
    assert anchor.chain_id == 11155111
    assert key[2:] not in repr(settings)
