"""Choosing a language from Accept-Language, and formatting dates per locale."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib import i18n


@pytest.mark.parametrize("header,expected", [
    (None, "en"), ("", "en"), ("*", "en"), ("de-DE,de;q=0.9", "en"),
    ("es-MX,es;q=0.9,en;q=0.8", "es"), ("pt-BR", "pt"), ("fr-CA;q=0.8, ht;q=0.9", "ht"),
    ("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh", "zh-Hans"),
    ("zh-Hant-TW", "zh-Hant"), ("zh-Hans", "zh-Hans"), ("fil-PH", "tl"), ("tl", "tl"),
    ("ar-EG", "ar"), ("ko-KR", "ko"), ("vi", "vi"), ("ru-RU", "ru"),
    ("de;q=1, ko;q=0.1", "ko"), ("es;q=0, fr", "fr"), ("en;q=abc, vi;q=0.5", "vi"),
])
def test_accept_language_picks_the_best_supported_language(header, expected):
    assert i18n.negotiate(header) == expected


def test_unknown_languages_fall_back_to_english_text():
    assert i18n.translator("xx").language == "en"
    assert i18n.gettext("es", "A message no catalog has") == "A message no catalog has"


def test_dates_times_and_zones_are_formatted_per_locale():
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("America/Chicago"))
    es, ko, ar = (i18n.translator(code) for code in ("es", "ko", "ar"))
    assert es.date(moment) == "martes, 1 de diciembre de 2026"
    assert es.zone_name(moment) == "hora estándar central"
    assert ko.date(moment) == "2026년 12월 1일 화요일"
    assert ar.rtl and not es.rtl
    assert i18n.translator("en").when(moment) == \
        "Tuesday, December 1, 2026, 9:30\u202fAM Central Standard Time"


def test_haitian_creole_and_tagalog_format_dates_too():
    moment = datetime(2026, 7, 4, 15, tzinfo=ZoneInfo("America/New_York"))
    assert "2026" in i18n.translator("ht").date(moment)
    assert "Hulyo" in i18n.translator("tl").date(moment)
