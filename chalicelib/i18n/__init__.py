"""Translations and locale formatting for notices and API messages.

The `.po` catalogs under `locales/<code>/LC_MESSAGES/` are read directly (no compile step), so a
fresh clone, the tests and a Lambda package all see the same text. msgids are the English text.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT = "en"
# Our language codes (booking.domain.LANGUAGES) and the CLDR locales that format for them.
BABEL_LOCALES = {"en": "en_US", "es": "es_US", "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant",
                 "vi": "vi", "ko": "ko", "tl": "fil", "ru": "ru", "ar": "ar", "fr": "fr",
                 "ht": "ht", "pt": "pt"}
LANGUAGES = tuple(BABEL_LOCALES)
RIGHT_TO_LEFT = frozenset({"ar"})
# CLDR has no Haitian Creole date names; Babel falls back to French ("mercredi 2 décembre"),
# a language many Haitian Creole readers do not read. These are the Kreyòl names (Monday
# first, January first); zone names, which CLDR lacks too, are given in English.
_HT_DAYS = ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch")
_HT_MONTHS = ("janvye", "fevriye", "mas", "avril", "me", "jen", "jiyè", "out", "septanm",
              "oktòb", "novanm", "desanm")
# Tags people's browsers send that are not one of our codes, by their primary part.
_ALIASES = {"zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-my": "zh-Hans", "zh-tw": "zh-Hant",
            "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh": "zh-Hans", "fil": "tl"}


def N_(message: str) -> str:
    """Marks a string for the catalogs where it is defined; it is translated where it is shown."""
    return message


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    """msgid -> translation; fuzzy and empty entries do not count."""
    from babel.messages.pofile import read_po

    path = catalog_path(language)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=None)
    return {m.id: m.string for m in parsed
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def supported(language: str | None) -> str:
    return language if language in BABEL_LOCALES else DEFAULT


class Translator:
    """Text and dates in one language. Datetimes must be timezone-aware (the office's zone)."""

    def __init__(self, language: str) -> None:
        from babel import Locale

        self.language = supported(language)
        self.locale = Locale.parse(BABEL_LOCALES[self.language])
        self._messages = catalog(self.language)

    @property
    def rtl(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message

    __call__ = gettext

    def date(self, moment: datetime) -> str:
        if self.language == "ht":
            return f"{_HT_DAYS[moment.weekday()]} {self._ht_day_month_year(moment)}"
        from babel.dates import format_date
        return format_date(moment, "full", locale=self.locale)

    def short_date(self, moment: datetime) -> str:
        if self.language == "ht":
            return self._ht_day_month_year(moment)
        from babel.dates import format_date
        return format_date(moment, "medium", locale=self.locale)

    @staticmethod
    def _ht_day_month_year(moment: datetime) -> str:
        return f"{moment.day} {_HT_MONTHS[moment.month - 1]} {moment.year}"

    def time(self, moment: datetime) -> str:
        from babel.dates import format_time
        return format_time(moment, "short", tzinfo=moment.tzinfo, locale=self.locale)

    def zone_name(self, moment: datetime) -> str:
        """The zone in force at that moment, named in the language ("Eastern Standard Time")."""
        from babel.dates import get_timezone_name
        locale = self.locale if self.language != "ht" else "en_US"
        return get_timezone_name(moment, "long", locale=locale)

    def when(self, moment: datetime) -> str:
        """Date, time and the zone named, joined the way the locale joins a date and a time."""
        pattern = ("{1} a {0}" if self.language == "ht"
                   else str(self.locale.datetime_formats["full"]).replace("'", ""))
        return (pattern.replace("{0}", f"{self.time(moment)} {self.zone_name(moment)}")
                .replace("{1}", self.date(moment)))


@lru_cache(maxsize=None)
def translator(language: str | None) -> Translator:
    return Translator(supported(language))


def gettext(language: str | None, message: str) -> str:
    return translator(language).gettext(message)


def negotiate(header: str | None) -> str:
    """The best of our languages for an Accept-Language header; English when none fits."""
    if not header:
        return DEFAULT
    by_lower = {code.lower(): code for code in BABEL_LOCALES}
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0].lower().replace("_", "-")
        quality = 1.0
        for parameter in pieces[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        match = _match(tag, by_lower)
        if match:
            return match
    return DEFAULT


def _match(tag: str, by_lower: dict[str, str]) -> str | None:
    if tag == "*":
        return DEFAULT
    subtags = tag.split("-")
    # Longest prefix first: zh-hant-tw -> zh-hant; pt-br -> pt; zh-tw -> zh-Hant.
    for length in range(len(subtags), 0, -1):
        prefix = "-".join(subtags[:length])
        if prefix in by_lower:
            return by_lower[prefix]
        if prefix in _ALIASES:
            return _ALIASES[prefix]
    return None
