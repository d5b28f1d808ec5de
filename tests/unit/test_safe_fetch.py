"""The safe fetcher refuses every way to an internal address, and bounds what it reads.

The SSRF table needs no server: each URL is refused before any connection (the suite could
not make one anyway: it reaches loopback only). The rest talk to real HTTP(S) servers on
loopback, which names reach only through a static resolver and the fetcher's allow-list.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest

from tests.loopback_http import LoopbackServer, answer, drip, redirect, tls_pair
from tests.smtp import free_port
from wallet.config import Settings
from wallet.openbadges.fetching import FetchError
from wallet.safe_fetch import (
    IMAGE_TYPES,
    Limits,
    Reason,
    SafeFetcher,
    StaticResolver,
    fetcher_for,
    system_resolver,
)
from wallet.safe_fetch.addresses import why_blocked

INTERNAL_NAMES = {
    "loopback.example": "127.0.0.1",
    "mapped.example": "::ffff:127.0.0.1",
    "private.example": "10.1.2.3",
    "metadata.example": "169.254.169.254",
    "ula.example": "fd00::1",
    "mixed.example": ["8.8.8.8", "192.168.0.10"],  # one bad address spoils the name
    "public.example": "8.8.8.8",
}


def refused(url: str, fetcher: SafeFetcher | None = None) -> FetchError:
    fetcher = fetcher or SafeFetcher(resolver=StaticResolver(INTERNAL_NAMES))
    with pytest.raises(FetchError) as caught:
        fetcher(url)
    return caught.value


BLOCKED = [
    # IPv4, as usually written
    "http://127.0.0.1/",
    "http://127.255.255.254/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://100.127.255.254/",
    "http://169.254.0.1/",  # link-local
    "http://169.254.169.254/latest/meta-data/",  # AWS, GCP, Azure metadata
    "http://169.254.170.2/v2/credentials",  # AWS ECS task metadata
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata
    "http://192.0.0.192/",  # Oracle Cloud metadata
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://239.255.255.250:1900/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://198.18.0.1/",
    "http://192.0.2.1/",
    "http://198.51.100.7/",
    "http://203.0.113.9/",
    "http://192.88.99.1/",
    "https://127.0.0.1:8443/",
    # IPv4, spelled otherwise
    "http://2130706433/",  # decimal 127.0.0.1
    "http://3232235777/",  # decimal 192.168.1.1
    "http://2852039166/",  # decimal 169.254.169.254
    "http://0x7f000001/",
    "http://0x7F.0x0.0x0.0x1/",
    "http://0xa9fea9fe/",
    "http://0177.0.0.1/",  # octal
    "http://0251.0376.0251.0376/",
    "http://012.0.0.1/",
    "http://00000177.0.0.1/",
    "http://127.1/",  # short forms: the last part fills the rest
    "http://127.0.1/",
    "http://10.1/",
    "http://169.254.43518/",
    "http://0/",
    "http://0x7f.1/",
    "http://0x7f.0.0.01/",
    "http://127.0.0.1./",  # trailing dot
    "http://１２７．０．０．１/",  # full-width, as a browser maps it
    "http://①②⑦.0.0.1/",
    # IPv6
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[0000:0000:0000:0000:0000:0000:0000:0001]:80/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::FFFF:169.254.169.254]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[64:ff9b::127.0.0.1]/",  # NAT64 of loopback
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of metadata
    "http://[64:ff9b:1::a00:1]/",  # local-use NAT64
    "http://[2002:7f00:1::]/",  # 6to4 of loopback
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of metadata
    "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456:789a::1]/",
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "http://[ff02::1]/",
    "http://[fec0::1]/",
    "http://[2001:db8::1]/",
    "http://[100::1]/",
    # names whose addresses are internal
    "http://loopback.example/",
    "http://LOOPBACK.example./",
    "http://ｌｏｏｐｂａｃｋ.example/",
    "http://mapped.example/",
    "http://private.example/",
    "http://metadata.example/",
    "http://ula.example/",
    "http://mixed.example/",
]


@pytest.mark.parametrize("url", BLOCKED)
def test_internal_addresses_are_refused_however_spelled(url: str) -> None:
    assert refused(url).code == Reason.BLOCKED_ADDRESS


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/badge.json", Reason.SCHEME),
        ("file:///etc/passwd", Reason.SCHEME),
        ("gopher://127.0.0.1:6379/_INFO", Reason.SCHEME),
        ("javascript:alert(1)", Reason.SCHEME),
        ("//example.org/badge.json", Reason.SCHEME),
        ("http://good.example@127.0.0.1/", Reason.BAD_URL),
        ("http://user:password@public.example/", Reason.BAD_URL),
        ("http://127.0.0.1\\@good.example/", Reason.BAD_URL),
        ("http://%31%32%37.0.0.1/", Reason.BAD_URL),
        ("http://[fe80::1%25eth0]/", Reason.BAD_URL),
        ("http://1.2.3.256/", Reason.BAD_URL),
        ("http://1.2.3.4.5/", Reason.BAD_URL),
        ("http://example.0x1g/", Reason.BAD_URL),
        ("http://1.2.3.08/", Reason.BAD_URL),  # 0 means octal
        ("http:///badge.json", Reason.BAD_URL),
        ("http://exa mple.org/", Reason.BAD_URL),
        ("http://example.org\t/", Reason.BAD_URL),
        ("http://ex*ample.org/", Reason.BAD_URL),
        ("http://public.example:0/", Reason.BAD_URL),
        ("http://public.example:99999/", Reason.BAD_URL),
        ("http://public.example/" + "a" * 2048, Reason.BAD_URL),
        ("http://public.example:8080/", Reason.PORT),
        ("http://8.8.8.8:22/", Reason.PORT),
        ("http://nowhere.example/", Reason.RESOLVE_FAILED),
    ],
)
def test_urls_that_are_not_plain_http_to_a_public_host_are_refused(url: str, reason: str) -> None:
    assert refused(url).code == reason


@pytest.mark.parametrize(
    "address",
    [
        *("8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1"),
        *("2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"),
        *("64:ff9b::808:808", "2002:808:808::1"),  # NAT64 and 6to4 of a public address
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert why_blocked(ip_address(address)) is None


def test_a_refusal_says_what_the_address_is() -> None:
    assert "cloud metadata" in str(refused("http://0xa9fea9fe/"))
    assert "loopback (127.0.0.1) inside an IPv6 address" in str(refused("http://[2002:7f00:1::]/"))
    assert "loopback.example resolves to 127.0.0.1" in str(refused("http://loopback.example/"))


def test_localhost_is_refused_with_the_systems_resolver() -> None:
    assert refused("http://localhost/", SafeFetcher()).code == Reason.BLOCKED_ADDRESS
    assert {ip_address(a).is_loopback for a in system_resolver("localhost")} == {True}


def test_the_apps_fetcher_has_no_allow_list(tmp_path: Path) -> None:
    with LoopbackServer({"/doc": answer()}) as server:
        settings = Settings(instance_path=tmp_path, fetch_ports=(80, 443, server.port))
        fetcher = fetcher_for(settings)
        assert fetcher.allow == frozenset()
        assert fetcher.resolver is system_resolver
        assert refused(server.url("/doc"), fetcher).code == Reason.BLOCKED_ADDRESS
        assert server.requests == []


# --- against loopback servers --------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer({"/doc": answer(b'{"ok": true}')}) as running:
        yield running


def allowed(*servers: LoopbackServer, names: dict[str, str] | None = None, **kwargs: object):
    """A fetcher where issuer.test is 127.0.0.1 and `servers` may be reached."""
    resolver = StaticResolver(names or {"issuer.test": "127.0.0.1", "v6.test": "::1"})
    allow = [(each.host, each.port) for each in servers]
    return SafeFetcher(resolver=resolver, allow=allow, **kwargs)


def test_a_name_for_a_loopback_server_is_refused_unless_allowed(server: LoopbackServer) -> None:
    url = server.url("/doc", host="issuer.test")
    plain = SafeFetcher(resolver=StaticResolver({"issuer.test": "127.0.0.1"}))
    assert refused(url, plain).code == Reason.BLOCKED_ADDRESS
    assert server.requests == []

    result = allowed(server)(url)
    assert (result.status, result.media_type) == (200, "application/ld+json")
    assert result.body == b'{"ok": true}'
    assert result.url == url
    # the allow-list names a port: the same address elsewhere stays refused
    assert refused(f"http://issuer.test:{free_port()}/", allowed(server)).code == (
        Reason.BLOCKED_ADDRESS
    )


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://2130706433:{other}/",
        "http://private.example/",
        "http://[::1]:{other}/",
        "gopher://127.0.0.1:6379/_FLUSHALL",
    ],
)
def test_a_public_name_redirecting_inside_is_refused(server: LoopbackServer, location: str) -> None:
    server.routes["/go"] = redirect(location.format(other=free_port()))
    fetcher = allowed(server, names={"issuer.test": "127.0.0.1", "private.example": "10.0.0.7"})
    error = refused(server.url("/go", host="issuer.test"), fetcher)
    assert error.code in (Reason.BLOCKED_ADDRESS, Reason.SCHEME)
    assert [request.path for request in server.requests] == ["/go"]


def test_relative_redirects_are_followed_and_reported(server: LoopbackServer) -> None:
    server.routes["/old"] = redirect("/doc?v=2", status=301)
    result = allowed(server)(server.url("/old", host="issuer.test"))
    assert result.url == server.url("/doc?v=2", host="issuer.test")
    assert [request.path for request in server.requests] == ["/old", "/doc?v=2"]


def test_a_name_is_resolved_once_per_hop_and_never_by_the_connection(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer is checked and connected to; a later answer that
    points inside is refused when it is asked again (after a redirect), never used unseen."""
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    asked: list[str] = []

    def rebinding(host: str) -> list[str]:
        asked.append(host)
        return [next(answers)]

    looked_up: list[object] = []
    guarded = socket.getaddrinfo

    def recording(host: object, *args: object, **kwargs: object) -> object:
        looked_up.append(host)
        return guarded(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    fetcher = SafeFetcher(resolver=rebinding, allow=[("127.0.0.1", server.port)])
    assert fetcher(server.url("/doc", host="issuer.test")).status == 200
    assert asked == ["issuer.test"]
    assert "issuer.test" not in looked_up  # the socket got the checked address

    server.routes["/again"] = redirect("/doc")
    error = refused(server.url("/again", host="issuer.test"), fetcher)
    assert error.code == Reason.BLOCKED_ADDRESS
    assert "10.0.0.1" in str(error)
    assert [request.path for request in server.requests] == ["/doc"]


def test_at_most_five_redirects(server: LoopbackServer) -> None:
    for hop in range(6):
        server.routes[f"/r{hop}"] = redirect(f"/r{hop + 1}")
    server.routes["/r6"] = answer()
    fetcher = allowed(server)
    assert fetcher(server.url("/r1", host="issuer.test")).status == 200  # five
    assert refused(server.url("/r0", host="issuer.test"), fetcher).code == (
        Reason.TOO_MANY_REDIRECTS
    )
    server.routes["/loop"] = redirect("/loop")
    assert refused(server.url("/loop", host="issuer.test"), fetcher).code == (
        Reason.TOO_MANY_REDIRECTS
    )


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory):
    return tls_pair(["issuer.test"], tmp_path_factory.mktemp("tls"))


