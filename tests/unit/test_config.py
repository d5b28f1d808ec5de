from __future__ import annotations

from pathlib import Path

import pytest

from wallet import create_app
from wallet.config import ConfigurationError, Settings


def test_development_needs_nothing_configured(tmp_path: Path) -> None:
    settings = Settings.from_env({"WALLET_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'wallet.sqlite3'}"
    assert len(settings.secret_key) >= 32
    # the generated secret is kept, so sessions survive a restart
    assert Settings.from_env({"WALLET_INSTANCE_PATH": str(tmp_path)}).secret_key == (
        settings.secret_key
    )
    assert not settings.smtp_host


def test_production_refuses_to_start_without_secret_database_and_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as error:
        Settings.from_env({"WALLET_ENV": "production", "WALLET_INSTANCE_PATH": str(tmp_path)})
    for name in (
        "WALLET_SECRET_KEY",
        "WALLET_DATABASE_URL",
        "WALLET_BASE_URL",
        "WALLET_LEDGER_KEY",
    ):
        assert name in str(error.value)


def test_production_cookies_are_secure_and_hsts_is_sent(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "WALLET_ENV": "production",
            "WALLET_SECRET_KEY": "x" * 40,
            "WALLET_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "WALLET_BASE_URL": "https://wallet.example.ac.jp/",
            "WALLET_LEDGER_KEY": "unused here",
            "WALLET_INSTANCE_PATH": str(tmp_path),
        }
    )
    assert settings.base_url == "https://wallet.example.ac.jp"
    app = create_app(settings)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/", base_url="https://wallet.example.ac.jp")
    assert "max-age" in response.headers["Strict-Transport-Security"]
    assert app.test_client().get("/dev/outbox").status_code == 404


def test_a_missing_smtp_ca_file_stops_the_start_not_every_mail(tmp_path: Path) -> None:
    env = {"WALLET_INSTANCE_PATH": str(tmp_path), "WALLET_SMTP_CA_FILE": str(tmp_path / "no.pem")}
    with pytest.raises(ConfigurationError, match="WALLET_SMTP_CA_FILE"):
        Settings.from_env(env)


def test_fetch_ports_are_read_and_checked(tmp_path: Path) -> None:
    def ports(value: str) -> tuple[int, ...]:
        environ = {"WALLET_INSTANCE_PATH": str(tmp_path), "WALLET_FETCH_PORTS": value}
        return Settings.from_env(environ).fetch_ports

    assert ports("") == (80, 443)
    assert ports("80, 443,8443") == (80, 443, 8443)
    for wrong in ("80,http", "0", "65536", "-1"):
        with pytest.raises(ConfigurationError, match="WALLET_FETCH_PORTS"):
            ports(wrong)


def test_the_ethereum_anchor_is_configured_whole_or_not_at_all(tmp_path: Path) -> None:
    key = "ab" * 32

    def settings(**values: str) -> Settings:
        environ = {"WALLET_INSTANCE_PATH": str(tmp_path)}
        environ.update({f"WALLET_ETH_{name.upper()}": value for name, value in values.items()})
        return Settings.from_env(environ)

    assert not settings().eth_rpc_url  # no chain: our transparency log only
    chosen = settings(rpc_url="https://node.example/v3/k", chain="sepolia", private_key=key)
    assert (chosen.eth_chain, chosen.eth_chain_id) == ("sepolia", 11155111)
    assert key not in repr(chosen)
    assert (
        settings(
            rpc_url="http://127.0.0.1:8545", chain="mainnet", chain_id="1", private_key="0x" + key
        ).eth_chain_id
        == 1
    )
    for wrong, message in (
        ({"rpc_url": "https://node.example"}, "needs WALLET_ETH_RPC_URL"),
        ({"rpc_url": "https://n.example", "chain": "kovan", "private_key": key}, "kovan"),
        (
            {
                "rpc_url": "https://n.example",
                "chain": "sepolia",
                "chain_id": "1",
                "private_key": key,
            },
            "is 11155111, not 1",
        ),
        ({"rpc_url": "https://n.example", "chain": "sepolia", "private_key": "12"}, "64 hex"),
        ({"rpc_url": "ws://n.example", "chain": "sepolia", "private_key": key}, "http"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            settings(**wrong)
