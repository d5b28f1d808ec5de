"""SVG badge images: parsed, checked against allow-lists, and written out again.

A badge image must reference nothing outside itself, because other backpacks inline it
in their pages where our sandbox does not reach. So the upload is never stored as it
came: ``sanitise_svg`` parses it with defusedxml and writes a new document from the
allow-listed parts only.

- Elements: the drawing elements in ``ELEMENTS``. ``metadata`` and every element in
  another namespace (Inkscape, Sodipodi, RDF, Dublin Core, Creative Commons, Adobe
  Illustrator...) are dropped with what they hold: browsers draw none of them. Any other
  element in the SVG or XHTML namespace (``script``, ``foreignObject``, ``a``,
  ``animate``, ``iframe``...) is refused, because silently changing a drawing is worse
  than telling the office what to fix. ``title`` and ``desc`` keep their text only.
  Comments and processing instructions are dropped, except ``<?xml-stylesheet?>``,
  which is refused.
- Attributes: the geometry attributes in ``ATTRIBUTES`` and the presentation attributes
  (read as CSS, see ``svg_css``); editors' and unknown attributes are dropped; ``on…``
  handlers are refused. ``href`` and ``xlink:href`` may only be ``#fragment`` or a
  base64 ``data:`` PNG, JPEG, GIF or WebP whose bytes are that format; ``url(`` may
  only be ``url(#fragment)``, in any attribute.
- Entity declarations and DOCTYPEs with an internal subset are refused; a plain DOCTYPE
  (Illustrator writes one) is accepted and left out of the result.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from wallet.services import svg_css
from wallet.services.errors import ImageRejectedError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_DEPTH = 100

# Elements that draw, group, paint or filter, and load nothing themselves.
# fmt: off
ELEMENTS = frozenset({
    "svg", "g", "defs", "symbol", "use", "switch", "title", "desc", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern", "image", "marker",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
    "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
    "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur",
    "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset", "fePointLight",
    "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
})

# Attributes without a namespace that are kept as written, besides the presentation
# attributes (svg_css.PROPERTIES), style and href. None of them is read as a URL.
ATTRIBUTES = frozenset({
    # identity, language, accessibility, conditions
    "id", "class", "lang", "role", "aria-label", "aria-labelledby", "aria-describedby",
    "aria-hidden", "systemLanguage", "requiredFeatures", "version", "baseProfile",
    # geometry
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "dx", "dy",
    "z", "width", "height", "d", "points", "pathLength", "viewBox", "preserveAspectRatio",
    # text
    "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing", "side",
    # gradients, patterns, clip paths, masks, markers
    "gradientUnits", "gradientTransform", "spreadMethod", "offset", "patternUnits",
    "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
    "maskContentUnits", "markerUnits", "markerWidth", "markerHeight", "refX", "refY", "orient",
    # filters
    "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "type", "values",
    "tableValues", "slope", "intercept", "amplitude", "exponent", "mode", "operator",
    "k1", "k2", "k3", "k4", "kernelMatrix", "kernelUnitLength", "order", "divisor", "bias",
    "targetX", "targetY", "edgeMode", "preserveAlpha", "surfaceScale", "diffuseConstant",
    "specularConstant", "specularExponent", "scale", "xChannelSelector", "yChannelSelector",
    "radius", "baseFrequency", "numOctaves", "seed", "stitchTiles", "azimuth", "elevation",
    "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle",
})
# fmt: on

_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,(.*)", re.IGNORECASE | re.DOTALL)
_SCRIPT_SCHEMES = ("javascript:", "vbscript:")


def sanitise_svg(data: bytes, *, field: str | None = None) -> bytes:
    """The clean SVG document written from the allow-listed parts of ``data``.

    Raises ``ImageRejectedError`` (with ``field``) when the image is broken or holds
    something that runs code, loads a file or would be lost silently.
    """
    try:
        document = _Writer().document(_parse(data))
        if not svg_css.is_xml_text(document):
            raise ImageRejectedError("svg_broken")  # a last guard: never store invalid XML
        return document.encode("utf-8")
    except ImageRejectedError as error:
        # names and CSS quoted in the message come from the upload: keep them short
        params = {key: _shorten(str(value)) for key, value in error.params.items()}
        raise ImageRejectedError(error.code, field=field, **params) from None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- parsing -------------------------------------------------------------------------------


@dataclass
class _Prolog:
    """What expat reported besides the elements: the DOCTYPE, processing instructions."""

    has_internal_subset: bool = False
    instructions: list[str] = field(default_factory=list)

    def doctype(
        self, name: str, system_id: str | None, public_id: str | None, has_internal_subset: int
    ) -> None:
        self.has_internal_subset |= bool(has_internal_subset)

    def instruction(self, target: str, data: str) -> None:
        self.instructions.append(target.lower())


def _parse(data: bytes) -> Element:
    prolog = _Prolog()
    parser = DefusedXMLParser(
        target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    parser.parser.StartDoctypeDeclHandler = prolog.doctype
    parser.parser.ProcessingInstructionHandler = prolog.instruction
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as error:
        raise ImageRejectedError("svg_entities") from error
    except (ParseError, UnicodeError, ValueError, LookupError) as error:
        raise ImageRejectedError("svg_broken") from error
    if prolog.has_internal_subset:
        raise ImageRejectedError("svg_doctype")
    if "xml-stylesheet" in prolog.instructions:
        raise ImageRejectedError("svg_external")
    if not isinstance(root, Element) or root.tag != f"{{{SVG_NS}}}svg":
        raise ImageRejectedError("svg_broken")
    return root


def _split(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        return namespace, local
    return None, name


# -- writing -------------------------------------------------------------------------------


class _Writer:
    """Writes the clean document; refuses (raises) as soon as something is not allowed."""

    def __init__(self) -> None:
        self.uses_xlink = False

    def document(self, root: Element) -> str:
        attributes, content = self._parts(root, depth=0)
        namespaces = f' xmlns="{SVG_NS}"'
        if self.uses_xlink:
            namespaces += f' xmlns:xlink="{XLINK_NS}"'
        return _markup("svg", namespaces + attributes, content)

    def _element(self, element: Element, depth: int) -> str:
        """The element's clean markup, or "" when it is dropped."""
        namespace, name = _split(element.tag)
        if namespace not in (SVG_NS, XHTML_NS) or (namespace == SVG_NS and name == "metadata"):
            return ""
        attributes, content = self._parts(element, depth)
        return _markup(name, attributes, content)

    def _parts(self, element: Element, depth: int) -> tuple[str, str]:
        namespace, name = _split(element.tag)
        if depth > MAX_DEPTH:
            raise ImageRejectedError("svg_too_deep", max_depth=MAX_DEPTH)
        if name.lower() == "script":
            raise ImageRejectedError("svg_script")
        # attributes first: a link to javascript: is reported as a script, not as a link
        attributes = self._attributes(element, name)
        if namespace != SVG_NS:
            raise ImageRejectedError("svg_element", element=f"xhtml:{name}")
        if name not in ELEMENTS:
            raise ImageRejectedError("svg_element", element=name)
        if name == "style":
            return attributes, _text(svg_css.clean_stylesheet(_style_text(element)))
        content = [_text(element.text or "")]
        for child in element:
            uses_xlink = self.uses_xlink
            markup = self._element(child, depth + 1)
            # title and desc are read as HTML when the image is pasted into a page, where
            # <image> turns into <img>: they keep their text only (browsers draw neither);
            # what they held is still checked, but its links declare nothing
            if name not in ("title", "desc"):
                content.append(markup)
            else:
                self.uses_xlink = uses_xlink
            content.append(_text(child.tail or ""))
        return attributes, "".join(content)

    def _attributes(self, element: Element, element_name: str) -> str:
        kept: list[tuple[str, str]] = []
        for raw_name, value in element.attrib.items():
            namespace, name = _split(raw_name)
            if _is_script_url(value):
                # even where it is dropped (<set to="javascript:…">): the office should know
                raise ImageRejectedError("svg_script")
            if namespace == XLINK_NS and name == "href":
                self.uses_xlink = True
                kept.append(("xlink:href", _clean_href(value)))
            elif namespace == XML_NS and name in ("space", "lang"):
                svg_css.check_plain_value(value)
                kept.append((f"xml:{name}", value))
            elif namespace is None:
                clean = _clean_attribute(name, value, element_name)
                if clean is not None:
                    kept.append((name, clean))
            # anything else (inkscape:label, sodipodi:nodetypes, xml:base...) is dropped
        return "".join(f' {name}="{_attribute_text(value)}"' for name, value in kept)