def test_tls_connects_to_the_address_but_checks_the_name(tls) -> None:
    server_context, client_context = tls
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _context: names.append(name)
    with LoopbackServer({"/doc": answer()}, tls=server_context) as server:
        names_map = {"issuer.test": "127.0.0.1", "other.test": "127.0.0.1"}
        fetcher = allowed(server, names=names_map, tls=client_context)
        assert fetcher(server.url("/doc", host="issuer.test")).status == 200
        assert names == ["issuer.test"]
        assert server.requests[0].headers["host"] == f"issuer.test:{server.port}"
        # the same server under a name its certificate does not carry
        assert refused(server.url("/doc", host="other.test"), fetcher).code == Reason.TLS
        # and a certificate nobody vouches for
        untrusting = allowed(server, names=names_map)
        assert refused(server.url("/doc", host="issuer.test"), untrusting).code == Reason.TLS


def test_https_redirecting_to_http_is_refused(tls, server: LoopbackServer) -> None:
    server_context, client_context = tls
    down = server.url("/doc", host="issuer.test")
    with LoopbackServer({"/down": redirect(down)}, tls=server_context) as secure:
        fetcher = allowed(secure, server, tls=client_context)
        error = refused(secure.url("/down", host="issuer.test"), fetcher)
    assert error.code == Reason.INSECURE_REDIRECT
    assert server.requests == []


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (answer(b"x" * 1001), Reason.TOO_LARGE),  # announced
        (answer(b"x" * 1001, length=False), Reason.TOO_LARGE),  # found out
        (answer(gzip.compress(b" " * 100_000), headers=[("Content-Encoding", "gzip")]),
         Reason.TOO_LARGE),  # small on the wire, large once decoded
        (answer(b"x", headers=[("Content-Encoding", "br")]), Reason.BAD_RESPONSE),
        (answer(b"<html></html>", "text/html; charset=utf-8"), Reason.NOT_A_BADGE),
        (answer(b"hello", "text/plain"), Reason.CONTENT_TYPE),
        (answer(b"{}", None), Reason.CONTENT_TYPE),
        (answer(b"{}", headers=[("Content-Length", "500")], length=False), Reason.BAD_RESPONSE),
    ],
)  # fmt: skip
def test_bodies_are_capped_and_typed(server: LoopbackServer, route: object, reason: str) -> None:
    server.routes["/it"] = route
    fetcher = allowed(server, limits=Limits(max_bytes=1000))
    assert refused(server.url("/it", host="issuer.test"), fetcher).code == reason


