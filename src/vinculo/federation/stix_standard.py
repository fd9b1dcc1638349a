"""The standard STIX 2.1 reading of a released Vinculo document: what a consumer that does not know the
`vinculo-document` extension (MISP's misp-stix, OpenCTI) still gets from an object.

Everything here is derived from the *released view* only (the document that travels, signed, in the
extension), never from the stored record: a field the agreement withholds is not in the view, so it
cannot appear here. The egress guard (`federation.egress`) recomputes this reading from the document and
refuses an object whose top-level properties say anything else. See docs/stix.md for the choices.
"""

from __future__ import annotations

# Per record type: the released body fields a standard reading states, with their labels, in order.
# A field missing from the released view (absent, or withheld by the agreement) is simply not stated.
FACTS: dict[str, list[tuple[str, str]]] = {
    "seizure": [("substance", "Substance"), ("substance_raw", "Substance as reported"), ("category", "Category"),
                ("quantity", "Quantity"), ("form", "Form"), ("purity_percent", "Purity %"),
                ("date", "Date"), ("country", "Country"), ("admin_area", "Administrative area"),
                ("place", "Place"), ("location_type", "Location type"), ("concealment", "Concealment"),
                ("concealment_raw", "Concealment as reported"), ("transport", "Transport"),
                ("producing_country", "Producing country"), ("departure_country", "Departure country"),
                ("transit_countries", "Transit countries"), ("destination_country", "Destination country"),
                ("routing", "Routing")],
    "shipment": [("status", "Status"), ("date", "Date"), ("substance", "Substance"),
                 ("substance_raw", "Substance as reported"), ("cas_numbers", "CAS numbers"), ("hs_code", "HS code"),
                 ("quantity", "Quantity"), ("exporter", "Exporter"), ("exporter_country", "Exporter country"),
                 ("importer", "Importer"), ("importer_country", "Importer country"), ("consignee", "Consignee"),
                 ("route", "Route"), ("container_numbers", "Containers"), ("vessel_imo", "Vessel IMO"),
                 ("transport", "Transport")],
    "lab": [("kind", "Kind"), ("status", "Status"), ("country", "Country"), ("admin_area", "Administrative area"),
            ("place", "Place"), ("discovered", "Discovered"), ("dismantled", "Dismantled"),
            ("chemicals", "Chemicals"), ("equipment", "Equipment")],
    "person": [("given_names", "Given names"), ("surnames", "Surnames"), ("aliases", "Aliases"),
               ("date_of_birth", "Date of birth"), ("nationality", "Nationality"), ("curp", "CURP"), ("rfc", "RFC"),
               ("passports", "Passports")],
    "organization": [("kind", "Kind"), ("aliases", "Aliases"), ("country", "Country"), ("rfc", "RFC"),
                     ("address", "Address")],
}
LOCATED = ("seizure", "shipment", "lab")
"""Vinculo types read as a STIX `location` (where the fact happened, with the facts in its description)."""


_NORMALISED = (("kg", "kg"), ("litres", "l"), ("count", "units"))


def _quantity(q: dict) -> str:
    normal = [f"{v} {unit}" for k, unit in _NORMALISED if (v := q.get(k)) is not None]
    return f"{q.get('amount')} {q.get('unit')}" + (f" ({', '.join(normal)} normalised)" if normal else "")


def _text(value: object) -> str:
    if value.__class__ is str:
        return value  # type: ignore[return-value]
    if isinstance(value, dict):
        if "amount" in value and "unit" in value:
            return _quantity(value)
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items() if v not in (None, [], ""))
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


# Each type's facts as (field, "Label: ") pairs, built once: `facts` runs for every object served and again
# in the egress guard's rebuild (federation.egress), so it is kept to one pass over the fields.
_LINES: dict[str, tuple[tuple[str, str], ...]] = {
    rtype: tuple((f, f"{label}: ") for f, label in fields) for rtype, fields in FACTS.items()}


def facts(rtype: str, body: dict) -> str:
    """The released facts of a body as text, one labelled line each, then its description."""
    lines = [prefix + (v if v.__class__ is str else _text(v))
             for f, prefix in _LINES.get(rtype, ()) if (v := body.get(f)) not in (None, [], "")]
    if body.get("description"):
        lines.append(body["description"])
    return "\n".join(lines)


def located(rtype: str, body: dict, name: str) -> dict:
    """The `location` reading of a seizure, shipment or lab: where it happened, named by what happened."""
    country = body.get("country") or body.get("importer_country") or body.get("exporter_country")
    out: dict = {"name": name, "description": "\n".join(filter(None, (name, facts(rtype, body))))}
    if country:
        out["country"] = country
    if body.get("admin_area"):
        out["administrative_area"] = body["admin_area"]
    if body.get("place"):
        out["city"] = body["place"]
    if body.get("coordinates"):
        out.update(latitude=body["coordinates"]["lat"], longitude=body["coordinates"]["lon"])
    if not country and "latitude" not in out:
        out["region"] = "unknown"  # a location needs a region, a country or coordinates; none was released
    return out