def _clean_attribute(name: str, value: str, element_name: str) -> str | None:
    """The attribute's clean value, or None to drop it."""
    if name.lower().startswith("on"):
        raise ImageRejectedError("svg_event_handler")
    if name == "href":
        return _clean_href(value)
    if name == "style":
        return svg_css.clean_style_attribute(value) or None
    if name in svg_css.PROPERTIES:
        return svg_css.clean_presentation_value(value)
    if name == "requiredExtensions":
        # browsers draw the element only if they support the extension, so dropping the
        # attribute would change the drawing; it names a URI that we cannot judge
        raise ImageRejectedError("svg_attribute", attribute=name)
    if name == "type" and element_name == "style" and value.strip().lower() not in ("", "text/css"):
        raise ImageRejectedError("svg_css", css=f'type="{value.strip()}"')
    if name not in ATTRIBUTES:
        return None
    svg_css.check_plain_value(value)
    return value


def _style_text(element: Element) -> str:
    for child in element:
        raise ImageRejectedError("svg_css", css=f"<{_split(child.tag)[1]}>")
    return element.text or ""


# -- references ----------------------------------------------------------------------------


def _clean_href(value: str) -> str:
    """``#fragment`` or a base64 data: image; anything else is refused."""
    url = value.strip(" \t\n\r\f")
    if svg_css.is_fragment(url):
        return url
    data_image = _DATA_IMAGE.fullmatch(url)
    if data_image:
        return _clean_data_image(data_image.group(1).lower(), data_image.group(2))
    if _is_script_url(url):
        raise ImageRejectedError("svg_script")
    if _bare_url(url).startswith("data:"):
        raise ImageRejectedError("svg_embedded_image")
    raise ImageRejectedError("svg_external")


def _bare_url(url: str) -> str:
    # browsers ignore tabs, newlines and control characters anywhere in a URL
    return "".join(char for char in url if char > " ").lower()


def _is_script_url(value: str) -> bool:
    return _bare_url(value).startswith(_SCRIPT_SCHEMES)


def _clean_data_image(kind: str, payload: str) -> str:
    payload = re.sub(r"[ \t\r\n\f]", "", payload)
    try:
        image = binascii.a2b_base64(payload, strict_mode=True)
    except ValueError as error:  # binascii.Error, or text that is not ASCII
        raise ImageRejectedError("svg_embedded_image") from error
    if not _has_signature(kind, image):
        raise ImageRejectedError("svg_embedded_image")
    return f"data:image/{kind};base64,{payload}"


def _has_signature(kind: str, image: bytes) -> bool:
    if kind == "png":
        return image.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return image.startswith(b"\xff\xd8\xff")
    if kind == "gif":
        return image.startswith((b"GIF87a", b"GIF89a"))
    return image[:4] == b"RIFF" and image[8:12] == b"WEBP"


# -- markup --------------------------------------------------------------------------------


def _markup(name: str, attributes: str, content: str) -> str:
    if not content:
        return f"<{name}{attributes}/>"
    return f"<{name}{attributes}>{content}</{name}>"


def _text(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _attribute_text(text: str) -> str:
    return _text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