def test_a_body_of_exactly_the_limit_is_read(server: LoopbackServer) -> None:
    server.routes["/full"] = answer(b"x" * 1000, length=False)
    server.routes["/zipped"] = answer(
        gzip.compress(b"y" * 1000), headers=[("Content-Encoding", "gzip")]
    )
    fetcher = allowed(server, limits=Limits(max_bytes=1000))
    assert fetcher(server.url("/full", host="issuer.test")).body == b"x" * 1000
    assert fetcher(server.url("/zipped", host="issuer.test")).body == b"y" * 1000


def test_the_default_cap_is_two_megabytes(server: LoopbackServer) -> None:
    two_mb = 2 * 1024 * 1024
    server.routes["/two"] = answer(b"{" * two_mb)
    server.routes["/more"] = answer(b"{" * (two_mb + 1), length=False)
    fetcher = allowed(server)
    assert len(fetcher(server.url("/two", host="issuer.test")).body) == two_mb
    assert refused(server.url("/more", host="issuer.test"), fetcher).code == Reason.TOO_LARGE


def test_a_content_length_smaller_than_the_body_reads_no_further(server: LoopbackServer) -> None:
    server.routes["/lie"] = answer(b"x" * 5000, headers=[("Content-Length", "10")], length=False)
    fetcher = allowed(server, limits=Limits(max_bytes=1000))
    assert fetcher(server.url("/lie", host="issuer.test")).body == b"x" * 10


