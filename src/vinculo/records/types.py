"""The typed bodies of Vinculo's record types (pure pydantic models)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator

from vinculo.exhibits.bodies import LabResult, PackageProfile, Pdf, Photo, PressProfile, TabletProfile
from vinculo.records import vocabulary
from vinculo.records.fields import (
    Body,
    ConcealmentCode,
    Coordinates,
    CountryCode,
    LocationTypeCode,
    LongText,
    PastDate,
    Quantity,
    RecordRef,
    ShortText,
    SubstanceCode,
    TransportCode,
)

Form = Literal["powder", "pill", "tablet", "liquid", "crystal", "paste", "plant", "resin", "blotter",
               "capsule", "patch", "equipment", "other"]


class SourceRef(Body):
    """Where a record came from when it was imported (dataset and row)."""

    dataset: ShortText
    row: int | None = None
    key: ShortText | None = None


class Seizure(Body):
    """A seizure of drugs, precursor chemicals or equipment (UNODC IDS fields)."""

    date: PastDate
    country: CountryCode
    admin_area: ShortText | None = None
    place: ShortText | None = None
    substance: SubstanceCode | None = None
    substance_raw: ShortText | None = None
    category: Literal["drug", "precursor", "equipment", "other"] | None = None
    quantity: Quantity | None = None
    form: Form | None = None
    purity_percent: float | None = Field(default=None, ge=0, le=100)
    concealment: ConcealmentCode | None = None
    concealment_raw: ShortText | None = None
    location_type: LocationTypeCode | None = None
    location_type_raw: ShortText | None = None
    transport: TransportCode | None = None
    transport_raw: ShortText | None = None
    producing_country: CountryCode | None = None
    departure_country: CountryCode | None = None
    transit_countries: list[CountryCode] = Field(default_factory=list, max_length=50)
    destination_country: CountryCode | None = None
    routing: ShortText | None = None
    coordinates: Coordinates | None = None
    description: LongText | None = None
    source: SourceRef | None = None
    tablet: TabletProfile | None = None  # physical profiles (vinculo.exhibits.bodies)
    package: PackageProfile | None = None
    press: PressProfile | None = None

    @model_validator(mode="after")
    def _check(self) -> "Seizure":
        if self.substance is None and not self.substance_raw:
            raise ValueError("substance: give a substance (name, alias or CAS) or substance_raw")
        if self.substance is not None:
            self._derive(category=_kind(self.substance))
        return self


@lru_cache(maxsize=1024)
def _kind(substance_code: str) -> str:
    return vocabulary.substance(substance_code).kind  # type: ignore[union-attr]  # a validated code


class Shipment(Body):
    """A suspicious, stopped or diverted chemical shipment."""

    date: PastDate
    status: Literal["suspicious", "stopped", "diverted", "seized", "released", "delivered"]
    substance: SubstanceCode | None = None
    substance_raw: ShortText | None = None
    cas_numbers: list[ShortText] = Field(default_factory=list, max_length=50)
    hs_code: str | None = Field(default=None, pattern=r"^\d{4}(\.?\d{2}){0,3}$")
    quantity: Quantity | None = None
    exporter: ShortText | None = None
    exporter_country: CountryCode | None = None
    importer: ShortText | None = None
    importer_country: CountryCode | None = None
    consignee: ShortText | None = None
    route: list[ShortText] = Field(default_factory=list, max_length=50)
    container_numbers: list[ShortText] = Field(default_factory=list, max_length=200)
    vessel_imo: ShortText | None = None
    transport: TransportCode | None = None
    description: LongText | None = None
    source: SourceRef | None = None


class Chemical(Body):
    substance: SubstanceCode | None = None
    substance_raw: ShortText | None = None
    quantity: Quantity | None = None


class Lab(Body):
    """A clandestine laboratory or pill-pressing site."""

    kind: Literal["fentanyl-synthesis", "fentanyl-pressing", "methamphetamine", "cocaine-processing",
                  "heroin", "tableting", "precursor", "other"]
    status: Literal["suspected", "active", "dismantled", "abandoned"]
    country: CountryCode
    admin_area: ShortText | None = None
    place: ShortText | None = None
    coordinates: Coordinates | None = None
    discovered: PastDate | None = None
    dismantled: PastDate | None = None
    chemicals: list[Chemical] = Field(default_factory=list, max_length=200)
    equipment: list[ShortText] = Field(default_factory=list, max_length=200)
    description: LongText | None = None
    source: SourceRef | None = None

    @model_validator(mode="after")
    def _check(self) -> "Lab":
        if self.dismantled and self.discovered and self.dismantled < self.discovered:
            raise ValueError("dismantled: date is before discovered")
        return self


class Passport(Body):
    country: CountryCode
    number: str = Field(min_length=3, max_length=20)


class Person(Body):
    full_name: ShortText
    given_names: ShortText | None = None
    surnames: ShortText | None = None
    aliases: list[ShortText] = Field(default_factory=list, max_length=50)
    date_of_birth: PastDate | None = None
    nationality: list[CountryCode] = Field(default_factory=list, max_length=5)
    curp: str | None = Field(default=None, max_length=18)
    rfc: str | None = Field(default=None, max_length=13)
    passports: list[Passport] = Field(default_factory=list, max_length=20)
    phones: list[ShortText] = Field(default_factory=list, max_length=50)
    emails: list[ShortText] = Field(default_factory=list, max_length=50)
    description: LongText | None = None


class Organization(Body):
    name: ShortText
    kind: Literal["cartel", "dto", "company", "agency", "other"]
    aliases: list[ShortText] = Field(default_factory=list, max_length=50)
    country: CountryCode | None = None
    rfc: str | None = Field(default=None, max_length=13)
    address: ShortText | None = None
    description: LongText | None = None


class Vehicle(Body):
    kind: Literal["car", "truck", "van", "motorcycle", "bus", "vessel", "aircraft", "trailer", "other"]
    plate: str | None = Field(default=None, max_length=15)
    plate_country: CountryCode | None = None
    plate_state: ShortText | None = None
    vin: str | None = Field(default=None, max_length=17)
    imo: str | None = Field(default=None, max_length=12)
    make: ShortText | None = None
    model: ShortText | None = None
    colour: ShortText | None = None
    description: LongText | None = None


class Phone(Body):
    number: str = Field(min_length=3, max_length=40)
    country: CountryCode | None = None
    imei: str | None = Field(default=None, pattern=r"^\d{14,16}$")
    carrier: ShortText | None = None
    description: LongText | None = None


class Location(Body):
    name: ShortText | None = None
    kind: LocationTypeCode | None = None
    country: CountryCode
    admin_area: ShortText | None = None
    place: ShortText | None = None
    address: ShortText | None = None
    coordinates: Coordinates | None = None
    description: LongText | None = None


class Relationship(Body):
    """A typed link between two records."""

    relationship_type: Literal["supplied", "shipped-to", "produced", "operated", "member-of", "leads",
                               "owns", "uses", "located-at", "seized-from", "seized-at", "related-to"]
    source_ref: RecordRef
    target_ref: RecordRef
    start: PastDate | None = None
    end: PastDate | None = None
    description: LongText | None = None

    @model_validator(mode="after")
    def _check(self) -> "Relationship":
        if self.source_ref == self.target_ref:
            raise ValueError("target_ref: a relationship must link two different records")
        return self


class Note(Body):
    """A note, confirmation or response about other records (possibly a partner's).

    On a case, the other state answers with its own notes: ``response`` (an answer to the request),
    ``status`` (a status update) or ``documents-requested``.
    """

    kind: Literal["note", "confirmation", "response", "correction", "status", "documents-requested"] = "note"
    about_refs: list[RecordRef] = Field(min_length=1, max_length=100)
    text: LongText


class Event(Body):
    """A planned operation: a time window and a place within a radius, deconflicted before it happens.

    ``begins``/``ends`` are RFC 3339 times with an offset (stored in UTC); the window is at most 31
    days and the radius at most 50 km, so that its space-time cells stay few (see
    ``vinculo.deconfliction.events``).
    """

    kind: Literal["operation", "surveillance", "controlled-delivery", "arrest", "search", "meeting",
                  "other"] = "operation"
    begins: str = Field(max_length=40)
    ends: str = Field(max_length=40)
    coordinates: Coordinates
    radius_m: float = Field(ge=1, le=50_000)
    country: CountryCode | None = None
    place: ShortText | None = None
    description: LongText | None = None

    @model_validator(mode="after")
    def _check(self) -> "Event":
        import datetime as _dt  # noqa: PLC0415  (kept local: this module imports no datetime)

        times = {}
        for name in ("begins", "ends"):
            try:
                value = _dt.datetime.fromisoformat(getattr(self, name).replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"{name}: not an RFC 3339 time (e.g. 2026-07-01T06:00:00-06:00)") from None
            if value.tzinfo is None:
                raise ValueError(f"{name}: give the UTC offset (Z or +hh:mm)")
            times[name] = value.astimezone(_dt.timezone.utc)
            setattr(self, name, times[name].strftime("%Y-%m-%dT%H:%M:%SZ"))
        if times["ends"] <= times["begins"]:
            raise ValueError("ends: the window ends before it begins")
        if times["ends"] - times["begins"] > _dt.timedelta(days=31):
            raise ValueError("ends: a window is at most 31 days (split longer operations)")
        return self


class Alert(Body):
    """A broadcast alert to partners, like INCB's Special Alerts or Interpol's Purple Notices: a new
    concealment method, a new precursor or substance, a pill press mark. Sent like any record to every
    partner whose agreement covers `alert` records (marked and signed as any record), and raised as a
    notification to every local user who may read it when it is made or arrives (`vinculo.notify`)."""

    kind: Literal["concealment-method", "new-precursor", "new-substance", "pill-press-mark", "trafficking-route",
                  "other"]
    title: str = Field(min_length=3, max_length=200)
    description: LongText
    issued: PastDate | None = None
    country: CountryCode | None = None
    substance: SubstanceCode | None = None
    concealment: ConcealmentCode | None = None
    mark: ShortText | None = None  # the pill press mark (logo, imprint, colour, shape) as seen


from vinculo.cases.body import Case  # noqa: E402  (the case body lives with its state machines)

BODY_TYPES: dict[str, type[Body]] = {
    "seizure": Seizure,
    "shipment": Shipment,
    "lab": Lab,
    "person": Person,
    "organization": Organization,
    "vehicle": Vehicle,
    "phone": Phone,
    "location": Location,
    "relationship": Relationship,
    "note": Note,
    "case": Case,
    "event": Event,
    "alert": Alert,  # broadcast alerts (issue 21)
    "lab-result": LabResult,  # forensic exhibits (vinculo.exhibits)
    "photo": Photo,
    "pdf": Pdf,
}
RECORD_TYPES = tuple(BODY_TYPES)

# Withholding a field withholds every field that carries the same information: for each record type, the
# fields that repeat (part of) a field's value. A Mexican CURP and RFC embed the birth date (YYMMDD) and
# letters of the surnames and given name, and an RFC repeats a CURP's first ten characters; a free-text
# description may name the person. Closed under repetition by `same_information`.
SAME_INFORMATION: dict[str, dict[str, tuple[str, ...]]] = {
    "person": {
        "date_of_birth": ("curp", "rfc"),
        "full_name": ("given_names", "surnames", "curp", "rfc", "description"),
        "given_names": ("full_name", "curp", "rfc", "description"),
        "surnames": ("full_name", "curp", "rfc", "description"),
        "curp": ("rfc",),
        "rfc": ("curp",),
    },
    "organization": {"name": ("description",)},
    "location": {"address": ("coordinates",), "coordinates": ("address",)},
}


def same_information(record_type: str, fields: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    """`fields` and every field of `record_type` that carries the same information (transitively).
    A nested path ("quantity.amount") counts for its top-level field's group too."""
    return _closed(record_type, frozenset(fields)) if fields else frozenset()


@lru_cache(maxsize=1024)
def _closed(record_type: str, fields: frozenset[str]) -> frozenset[str]:
    """`same_information`, once per distinct question (the egress guard asks it for every object)."""
    groups = SAME_INFORMATION.get(record_type, {})
    out = set(fields)
    todo = [f.split(".")[0] for f in fields]
    while todo:
        for other in groups.get(todo.pop(), ()):
            if other not in out:
                out.add(other)
                todo.append(other)
    return frozenset(out)


# The body fields that name other records: a record goes to a partner only with every record it names.
REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "relationship": ("source_ref", "target_ref"),
    "note": ("about_refs",),
    "case": ("subject_refs",),
    "lab-result": ("seizure_ref",),
    "photo": ("about_ref",),
    "pdf": ("about_ref",),
}


def references(record_type: str, body: dict) -> list[str]:
    """The record ids `body` names (relationship ends, a note's subjects, a case's subjects)."""
    out: list[str] = []
    for name in REFERENCE_FIELDS.get(record_type, ()):
        value = body.get(name)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out
