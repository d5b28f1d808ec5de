"""The drawings behind a share link, without a database: preview, QR codes, signature."""

from __future__ import annotations

import io
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import resvg_py
import zxingcpp
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from tests.factories import png_bytes
from tests.svg_support import corpus
from tests.unit.test_svg_fuzz import documents, mutated
from wallet.services.errors import ImageRejectedError
from wallet.services.share_images import badge, og, qr, text
from wallet.services.share_images.og import OgCard, render_og
from wallet.services.svg import sanitise_svg

SVG_DIR = Path(__file__).parent.parent / "data" / "svg" / "benign"
BADGE_SVG = (SVG_DIR / "multilingual-text-badge.svg").read_bytes()
PRODUCTION_BASE = "https://openbadge.shizuoka.ac.jp"
SHARE_URL = f"{PRODUCTION_BASE}/b/Xy-9_abC"


def card(**changes: str) -> OgCard:
    values = {
        "name": "データサイエンス特別教育プログラム",
        "issuer": "静岡大学",
        "locale": "ja",
        "state": "",
        "site": "openbadge.shizuoka.ac.jp",
    }
    return OgCard(**{**values, **changes})


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def preview(**changes: str) -> Image.Image:
    return opened(render_og(card(**changes), BADGE_SVG, badge.SVG)).convert("RGB")


def differ(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int] | None = None) -> bool:
    if box:
        a, b = a.crop(box), b.crop(box)
    difference = ImageChops.difference(a.convert("RGBA"), b.convert("RGBA"))
    return difference.getbbox(alpha_only=False) is not None


TEXT_COLUMN = (og.TEXT_LEFT, 0, og.WIDTH, og.HEIGHT - og.BAND_HEIGHT)


# -- the share preview -------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_preview_is_a_1200_by_630_png(locale: str) -> None:
    data = render_og(card(locale=locale), BADGE_SVG, badge.SVG)
    image = opened(data)
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_japanese_names_are_drawn_with_real_glyphs() -> None:
    """Two names of the same length with different characters draw differently: with
    a font lacking Japanese both would be the same row of empty boxes."""
    blank = preview(name="", issuer="")
    named = preview(name="静岡大学", issuer="")
    reordered = preview(name="大学静岡", issuer="")
    assert differ(blank, named, TEXT_COLUMN)
    assert differ(named, reordered, TEXT_COLUMN)
    assert differ(preview(issuer="静岡大学"), preview(issuer="大学静岡"), TEXT_COLUMN)


def test_the_badge_image_is_drawn_on_the_left() -> None:
    with_badge = opened(render_og(card(), BADGE_SVG, badge.SVG)).convert("RGB")
    other = opened(render_og(card(), png_bytes(64), "image/png")).convert("RGB")
    assert differ(with_badge, other, (0, 0, og.PANEL_WIDTH, og.HEIGHT))
    assert not differ(with_badge, other, TEXT_COLUMN)


@pytest.mark.parametrize(
    "name",
    [
        "地域創造学環フィールドワーク実践演習「まちづくりとデータ活用」修了認定" * 8,
        "Supercalifragilisticexpialidocious" * 12,
        "Data Science and Artificial Intelligence " * 20,
        "W" * 400,
        "。" * 200,
    ],
)
def test_a_very_long_name_stays_inside_its_column(name: str) -> None:
    image = preview(name=name, issuer=name, state="revoked")
    assert image.size == (1200, 630)
    right_margin = (og.TEXT_LEFT + og.TEXT_WIDTH + 1, 0, og.WIDTH, og.HEIGHT - og.BAND_HEIGHT)
    blank = Image.new("RGB", image.size, og.BACKGROUND)
    assert not differ(image, blank, right_margin), "text ran into the right margin"
    _size, lines = og._title_lines(text.clean(name))
    assert len(lines) == og.TITLE_LINES
    assert lines[-1].endswith(text.ELLIPSIS)


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        "\u202eevil\u202c",
        "a\x00b\x1b[31mc\x7f\r\nd\u2028e\u2029f",
        "\ud800\udfff" + "\U0010ffff" + "\ufeff\u200b\u200d",
        "מבחן عربي \u2067isolate\u2069 \u200f",
        "",
        " " * 50,
    ],
)
def test_hostile_text_is_drawn_as_plain_text(hostile: str) -> None:
    image = preview(name=hostile, issuer=hostile, site=hostile, state="expired")
    assert image.size == (1200, 630)


def test_right_to_left_overrides_cannot_reorder_the_name() -> None:
    plain = preview(name="ABC DEF", issuer="Shizuoka")
    overridden = preview(name="ABC \u202eDEF\u202c", issuer="\u2067Shizuoka\u2069")
    reversed_name = preview(name="ABC FED", issuer="Shizuoka")
    assert not differ(plain, overridden)
    assert differ(plain, reversed_name)


