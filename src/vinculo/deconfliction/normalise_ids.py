"""Identifiers with a check digit or a fixed shape.

Check digits come from ``python-stdnum`` where it has them (ISO 6346 containers, CAS registry
numbers, IMO ship numbers, CURP, RFC, SSN, EIN, IMEI); the VIN and the Mexican CLABE are
computed here because stdnum has neither.  A value that fails its check gives an invalid
selector: a mistyped identifier must not match someone else's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from stdnum import casrn, iso6346
from stdnum import imei as stdnum_imei
from stdnum import imo as stdnum_imo
from stdnum.exceptions import ValidationError
from stdnum.mx import curp as stdnum_curp
from stdnum.mx import rfc as stdnum_rfc
from stdnum.us import ein as stdnum_ein
from stdnum.us import ssn as stdnum_ssn

from vinculo.deconfliction.base import Selector, invalid, ok, too_long
from vinculo.deconfliction.text import fold

MAX_ID = 64


SEPARATORS = frozenset(" -./_")


def compact(raw: str) -> str:
    """Upper-case letters and digits (width, accents and look-alikes folded), separators
    (space, "-", ".", "/", "_") removed; "" if any other character is present."""
    folded = fold(raw)
    if not all(ch.isalnum() or ch in SEPARATORS for ch in folded):
        return ""
    return "".join(ch for ch in folded if ch.isalnum()).upper()


def _ascii_alnum(text: str) -> bool:
    return text.isascii() and text.isalnum()


# --- VIN -----------------------------------------------------------------------------------

_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))),
               "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """North American (49 CFR 565) check digit of a 17-character VIN: position 9, 0-9 or X."""
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def vin(raw: str) -> Selector:
    """``vin`` selector: 17 characters without I, O or Q, check digit verified."""
    if (refused := too_long("vin", raw, MAX_ID)) is not None:
        return refused
    value = compact(raw)
    if not value:
        return invalid("vin", raw, "empty, or characters other than letters, digits and separators")
    if len(value) != 17:
        return invalid("vin", raw, "a VIN has 17 characters")
    if not _ascii_alnum(value) or any(ch in "IOQ" for ch in value):
        return invalid("vin", raw, "a VIN uses digits and letters other than I, O and Q")
    if vin_check_digit(value) != value[8]:
        return invalid("vin", raw, "VIN check digit (position 9) does not match")
    return ok("vin", value)


# --- CLABE -----------------------------------------------------------------------------------

def clabe_check_digit(first17: str) -> str:
    """Check digit of a CLABE: weights 3, 7, 1 repeated, each product taken modulo 10."""
    total = sum((int(d) * w) % 10 for d, w in zip(first17, (3, 7, 1) * 6))
    return str((10 - total % 10) % 10)


def clabe(raw: str) -> Selector:
    """``clabe`` selector: 18-digit Mexican interbank account number, check digit verified."""
    if (refused := too_long("clabe", raw, MAX_ID)) is not None:
        return refused
    value = compact(raw)
    if not value:
        return invalid("clabe", raw, "empty, or characters other than letters, digits and separators")
    if len(value) != 18 or not (value.isascii() and value.isdigit()):
        return invalid("clabe", raw, "a CLABE has 18 digits")
    if clabe_check_digit(value[:17]) != value[17]:
        return invalid("clabe", raw, "CLABE check digit does not match")
    return ok("clabe", value)


# --- stdnum-backed identifiers ------------------------------------------------------------------

def _stdnum(kind: str, validate: Callable[[str], str], label: str,
            output: Callable[[str], str] | None = None) -> Callable[[str], Selector]:
    def normalise(raw: str) -> Selector:
        if (refused := too_long(kind, raw, MAX_ID)) is not None:
            return refused
        text = unicodedata.normalize("NFKC", raw).strip()
        if not text.isascii():
            text = fold(text)  # look-alike letters and stray accents, then stdnum's own cleaning
        try:
            value = validate(text)
        except ValidationError as exc:
            return invalid(kind, raw, f"not a valid {label}: {exc}")
        return ok(kind, output(value) if output else value)

    normalise.__name__ = kind
    normalise.__doc__ = f"``{kind}`` selector of a {label}, validated by python-stdnum."
    return normalise


container = _stdnum("container", iso6346.validate, "ISO 6346 container number")
cas = _stdnum("cas", casrn.validate, "CAS registry number")
imo = _stdnum("imo", stdnum_imo.validate, "IMO ship number")
curp = _stdnum("curp", stdnum_curp.validate, "CURP")
# RFC of a person (13 characters) or company (12).  Check digits are not enforced: many RFCs in
# use were issued with wrong ones (stdnum's default); shape and embedded date are.
rfc = _stdnum("rfc", stdnum_rfc.validate, "RFC")
ssn = _stdnum("ssn", stdnum_ssn.validate, "US social security number")
ein = _stdnum("ein", stdnum_ein.validate, "US employer identification number")
# IMEI (Luhn-checked when 15 digits); the value is the 14-digit TAC + serial, so an IMEI written
# with its check digit, without it or as a 16-digit IMEISV gives the same selector.
imei = _stdnum("imei", stdnum_imei.validate, "IMEI", lambda v: v[:14])


# --- passports and e-mail ----------------------------------------------------------------

def passport(country: str | None, number: str) -> Selector:
    """``passport`` selector: issuing country (ISO alpha-2) + number, e.g. ``MX:G12345678``."""
    if (refused := too_long("passport", number, MAX_ID)) is not None:
        return refused
    code = (country or "").strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return invalid("passport", number, "issuing country must be an ISO 3166-1 alpha-2 code")
    value = compact(number)
    if not value:
        return invalid("passport", number, "empty, or characters other than letters, digits and separators")
    if not _ascii_alnum(value) or not 3 <= len(value) <= 20:
        return invalid("passport", number, "a passport number has 3 to 20 letters and digits")
    return ok("passport", f"{code}:{value}")


def email(raw: str) -> Selector:
    """``email`` selector: trimmed, lower-cased, domain in IDNA ASCII form.

    Dots and "+tag" parts of the local part are kept: ignoring them is a convention of some
    providers (Gmail), not of e-mail; stripping them everywhere would make different mailboxes
    at other providers match, a false hit, while a mailbox is normally recorded as it was used.
    """
    if (refused := too_long("email", raw, 254)) is not None:
        return refused
    text = unicodedata.normalize("NFC", raw).strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if text.count("@") != 1:
        return invalid("email", raw, "an e-mail address has exactly one @")
    local, domain = text.split("@")
    if not local or len(local) > 64 or any(ch.isspace() or not ch.isprintable() for ch in local):
        return invalid("email", raw, "bad local part")
    try:
        domain = domain.lower().rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return invalid("email", raw, "bad domain")
    labels = domain.split(".")
    if len(labels) < 2 or not all(
            0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
            and not label.startswith("-") and not label.endswith("-") for label in labels):
        return invalid("email", raw, "bad domain")
    return ok("email", f"{local.lower()}@{domain}")
