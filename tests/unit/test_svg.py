"""SVG badge images: the hostile corpus is refused or defused, the benign one survives.

The corpus is in ``tests/data/svg``: one hostile file per way of reaching outside the
image, and realistic badges from Inkscape, Illustrator and Figma. ``tests/svg_support.py``
checks what comes out, independently of the sanitiser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.svg_support import corpus, disallowed_parts, drawing, outside_references
from tests.unit.openbadges import world
from wallet.openbadges.baking import bake_svg, extract
from wallet.services.errors import ImageRejectedError
from wallet.services.images import check_image
from wallet.services.svg import MAX_DEPTH, sanitise_svg

MAX_BYTES = 512 * 1024
HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
# refusals that say the corpus file itself is wrong, not that it was caught
NOT_A_VERDICT = {"svg_broken", "image_type", "image_too_large"}


def _svg(body: str) -> bytes:
    return f"{HEAD}{body}</svg>".encode()


def _refusal(data: bytes) -> ImageRejectedError:
    with pytest.raises(ImageRejectedError) as caught:
        sanitise_svg(data)
    return caught.value


def _stored(upload: bytes) -> bytes | str:
    """What would be stored for the upload, or the code it is refused with."""
    try:
        return check_image(upload, max_bytes=MAX_BYTES).data
    except ImageRejectedError as error:
        return error.code


def _references(data: bytes) -> list[str]:
    """Every internal reference (#id) the document makes, in order."""
    text = data.decode()
    return sorted(re.findall(r"(?:href=\"|url\()\s*['\"]?(#[^\s\"')]+)", text))


def test_the_corpus_is_there() -> None:
    assert len(corpus("hostile")) >= 30
    assert len(corpus("benign")) >= 4


@pytest.mark.parametrize("path", corpus("hostile"), ids=lambda path: path.stem)
def test_hostile_svg_is_refused_or_reaches_nothing_outside(path: Path) -> None:
    stored = _stored(path.read_bytes())
    if isinstance(stored, str):
        assert stored not in NOT_A_VERDICT, f"{path.name} is not a valid test case"
        return
    assert outside_references(stored) == []
    assert disallowed_parts(stored) == []
    assert sanitise_svg(stored) == stored


@pytest.mark.parametrize("path", corpus("benign"), ids=lambda path: path.stem)
def test_benign_svg_is_accepted_with_its_drawing(path: Path) -> None:
    original = path.read_bytes()
    checked = check_image(original, max_bytes=MAX_BYTES)
    assert checked.content_type == "image/svg+xml"
    assert drawing(checked.data) == drawing(original)
    assert _references(checked.data) == _references(original)
    assert outside_references(checked.data) == []
    assert disallowed_parts(checked.data) == []
    assert sanitise_svg(checked.data) == checked.data


def test_illustrators_doctype_comments_and_metadata_are_left_out() -> None:
    original = (corpus("benign")[0].parent / "illustrator-badge.svg").read_bytes()
    assert b"<!DOCTYPE" in original
    clean = sanitise_svg(original).decode()
    assert clean.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    for gone in ("DOCTYPE", "<!--", "<?xml", "Adobe", "sfw", "i:extraneous", "enable-background"):
        assert gone not in clean
    assert ".st0{fill:url(#SVGID_1_)}" in clean
    assert 'id="_レイヤー_1"' in clean
    assert "静岡大学" in clean


def test_inkscape_editor_data_is_dropped() -> None:
    clean = sanitise_svg((corpus("benign")[0].parent / "inkscape-gradient-badge.svg").read_bytes())
    for gone in (b"inkscape", b"sodipodi", b"rdf:", b"metadata", b"creativecommons"):
        assert gone not in clean
    assert b'xlink:href="#linearGradient1"' in clean
    assert b"fill:url(#radialGradient3)" in clean


@pytest.mark.parametrize(
    ("body", "code", "params"),
    [
        ('<rect style="fill:u\\72l(//x.example/p)"/>', "svg_external", {}),
        ('<rect fill="url(&quot;https://x.example/p&quot;)"/>', "svg_external", {}),
        ("<style>@IMPORT 'a.css';</style>", "svg_external", {}),
        ("<style>@media print { rect { fill: red } }</style>", "svg_css", {"css": "@media"}),
        ('<rect style="fill:var(--x)"/>', "svg_css", {"css": "var()"}),
        ("<style>rect { fill: red; g { fill: blue } }</style>", "svg_css", {"css": "g { … }"}),
        ('<style type="text/x-less">rect{}</style>', "svg_css", {"css": 'type="text/x-less"'}),
        ('<animate attributeName="x"/>', "svg_element", {"element": "animate"}),
        ('<foreignObject width="9" height="9"/>', "svg_element", {"element": "foreignObject"}),
        ('<g xmlns="http://www.w3.org/1999/xhtml"/>', "svg_element", {"element": "xhtml:g"}),
        ("<script>alert(1)</script>", "svg_script", {}),
        ('<a href="javascript:alert(1)"><rect/></a>', "svg_script", {}),
        ('<rect onclick="alert(1)"/>', "svg_event_handler", {}),
        ('<image href="data:image/svg+xml;base64,PHN2Zz4="/>', "svg_embedded_image", {}),
        ('<image href="data:image/png;base64,not base64!"/>', "svg_embedded_image", {}),
        ('<image href="data:image/png;base64,iVBORw0KGgoé"/>', "svg_embedded_image", {}),
        ('<g requiredExtensions="http://x.example/ext"/>', "svg_attribute", {}),
    ],
)
def test_refusals_say_what_to_fix(body: str, code: str, params: dict[str, str]) -> None:
    error = _refusal(_svg(body))
    assert error.code == code
    assert params.items() <= error.params.items()


def test_a_doctype_with_its_own_declarations_is_refused() -> None:
    data = b'<!DOCTYPE svg [<!ATTLIST rect fill CDATA "red">]>' + _svg("<rect/>")
    assert _refusal(data).code == "svg_doctype"


def test_deep_nesting_is_refused_not_a_crash() -> None:
    deep = "<g>" * 20_000 + "</g>" * 20_000
    error = _refusal(_svg(deep))
    assert (error.code, error.params) == ("svg_too_deep", {"max_depth": str(MAX_DEPTH)})
    brackets = "(" * 5_000 + ")" * 5_000
    for deep_css in (
        f'<rect style="fill:calc{brackets}"/>',
        f'<rect style="{brackets} {{ fill: red }}"/>',
        f"<style>a {{ {brackets} {{ fill: red }} }}</style>",
        f"<style>{brackets} {{ fill: red }}</style>",
    ):
        assert _refusal(_svg(deep_css)).code == "svg_too_deep"


def test_long_names_in_a_refusal_are_shortened() -> None:
    error = _refusal(_svg(f"<{'x' * 500}/>"))
    assert error.code == "svg_element"
    assert len(error.params["element"]) <= 40


def test_the_field_is_kept_on_a_refusal() -> None:
    with pytest.raises(ImageRejectedError) as caught:
        check_image(_svg("<script/>"), max_bytes=MAX_BYTES, field="logo")
    assert (caught.value.code, caught.value.field) == ("svg_script", "logo")


def test_what_is_kept_is_written_from_the_parsed_css() -> None:
    clean = sanitise_svg(
        _svg(
            '<rect style="F\\49LL : R\\45 D ;/* note */ stroke-width:2 !important;'
            ' background:blue; -inkscape-font-specification:Sans" fill="u\\72l(#g)"/>'
        )
    ).decode()
    assert '<rect style="fill:RED;stroke-width:2!important" fill="url(#g)"/>' in clean


def test_an_embedded_picture_is_kept_with_its_line_breaks_removed() -> None:
    png = "iVBORw0KGgo="
    clean = sanitise_svg(_svg('<image xlink:href=" DATA:image/PNG;base64,iVBO&#xA;Rw0KGgo= "/>'))
    assert f'xlink:href="data:image/png;base64,{png}"' in clean.decode()


def test_text_cannot_break_out_when_the_image_is_pasted_into_html() -> None:
    clean = sanitise_svg(
        _svg(
            "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title><text>a&amp;b</text>"
        )
    ).decode()
    assert "<script" not in clean
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in clean
    assert "<text>a&amp;b</text>" in clean


def test_title_and_desc_keep_their_text_only() -> None:
    clean = sanitise_svg(
        _svg('<title>A <image href="#a"/>badge</title><desc>B<g>C</g>D</desc><rect/>')
    ).decode()
    assert "<title>A badge</title><desc>BD</desc><rect/>" in clean
    assert _refusal(_svg("<title><script/></title>")).code == "svg_script"
    # a link dropped with the title's markup declares no xlink namespace (a second pass
    # would drop the declaration, so the stored image would not be what it gives again)
    clean = sanitise_svg(_svg('<title><g xlink:href="#a"/></title>'))
    assert b"xmlns:xlink" not in clean
    assert sanitise_svg(clean) == clean


@pytest.mark.parametrize("path", corpus("benign"), ids=lambda path: path.stem)
def test_sanitised_badges_can_be_baked(path: Path) -> None:
    baked = bake_svg(sanitise_svg(path.read_bytes()), "https://wallet.test/ob/assertions/1")
    assert extract(baked) == "https://wallet.test/ob/assertions/1"


def test_css_escapes_that_xml_cannot_carry_are_dropped() -> None:
    clean = sanitise_svg(
        _svg(
            "<style>r\\6 ect { fill: red } rect { fill: re\\D800 d; stroke: blue }</style>"
            '<rect font-family="a\\FFFE" stroke="red"/>'
        )
    )
    assert b'<style>rect{stroke:blue}</style><rect stroke="red"/>' in clean


def test_the_svg_other_tests_use_is_kept_whole() -> None:
    clean = sanitise_svg(world.SVG)
    assert drawing(clean) == drawing(world.SVG)
    assert b'<circle cx="32" cy="32" r="30" fill="#1d5fa0"/>' in clean
