"""The translation machinery: every user-facing string of the sources is in the catalog with a French
translation, the compiled .mo files match the .po files, templates hold no text outside gettext, and
numbers and dates follow the locale."""

from __future__ import annotations

import gettext
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import variantprio
from variantprio.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALE_DIR,
    datetime_text,
    decimal_text,
    gettext_for,
    scientific_text,
)
from variantprio.rank.acmg import POINT_CLASSES, TAG_ORDER
from variantprio.report.evidence import EVIDENCE_KINDS
from variantprio.units import percent_text

PACKAGE = Path(variantprio.__file__).resolve().parent
TEMPLATES = PACKAGE / "report" / "templates"
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _mapping() -> tuple[list, dict]:
    from babel.messages import frontend

    with open(PACKAGE / "i18n" / "babel.cfg", encoding="utf-8") as handle:
        parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
        return parse(handle)


def extracted_messages() -> set:
    """Every msgid (or singular/plural pair) `pybabel extract` finds in the package today."""
    method_map, options_map = _mapping()
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords=DEFAULT_KEYWORDS):
        found.add(tuple(message) if isinstance(message, (tuple, list)) else message)
    return found


def catalog(code: str):
    with open(LOCALE_DIR / code / "LC_MESSAGES" / "variantprio.po", "rb") as handle:
        return read_po(handle, locale=code)


def _ids(messages) -> set:
    return {m.id for m in messages if m.id}


def test_the_template_and_every_catalog_list_exactly_the_strings_of_the_sources():
    """A string marked in code or a template but missing from a catalog fails here (and the other way
    round): re-run the extract/update commands of the README."""
    found = extracted_messages()
    with open(PACKAGE / "i18n" / "variantprio.pot", "rb") as handle:
        assert _ids(read_po(handle)) == found, "variantprio.pot is out of date"
    for code in TRANSLATED:
        ids = _ids(catalog(code))
        assert found - ids == set(), f"{code}: strings without a translation entry"
        assert ids - found == set(), f"{code}: obsolete entries"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_has_a_reviewed_translation_with_the_same_placeholders(code):
    for message in catalog(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, f"{code}: untranslated {ids[0]!r}"
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(_PLACEHOLDER.findall(text)) == wanted, f"{code}: placeholders of {ids[0]!r}"
            # translations land in HTML attributes (title, placeholder) as they are
            assert '"' not in text or '"' in ids[0], f"{code}: a double quote in {text!r}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalog_is_the_po_file(code):
    buffer = io.BytesIO()
    write_mo(buffer, catalog(code))
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    with open(LOCALE_DIR / code / "LC_MESSAGES" / "variantprio.mo", "rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert shipped._catalog == fresh._catalog, "variantprio.mo is stale: run pybabel compile (README)"


@pytest.mark.parametrize("code", TRANSLATED)
def test_labels_declared_in_tables_are_translated(code):
    """ACMG criteria, classes and evidence kinds are declared with N_() and translated where shown."""
    _ = gettext_for(code)
    for tag in TAG_ORDER:
        assert _(tag) != tag and _(tag).split(" ")[0] == tag.split(":")[0], tag
    for _floor, name in POINT_CLASSES:
        assert _(name) != name
    for kind in EVIDENCE_KINDS:
        assert _(kind.without) != kind.without
        assert _(kind.label) != kind.label or kind.label == "ClinVar"


# Words a template may show as they are in every language: names of tools, formats and fields.
_VERBATIM = {"HGVS", "ClinVar", "CADD", "REVEL", "DP", "GQ", "AD", "variantprio", "UTC"}


@pytest.mark.parametrize("name", ["report.html.j2", "summary.html.j2"])
def test_templates_show_no_text_outside_gettext(name):
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    body = text[text.index("<body>"):]
    body = re.sub(r"<script>.*?</script>", "", body, flags=re.S)
    body = re.sub(r"<style>.*?</style>", "", body, flags=re.S)
    for attribute in ("title", "placeholder", "aria-label", "data-template"):
        for value in re.findall(rf'{attribute}="([^"]*)"', body):
            assert not re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", value).strip(" ;:,"), (attribute, value)
    shown = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", body, flags=re.S)
    shown = re.sub(r"<[^>]*>", " ", shown)
    words = set(re.findall(r"[A-Za-z][A-Za-z-]+", shown)) - _VERBATIM
    assert not words, f"{name}: text outside _(): {sorted(words)}"


def test_the_page_language_is_set_from_the_report_language():
    for name in ("report.html.j2", "summary.html.j2"):
        assert '<html lang="{{ lang }}">' in (TEMPLATES / name).read_text(encoding="utf-8")


def test_numbers_and_dates_follow_the_locale():
    assert percent_text(0.125) == "12.5%" and percent_text(0.125, "fr") == "12,5\xa0%"
    assert percent_text(0.9999, "fr") == ">99,9\xa0%" and percent_text(0.0001, "fr") == "<0,1\xa0%"
    assert percent_text(0.9999) == ">99.9%" and percent_text(None, "fr") == ""
    assert decimal_text(0.91234, 3, "fr") == "0,912" and decimal_text(0.91234, 3, "en") == "0.912"
    assert scientific_text(2.5e-5, "fr") == "2,50E-05" and scientific_text(2.5e-5, "en") == "2.50e-05"
    moment = datetime(2026, 3, 5, 14, 7, tzinfo=timezone.utc)
    assert datetime_text(moment, "en") == "2026-03-05 14:07 UTC"
    assert datetime_text(moment, "fr") == "5 mars 2026 14:07 UTC"


def test_an_unknown_language_names_the_choices():
    with pytest.raises(ValueError, match="one of en, fr"):
        gettext_for("de")


def test_strings_are_marked_where_the_extractor_sees_them():
    """`gettext_for(lang)("text")` translates but hides "text" from pybabel (and so from the catalog
    and the tests above): bind `_ = gettext_for(lang)` and call `_("text")`."""
    hidden = [f"{path.relative_to(PACKAGE)}:{number}" for path in PACKAGE.rglob("*.py")
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"""gettext_for\([^)]*\)\(\s*["']""", line)]
    assert not hidden, hidden
