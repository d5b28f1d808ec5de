"""The Japanese catalogues: complete, unambiguous, compiled, and covering every ``_()``.

Japanese is the default language: an English string that slips through shows up
in the middle of a Japanese page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from wallet.config import PROJECT_ROOT

CATALOGUES = sorted(PROJECT_ROOT.glob("wallet/translations/*/ja/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# the same word in Japanese text
SAME_IN_JAPANESE = {"OK", "CSV", "URL", "PNG", "SVG"}


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale="ja")


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def _area(path: Path) -> str:
    return path.parts[-4]


def test_there_are_catalogues() -> None:
    assert {_area(p) for p in CATALOGUES} >= {"core", "accounts", "admin", "mail"}


@pytest.mark.parametrize("path", CATALOGUES, ids=_area)
def test_no_catalogue_has_empty_or_fuzzy_entries(path: Path) -> None:
    catalog = _read(path)
    empty = [m.id for m in _messages(catalog) if not all(_strings(m))]
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert not empty, f"{path}: untranslated {empty}"
    assert not fuzzy, f"{path}: fuzzy (unchecked) {fuzzy}"


@pytest.mark.parametrize("path", CATALOGUES, ids=_area)
def test_translations_are_japanese_and_keep_their_placeholders(path: Path) -> None:
    wrong = []
    for message in _messages(catalog := _read(path)):
        wanted = set(PLACEHOLDER.findall(_ids(message)[0]))
        for text in _strings(message):
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append(f"{message.id!r}: {text!r} should use {sorted(wanted)}")
            if text == message.id and text not in SAME_IN_JAPANESE:
                wrong.append(f"{message.id!r} is copied, not translated")
    assert catalog.locale is not None
    assert not wrong, "\n".join(wrong)


def test_a_message_reads_the_same_in_every_catalogue() -> None:
    """The catalogues are merged into one: a message translated two ways would show
    whichever catalogue happens to load last. Use a context (pgettext) to differ."""
    seen: dict[tuple[str | None, object], dict[tuple[str, ...], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for path in CATALOGUES:
        for message in _messages(_read(path)):
            seen[(message.context, message.id)][_strings(message)].append(_area(path))
    conflicts = {key: dict(ways) for key, ways in seen.items() if len(ways) > 1}
    assert not conflicts


def _extract(tmp_path: Path) -> Catalog:
    """``pybabel extract`` with the project's babel.cfg, as a translator would run it."""
    out = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "--mapping-file",
            str(PROJECT_ROOT / "babel.cfg"),
            "--keywords",
            "_l lazy_gettext lazy_pgettext:1c,2 lazy_ngettext:1,2",
            "--no-location",
            "--output-file",
            str(out),
            str(PROJECT_ROOT),
        ]
    )
    with out.open("rb") as file:
        return read_po(file)


def test_every_string_in_the_code_and_templates_has_a_japanese_translation(
    tmp_path: Path,
) -> None:
    translated: set[tuple[str | None, object]] = set()
    for path in CATALOGUES:
        translated |= {(m.context, m.id) for m in _messages(_read(path)) if all(_strings(m))}
    extracted = _messages(_extract(tmp_path))
    assert len(extracted) > 100  # the extraction found the project's strings
    missing = [(m.context, m.id) for m in extracted if (m.context, m.id) not in translated]
    assert not missing, f"add these to a catalogue, then `make translations`: {missing}"


@pytest.mark.parametrize("path", CATALOGUES, ids=_area)
def test_compiled_catalogues_match_their_sources(path: Path) -> None:
    compiled = path.with_suffix(".mo")
    assert compiled.exists(), f"run `make translations` ({compiled})"
    with compiled.open("rb") as file:
        mo = GNUTranslations(file)
    for message in _messages(_read(path)):
        if isinstance(message.id, (tuple, list)):
            continue
        if message.context:
            assert mo.pgettext(message.context, message.id) == message.string, message.id
        else:
            assert mo.gettext(message.id) == message.string, f"{message.id}: make translations"
