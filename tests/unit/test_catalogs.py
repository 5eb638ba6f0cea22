"""Every message shown to people is in all 12 catalogs, translated, with its placeholders."""
import ast
import re

import pytest
from babel.messages.pofile import read_po

from chalicelib import errors, i18n, problems
from chalicelib.booking import domain, representation

ROOT = i18n.LOCALES_DIR.parent.parent  # chalicelib/


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


MARKERS = {"_", "N_", "gettext"}


def marked_strings() -> set[str]:
    """String literals passed to `_()`, `N_()` or `gettext()` (also `t.gettext(...)`) anywhere
    in chalicelib. Only literal arguments: `_(labels[code])` translates a string marked where
    it is defined."""
    found = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def shown_messages() -> set[str]:
    """Marked strings in chalicelib, problem titles, visit reason labels."""
    found = marked_strings()
    found |= {cls.title for cls in [errors.DomainError, *_subclasses(errors.DomainError)]}
    found |= set(problems._GENERIC_TITLES.values()) | {"Error"}
    found |= set(representation.REASON_LABELS.values())
    return found


def test_there_is_one_catalog_per_language_people_can_choose():
    assert set(i18n.LANGUAGES) == set(domain.LANGUAGES)
    present = {p.parent.parent.name for p in i18n.LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")}
    assert present == set(domain.LANGUAGES)


def test_the_extraction_finds_the_notice_texts():
    messages = shown_messages()
    assert "Your USCIS appointment is confirmed: {number}" in messages
    assert "A signed Form G-28 if an attorney or accredited representative comes with you" in messages
    assert "That time is no longer available" in messages


@pytest.mark.parametrize("language", domain.LANGUAGES)
def test_no_catalog_misses_a_message(language):
    with i18n.catalog_path(language).open("rb") as handle:
        catalog = read_po(handle)
    entries = {m.id: m for m in catalog if m.id}
    missing = sorted(m for m in shown_messages() if m not in entries)
    empty = sorted(m for m, e in entries.items() if not e.string)
    fuzzy = sorted(m for m, e in entries.items() if e.fuzzy)
    assert not missing, f"{language} catalog misses: {missing}"
    assert not empty, f"{language} catalog has untranslated: {empty}"
    assert not fuzzy, f"{language} catalog has fuzzy: {fuzzy}"
    for msgid, entry in entries.items():
        assert set(re.findall(r"\{\w*\}", msgid)) == set(re.findall(r"\{\w*\}", entry.string)), \
            f"{language}: placeholders differ in {msgid!r}"


@pytest.mark.parametrize("language", [code for code in domain.LANGUAGES if code != "en"])
def test_translations_are_not_english_copies(language):
    catalog = i18n.catalog(language)
    # A handful of words are spelled the same in some languages ("Date" in French, "Error"
    # in Spanish); whole sentences never are.
    copied = [m for m, text in catalog.items() if text == m and len(m.split()) > 2]
    assert not copied, f"{language} copies English: {copied}"


def test_validators_raise_only_messages_marked_for_translation():
    """A request validator's ValueError text becomes the field's message in the caller's
    language (`validation._describe`), so a bare English literal there is a missing translation."""
    bare = []
    for path in ROOT.rglob("validation.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and getattr(node.exc.func, "id", None) == "ValueError" and node.exc.args
                    and isinstance(node.exc.args[0], ast.Constant)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare
