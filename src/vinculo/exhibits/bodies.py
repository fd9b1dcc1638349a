"""Typed bodies of the exhibit record types (pure pydantic models, no I/O).

- `lab-result`: a laboratory's analysis of a sample of one seizure (`seizure_ref`).
- `photo` / `pdf`: an attachment to any record (`about_ref`), named by the SHA-256 of its bytes; the bytes
  live in files under the node home (`exhibits.files`), the hash in the signed document. Two record types,
  not one, so that an agreement withholds attachments per type by leaving one out of its `record_types`.
- `TabletProfile`, `PackageProfile`, `PressProfile`: typed sub-objects of a seizure (`tablet`, `package`,
  `press`): the physical marks that link seizures to a common source.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from vinculo.records.fields import Body, LongText, PastDate, RecordRef, ShortText

Method = Literal["GC-MS", "GC-FID", "LC-MS", "LC-MS/MS", "LC-QTOF", "HPLC", "FTIR", "ATR-FTIR", "Raman", "NMR",
                 "IMS", "colour-test", "immunoassay", "other"]
METHODS: tuple[str, ...] = Method.__args__  # type: ignore[attr-defined]

# Analytes a drug lab reports in fentanyl-era casework (DEA FSPP and NFLIS terms), as stable codes.
Analyte = Literal[
    "fentanyl", "acetylfentanyl", "carfentanil", "furanylfentanyl", "fluorofentanyl", "p-fluorofentanyl",
    "acrylfentanyl", "cyclopropylfentanyl", "methoxyacetylfentanyl", "valerylfentanyl", "sufentanil",
    "remifentanil", "alfentanil",
    "xylazine", "medetomidine",
    "isotonitazene", "metonitazene", "protonitazene", "etonitazene", "butonitazene", "n-pyrrolidino-etonitazene",
    "heroin", "6-mam", "morphine", "codeine", "oxycodone", "hydrocodone", "tramadol",
    "cocaine", "methamphetamine", "amphetamine", "mdma", "ketamine", "pcp", "alprazolam", "bromazolam",
    "4-anpp", "npp", "norfentanyl", "phenethyl-4-anpp",
    "acetaminophen", "caffeine", "lidocaine", "procaine", "benzocaine", "diphenhydramine", "levamisole",
    "phenacetin", "quinine", "mannitol", "inositol", "lactose", "sucrose", "dextrose", "microcrystalline-cellulose",
    "starch", "magnesium-stearate", "talc", "other",
]
ANALYTES: tuple[str, ...] = Analyte.__args__  # type: ignore[attr-defined]

RouteClass = Literal["siegfried", "janssen", "gupta", "one-pot", "unknown", "other"]


class AnalyteResult(Body):
    """One analyte found: a quantity (mg per unit or in the sample) or a percentage, or just identified."""

    analyte: Analyte
    name_raw: ShortText | None = None
    percent: float | None = Field(default=None, ge=0, le=100)
    mg_per_unit: float | None = Field(default=None, ge=0, lt=1e6)
    identified_only: bool | None = None


class LabResult(Body):
    """A laboratory's analysis of a sample taken from a seizure."""

    seizure_ref: RecordRef
    laboratory: ShortText
    method: list[Method] = Field(min_length=1, max_length=10)
    date: PastDate
    sample_id: ShortText | None = None
    custody_ref: ShortText | None = None
    analytes: list[AnalyteResult] = Field(min_length=1, max_length=50)
    route_class: RouteClass | None = None
    impurities: list[ShortText] | None = Field(default=None, max_length=50)
    description: LongText | None = None

    @model_validator(mode="after")
    def _check(self) -> LabResult:
        if not self.seizure_ref.startswith("seizure--"):
            raise ValueError("seizure_ref: a lab result names a seizure (seizure--<uuid>)")
        seen = [a.analyte for a in self.analytes if a.analyte != "other"]
        if len(seen) != len(set(seen)):
            raise ValueError("analytes: an analyte is listed twice")
        total = sum(a.percent or 0 for a in self.analytes)
        if total > 100.0001:
            raise ValueError(f"analytes: percentages add up to {total:g} (more than 100)")
        return self


Shape = Literal["round", "oval", "oblong", "capsule", "triangle", "square", "rectangle", "diamond", "pentagon",
                "hexagon", "heart", "other"]
Colour = Literal["blue", "light-blue", "green", "white", "off-white", "yellow", "orange", "pink", "red", "purple",
                 "brown", "grey", "black", "multicolour", "other"]


class TabletProfile(Body):
    """The physical marks of a tablet (as pressed, or as imitated: a "blue M30")."""

    imprint_front: ShortText | None = Field(default=None, max_length=40)
    imprint_back: ShortText | None = Field(default=None, max_length=40)
    logo: ShortText | None = None
    colour: Colour | None = None
    shape: Shape | None = None
    diameter_mm: float | None = Field(default=None, gt=0, lt=100)
    thickness_mm: float | None = Field(default=None, gt=0, lt=100)
    weight_mg: float | None = Field(default=None, gt=0, lt=100_000)
    score_line: Literal["none", "single", "cross", "other"] | None = None
    imitates: ShortText | None = None


class PackageProfile(Body):
    """Markings on packages (bricks, bags): stamps, logos, wrapping."""

    stamp: ShortText | None = None
    markings: list[ShortText] | None = Field(default=None, max_length=20)
    wrapping: ShortText | None = None
    colour: Colour | None = None


class PressProfile(Body):
    """A pill press or its tooling seized as equipment."""

    make: ShortText | None = None
    model: ShortText | None = None
    serial: ShortText | None = Field(default=None, max_length=64)
    punch_marks: list[ShortText] | None = Field(default=None, max_length=20)


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PDF_TYPES = ("application/pdf",)


class Attachment(Body):
    """A file attached to a record; the bytes are stored (and sent) by their SHA-256."""

    about_ref: RecordRef
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0, le=1 << 32)
    media_type: str = Field(max_length=100)
    filename: ShortText | None = Field(default=None, max_length=200)
    caption: ShortText | None = None
    metadata_kept: bool | None = None


class Photo(Attachment):
    @model_validator(mode="after")
    def _check(self) -> Photo:
        if self.media_type not in PHOTO_TYPES:
            raise ValueError(f"media_type: a photo is one of {', '.join(PHOTO_TYPES)}")
        return self


class Pdf(Attachment):
    @model_validator(mode="after")
    def _check(self) -> Pdf:
        if self.media_type not in PDF_TYPES:
            raise ValueError("media_type: a pdf attachment is application/pdf")
        return self
