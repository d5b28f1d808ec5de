"""Reading our own Open Badges 3.0 documents in tests: a fetcher that asks the app."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import BASE_URL
from wallet.openbadges.fetching import FetchResult


class AppFetcher:
    """GET our URLs from the test app (no network); anything else answers 404."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.requested: list[str] = []

    def __call__(self, url: str) -> FetchResult:
        self.requested.append(url)
        if not url.startswith(BASE_URL + "/"):
            return FetchResult(404, "text/plain", b"", url)
        response = self.client.get(url[len(BASE_URL) :])
        return FetchResult(response.status_code, response.content_type, response.data, url)
