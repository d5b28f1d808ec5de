"""Generated SVG, allowed and hostile parts mixed: what the sanitiser lets through is clean.

The documents come from a small grammar: drawing elements next to scripts, links,
animations and editor elements; geometry and presentation attributes next to handlers,
``xml:base`` and made-up names; CSS with ``url()`` in plain, escaped, quoted and
commented spellings, at-rules, unknown functions, random text, whitespace and case
changes. Whatever comes out is checked by ``tests/svg_support.py``.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from tests.svg_support import corpus, disallowed_parts, outside_references, parse
from wallet.services import svg_css
from wallet.services.errors import ImageRejectedError
from wallet.services.svg import sanitise_svg

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mostly(allowed: list[str], hostile: list[str]) -> list[str]:
    return allowed * 3 + hostile


NAMESPACES = (
    'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    ' xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"'
    ' xmlns:html="http://www.w3.org/1999/xhtml" xmlns:s="http://www.w3.org/2000/svg"'
    ' xmlns:x="https://x.example/ns"'
)
# Each list has an allowed (or harmlessly dropped) half and a hostile half; the allowed
# half is drawn three times as often, so that many documents are accepted and checked.
ELEMENTS = mostly(
    [
        "g", "rect", "circle", "path", "text", "tspan", "use", "image", "style", "defs",
        "linearGradient", "stop", "clipPath", "mask", "pattern", "filter", "feImage",
        "feGaussianBlur", "textPath", "switch", "title", "metadata", "inkscape:grid",
        "x:script", "s:rect",
    ],
    [
        "s:script", "script", "Script", "foreignObject", "a", "animate", "set", "html:iframe",
        "html:script", "tref", "font-face-uri",
    ],
)  # fmt: skip
ATTRIBUTES = mostly(
    [
        "x", "y", "width", "d", "id", "class", "offset", "type", "values", "fill", "stroke",
        "filter", "mask", "clip-path", "marker-end", "transform", "font-family", "opacity",
        "style", "href", "xlink:href", "xml:base", "xml:space", "inkscape:label", "x:href",
    ],
    ["onload", "ONCLICK", "requiredExtensions", "cursor", "src", "attributeName", "to"],
)  # fmt: skip
ADDRESSES = mostly(
    [
        "#a", "#g", " #a ", "#", "data:image/png;base64,iVBORw0KGgo=",
        "data:image/png;base64,iVBO\nRw0KGgo=", "data:image/gif;base64,R0lGODlh",
    ],
    [
        "https://x.example/p.svg#g", "//x.example/p", "x.png", "javascript:alert(1)",
        "JaVaScRiPt:alert(1)", " jav\tascript:x", "vbscript:x",
        "data:image/svg+xml;base64,PHN2Zz4=", "data:,x", "file:///etc/passwd",
    ],
)  # fmt: skip
CSS_PIECES = mostly(
    [
        "url(#a)", "url( '#g' )", "rgb(1, 2, 3)", "calc(1px + 2%)", "translate(1 2)",
        "rotate(45deg)", "red", "#fff", "none", "1.5", "-2e3", "10px", "50%", "!important",
        "'a\"b'", '"x', "'Noto Sans JP'", "\\66 ill", "/* c */", ";", ":", ",", " ", "\n",
        "fill:", "stroke :", "background:", "--p:", "&", "<", ">", "(", ")", "[", "]",
    ],
    [
        "url(https://x.example/p)", "URL(//x.example/p)", 'url( "//x.example/p")',
        "u\\72l(https://x.example/p)", "\\75 rl(x)", "url(/**/x)", "u/**/rl(x)", "url(x y)",
        "url(", "src('x')", "image-set('x' 1x)", "expression(x)", "var(--x)", "\\", "\\0",
        "/*", "{", "}", "\\6 ", "\\D800", "\\FFFE", "\\110000", "@import 'x.css';",
        "@\\69mport x;", "@media all", "@font-face", "<!--", "-->",
    ],
)  # fmt: skip
PROPERTIES = ["fill", "FILL", "stroke", "f\\69ll", "background-image", "cursor", "--x"]
SELECTORS = ["rect", ".a", "#b", "svg > g", "*", "a[href]", ":root", "rect, circle"]

xml_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from(["\t", "\n"]),
    max_size=12,
)


def case_changed(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(pieces), st.sampled_from([str, str.upper, str.swapcase])).map(
        lambda piece: piece[1](piece[0])
    )


@st.composite
def css_text(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(
            case_changed(CSS_PIECES)
            | st.sampled_from(PROPERTIES).map(lambda name: f"{name}:")
            | xml_text,
            max_size=6,
        )
    )
    return draw(st.sampled_from(["", " ", "\n"])).join(pieces)


@st.composite
def stylesheet(draw: st.DrawFn) -> str:
    rules = draw(
        st.lists(
            st.tuples(st.sampled_from(SELECTORS), css_text()).map(
                lambda rule: f"{rule[0]} {{ {rule[1]} }}"
            )
            | css_text(),
            max_size=3,
        )
    )
    return "\n".join(rules)


def attribute_value(name: str) -> st.SearchStrategy[str]:
    if name.endswith("href"):
        endings = st.just("") | xml_text
        return st.tuples(case_changed(ADDRESSES), endings).map("".join) | xml_text
    return css_text()


@st.composite
def attributes(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=4, unique=True))
    return "".join(f' {name}="{_quoted(draw(attribute_value(name)))}"' for name in names)


@st.composite
def element(draw: st.DrawFn, children: st.SearchStrategy[str] | None) -> str:
    name = draw(st.sampled_from(ELEMENTS))
    if name == "style":
        content = _escaped(draw(stylesheet()))
    elif children is not None:
        content = "".join(draw(st.lists(children | xml_text.map(_escaped), max_size=3)))
    else:
        content = _escaped(draw(xml_text))
    return f"<{name}{draw(attributes())}>{content}</{name}>"


leaves = element(None)
elements = element(element(leaves))


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    head = draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0" encoding="UTF-8"?>\n',
                '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"'
                ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n',
                '<?xml-stylesheet href="x.css"?>\n',
                "<!-- made with care -->\n",
            ]
        )
    )
    body = "".join(draw(st.lists(elements, max_size=3)))
    return f"{head}<svg {NAMESPACES}{draw(attributes())}>{body}</svg>".encode()


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert"]))
        if kind == "flip":
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[position : position + draw(st.integers(1, 64))]
        else:
            data[position:position] = draw(st.sampled_from(CSS_PIECES)).encode()
    return bytes(data)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quoted(text: str) -> str:
    return _escaped(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _assert_clean_if_accepted(data: bytes) -> None:
    try:
        clean = sanitise_svg(data)
    except ImageRejectedError:
        return
    assert outside_references(clean) == []
    assert disallowed_parts(clean) == []
    assert sanitise_svg(clean) == clean


@settings(FUZZ, max_examples=100)
@given(documents())
def test_generated_svg_is_refused_or_clean(data: bytes) -> None:
    _assert_clean_if_accepted(data)


@FUZZ
@given(st.sampled_from(corpus("benign") + corpus("hostile")).flatmap(
    lambda path: mutated(Path(path).read_bytes())
))  # fmt: skip
def test_damaged_corpus_files_are_refused_or_clean(data: bytes) -> None:
    _assert_clean_if_accepted(data)


@FUZZ
@given(css_text())
def test_style_attributes_are_refused_or_clean(css: str) -> None:
    try:
        clean = svg_css.clean_style_attribute(css)
    except ImageRejectedError:
        return
    document = f'<svg xmlns="http://www.w3.org/2000/svg"><g style="{_quoted(clean)}"/></svg>'
    assert outside_references(document.encode()) == []
    assert svg_css.clean_style_attribute(clean) == clean


def test_the_grammar_yields_both_accepted_and_refused_documents() -> None:
    """Guards the fuzzing itself: a grammar that only made refusals would test nothing."""
    fast = settings(database=None, max_examples=2000)
    accepted = find(documents(), lambda data: _drawn_elements(data) > 0, settings=fast)
    assert _drawn_elements(accepted) > 0
    find(documents(), lambda data: _drawn_elements(data) < 0, settings=fast)


def _drawn_elements(data: bytes) -> int:
    """How many elements the sanitised document has inside its root; -1 if refused."""
    try:
        clean = sanitise_svg(data)
    except ImageRejectedError:
        return -1
    return len(list(parse(clean).iter())) - 1