@pytest.mark.parametrize("headers_too", [False, True])
def test_a_slow_drip_is_cut_at_the_deadline(server: LoopbackServer, headers_too: bool) -> None:
    server.routes["/drip"] = drip(0.02, headers_too=headers_too)  # each byte well in time
    fetcher = allowed(server, limits=Limits(read_timeout=1.0, total_timeout=0.4))
    started = time.monotonic()
    assert refused(server.url("/drip", host="issuer.test"), fetcher).code == Reason.TIMEOUT
    assert time.monotonic() - started < 1.0


def test_a_slow_drip_in_the_tls_handshake_ends_at_the_deadline() -> None:
    """The server announces a 16 KB TLS record and sends it a byte at a time, each well
    within the connect timeout. (Python's ssl bounds a whole handshake by the socket's
    timeout, which is shortened to what is left of the deadline; the watchdog would too.)"""
    stop = threading.Event()

    def serve(listener: socket.socket) -> None:
        client, _ = listener.accept()
        with client:
            client.recv(4096)  # the ClientHello
            client.sendall(b"\x16\x03\x03\x40\x00")  # handshake record, 16384 bytes
            with contextlib.suppress(OSError):
                while not stop.wait(0.02):
                    client.sendall(b"\x00")

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        thread = threading.Thread(target=serve, args=(listener,), daemon=True)
        thread.start()
        fetcher = SafeFetcher(
            resolver=StaticResolver({"issuer.test": "127.0.0.1"}),
            allow=[("127.0.0.1", port)],
            limits=Limits(connect_timeout=1.0, read_timeout=1.0, total_timeout=0.4),
        )
        started = time.monotonic()
        try:
            assert refused(f"https://issuer.test:{port}/", fetcher).code == Reason.TIMEOUT
            assert time.monotonic() - started < 1.0
        finally:
            stop.set()
            thread.join(2)


