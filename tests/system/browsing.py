"""A visitor in plain HTTP, behind the TLS-terminating proxy the README's production section
puts in front of the web nodes.

The visitor browses ``https://wallet.test/…`` (the public origin); each request goes to the
node the test names, over plain HTTP on loopback, with the ``X-Forwarded-*`` headers a proxy
sets. Cookies therefore belong to the public origin (secure cookies included) and follow the
visitor from node to node, as they would behind a load balancer. Forms are read from the
page (hidden fields and CSRF token included) and sent back with the page as referrer, as a
browser does: Flask-WTF checks the referrer of every secure POST.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter


@dataclass(frozen=True)
class Node:
    """One web process: its name in messages and its loopback port."""

    name: str
    port: int


class _ToNode(HTTPAdapter):
    """The proxy: the public URL in, one node's loopback URL out."""

    def __init__(self, client_address: str) -> None:
        super().__init__(max_retries=0)
        self.client_address = client_address
        self.node: Node | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert self.node is not None, "name the node for each request"
        public = urlsplit(request.url or "")
        forwarded = request.copy()
        forwarded.url = urlunsplit(
            ("http", f"127.0.0.1:{self.node.port}", public.path, public.query, "")
        )
        # what the README asks of the proxy: the Host passed on, the client and the scheme
        forwarded.headers["Host"] = public.netloc
        forwarded.headers["X-Forwarded-For"] = self.client_address
        forwarded.headers["X-Forwarded-Proto"] = public.scheme
        response = super().send(forwarded, **kwargs)
        response.url = request.url or ""  # redirects and cookies stay on the public origin
        response.request = request
        return response


@dataclass
class Form:
    action: str  # absolute
    method: str
    page: str  # the URL of the page it was on
    fields: list[tuple[str, str]] = field(default_factory=list)  # what submitting sends
    names: set[str] = field(default_factory=set)  # every control, sent or not


class _Forms(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(action, (a.get("method") or "get").lower(), self.page)
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None or not name:
            if tag == "option" and self._select is not None:
                self._options.append((a.get("value") or "", "selected" in a))
            return
        form.names.add(name)
        kind = (a.get("type") or "text").lower()
        if tag == "input" and kind not in {"submit", "button", "image", "reset", "file"}:
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            form.fields.append((name, a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [
                value for value, _ in self._options[:1]
            ]
            self._form.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._form is not None and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def forms_on(response: requests.Response) -> list[Form]:
    parser = _Forms(response.url)
    parser.feed(response.text)
    return parser.forms


class Visitor:
    """One browser: its cookies, and the address the proxy sees it come from."""

    def __init__(self, origin: str, client_address: str) -> None:
        self.origin = origin.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy settings of this machine: loopback only
        self._proxy = _ToNode(client_address)
        self.http.mount(self.origin + "/", self._proxy)

    def url(self, path_or_url: str) -> str:
        return urljoin(self.origin + "/", path_or_url)

    def get(self, node: Node, path_or_url: str, **kwargs: Any) -> requests.Response:
        """GET on ``node``, following redirects there too."""
        self._proxy.node = node
        return self.http.get(self.url(path_or_url), timeout=30, **kwargs)

    def form(
        self, page: requests.Response, *, action: str | None = None, has: str | None = None
    ) -> Form:
        """The one form on ``page`` that posts to ``action`` (a path) and/or has a ``has`` field."""
        found = [
            form
            for form in forms_on(page)
            if (action is None or urlsplit(form.action).path == action)
            and (has is None or has in form.names)
        ]
        assert len(found) == 1, (page.url, page.status_code, action, has, len(found))
        return found[0]

    def submit(
        self,
        node: Node,
        form: Form,
        data: dict[str, str] | None = None,
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send ``form`` to ``node`` (whichever node drew it), ``data`` over its defaults."""
        values = dict(form.fields)
        values.update(data or {})
        self._proxy.node = node
        return self.http.request(
            form.method.upper(),
            form.action,
            data=values,
            files=files,
            headers={"Referer": form.page},
            timeout=30,
            **kwargs,
        )

    def post_page_form(
        self,
        node: Node,
        page: requests.Response,
        data: dict[str, str],
        *,
        action: str | None = None,
        has: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Fill the form picked from ``page`` (see ``form``) and send it to ``node``."""
        return self.submit(node, self.form(page, action=action, has=has), data, **kwargs)
