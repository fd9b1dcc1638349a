"""Subscriptions and notifications: the pure rules (validation, matching, timing, what a channel may carry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vinculo.sharing.markings import TLP

KINDS = ("records", "alerts", "notices", "sync")
CHANNELS = ("inapp", "email", "webhook")
MODES = ("immediate", "daily", "weekly")
PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
# Filters on new records: envelope ones (anyone who may read the record) and content ones (only records the
# user reads whole: a filter on a withheld field must not tell them the field's value).
ENVELOPE_FILTERS = ("type", "origin")
CONTENT_FILTERS = ("substance", "country", "selector_kind")
MAX_VALUES = 20
MAX_SUBSCRIPTIONS = 50  # per user
SUMMARY_FIELDS = ("date", "country", "substance", "quantity", "unit", "place", "kind", "status", "full_name", "name",
                  "title", "method", "summary", "admin_area", "mark")
MAX_TEXT = 200


class SubscriptionIn(BaseModel):
    """A subscription as a user asks for it (API body, CLI options, web form)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = "records"
    filter: dict[str, list[str]] = Field(default_factory=dict)
    channels: list[str] = Field(default_factory=lambda: ["inapp"], min_length=1, max_length=3)
    mode: str = "immediate"
    quiet_start: int | None = Field(None, ge=0, le=23)
    quiet_end: int | None = Field(None, ge=0, le=23)
    only_new: bool = True
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]{1,189}$")
    webhook_id: int | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"one of {', '.join(KINDS)}")
        return v

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in MODES:
            raise ValueError(f"one of {', '.join(MODES)}")
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in CHANNELS]
        if bad:
            raise ValueError(f"unknown channel {bad[0]!r}: one of {', '.join(CHANNELS)}")
        return sorted(set(v))

    @field_validator("filter")
    @classmethod
    def _filter(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        out = {}
        for key, values in v.items():
            if key not in ENVELOPE_FILTERS + CONTENT_FILTERS:
                raise ValueError(f"unknown filter {key!r}: one of {', '.join(ENVELOPE_FILTERS + CONTENT_FILTERS)}")
            if not 1 <= len(values) <= MAX_VALUES or any(not 1 <= len(x) <= 100 for x in values):
                raise ValueError(f"filter {key}: 1-{MAX_VALUES} values of 1-100 characters")
            out[key] = sorted({x.strip().lower() if key != "country" else x.strip().upper() for x in values})
        return out

    def problems(self) -> list[tuple[str, str]]:
        """Cross-field checks (field, reason)."""
        out = []
        if (self.quiet_start is None) != (self.quiet_end is None):
            out.append(("quiet_start", "give both quiet_start and quiet_end (hours UTC), or neither"))
        if "email" in self.channels and not self.email:
            out.append(("email", "an e-mail subscription needs an address"))
        if "webhook" in self.channels and self.webhook_id is None:
            out.append(("webhook_id", "a webhook subscription names one of your webhooks"))
        if self.kind != "records" and self.filter:
            out.append(("filter", f"filters apply to record subscriptions, not to {self.kind}"))
        return out


@dataclass(frozen=True)
class Subscription:
    id: int
    user: str
    kind: str
    filter: dict
    channels: tuple[str, ...]
    mode: str
    quiet_start: int | None
    quiet_end: int | None
    only_new: bool
    email: str | None
    webhook_id: int | None
    from_seq: int
    from_alert: int
    last_digest: str | None = None
    created: str = ""
    active: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def external(self) -> tuple[str, ...]:
        return tuple(c for c in self.channels if c != "inapp")


def kind_allowed(kind: str, role: str, may_read: bool) -> str | None:
    """Why `role` may not hold a subscription of `kind` (None: it may)."""
    if kind == "sync":
        return None if role == "admin" else "sync failures and rejected objects are for administrators"
    return None if may_read else f"role {role} may not read records, so it gets no {kind} notifications"


def matches(sub: Subscription, view: dict, whole: bool, node_id: str, selector_kinds: set[str]) -> bool:
    """Whether a released `view` of a new version matches a record subscription. `whole`: the user reads
    the whole body (content filters match nothing else). `selector_kinds`: the record's valid selector
    kinds (asked only when the filter names some)."""
    f = sub.filter
    if sub.only_new and view.get("version", 1) != 1:
        return False
    if "type" in f and view["type"] not in f["type"]:
        return False
    if "origin" in f:
        origin = view["origin"]
        wanted = f["origin"]
        ok = origin in wanted or ("partner" in wanted and origin != node_id) or ("own" in wanted and origin == node_id)
        if not ok:
            return False
    if any(k in f for k in CONTENT_FILTERS) and not whole:
        return False
    body = view.get("body") or {}
    if "substance" in f and str(body.get("substance", "")).lower() not in f["substance"]:
        return False
    if "country" in f and str(body.get("country", "")).upper() not in f["country"]:
        return False
    return not ("selector_kind" in f and not (selector_kinds & set(f["selector_kind"])))


def _clip(value: object) -> object:
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return str(value)[:MAX_TEXT]


def summary(view: dict) -> dict:
    """What a notification keeps of a released view: the envelope and a few body fields, all from the view."""
    body = view.get("body") or {}
    return {"id": view["id"], "type": view["type"], "origin": view["origin"], "version": view["version"],
            "tlp": (view.get("markings") or {}).get("tlp", "red"),
            "fields": {k: _clip(body[k]) for k in SUMMARY_FIELDS if k in body}}


def highest_tlp(tlps: list[str]) -> str:
    ranked = [TLP(t) for t in tlps if t in {x.value for x in TLP}] or [TLP.RED]
    return max(ranked, key=lambda t: t.rank).value


def may_carry(tlp: str, max_tlp: str) -> bool:
    """Whether an external channel (e-mail, webhook) may carry content marked `tlp` (default cap GREEN)."""
    return TLP(tlp).at_most(TLP(max_tlp))


def in_quiet(sub: Subscription, at: dt.datetime) -> bool:
    if sub.quiet_start is None or sub.quiet_end is None or sub.quiet_start == sub.quiet_end:
        return False
    h = at.hour
    if sub.quiet_start < sub.quiet_end:
        return sub.quiet_start <= h < sub.quiet_end
    return h >= sub.quiet_start or h < sub.quiet_end


def send_after(sub: Subscription, now: dt.datetime) -> dt.datetime:
    """When the external channels may carry a notification made `now`: at once, at the end of quiet hours,
    or at the subscription's next digest (itself moved out of quiet hours)."""
    at = now
    if sub.mode in PERIODS:
        last = dt.datetime.fromisoformat(sub.last_digest or sub.created)
        at = max(now, last + PERIODS[sub.mode])
    if in_quiet(sub, at):
        end = at.replace(hour=sub.quiet_end or 0, minute=0, second=0, microsecond=0)
        if end <= at:
            end += dt.timedelta(days=1)
        at = end
    return at


TITLES = {
    "records": {"en": "New {type} from {origin}", "es": "Nuevo registro {type} de {origin}"},
    "alerts": {"en": "Correlation alert: {kind} shared by {n} records",
               "es": "Alerta de correlación: {kind} compartido por {n} registros"},
    "notices": {"en": "Deconfliction hit with {partner}", "es": "Coincidencia de desconflicto con {partner}"},
    "sync": {"en": "Sync with {partner}: {problem}", "es": "Sincronización con {partner}: {problem}"},
}
WITHHELD = {"en": "A notification marked TLP:{tlp} is waiting: open Vinculo to read it.",
            "es": "Una notificación marcada TLP:{tlp} le espera: abra Vinculo para leerla."}


def title(kind: str, payload: dict, lang: str = "en") -> str:
    template = TITLES[kind]["es" if lang == "es" else "en"]
    values = {"type": payload.get("type", ""), "origin": payload.get("origin", ""), "kind": payload.get("kind", ""),
              "n": payload.get("holders", 2), "partner": payload.get("partner", ""),
              "problem": payload.get("problem", "")}
    return template.format(**values)


def text_lines(kind: str, payload: dict, lang: str = "en") -> list[str]:
    """A plain-text rendering of one notification's payload (itself only released content)."""
    lines = [title(kind, payload, lang)]
    if kind == "records":
        lines.append(f"{payload['id']} (v{payload['version']}, TLP:{payload['tlp'].upper()})")
        lines += [f"  {k}: {v}" for k, v in payload.get("fields", {}).items()]
    elif kind == "alerts":
        lines.append(f"  {payload.get('value', '')}")
        lines += [f"  {r['id']} ({r['origin']})" for r in payload.get("records", [])]
    elif kind == "notices":
        lines.append(f"  {payload.get('record', {}).get('id', '')}: {payload.get('next', '')}")
    else:
        lines.append(f"  {payload.get('detail', '')}")
    return lines
