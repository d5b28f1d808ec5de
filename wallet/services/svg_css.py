"""CSS inside badge SVGs: ``<style>`` elements, ``style`` attributes, presentation attributes.

The text is tokenised with tinycss2, which follows the CSS Syntax specification, so an
escaped ``u\\72l(``, a comment inside a function name or an upper-case ``URL(`` reads
exactly as a browser reads it. What comes back is written from the parsed tokens, never
copied from the upload: allow-listed properties and functions only, no at-rules, and no
``url()`` but ``url(#fragment)``. Anything that would load a file or run code is refused
with ``ImageRejectedError``; a property that is simply not on the list is dropped, as a
browser drops a property it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import tinycss2
from tinycss2 import ast

from wallet.services.errors import ImageRejectedError

# Properties that style a drawing. Every one is also accepted as a presentation attribute.
# fmt: off
PROPERTIES = frozenset({
    "alignment-baseline", "baseline-shift", "clip", "clip-path", "clip-rule", "color",
    "color-interpolation", "color-interpolation-filters", "color-rendering", "direction",
    "display", "dominant-baseline", "fill", "fill-opacity", "fill-rule", "filter",
    "flood-color", "flood-opacity", "font", "font-family", "font-kerning", "font-size",
    "font-size-adjust", "font-stretch", "font-style", "font-variant", "font-weight",
    "image-rendering", "isolation", "letter-spacing", "lighting-color", "marker", "marker-end",
    "marker-mid", "marker-start", "mask", "mask-type", "mix-blend-mode", "opacity", "overflow",
    "paint-order", "shape-rendering", "stop-color", "stop-opacity", "stroke",
    "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor", "text-decoration",
    "text-rendering", "transform", "transform-box", "transform-origin", "unicode-bidi",
    "vector-effect", "visibility", "white-space", "word-spacing", "writing-mode",
})

# Functions those properties need: colours, arithmetic, transforms, filters, clip shapes.
# None of them loads anything; url() is checked on its own.
FUNCTIONS = frozenset({
    "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color",
    "calc", "min", "max", "clamp",
    "matrix", "matrix3d", "translate", "translatex", "translatey", "translatez", "translate3d",
    "scale", "scalex", "scaley", "scalez", "scale3d", "rotate", "rotatex", "rotatey", "rotatez",
    "rotate3d", "skew", "skewx", "skewy",
    "blur", "brightness", "contrast", "drop-shadow", "grayscale", "hue-rotate", "invert",
    "opacity", "saturate", "sepia",
    "inset", "circle", "ellipse", "polygon", "path", "rect",
})

# Functions that fetch an image or a document.
_LOADING_FUNCTIONS = frozenset({
    "url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "-webkit-cross-fade",
    "element", "-moz-element", "paint",
})
# fmt: on

# A reference to an element of the same document: "#" and an id. Quotes, brackets,
# backslashes and spaces are left out so the reference can be written back unquoted.
_FRAGMENT = re.compile(r"#[^\x00-\x20\x7f\"'()<>\\`]+")
MAX_CSS_NESTING = 16
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n]?|(.))", re.DOTALL)
_URL_OPENING = re.compile(r"url\s*\(\s*['\"]?\s*", re.IGNORECASE)
# characters XML 1.0 cannot carry; CSS escapes can spell them (\6, \D800, \FFFE)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_xml_text(text: str) -> bool:
    """Whether every character of ``text`` may appear in an XML document."""
    return _NOT_XML.search(text) is None


def is_fragment(url: str) -> bool:
    """Whether ``url`` names an element of the same document (``#id``)."""
    return _FRAGMENT.fullmatch(url) is not None


def clean_stylesheet(text: str) -> str:
    """The content of a ``<style>`` element, rewritten from its allow-listed rules."""
    rules = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule":
            _refuse_at_rule(rule)
        if rule.type != "qualified-rule":
            continue  # a parse error: browsers skip it too
        if not _scan(rule.prelude, strict=False):
            continue
        body = _clean_declarations(rule.content)
        selector = tinycss2.serialize(_strip(rule.prelude))
        if body and selector and is_xml_text(selector):
            rules.append(f"{selector}{{{body}}}")
    clean = "\n".join(rules)
    check_url_text(clean)
    return clean


def clean_style_attribute(text: str) -> str:
    """A ``style`` attribute, rewritten from its allow-listed declarations."""
    clean = _clean_declarations(text)
    check_url_text(clean)
    return clean


def clean_presentation_value(text: str) -> str | None:
    """A presentation attribute (``fill="..."``) read as the CSS value it is.

    ``None`` when the value is not valid CSS, which a browser ignores as well, or
    cannot be written in XML.
    """
    tokens = tinycss2.parse_component_value_list(text, skip_comments=True)
    if not _scan(tokens, strict=True):
        return None
    clean = tinycss2.serialize(_strip(tokens))
    check_url_text(clean)
    return clean if clean and is_xml_text(clean) else None


def check_plain_value(text: str) -> None:
    """Refuse an attribute that is not CSS (``d``, ``id``...) when it holds a ``url(``.

    Browsers do not read these attributes as CSS, but another program might: only
    ``url(#fragment)`` is allowed in them too.
    """
    _scan(tinycss2.parse_component_value_list(text, skip_comments=True), strict=False)
    check_url_text(text)


def check_url_text(text: str) -> None:
    """Refuse any ``url(`` in the text that is not ``url(#``, wherever it stands.

    A last look at what will be written, with CSS escapes read and comments removed:
    even a ``url(`` inside a CSS string, which loads nothing, is refused, so that no
    program reading the image less carefully than a browser finds an address in it.
    """
    plain = _unescape(re.sub(r"/\*.*?(?:\*/|\Z)", "", text, flags=re.DOTALL))
    for match in _URL_OPENING.finditer(plain):
        if not plain.startswith("#", match.end()):
            raise ImageRejectedError("svg_external")


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(2)
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return _ESCAPE.sub(one, text)


def _clean_declarations(source: str | Sequence[ast.Node]) -> str:
    kept = []
    for item in tinycss2.parse_blocks_contents(source, skip_comments=True, skip_whitespace=True):
        if item.type == "at-rule":
            _refuse_at_rule(item)
        elif item.type == "qualified-rule":
            _scan(item.prelude, strict=False)  # before serialising it for the message
            nested = tinycss2.serialize(_strip(item.prelude))
            raise ImageRejectedError("svg_css", css=f"{nested} {{ … }}")
        elif item.type == "declaration":
            wanted = item.lower_name in PROPERTIES
            # every value is scanned, so a dropped property that loads a file is still refused
            if _scan(item.value, strict=wanted) and wanted:
                value = tinycss2.serialize(_strip(item.value))
                if value and is_xml_text(value):
                    important = "!important" if item.important else ""
                    kept.append(f"{item.lower_name}:{value}{important}")
    return ";".join(kept)


def _refuse_at_rule(rule: ast.AtRule) -> None:
    if rule.lower_at_keyword == "import":
        raise ImageRejectedError("svg_external")
    raise ImageRejectedError("svg_css", css=f"@{rule.lower_at_keyword}")


def _scan(tokens: Iterable[ast.Node], *, strict: bool, depth: int = 0) -> bool:
    """Refuse whatever loads or runs; when ``strict``, also what is not allow-listed.

    Returns False when the tokens hold a CSS syntax error (an unclosed string, say), which
    makes browsers ignore the whole declaration.
    """
    if depth > MAX_CSS_NESTING:
        raise ImageRejectedError("svg_too_deep", max_depth=MAX_CSS_NESTING)
    valid = True
    for token in tokens:
        if token.type == "url":
            if not is_fragment(token.value):
                raise ImageRejectedError("svg_external")
        elif token.type == "function":
            _check_function(token, strict=strict)
            valid &= _scan(token.arguments, strict=strict, depth=depth + 1)
        elif token.type in ("() block", "[] block", "{} block"):
            valid &= _scan(token.content, strict=strict, depth=depth + 1)
        elif token.type == "at-keyword" and token.lower_value == "import":
            raise ImageRejectedError("svg_external")  # whatever it stands in
        elif token.type == "at-keyword" and strict:
            raise ImageRejectedError("svg_css", css=f"@{token.lower_value}")
        elif token.type == "error":
            if token.kind == "bad-url":
                raise ImageRejectedError("svg_external")
            valid = False
        elif token.type == "literal" and token.value == "\\":
            valid = False  # a stray backslash: invalid, and it would not survive rewriting
    return valid


def _check_function(function: ast.FunctionBlock, *, strict: bool) -> None:
    name = function.lower_name
    if name == "url":
        # url("#id") with a quoted argument is a function token, not a url token
        arguments = _strip(function.arguments)
        if not (
            len(arguments) == 1
            and arguments[0].type == "string"
            and is_fragment(arguments[0].value)
        ):
            raise ImageRejectedError("svg_external")
    elif name in _LOADING_FUNCTIONS:
        raise ImageRejectedError("svg_external")
    elif name == "expression":
        raise ImageRejectedError("svg_script")  # old Internet Explorer ran it as script
    elif strict and name not in FUNCTIONS:
        raise ImageRejectedError("svg_css", css=f"{name}()")


def _strip(tokens: Sequence[ast.Node]) -> list[ast.Node]:
    """Without the whitespace at either end."""
    start, end = 0, len(tokens)
    while start < end and tokens[start].type == "whitespace":
        start += 1
    while end > start and tokens[end - 1].type == "whitespace":
        end -= 1
    return list(tokens[start:end])
