"""A real Ethereum chain on loopback: Hardhat's node (npm, `tests/oracles/blockcerts/`),
started once per session, its chain id that of Sepolia so that anchors read
`blink:eth:sepolia:` exactly as Blockcerts writes them for that network. (Not ganache: it mines
two transactions with the same sender and nonce when they arrive close together, which no
Ethereum node does, so it could not test that a resend anchors nothing twice.)

`bin/test` runs `npm ci` there and sets WALLET_TEST_ORACLES=required, which turns a missing
`node_modules` into a failure; anywhere else the tests that need it are skipped, saying how to
install it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.smtp import free_port
from wallet.services.anchoring.ethereum import EthereumAnchor

ORACLE_DIR = Path(__file__).resolve().parents[1] / "oracles" / "blockcerts"
HARDHAT = ORACLE_DIR / "node_modules" / "hardhat" / "internal" / "cli" / "cli.js"
SEPOLIA = 11155111
# test keys, funded at genesis; the "stranger" key plays someone else's transactions
ISSUER_KEY = "0x" + hashlib.sha256(b"wallet test issuer key").hexdigest()
STRANGER_KEY = "0x" + hashlib.sha256(b"wallet test stranger key").hexdigest()
UNFUNDED_KEY = "0x" + hashlib.sha256(b"wallet test unfunded key").hexdigest()


def require_npm_oracle() -> str:
    """The `node` executable, once `npm ci` has run in tests/oracles/blockcerts/."""
    node = shutil.which("node")
    installed = (ORACLE_DIR / "node_modules" / ".package-lock.json").exists()
    if node and installed:
        return node
    reason = (
        "the Blockcerts oracle is not installed: run `npm ci` in tests/oracles/blockcerts "
        "(bin/test does)"
        if node
        else "Node.js is not installed (the Blockcerts oracle needs node and npm)"
    )
    if os.environ.get("WALLET_TEST_ORACLES") == "required":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Chain:
    url: str

    def rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.url, body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]

    def anchor(self, key: str = ISSUER_KEY, **changes: Any) -> EthereumAnchor:
        options: dict[str, Any] = {
            "rpc_url": self.url,
            "chain_id": SEPOLIA,
            "private_key": key,
            "network": "sepolia",
        }
        return EthereumAnchor(**(options | changes))

    def nonce(self, address: str) -> int:
        return int(self.rpc("eth_getTransactionCount", address, "latest"), 16)

    @contextmanager
    def mining_stopped(self) -> Iterator[None]:
        """Transactions wait in the pool until `mine()` (otherwise each is mined at once)."""
        self.rpc("evm_setAutomine", False)
        try:
            yield
        finally:
            self.rpc("evm_setAutomine", True)

    def mine(self) -> None:
        self.rpc("evm_mine")

    def wait_mined(self, tx_hash: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.rpc("eth_getTransactionReceipt", tx_hash) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(tx_hash)
            time.sleep(0.02)


@pytest.fixture(scope="session")
def chain() -> Iterator[Chain]:
    node = require_npm_oracle()
    port = free_port()
    config = ORACLE_DIR / "hardhat.config.cjs"
    environ = {
        **os.environ,
        "WALLET_TEST_CHAIN_KEYS": f"{ISSUER_KEY},{STRANGER_KEY}",
        "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
    }
    process = subprocess.Popen(
        [
            node,
            str(HARDHAT),
            "--config",
            str(config),
            "node",
            "--hostname",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ORACLE_DIR,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = Chain(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                running.rpc("eth_chainId")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"the chain did not start: {errors[-2000:]}")
                time.sleep(0.05)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