def test_a_silent_server_times_out(server: LoopbackServer) -> None:
    server.routes["/silent"] = lambda _handler: time.sleep(1.0)
    fetcher = allowed(server, limits=Limits(read_timeout=0.2))
    started = time.monotonic()
    assert refused(server.url("/silent", host="issuer.test"), fetcher).code == Reason.TIMEOUT
    assert time.monotonic() - started < 0.9


def test_a_resolver_that_hangs_times_out() -> None:
    def hanging(_host: str) -> list[str]:
        time.sleep(1.0)
        return ["8.8.8.8"]

    fetcher = SafeFetcher(resolver=hanging, limits=Limits(total_timeout=0.2))
    started = time.monotonic()
    assert refused("http://slow.example/", fetcher).code == Reason.TIMEOUT
    assert time.monotonic() - started < 0.9


def test_nothing_listening_is_a_connect_failure() -> None:
    port = free_port()
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)])
    assert refused(f"http://127.0.0.1:{port}/", fetcher).code == Reason.CONNECT_FAILED


def test_content_types_can_be_chosen_per_call(server: LoopbackServer) -> None:
    server.routes["/png"] = answer(b"\x89PNG\r\n\x1a\n", "image/png")
    fetcher = allowed(server)
    images = fetcher.accepting(IMAGE_TYPES)
    assert images(server.url("/png", host="issuer.test")).body.startswith(b"\x89PNG")
    with pytest.raises(FetchError) as caught:
        images(server.url("/doc", host="issuer.test"))
    assert caught.value.code == Reason.CONTENT_TYPE
    assert server.requests[-1].headers["accept"] == "image/png, image/svg+xml"
    with pytest.raises(FetchError):
        fetcher.fetch(server.url("/doc", host="issuer.test"), accept=["image/png"])


def test_error_statuses_come_back_with_a_body_only_of_an_accepted_type(
    server: LoopbackServer,
) -> None:
    server.routes["/gone"] = answer(b'{"revoked": true}', status=410)
    server.routes["/missing"] = answer(b"<h1>Not found</h1>", "text/html", status=404)
    fetcher = allowed(server)
    gone = fetcher(server.url("/gone", host="issuer.test"))
    assert (gone.status, gone.body) == (410, b'{"revoked": true}')
    missing = fetcher(server.url("/missing", host="issuer.test"))
    assert (missing.status, missing.ok, missing.body) == (404, False, b"")


def test_no_cookies_credentials_or_proxies(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.setenv("NETRC", str(Path(__file__)))  # requests would read this for passwords
    server.routes["/login"] = answer(
        b"", None, 302, [("Location", "/doc"), ("Set-Cookie", "session=secret; Path=/")]
    )
    fetcher = allowed(server)
    fetcher(server.url("/login", host="issuer.test"))
    fetcher(server.url("/doc", host="issuer.test"))
    assert len(server.requests) == 3
    for request in server.requests:
        assert "cookie" not in request.headers
        assert "authorization" not in request.headers
        assert request.headers["user-agent"].startswith("OpenBadgeWallet/")
        assert request.headers["accept-encoding"] == "identity"
        assert request.headers["host"] == f"issuer.test:{server.port}"


def test_non_ascii_paths_are_sent_percent_encoded(server: LoopbackServer) -> None:
    server.routes["/%E3%83%90%E3%83%83%E3%82%B8"] = answer()
    result = allowed(server)(server.url("/バッジ", host="issuer.test"))
    assert result.status == 200
    assert result.url.endswith("/%E3%83%90%E3%83%83%E3%82%B8")


def test_ipv6_loopback_is_refused_unless_allowed() -> None:
    with LoopbackServer({"/doc": answer()}, host="::1") as server:
        assert refused(server.url("/doc")).code == Reason.BLOCKED_ADDRESS
        assert refused(server.url("/doc", host="v6.test"), allowed()).code == (
            Reason.BLOCKED_ADDRESS
        )
        fetcher = allowed(server)
        assert fetcher(server.url("/doc")).status == 200
        assert fetcher(server.url("/doc", host="v6.test")).status == 200
        assert server.requests[-1].headers["host"] == f"v6.test:{server.port}"


def test_an_ipv4_mapped_address_is_its_ipv4_address(server: LoopbackServer) -> None:
    url = server.url("/doc", host="[::ffff:127.0.0.1]")
    assert refused(url).code == Reason.BLOCKED_ADDRESS
    assert allowed(server)(url).status == 200