def test_clean_keeps_markup_as_characters_and_drops_controls() -> None:
    assert text.clean("<b>x</b>") == "<b>x</b>"
    assert text.clean("a\u202eb\u2066c\u2069\x00d\r\n\te  f\u200b") == "abcd e f"
    assert text.clean("ｶﾞ") == "ｶﾞ"
    assert text.clean("x" * 1000, limit=10) == "x" * 10


@pytest.mark.parametrize("state", ["revoked", "expired", "pending"])
def test_a_state_band_says_what_is_known(state: str) -> None:
    image = preview(state=state)
    assert image.getpixel((5, og.HEIGHT - 5)) == og.BANDS[state]
    assert image.getpixel((5, og.HEIGHT - og.BAND_HEIGHT - 1)) == og.PANEL
    assert differ(preview(state=state, locale="en"), image, (0, 550, 1200, 630))


def test_a_valid_badge_gets_no_band_and_no_claim() -> None:
    image = preview(state="")
    assert image.getpixel((5, og.HEIGHT - 5)) == og.ACCENT
    assert image.getpixel((5, og.HEIGHT - og.BAND_HEIGHT)) == og.PANEL
    assert not differ(image, preview(state="valid"))  # no such band: nothing is claimed


def test_wrapped_lines_fit_and_ellipsise() -> None:
    face = text.font(40)
    lines, fitted = text.wrap("静岡大学" * 40, face, 300, 2)
    assert not fitted
    assert len(lines) == 2
    assert lines[1].endswith(text.ELLIPSIS)
    assert all(face.getlength(line) <= 300 for line in lines)
    assert text.wrap("Data Science Programme", face, 300, 3) == (
        ["Data Science", "Programme"],
        True,
    )


def test_a_line_does_not_start_with_closing_punctuation() -> None:
    face = text.font(40)
    width = face.getlength("静岡大学静岡")
    lines, _ = text.wrap("静岡大学静岡。大学", face, width, 3)
    assert not any(line.startswith("。") for line in lines)


@pytest.fixture
def no_font(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    text.font_id.cache_clear()
    text.font.cache_clear()
    monkeypatch.setattr(text, "FONT_PATH", tmp_path / "missing.ttf")
    try:
        yield
    finally:
        text.font_id.cache_clear()
        text.font.cache_clear()


@pytest.mark.usefixtures("no_font")
def test_without_the_font_a_preview_is_still_drawn(caplog: pytest.LogCaptureFixture) -> None:
    assert text.font_id() == "pillow-default"
    assert "missing" in caplog.text
    image = preview(name="Data Science", issuer="Shizuoka University")
    assert image.size == (1200, 630)
    assert differ(image, preview(name="", issuer=""), TEXT_COLUMN)


def test_the_font_is_part_of_what_a_drawing_depends_on() -> None:
    assert text.font_id().startswith("ipaexg-")


# -- badge images as pixels ---------------------------------------------------------------


def _visible(image: Image.Image) -> tuple[int, int, int, int] | None:
    return image.getchannel("A").getbbox()


@pytest.mark.parametrize("svg", sorted(SVG_DIR.glob("*.svg")), ids=lambda path: path.name)
def test_svg_badges_are_rasterised_inside_the_box(svg: Path) -> None:
    picture = badge.badge_picture(svg.read_bytes(), badge.SVG, 300)
    assert picture.size == (300, 300)
    assert picture.mode == "RGBA"
    assert _visible(picture) is not None


def test_a_tall_drawing_is_scaled_to_fit_not_to_width() -> None:
    tall = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 1000">'
        b'<rect width="10" height="1000"/></svg>'
    )
    picture = badge.badge_picture(tall, badge.SVG, 200)
    assert picture.size == (200, 200)
    left, top, right, bottom = _visible(picture) or (0, 0, 0, 0)
    assert (top, bottom) == (0, 200)
    assert right - left <= 4


def test_sizes_in_millimetres_are_drawn() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="30mm" height="30mm">'
        b'<rect width="100%" height="100%"/></svg>'
    )
    assert _visible(badge.badge_picture(svg, badge.SVG, 100)) == (0, 0, 100, 100)


def test_the_svg_language_switch_follows_the_viewer() -> None:
    ja = badge.badge_picture(BADGE_SVG, badge.SVG, 300, ("ja",))
    en = badge.badge_picture(BADGE_SVG, badge.SVG, 300, ("en",))
    assert differ(ja, en)


def test_text_in_an_svg_badge_is_drawn_whatever_font_it_names() -> None:
    def with_text(words: str) -> Image.Image:
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60">'
            f'<text x="5" y="40" font-size="30" font-family="KozGoPr6N-Bold, Arial">{words}</text>'
            "</svg>"
        )
        return badge.badge_picture(svg.encode(), badge.SVG, 200)

    assert _visible(with_text("修了")) is not None
    assert differ(with_text("修了"), with_text("了修"))


