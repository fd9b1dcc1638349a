"""Languages of the web UI: Babel catalogs (English, Spanish) and locale-aware formatting."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALES = ("en", "es")
DEFAULT = "en"
LANG_COOKIE = "vinculo_lang"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog (`locale/<lang>/LC_MESSAGES/messages.mo`) shipped in the package."""
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def negotiate(request: Request) -> str:
    """The language cookie if set, else the best match of Accept-Language, else English."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in
              request.headers.get("accept-language", "").split(",") if part.strip()]
    try:
        found = Locale.negotiate(wanted, LOCALES) if wanted else None
    except (UnknownLocaleError, ValueError):
        found = None
    return str(found.language) if found else DEFAULT


def number(value: float | None, locale: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=locale, decimal_quantization=False) if isinstance(value, int) else \
        format_decimal(round(value, 3), locale=locale)


def date(value: str | dt.date | None, locale: str, fmt: str = "medium") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10]) if len(value) <= 10 else \
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return format_datetime(value, fmt, tzinfo=dt.UTC, locale=locale)
    return format_date(value, fmt, locale=locale)


def month(value: str, locale: str) -> str:
    """'2025-06' as a short month and year in `locale` (jun 2025 / Jun 2025)."""
    try:
        return format_date(dt.date(int(value[:4]), int(value[5:7]), 1), "MMM y", locale=locale)
    except (ValueError, IndexError):
        return value


def country_name(code: str | None, locale: str) -> str:
    if not code:
        return ""
    return Locale.parse(locale).territories.get(code, code)
