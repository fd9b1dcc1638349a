"""The operator's account settings: API token lifetimes and which roles must use a second factor.

Each is read from the node's settings (`Node.settings`, e.g. set by a test or an embedding program), else
from an environment variable `VINCULO_<NAME>` (set it where `vinculo serve` runs), else the default here.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from vinculo.sharing.release import ROLES

DEFAULTS = {
    "token_days": "90",  # lifetime of an API token issued without --expires-in
    "token_max_days": "365",  # the longest lifetime anyone may ask for
    "totp_roles": "admin",  # roles that must log in with a second factor ("none": no role)
}
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days"}


class SettingError(ValueError):
    pass


def raw(node, name: str) -> str:
    value = (getattr(node, "settings", None) or {}).get(name)
    if value is None:
        value = os.environ.get("VINCULO_" + name.upper())
    return DEFAULTS[name] if value is None else str(value).strip()


def _days(node, name: str) -> int:
    value = raw(node, name)
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= 3650:
        raise SettingError(f"setting {name} (VINCULO_{name.upper()}): a whole number of days, 1 to 3650, "
                           f"not {value!r}")
    return int(value)


def token_lifetime(node) -> dt.timedelta:
    return dt.timedelta(days=min(_days(node, "token_days"), _days(node, "token_max_days")))


def token_max(node) -> dt.timedelta:
    return dt.timedelta(days=_days(node, "token_max_days"))


def totp_roles(node) -> frozenset[str]:
    value = raw(node, "totp_roles").lower()
    if value in ("", "none"):
        return frozenset()
    roles = frozenset(r.strip() for r in value.split(",") if r.strip())
    unknown = roles - set(ROLES)
    if unknown:
        raise SettingError(f"setting totp_roles (VINCULO_TOTP_ROLES): unknown role(s) {', '.join(sorted(unknown))}; "
                           f"give a comma-separated list of {', '.join(ROLES)}, or none")
    return roles


def parse_duration(text: str) -> dt.timedelta:
    """`30d`, `12h`, `90m` -> a timedelta (whole minutes, hours or days)."""
    found = _DURATION.match(text.strip().lower()) if text.isascii() else None
    if not found:
        raise SettingError(f"expires-in {text!r}: a whole number followed by m, h or d (e.g. 30d, 12h, 90m)")
    return dt.timedelta(**{_UNIT[found.group(2)]: int(found.group(1))})
