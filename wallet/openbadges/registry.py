"""One entry point for every kind of badge: find its format, hand it to that format's verifier.

`verify_any` takes what a person has (a URL, JSON text, a compact JWS, or a baked PNG/SVG
image), tells the format from its shape (`formats`) and calls the verifier registered for
it. Open Badges 2.0, Open Badges 3.0 (`verify_ob3`, whose report carries
`report.credential`) and Blockcerts (`blockcerts_verify`) are registered here; `register`
adds or replaces one. A format with no verifier is reported as `format.supported` failed,
with the format named, so a page can say "not supported yet".

A URL carries no format until it is fetched; the Open Badges 2.0 verifier fetches it
itself, so URLs go to it unless the caller says otherwise (`url_format`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from wallet.openbadges import baking, blockcerts_verify, formats
from wallet.openbadges.blockcerts import ChainReader
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.fetching import Fetcher
from wallet.openbadges.ob3 import verify as ob3_verify
from wallet.openbadges.report import Report
from wallet.openbadges.verify import verify as verify_ob2


@dataclass(frozen=True)
class Request:
    """What a verifier gets: the input as handed in, and how to check it."""

    data: str | bytes
    fetcher: Fetcher
    recipients: tuple[str, ...]
    now: datetime | None
    # the Ethereum network the caller can read, for Blockcerts chain anchors
    chain: ChainReader | None = None


Verifier = Callable[[Request], Report]


def _ob2(request: Request) -> Report:
    return verify_ob2(request.data, request.fetcher, recipients=request.recipients, now=request.now)


def verify_ob3(request: Request) -> Report:
    """The Open Badges 3.0 verifier (`ob3.verify`), ready for `register("ob3", ...)`."""
    return ob3_verify.verify(
        request.data, request.fetcher, recipients=request.recipients, now=request.now
    )


def _blockcerts(request: Request) -> Report:
    now = request.now or datetime.now(UTC)
    return blockcerts_verify.verify(request.data, request.fetcher, now=now, chain=request.chain)


_VERIFIERS: dict[str, Verifier] = {"ob2": _ob2, "ob3": verify_ob3, "blockcerts": _blockcerts}


def register(format_name: formats.CredentialFormat, verifier: Verifier) -> None:
    """Make `verifier` the one for `format_name` (replacing any before it)."""
    _VERIFIERS[format_name] = verifier


def supported() -> tuple[str, ...]:
    """The formats with a verifier, in registration order."""
    return tuple(_VERIFIERS)


def detect(data: str | bytes, url_format: formats.CredentialFormat = "ob2") -> str:
    """The format of `data`; `unknown` when its shape says nothing (the verifier for
    Open Badges 2.0 then explains what it expected)."""
    if isinstance(data, bytes | bytearray):
        try:
            found = baking.extract_all(bytes(data))
        except OpenBadgesError:
            return "ob2"  # its verifier reports why the image could not be read
        if any(item.version == "3.0" for item in found) and not any(
            item.version == "2.0" for item in found
        ):
            return "ob3"
        return "ob2"
    text = data.strip()
    if text.startswith(("http://", "https://")):
        return url_format
    return formats.text_format(text)


def verify_any(
    data: str | bytes,
    fetcher: Fetcher,
    *,
    recipients: Iterable[str] = (),
    now: datetime | None = None,
    url_format: formats.CredentialFormat = "ob2",
    chain: ChainReader | None = None,
) -> Report:
    """Verify `data` with the verifier for its format; `report.format` names the format."""
    format_name = detect(data, url_format)
    if format_name == "unknown":
        format_name = "ob2"  # JSON of no known shape: the 2.0 verifier says what is missing
    verifier = _VERIFIERS.get(format_name)
    if verifier is None:
        report = Report(format=format_name)
        report.failed("format.supported", format_name)
        return report
    report = verifier(Request(data, fetcher, tuple(recipients), now, chain))
    report.format = format_name
    return report
