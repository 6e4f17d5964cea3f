"""Languages people read the outputs in: one registry (`LANGUAGES`), gettext catalogs managed with
Babel (`locale/<lang>/LC_MESSAGES/variantprio.po`, compiled to the `.mo` beside it) and numbers and
dates formatted for the locale by Babel (CLDR).

Source strings are English; mark them `_()` where the text is produced, `N_()` where it is only
declared (a table of labels) and translated later. `variantprio-i18n.cfg` beside this file tells
`pybabel extract` where to look; the README's "Translations" section gives the commands.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "variantprio"


@dataclass(frozen=True)
class Language:
    """One language of the outputs: its code (`--lang`, `report.lang`) and CLDR locale."""

    code: str
    name: str
    locale: str


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "en_GB"),
    "fr": Language("fr", "français", "fr_FR"),
}
DEFAULT_LANGUAGE = "en"  # the language of the source strings: needs no catalog
LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGES)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Marks a string for the catalog where it is declared; `gettext` translates it where it is shown."""
    return message


def language(code: str | None) -> Language:
    """The registered language `code` (None: the default). A ValueError names the choices."""
    code = code or DEFAULT_LANGUAGE
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}: one of {', '.join(LANGUAGES)}")
    return LANGUAGES[code]


@cache
def translations(code: str | None = None) -> gettext.NullTranslations:
    """The compiled catalog of a language; English, the source language, translates to itself."""
    lang = language(code)
    if lang.code == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    with open(LOCALE_DIR / lang.code / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)


def gettext_for(code: str | None):
    """The `gettext` function of a language (what `_` is bound to where outputs are written)."""
    return translations(code).gettext


# --- numbers and dates --------------------------------------------------------------------------

def decimal_text(value: float, digits: int, code: str | None) -> str:
    """`value` with exactly `digits` decimals: 0.912 in English, 0,912 in French."""
    lang = language(code)
    if lang.code == DEFAULT_LANGUAGE:
        return f"{value:.{digits}f}"
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=lang.locale,
                          decimal_quantization=True, group_separator=False)


def scientific_text(value: float, code: str | None) -> str:
    """A small number in scientific notation: 2.50e-05 in English, 2,50E-05 in French."""
    lang = language(code)
    if lang.code == DEFAULT_LANGUAGE:
        return f"{value:.2e}"
    from babel.numbers import format_scientific

    return format_scientific(value, format="0.00E00", locale=lang.locale)


def percent_number(value: float, code: str | None, digits: int = 1) -> str:
    """A probability as a percentage with `digits` decimals, in the locale's pattern: 12.5% / 12,5 %."""
    lang = language(code)
    if lang.code == DEFAULT_LANGUAGE:
        return f"{100 * value:.{digits}f}%"
    from babel.core import Locale
    from babel.numbers import parse_pattern

    pattern = parse_pattern(Locale.parse(lang.locale).percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, Locale.parse(lang.locale))


def datetime_text(moment: datetime, code: str | None) -> str:
    """A UTC timestamp: '2026-11-03 14:05 UTC' in English, '3 novembre 2026 14:05 UTC' in French."""
    lang = language(code)
    if lang.code == DEFAULT_LANGUAGE:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    from babel.dates import format_datetime

    return format_datetime(moment, "d MMMM y HH:mm", locale=lang.locale) + " UTC"