def test_png_badges_are_scaled_up_or_down_to_the_box() -> None:
    for side in (16, 64, 1000):
        picture = badge.badge_picture(png_bytes(side), "image/png", 120)
        assert _visible(picture) == (0, 0, 120, 120)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"<svg", badge.SVG), (b"\x89PNG\r\n\x1a\nbroken", "image/png"), (b"", "image/png")],
)
def test_an_undrawable_image_gives_an_empty_square(
    data: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    picture = badge.badge_picture(data, content_type, 100)
    assert picture.size == (100, 100)
    assert _visible(picture) is None
    assert "could not be drawn" in caplog.text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        documents(),
        st.sampled_from(corpus("benign")).flatmap(lambda path: mutated(path.read_bytes())),
    )
)
def test_every_svg_the_upload_accepts_can_be_drawn(data: bytes) -> None:
    """Whatever the sanitiser lets through, resvg draws or refuses with ValueError
    (then an empty square): nothing escapes as an exception or a Rust panic."""
    try:
        stored = sanitise_svg(data)
    except ImageRejectedError:
        return
    assert badge.badge_picture(stored, badge.SVG, 48).size == (48, 48)


# -- the e-mail signature badge -----------------------------------------------------------


def _noise_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        *[(path.read_bytes(), badge.SVG) for path in sorted(SVG_DIR.glob("*.svg"))],
        (png_bytes(400), "image/png"),
    ],
)
def test_the_signature_badge_is_a_small_sharp_png(data: bytes, content_type: str) -> None:
    png = badge.render_signature(data, content_type)
    image = opened(png)
    assert image.format == "PNG"
    assert image.size == (192, 192)  # shown 96 px wide: two pixels for one
    assert len(png) <= badge.SIGNATURE_MAX_BYTES


def test_even_pure_noise_stays_within_the_signature_budget() -> None:
    png = badge.render_signature(_noise_png(400), "image/png")
    assert len(png) <= badge.SIGNATURE_MAX_BYTES
    assert opened(png).width in (96, 192)


def test_the_signature_badge_keeps_transparency() -> None:
    image = opened(badge.render_signature(BADGE_SVG, badge.SVG)).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0  # a round badge: its corners show the mail
    assert image.getpixel((96, 96))[3] == 255


# -- QR codes ----------------------------------------------------------------------------


def _decoded(image: Image.Image) -> zxingcpp.Barcode:
    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1, "no QR code found"
    return results[0]


def test_the_qr_png_decodes_to_the_share_url() -> None:
    found = _decoded(opened(qr.render_qr_png(SHARE_URL)))
    assert found.text == SHARE_URL
    assert found.ec_level == "M"
    assert int(found.extra["Version"]) <= 4


def test_the_qr_png_prints_at_300_dpi_at_3_cm() -> None:
    image = opened(qr.render_qr_png(SHARE_URL))
    _modules, version = qr.qr_modules(SHARE_URL)
    count = 17 + 4 * version + 2 * qr.QUIET_ZONE
    assert image.width == image.height >= 354
    assert image.width % count == 0, "every module is a whole number of pixels"
    assert tuple(round(value) for value in image.info["dpi"]) == (300, 300)
    # the quiet zone: four modules of white on every side, then the finder patterns
    border = qr.QUIET_ZONE * (image.width // count)
    dark = ImageChops.invert(image.convert("L")).getbbox()
    assert dark == (border, border, image.width - border, image.height - border)


def test_the_qr_svg_is_crisp_paths_without_fonts_and_decodes() -> None:
    svg = qr.render_qr_svg(SHARE_URL)
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("shape-rendering") == "crispEdges"
    assert {child.tag.split("}")[1] for child in root} == {"rect", "path"}
    assert b"font" not in svg
    assert b"<text" not in svg
    raster = resvg_py.svg_to_bytes(svg_string=svg.decode(), width=400, height=400, dpi=96)
    assert _decoded(opened(bytes(raster))).text == SHARE_URL


def test_the_qr_svg_paths_are_whole_modules() -> None:
    svg = qr.render_qr_svg(SHARE_URL).decode()
    steps = re.findall(r"[Mhv](-?[\d.]+)", svg)
    assert all(float(step).is_integer() for step in steps)


@pytest.mark.parametrize("repeat", range(20))
def test_production_share_urls_need_version_4_or_lower(repeat: int) -> None:
    url = f"{PRODUCTION_BASE}/b/{secrets.token_urlsafe(6)}"
    assert qr.qr_modules(url)[1] <= qr.MAX_VERSION


def test_the_documented_base_url_limit_is_exact() -> None:
    def version(base_length: int) -> int:
        base = "https://" + "a" * (base_length - len("https://"))
        return qr.qr_modules(f"{base}/b/Xy-9_abC")[1]

    assert version(qr.MAX_BASE_URL_LENGTH) == qr.MAX_VERSION
    assert version(qr.MAX_BASE_URL_LENGTH + 1) == qr.MAX_VERSION + 1
    assert len(PRODUCTION_BASE) <= qr.MAX_BASE_URL_LENGTH
