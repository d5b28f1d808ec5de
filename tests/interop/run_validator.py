"""Run the 1EdTech Open Badges validator on one URL or baked image, offline. Runs INSIDE
.venv-validator.

    .venv-validator/bin/python tests/interop/run_validator.py URL --email a@example.org
    .venv-validator/bin/python tests/interop/run_validator.py --file badge.png --email a@...

The validator (PyPI ``openbadges`` 1.1.2) has no offline mode: every JSON-LD step downloads
https://w3id.org/openbadges/v2. Here that context is answered from the copy the package
ships, at both of its HTTP entry points (requests' transport adapter, which every requests
and requests-cache session goes through, and PyLD's default document loader); any other URL
that is not on loopback is refused. The validator's report is printed as JSON on stdout.
Refused URLs are listed on stderr.

This file imports only what .venv-validator has: nothing from the wallet.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from typing import Any
from urllib.parse import urlsplit

import openbadges
import requests
from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)
from pyld import jsonld
from requests.adapters import HTTPAdapter

CONTEXT_URLS = {OPENBADGES_CONTEXT_V2_URI, OPENBADGES_CONTEXT_V2_URI + "/"}
CONTEXT_JSON = json.dumps(OPENBADGES_CONTEXT_V2_DICT)
REFUSED: list[str] = []


def is_context(url: str) -> bool:
    return url.split("#", 1)[0] in CONTEXT_URLS


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def context_response(request: requests.PreparedRequest) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.reason = "OK"
    response.url = request.url or OPENBADGES_CONTEXT_V2_URI
    response.request = request
    response.headers["Content-Type"] = "application/ld+json"
    response._content = CONTEXT_JSON.encode()
    response.encoding = "utf-8"
    return response


_original_send = HTTPAdapter.send


def offline_send(
    self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any
) -> requests.Response:
    url = request.url or ""
    if is_context(url):
        return context_response(request)
    if not is_loopback(url):
        REFUSED.append(url)
        raise requests.ConnectionError(f"offline: refusing {url} (not loopback)")
    if kwargs.get("timeout") is None:
        kwargs["timeout"] = 10
    return _original_send(self, request, *args, **kwargs)


def offline_document_loader(url: str) -> dict[str, Any]:
    if is_context(url):
        return {"contextUrl": None, "documentUrl": url, "document": CONTEXT_JSON}
    if not is_loopback(url):
        REFUSED.append(url)
        raise jsonld.JsonLdError(
            f"offline: refusing {url} (not loopback)",
            "jsonld.LoadDocumentError",
            code="loading document failed",
        )
    response = requests.get(
        url, headers={"Accept": "application/ld+json, application/json"}, timeout=10
    )
    return {"contextUrl": None, "documentUrl": url, "document": response.text}


def install_offline_network() -> None:
    HTTPAdapter.send = offline_send  # type: ignore[method-assign]
    jsonld.set_document_loader(offline_document_loader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="a hosted assertion URL on loopback")
    parser.add_argument("--file", help="a baked badge image (PNG or SVG) instead of a URL")
    parser.add_argument("--email", action="append", default=[], help="the expected recipient")
    args = parser.parse_args(argv)
    if (args.url is None) == (args.file is None):
        parser.error("give a URL or --file, not both")
    if args.url is not None and not is_loopback(args.url):
        parser.error("only loopback URLs can be validated here")

    install_offline_network()
    profile = {"email": args.email} if args.email else None
    # no requests-cache: every run starts from what the server answers now
    if args.file is not None:
        # the validator unbakes the image itself (openbadges-bakery), then fetches its id
        with open(args.file, "rb") as image:
            result = openbadges.verify(image, recipient_profile=profile, cache_backend=None)
    else:
        result = openbadges.verify(args.url, recipient_profile=profile, cache_backend=None)
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    for url in REFUSED:
        print(f"refused: {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
