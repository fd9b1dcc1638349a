"""Phone numbers to E.164 with ``phonenumbers``.

A number written the local way is read in the record's country (``region``).  Mexico's dialling
reform of 2019-2020 removed prefixes that older records still carry and that current
``phonenumbers`` metadata no longer understands, so they are dropped first:

* ``044``/``045`` + 10 digits (calling a mobile, local or long distance),
* ``01`` + 10 digits (national long distance, also ``01 800`` toll free),
* the mobile ``1`` after the country code: ``+52 1 55 1234 5678`` is ``+525512345678``.

Extensions are dropped (the selector is the line).  Numbers that ``phonenumbers`` does not
consider valid for their region are flagged invalid.
"""

from __future__ import annotations

import unicodedata

import phonenumbers

from vinculo.deconfliction.base import Selector, invalid, ok, too_long

MAX_PHONE = 64
_MX_LEGACY = (("044", 13), ("045", 13), ("01", 12))


def _region(country: str | None) -> str | None:
    if country and country.upper() in phonenumbers.SUPPORTED_REGIONS:
        return country.upper()
    return None


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc", "Cs"))


def _mx_national(text: str) -> str:
    """Drop a legacy Mexican prefix from a number written without its country code."""
    digits = "".join(ch for ch in text if ch.isdigit())
    for prefix, length in _MX_LEGACY:
        if digits.startswith(prefix) and len(digits) == length:
            return digits[len(prefix):]
    return text


def phone(raw: str, country: str | None = None) -> Selector:
    """``phone`` selector in E.164 (``+525512345678``), reading local forms in ``country``."""
    if (refused := too_long("phone", raw, MAX_PHONE)) is not None:
        return refused
    text = _clean(raw)
    region = _region(country)
    if region == "MX" and not text.startswith("+"):
        text = _mx_national(text)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        no_region = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
        reason = "no country code and no known record country" if no_region else "not a phone number"
        return invalid("phone", raw, reason)
    if number.country_code == 52:
        national = str(number.national_number)
        if len(national) == 11 and national.startswith("1"):
            number = phonenumbers.parse("+52" + national[1:], None)
    number.extension = None
    if not phonenumbers.is_valid_number(number):
        return invalid("phone", raw, "not a valid number for its country")
    return ok("phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
