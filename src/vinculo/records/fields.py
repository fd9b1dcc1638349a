"""Field types shared by record bodies: vocabulary-checked codes, quantities, dates."""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from vinculo.records import vocabulary

# The code validators are pure (a text gives the same code or the same error every time) and each body
# runs several of them, so each is memoised as a whole: a pull checks every received body as a local create
# would, and the vocabulary's own memo sits behind a Python wrapper that costs as much as the lookup.
_codes = lru_cache(maxsize=4096)


@_codes
def _country(value: str) -> str:
    found = vocabulary.country(value)
    if found is None:
        raise ValueError(f"unknown country {value!r} (use an ISO 3166-1 code or name)")
    return found.alpha2


@_codes
def _substance(value: str) -> str:
    found = vocabulary.substance(value)
    if found is None:
        raise ValueError(f"unknown substance {value!r} (record an unlisted name in substance_raw)")
    return found.code


@_codes
def _transport(value: str) -> str:
    found = vocabulary.transport_mode(value)
    if found is None:
        raise ValueError(f"unknown transport mode {value!r}")
    return found


@_codes
def _location_type(value: str) -> str:
    found = vocabulary.location_type(value)
    if found is None:
        raise ValueError(f"unknown location type {value!r}")
    return found


@_codes
def _concealment(value: str) -> str:
    found = vocabulary.concealment(value)
    if found is None:
        raise ValueError(f"unknown concealment {value!r}")
    return found


_latest: list = [0.0, dt.date.min]  # (monotonic time it was worked out, latest date allowed)


def _latest_date() -> dt.date:
    """Tomorrow, worked out at most once a minute (a bulk import checks several dates a record)."""
    now = time.monotonic()
    if now - _latest[0] > 60:
        _latest[:] = [now, dt.date.today() + dt.timedelta(days=1)]
    return _latest[1]


def _not_future(value: dt.date) -> dt.date:
    if value > _latest_date():
        raise ValueError(f"date {value.isoformat()} is in the future")
    if value.year < 1900:
        raise ValueError(f"date {value.isoformat()} is before 1900")
    return value


CountryCode = Annotated[str, AfterValidator(_country)]
SubstanceCode = Annotated[str, AfterValidator(_substance)]
TransportCode = Annotated[str, AfterValidator(_transport)]
LocationTypeCode = Annotated[str, AfterValidator(_location_type)]
ConcealmentCode = Annotated[str, AfterValidator(_concealment)]
PastDate = Annotated[dt.date, AfterValidator(_not_future)]
ShortText = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20000)]
RecordRef = Annotated[str, Field(pattern=r"^[a-z][a-z-]*--[0-9a-f-]{36}$")]


class Body(BaseModel):
    """Base of every record body: unknown fields are refused, not dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def _derive(self, **values: object) -> None:
        """Set fields a validator derives (a normalised unit, a category) without pydantic's per-attribute
        `__setattr__` machinery: no field of a body validates on assignment, so this is what it would do."""
        self.__dict__.update(values)
        self.__pydantic_fields_set__.update(values)


class Quantity(Body):
    """A quantity as reported (amount + unit) and normalised (kg, litres or a count)."""

    amount: float = Field(gt=0, lt=1e12)
    unit: str
    kg: float | None = None
    litres: float | None = None
    count: float | None = None

    @model_validator(mode="after")
    def _normalise(self) -> "Quantity":
        found = _unit(self.unit)
        q = vocabulary.normalise_quantity(self.amount, found)
        self._derive(unit=found.code, kg=q.kg, litres=q.litres, count=q.count)
        return self


@_codes
def _unit(value: str) -> vocabulary.Unit:
    found = vocabulary.unit(value)
    if found is None:
        raise ValueError(f"unknown unit {value!r}")
    return found


class Coordinates(Body):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
