"""A second opinion on sanitised SVG: does it hold anything that reaches outside?

Written apart from ``wallet/services/svg.py`` and ``svg_css.py`` and on another
principle: they keep what is allowed, this looks for what is forbidden. It parses the
document again (no DOCTYPE allowed at all) and reads every attribute and style sheet
twice, as CSS tokens and as plain text with CSS escapes decoded.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import tinycss2
from tinycss2 import ast

from wallet.services import svg, svg_css

CORPUS = Path(__file__).parent / "data" / "svg"
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_NS = "{http://www.w3.org/XML/1998/namespace}"

# what may point outside: elements, CSS functions and markup
REACHING_ELEMENTS = {
    "script",
    "foreignObject",
    "a",
    "animate",
    "animateMotion",
    "animateTransform",
    "set",
    "iframe",
    "tref",
    "font-face-uri",
    "color-profile",
    "cursor",
}
# functions that fetch, run, or read values from the page around an inlined image
REACHING_FUNCTIONS = {
    "src",
    "image",
    "image-set",
    "-webkit-image-set",
    "cross-fade",
    "element",
    "expression",
    "paint",
}
PAGE_FUNCTIONS = {"var", "env", "attr"}
FORBIDDEN_MARKUP = ("<!doctype", "<!entity", "<?", "<!--", "<![cdata[")
HREF = re.compile(r"#\S+|data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]*={0,2}")
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}\s?|.)", re.DOTALL)
URL_TEXT = re.compile(r"url\s*\(\s*['\"]?\s*(.?)", re.IGNORECASE | re.DOTALL)


def corpus(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).glob("*.svg"))


def parse(data: bytes, *, doctype_allowed: bool = False) -> Element:
    root: Element = SafeET.fromstring(data, forbid_dtd=not doctype_allowed)
    return root


def outside_references(data: bytes) -> list[str]:
    """Everything in ``data`` that could make a reader fetch or run something."""
    text = data.decode("utf-8").lower()
    problems = [f"markup {marker}" for marker in FORBIDDEN_MARKUP if marker in text]
    root = parse(data)
    for element in root.iter():
        name = element.tag.removeprefix(SVG_NS)
        if not element.tag.startswith(SVG_NS):
            problems.append(f"element outside SVG: {element.tag}")
        if name in REACHING_ELEMENTS:
            problems.append(f"element {name}")
        for attribute, value in element.attrib.items():
            if attribute in ("href", XLINK_HREF):
                if not HREF.fullmatch(value) or not _is_picture(value):
                    problems.append(f"{attribute}={value[:60]!r}")
            elif attribute.lower().startswith("on"):
                problems.append(f"handler {attribute}")
            elif attribute == f"{XML_NS}base":
                problems.append("xml:base")
            else:
                is_css = attribute == "style" or attribute in svg_css.PROPERTIES
                problems += _css_problems(value, f"{name}@{attribute}", "css" if is_css else "text")
        if name == "style":
            problems += _css_problems(element.text or "", "style sheet", "sheet")
    return problems


def _is_picture(href: str) -> bool:
    """A fragment, or a data: URL whose bytes are the picture format it claims."""
    if href.startswith("#"):
        return True
    kind, payload = href.removeprefix("data:image/").split(";base64,", 1)
    head = base64.b64decode(payload)[:12]
    return {
        "png": head.startswith(b"\x89PNG\r\n\x1a\n"),
        "jpeg": head.startswith(b"\xff\xd8\xff"),
        "gif": head[:6] in (b"GIF87a", b"GIF89a"),
        "webp": head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    }[kind]


def disallowed_parts(data: bytes) -> list[str]:
    """Elements and attributes that are not on the sanitiser's allow-lists."""
    allowed_attributes = svg.ATTRIBUTES | svg_css.PROPERTIES | {"style", "href", XLINK_HREF}
    allowed_attributes |= {f"{XML_NS}space", f"{XML_NS}lang"}
    problems = []
    for element in parse(data).iter():
        name = element.tag.removeprefix(SVG_NS)
        if name not in svg.ELEMENTS:
            problems.append(f"element {element.tag}")
        problems += [f"{name}@{a}" for a in element.attrib if a not in allowed_attributes]
    return problems


def drawing(data: bytes) -> list[tuple[str, str | None]]:
    """The SVG elements with their ids, in document order, outside metadata."""
    return [
        (element.tag.removeprefix(SVG_NS), element.get("id"))
        for element in _drawn(parse(data, doctype_allowed=True))
        if element.tag.startswith(SVG_NS)
    ]


def _drawn(element: Element) -> Iterator[Element]:
    yield element
    for child in element:
        if child.tag.startswith(SVG_NS) and child.tag != f"{SVG_NS}metadata":
            yield from _drawn(child)


def _css_problems(text: str, where: str, context: str) -> list[str]:
    """``context``: "sheet" (a style sheet), "css" (a CSS value) or "text" (read as neither
    by browsers, yet held to the same rule for url() and @import)."""
    tokens = tinycss2.parse_component_value_list(text)
    problems = [f"{where}: {p}" for p in _token_problems(tokens, context)]
    plain = CSS_ESCAPE.sub(_unescaped, re.sub(r"/\*.*?(\*/|$)", "", text, flags=re.DOTALL))
    problems += [
        f"{where}: text {plain[match.start() : match.start() + 40]!r}"
        for match in URL_TEXT.finditer(plain)
        if match.group(1) != "#"
    ]
    return problems


def _unescaped(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if re.fullmatch(r"[0-9a-fA-F]{1,6}\s?", escaped):
        code = int(escaped.strip(), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "?"
    return escaped


def _token_problems(tokens: Iterable[ast.Node], context: str) -> list[str]:
    problems = []
    for token in tokens:
        if token.type == "url" and not token.value.startswith("#"):
            problems.append(f"url({token.value})")
        elif token.type == "at-keyword" and (context == "sheet" or token.lower_value == "import"):
            problems.append(f"@{token.value}")
        elif token.type == "error" and token.kind == "bad-url":
            problems.append("bad url")
        elif token.type == "function":
            name = token.lower_name
            strings = [a for a in token.arguments if a.type == "string"]
            if name in REACHING_FUNCTIONS or (context != "text" and name in PAGE_FUNCTIONS):
                problems.append(f"{name}()")
            elif name == "url" and not (strings and all(s.value.startswith("#") for s in strings)):
                problems.append("url() with an address")
            problems += _token_problems(token.arguments, context)
        elif token.type in ("() block", "[] block", "{} block"):
            problems += _token_problems(token.content, context)
    return problems
