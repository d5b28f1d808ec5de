"""The e-mail signature snippet keeps to what Gmail and Outlook keep: a table with inline
styles, one hosted PNG, links; badge text only ever as text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from wallet.services.signature import build_signature, plain, preview_document

IMAGE = "https://badges.example.ac.jp/b/Ab3_x-9Z/badge.png"
SHARE = "https://badges.example.ac.jp/b/Ab3_x-9Z"

ALLOWED = {
    "table": {"role", "cellpadding", "cellspacing", "border", "style"},
    "tr": set(),
    "td": {"style"},
    "a": {"href", "style"},
    "img": {"src", "width", "height", "alt", "style"},
    "br": set(),
    "span": {"style"},
}
HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '"><iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)><style>*{display:none}</style>",
    "\u202egnp.exe",  # right-to-left override
    "\u2067isolated\u2069 \u200fmark\u200e \x00\x1b[31m",
    "&lt;already escaped&gt; & ampersand ' quote",
]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"a comment in the snippet: {data!r}")


def _parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("name", ["データサイエンス特別教育プログラム", *HOSTILE])
def test_only_allowed_elements_and_attributes_with_inline_styles(name: str) -> None:
    signature = build_signature(name, "静岡大学 " + name, IMAGE, SHARE)
    parsed = _parse(signature.html)
    assert [tag for tag, _ in parsed.elements] == [
        "table", "tr", "td", "a", "img", "td", "a", "br", "span",
    ]  # fmt: skip
    for tag, attributes in parsed.elements:
        assert tag not in {"script", "iframe", "svg", "style", "link", "object", "embed"}
        assert set(attributes) <= ALLOWED[tag], (tag, attributes)
        assert not any(key.startswith("on") for key in attributes)
        assert "class" not in attributes
        assert "id" not in attributes
    links = [a["href"] for tag, a in parsed.elements if tag == "a"]
    assert links == [SHARE, SHARE]
    [image] = [a for tag, a in parsed.elements if tag == "img"]
    assert image["src"] == IMAGE
    assert image["src"].endswith(".png")  # no SVG, no data: URI
    for _tag, attributes in parsed.elements:
        for key, value in attributes.items():
            assert "url(" not in (value or ""), (key, value)


@pytest.mark.parametrize("name", HOSTILE)
def test_badge_text_shows_as_text(name: str) -> None:
    signature = build_signature(name, "Issuer " + name, IMAGE, SHARE)
    parsed = _parse(signature.html)
    shown = "".join(parsed.text)
    assert plain(name) in shown
    assert f"Issuer {plain(name)}" in shown
    [image] = [a for tag, a in parsed.elements if tag == "img"]
    assert image["alt"] == plain(name)
    for invisible in "\u202e\u2067\u2069\u200f\u200e\x00\x1b":
        assert invisible not in signature.html
        assert invisible not in signature.text


def test_plain_text_version() -> None:
    signature = build_signature("AI <応用基礎>\nレベル", "静岡大学", IMAGE, SHARE)
    assert signature.text == f"AI <応用基礎> レベル\n静岡大学\n{SHARE}"


def test_plain_drops_controls_and_direction_marks() -> None:
    assert plain("  a\u202eb\t\nc\u2066d\u2069  ") == "a b c d"


def test_preview_page_holds_the_snippet_and_nothing_that_runs() -> None:
    signature = build_signature("<script>alert(1)</script>", "静岡大学", IMAGE, SHARE)
    page = preview_document(signature, "ja")
    assert signature.html in page
    assert '<html lang="ja">' in page
    tags = {tag for tag, _ in _parse(page).elements}
    assert "script" not in tags
