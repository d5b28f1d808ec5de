"""Settings read once from ``WALLET_*`` environment variables.

Development needs nothing configured: the database, the secret key and the mail
outbox live in ``instance/``. Production (``WALLET_ENV=production``) refuses to
start without an explicit secret, database URL and base URL.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wallet.openbadges.ethanchor import NETWORKS as ETH_NETWORKS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable wallet."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _ports(value: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A comma-separated list of TCP ports ("80,443,8443"); `default` when empty."""
    try:
        ports = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        ports = (0,)
    if any(not 0 < port < 65536 for port in ports):
        raise ConfigurationError(f"WALLET_FETCH_PORTS {value!r} is not a list of ports")
    return ports or default


def _anchoring_time(value: str) -> str:
    hours, colon, minutes = value.partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2) or not (
        0 <= int(hours) < 24 and 0 <= int(minutes) < 60
    ):
        raise ConfigurationError(f"WALLET_ANCHORING_TIME {value!r} is not a time like 03:00")
    return f"{int(hours):02d}:{minutes}"


def _eth_settings(get: Callable[[str, str], str]) -> dict[str, Any]:
    """The Ethereum anchor's settings: all of them, or none (no chain)."""
    url, chain = get("WALLET_ETH_RPC_URL", "").strip(), get("WALLET_ETH_CHAIN", "").strip()
    key = get("WALLET_ETH_PRIVATE_KEY", "").strip()
    chain_id_text = get("WALLET_ETH_CHAIN_ID", "").strip()
    if not (url or chain or key or chain_id_text):
        return {}
    if not (url and chain and key):
        raise ConfigurationError(
            "an Ethereum anchor needs WALLET_ETH_RPC_URL, WALLET_ETH_CHAIN and "
            "WALLET_ETH_PRIVATE_KEY (or none of them)"
        )
    if chain not in ETH_NETWORKS:
        names = ", ".join(ETH_NETWORKS)
        raise ConfigurationError(f"WALLET_ETH_CHAIN {chain!r} is none of Blockcerts' {names}")
    chain_id = ETH_NETWORKS[chain]
    if chain_id_text and chain_id_text != str(chain_id):
        raise ConfigurationError(
            f"WALLET_ETH_CHAIN_ID of {chain} is {chain_id}, not {chain_id_text}"
        )
    if not re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", key):
        raise ConfigurationError("WALLET_ETH_PRIVATE_KEY must be 64 hexadecimal digits")
    if not re.match(r"https?://[^/]", url):
        raise ConfigurationError("WALLET_ETH_RPC_URL must be an http(s) URL")
    return {
        "eth_rpc_url": url,
        "eth_chain": chain,
        "eth_chain_id": chain_id,
        "eth_private_key": key,
    }


