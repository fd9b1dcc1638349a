"""Selectors from forensic exhibits: tablet marks, package stamps, pill presses, analyte profiles and
attachment hashes (see docs/analysts.md, "Forensic exhibits").

- ``tablet-mark``: imprint + colour + shape. Imprint text is upper-cased and reduced to letters and digits
  per side, the two sides sorted (a lab may record "M"/"30" or "30"/"M"), joined by "/"; colour and shape
  are the vocabulary codes. All three are needed: an imprint alone ("30") links too much.
- ``package-mark``: a package stamp, upper-cased, letters and digits, single spaces.
- ``press``: make + serial of a pill press (letters and digits); ``punch-mark``: a punch/die mark.
- ``analyte-profile``: a lab result's profile bucket (below). ``attachment-sha256``: a photo's or PDF's hash.

Analyte profiles. A lab result is a vector over the analyte vocabulary: the percentage where reported, 1
where only identified. Binders and fillers (sugars, cellulose, starch, stearate, talc) are dropped: every
pressed tablet has some. The *similarity* of two profiles (`profile_similarity`) is the cosine of their
vectors after each component is scaled to its share of the vector's total, with presence-only components
counting as the mean of the quantified ones; 1.0 is the same composition in the same proportions. PSI and
the selector index need an exact key, so the *bucket* is what profiles that similar usually share: the
sorted set of active substances and adulterants, plus the band of the main opioid's percentage
(<1, 1-5, 5-10, 10-25, 25-50, 50+ %, or "?" when not quantified). Two profiles in one bucket have the same
components and a main-opioid share in the same band; the bucket says nothing finer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from vinculo.deconfliction.base import Selector, invalid, ok

KINDS = ("tablet-mark", "package-mark", "press", "punch-mark", "analyte-profile", "attachment-sha256")
FILLERS = frozenset({"mannitol", "inositol", "lactose", "sucrose", "dextrose", "microcrystalline-cellulose",
                     "starch", "magnesium-stearate", "talc", "other"})
OPIOIDS = ("fentanyl", "carfentanil", "acetylfentanyl", "fluorofentanyl", "p-fluorofentanyl", "furanylfentanyl",
           "acrylfentanyl", "cyclopropylfentanyl", "methoxyacetylfentanyl", "valerylfentanyl", "sufentanil",
           "isotonitazene", "metonitazene", "protonitazene", "etonitazene", "butonitazene",
           "n-pyrrolidino-etonitazene", "heroin", "oxycodone", "hydrocodone")
BANDS = ((1, "<1"), (5, "1-5"), (10, "5-10"), (25, "10-25"), (50, "25-50"), (101, "50+"))
_ALNUM = re.compile(r"[^0-9A-Z]+")


def _mark(text: Any) -> str:
    return _ALNUM.sub("", text.upper()) if isinstance(text, str) else ""


def tablet_mark(tablet: Any) -> list[Selector]:
    if not isinstance(tablet, Mapping):
        return []
    sides = sorted(s for s in (_mark(tablet.get("imprint_front")), _mark(tablet.get("imprint_back"))) if s)
    colour, shape = tablet.get("colour"), tablet.get("shape")
    if not sides:
        return []
    if not isinstance(colour, str) or not isinstance(shape, str):
        return [invalid("tablet-mark", "/".join(sides), "a tablet mark needs imprint, colour and shape")]
    return [ok("tablet-mark", f"{'/'.join(sides)}|{colour}|{shape}")]


def package_marks(package: Any) -> list[Selector]:
    if not isinstance(package, Mapping):
        return []
    texts = [package.get("stamp"), *(package.get("markings") or [])]
    out = []
    for t in texts[:21]:
        norm = " ".join(re.sub(r"[^0-9A-Z ]+", " ", t.upper()).split()) if isinstance(t, str) else ""
        if len(norm.replace(" ", "")) >= 2:
            out.append(ok("package-mark", norm))
    return out


def press_marks(press: Any) -> list[Selector]:
    if not isinstance(press, Mapping):
        return []
    out = []
    serial = _mark(press.get("serial"))
    if serial:
        out.append(ok("press", f"{_mark(press.get('make')) or '?'}|{serial}"))
    for p in (press.get("punch_marks") or [])[:20]:
        if _mark(p):
            out.append(ok("punch-mark", _mark(p)))
    return out


def _vector(analytes: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for a in analytes if isinstance(analytes, list) else []:
        if isinstance(a, Mapping) and isinstance(a.get("analyte"), str) and a["analyte"] not in FILLERS:
            pct = a.get("percent")
            out[a["analyte"]] = float(pct) if isinstance(pct, (int, float)) and pct > 0 else None
    return out


def profile_bucket(analytes: Any) -> str | None:
    vec = _vector(analytes)
    if not vec:
        return None
    main = next((o for o in OPIOIDS if o in vec), None)
    band = "?"
    if main is not None and vec[main] is not None:
        band = next(label for limit, label in BANDS if vec[main] < limit)
    return f"{'+'.join(sorted(vec))}|{main or '-'}:{band}"


def profile_similarity(a: Any, b: Any) -> float:
    """Cosine similarity of two analyte lists (see the module docstring), 0.0 to 1.0."""
    va, vb = _shares(_vector(a)), _shares(_vector(b))
    dot = sum(va[k] * vb.get(k, 0.0) for k in va)
    na, nb = math.sqrt(sum(v * v for v in va.values())), math.sqrt(sum(v * v for v in vb.values()))
    return round(dot / (na * nb), 6) if na and nb else 0.0


def _shares(vec: dict[str, float | None]) -> dict[str, float]:
    known = [v for v in vec.values() if v is not None]
    fill = sum(known) / len(known) if known else 1.0
    full = {k: (v if v is not None else fill) for k, v in vec.items()}
    total = sum(full.values()) or 1.0
    return {k: v / total for k, v in full.items()}


def analyte_profile(body: Mapping[str, Any]) -> list[Selector]:
    bucket = profile_bucket(body.get("analytes"))
    return [ok("analyte-profile", bucket)] if bucket else []


def attachment_hash(body: Mapping[str, Any]) -> list[Selector]:
    sha = body.get("sha256")
    return [ok("attachment-sha256", sha)] if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha) else []