def _dev_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = ""
    database_url: str = ""
    base_url: str = "http://127.0.0.1:5000"
    instance_path: Path = PROJECT_ROOT / "instance"
    timezone: str = "Asia/Tokyo"
    default_locale: str = "ja"
    # the student has this long to claim (the university's guide: 180 days to register)
    claim_token_days: int = 180
    # an award not yet claimed is reminded every ``reminder_interval_days``, at most
    # ``reminder_count`` times (0: never); docs/operations.md
    reminder_interval_days: int = 30
    reminder_count: int = 6
    # anchored badges: the daily run's local time (in ``timezone``), and the
    # transparency log's signing key (a signed-note private key named after the log's
    # origin; development keeps one in the instance folder); docs/anchoring.md
    anchoring_time: str = "03:00"
    ledger_key: str = ""
    # Open Badges 3.0: the secret every issuer's signing key is derived from (an Ed25519
    # private Multikey, ``flask credentials new-key``; development keeps one in the instance
    # folder; changing it rotates every issuer's key); docs/openbadges3.md
    credential_key: str = ""
    # mail
    mail_from: str = "Open Badge Wallet <noreply@wallet.invalid>"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    # PEM bundle the relay's certificate must chain to, instead of the system's
    # trusted CAs (a relay with a certificate from a private CA)
    smtp_ca_file: str = ""
    smtp_timeout: float = 10.0
    # jobs and limits
    redis_url: str = ""
    huey_immediate: bool = False
    ratelimit_storage_url: str = "memory://"
    ratelimit_enabled: bool = True
    # proxies in front of the app whose X-Forwarded-* headers are believed
    trusted_proxies: int = 0
    # how long a process may answer strangers with a public page or Open Badges document
    # it drew a moment ago (docs/sharing.md, "Caching"); 0 draws every answer anew
    public_cache_seconds: float = 2.0
    # uploads
    max_csv_bytes: int = 2 * 1024 * 1024
    max_csv_rows: int = 20_000
    max_image_bytes: int = 512 * 1024
    # ports the safe fetcher may reach on public addresses (docs/fetching.md)
    fetch_ports: tuple[int, ...] = (80, 443)
    # the Ethereum anchor (docs/anchoring.md, "Ethereum anchor"); no RPC URL: no chain
    eth_rpc_url: str = ""
    eth_chain: str = ""  # Blockcerts' name of the network: mainnet, sepolia
    eth_chain_id: int = 0
    eth_private_key: str = field(default="", repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def outbox_dir(self) -> Path:
        return self.instance_path / "outbox"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        get = env.get
        mode = get("WALLET_ENV", "development")
        instance = Path(get("WALLET_INSTANCE_PATH", str(PROJECT_ROOT / "instance")))
        secret = get("WALLET_SECRET_KEY", "")
        db_url = get("WALLET_DATABASE_URL", "")
        base_url = get("WALLET_BASE_URL", "")
        redis_url = get("WALLET_REDIS_URL", "")
        if mode == "production":
            missing = [
                name
                for name, value in (
                    ("WALLET_SECRET_KEY", secret),
                    ("WALLET_DATABASE_URL", db_url),
                    ("WALLET_BASE_URL", base_url),
                    ("WALLET_LEDGER_KEY", get("WALLET_LEDGER_KEY", "")),
                )
                if not value
            ]
            if missing:
                raise ConfigurationError("production needs " + ", ".join(missing))
        else:
            secret = secret or _dev_secret(instance)
            db_url = db_url or f"sqlite:///{instance / 'wallet.sqlite3'}"
        ca_file = get("WALLET_SMTP_CA_FILE", "")
        if ca_file and not Path(ca_file).is_file():
            raise ConfigurationError(f"WALLET_SMTP_CA_FILE {ca_file!r} is not a readable file")
        fetch_ports = _ports(get("WALLET_FETCH_PORTS", ""), cls.fetch_ports)
        return cls(
            env=mode,
            secret_key=secret,
            database_url=db_url,
            base_url=(base_url or cls.base_url).rstrip("/"),
            instance_path=instance,
            timezone=get("WALLET_TIMEZONE", cls.timezone),
            default_locale=get("WALLET_DEFAULT_LOCALE", cls.default_locale),
            claim_token_days=int(get("WALLET_CLAIM_TOKEN_DAYS", cls.claim_token_days)),
            reminder_interval_days=int(
                get("WALLET_REMINDER_INTERVAL_DAYS", cls.reminder_interval_days)
            ),
            reminder_count=int(get("WALLET_REMINDER_COUNT", cls.reminder_count)),
            anchoring_time=_anchoring_time(get("WALLET_ANCHORING_TIME", cls.anchoring_time)),
            ledger_key=get("WALLET_LEDGER_KEY", ""),
            credential_key=get("WALLET_CREDENTIAL_KEY", ""),
            mail_from=get("WALLET_MAIL_FROM", cls.mail_from),
            smtp_host=get("WALLET_SMTP_HOST", ""),
            smtp_port=int(get("WALLET_SMTP_PORT", cls.smtp_port)),
            smtp_user=get("WALLET_SMTP_USER", ""),
            smtp_password=get("WALLET_SMTP_PASSWORD", ""),
            smtp_starttls=_bool(get("WALLET_SMTP_STARTTLS"), default=True),
            smtp_ca_file=ca_file,
            redis_url=redis_url,
            huey_immediate=_bool(get("WALLET_JOBS_IMMEDIATE")),
            trusted_proxies=int(get("WALLET_TRUSTED_PROXIES", cls.trusted_proxies)),
            public_cache_seconds=float(
                get("WALLET_PUBLIC_CACHE_SECONDS", cls.public_cache_seconds)
            ),
            ratelimit_storage_url=get("WALLET_RATELIMIT_STORAGE_URL") or (redis_url or "memory://"),
            fetch_ports=fetch_ports,
            **_eth_settings(get),
        )

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)
