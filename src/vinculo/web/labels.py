"""Translatable names of record types, fields, roles and markings (msgids marked for extraction)."""

from __future__ import annotations

from vinculo.web.i18n import translations


def N_(message: str) -> str:
    return message


TYPES = {
    "seizure": N_("Seizure"), "shipment": N_("Chemical shipment"), "lab": N_("Laboratory"),
    "person": N_("Person"), "organization": N_("Organisation"), "vehicle": N_("Vehicle"), "phone": N_("Phone"),
    "location": N_("Location"), "relationship": N_("Relationship"), "note": N_("Note"), "case": N_("Case"),
    "event": N_("Event"),
    "alert": N_("Broadcast alert"),
}

ROLES = {"analyst": N_("Analyst"), "supervisor": N_("Supervisor"), "admin": N_("Administrator"),
         "auditor": N_("Auditor")}

TLP = {"clear": N_("TLP:CLEAR (public)"), "green": N_("TLP:GREEN (community)"),
       "amber": N_("TLP:AMBER (need to know)"), "amber+strict": N_("TLP:AMBER+STRICT (organisation only)"),
       "red": N_("TLP:RED (named recipients only)")}

HANDLING = {"H0": N_("H0 — no restriction beyond TLP"),
            "H1": N_("H1 — not for judicial proceedings without permission"),
            "H2": N_("H2 — not to be disseminated without permission"),
            "H3": N_("H3 — other restrictions (stated)")}

RELIABILITY = {"A": N_("A — reliable"), "B": N_("B — mostly reliable"), "C": N_("C — not reliable"),
               "X": N_("X — untested")}

ACCURACY = {"1": N_("1 — known directly"), "2": N_("2 — known indirectly, corroborated"),
            "3": N_("3 — not corroborated"), "4": N_("4 — cannot be judged")}

FIELDS = {
    "date": N_("Date"), "country": N_("Country"), "admin_area": N_("State / province"), "place": N_("Place"),
    "substance": N_("Substance"), "substance_raw": N_("Substance as written"), "quantity": N_("Quantity"),
    "quantity.amount": N_("Amount"), "quantity.unit": N_("Unit"), "form": N_("Form"),
    "purity_percent": N_("Purity (%)"), "concealment": N_("Concealment"),
    "concealment_raw": N_("Concealment as written"), "location_type": N_("Location type"),
    "location_type_raw": N_("Location type as written"), "transport": N_("Transport"),
    "transport_raw": N_("Transport as written"), "producing_country": N_("Producing country"),
    "departure_country": N_("Departure country"), "transit_countries": N_("Transit countries"),
    "destination_country": N_("Destination country"), "routing": N_("Routing"),
    "coordinates": N_("Coordinates"), "coordinates.lat": N_("Latitude"), "coordinates.lon": N_("Longitude"),
    "description": N_("Description"), "source": N_("Source"), "status": N_("Status"),
    "cas_numbers": N_("CAS numbers"), "hs_code": N_("HS code"), "exporter": N_("Exporter"),
    "exporter_country": N_("Exporter country"), "importer": N_("Importer"), "importer_country": N_("Importer country"),
    "consignee": N_("Consignee"), "route": N_("Route"), "container_numbers": N_("Container numbers"),
    "vessel_imo": N_("Vessel IMO number"), "kind": N_("Kind"), "discovered": N_("Discovered"),
    "dismantled": N_("Dismantled"), "chemicals": N_("Chemicals"), "equipment": N_("Equipment"),
    "full_name": N_("Full name"), "given_names": N_("Given names"), "surnames": N_("Surnames"),
    "aliases": N_("Aliases"), "date_of_birth": N_("Date of birth"), "nationality": N_("Nationality"),
    "curp": N_("CURP"), "rfc": N_("RFC"), "passports": N_("Passports"), "phones": N_("Phones"),
    "emails": N_("E-mail addresses"), "name": N_("Name"), "address": N_("Address"), "plate": N_("Plate"),
    "plate_country": N_("Plate country"), "plate_state": N_("Plate state"), "vin": N_("VIN"), "imo": N_("IMO number"),
    "make": N_("Make"), "model": N_("Model"), "colour": N_("Colour"), "number": N_("Number"), "imei": N_("IMEI"),
    "carrier": N_("Carrier"), "relationship_type": N_("Relationship type"), "source_ref": N_("From record"),
    "target_ref": N_("To record"), "start": N_("Start"), "end": N_("End"), "about_refs": N_("About records"),
    "text": N_("Text"), "category": N_("Category"),
    "reference": N_("Reference"), "treaty": N_("Treaty"), "requesting_country": N_("Requesting country"),
    "requested_country": N_("Requested country"), "subject": N_("Subject"), "charges": N_("Charges"),
    "red_notice": N_("Red Notice"), "death_penalty_possible": N_("Death penalty possible"),
    "assurances": N_("Assurances"), "params": N_("Rule settings"), "extensions": N_("Extensions"),
    "state": N_("Stage"), "history": N_("History"), "events": N_("Events"),
    "requesting_node": N_("Requesting node"), "requested_node": N_("Requested node"),
    "subject_refs": N_("Subject records"), "reason": N_("Reason"), "to": N_("Next stage"),
    "from_state": N_("From stage"), "to_state": N_("To stage"), "at": N_("On"), "note": N_("Note"),
    "given_on": N_("Given on"), "given_by": N_("Given by"),
    "markings.tlp": N_("TLP"), "markings.handling": N_("Handling"), "markings.handling_text": N_("Handling conditions"),
    "markings.reliability": N_("Source reliability"), "markings.accuracy": N_("Information accuracy"),
    "markings.partners": N_("Named recipients (partners)"),
    "markings.onward": N_("Partners may share it onward (only if CLEAR or GREEN, H0 or H1)"),
    "markings.excluded": N_("Never to these partners, directly or through a relay"),
}

CASE_KINDS = {
    "treaty_extradition": N_("Extradition under treaty"), "provisional_arrest_request": N_("Provisional arrest request"),
    "temporary_surrender": N_("Temporary surrender"), "deportation_expulsion": N_("Deportation or expulsion"),
    "extra_treaty_transfer": N_("Transfer outside the treaty"), "information_request": N_("Information request"),
    "mla_request": N_("Mutual legal assistance request"), "joint_operation_request": N_("Joint operation request"),
    "pre_export_notification": N_("Pre-export notification"),
}

CASE_STATES = {
    "requested": N_("Requested"), "provisional_arrest": N_("Provisional arrest requested"),
    "arrested": N_("Arrested"), "formal_request_received": N_("Formal request received"), "hearing": N_("Hearing"),
    "judicial_opinion": N_("Judicial opinion"), "executive_decision": N_("Extradition granted"),
    "amparo": N_("Amparo"), "habeas_corpus": N_("Habeas corpus"), "surrender_ordered": N_("Surrender ordered"),
    "surrendered": N_("Surrendered"), "refused": N_("Refused"), "withdrawn": N_("Withdrawn"),
    "released": N_("Released"), "granted": N_("Granted"), "formal_request_presented": N_("Formal request presented"),
    "lapsed": N_("Lapsed"), "surrendered_temporarily": N_("Surrendered temporarily"), "returned": N_("Returned"),
    "initiated": N_("Initiated"), "detained": N_("Detained"), "order_issued": N_("Order issued"),
    "appealed": N_("Appealed"), "removed": N_("Removed"), "cancelled": N_("Cancelled"), "proposed": N_("Proposed"),
    "authorized": N_("Authorised"), "suspended": N_("Suspended"), "transferred": N_("Transferred"),
    "rejected": N_("Rejected"), "received": N_("Received"), "acknowledged": N_("Acknowledged"),
    "awaiting_clarification": N_("Awaiting clarification"), "answered": N_("Answered"),
    "under_review": N_("Under review"), "returned_for_clarification": N_("Returned for clarification"),
    "accepted": N_("Accepted"), "executing": N_("Executing"), "executed": N_("Executed"),
    "partially_executed": N_("Partially executed"), "approved": N_("Approved"), "active": N_("Active"),
    "concluded": N_("Concluded"),
    "evidence_closed": N_("Evidence closed"), "objections_filed": N_("Objections filed"),
    "report_delivered": N_("Report delivered"),
    "notified": N_("Notified"), "shipped": N_("Shipped"), "stopped": N_("Stopped"), "delivered": N_("Delivered"),
    "seized_on_arrival": N_("Seized on arrival"), "cleared": N_("Cleared"), "objected": N_("Objected"),
    "information_requested": N_("Information requested"), "information_provided": N_("Information provided"),
}

PEN_ANSWERS = {"acknowledged": N_("Acknowledged"), "no-objection": N_("No objection"),
               "legitimate-consignee": N_("Legitimate consignee"), "objection": N_("Objection"),
               "information-requested": N_("Information requested"),
               "information-provided": N_("Information provided")}

NOTE_KINDS = {"note": N_("Note"), "confirmation": N_("Confirmation"), "response": N_("Response"),
              "correction": N_("Correction"), "status": N_("Status update"),
              "documents-requested": N_("Documents requested")}

SELECTORS = {"phone": N_("Phone number"), "plate": N_("Plate"), "plate-national": N_("Plate (national)"),
             "vin": N_("VIN"), "container": N_("Container number"), "clabe": N_("Bank account (CLABE)"),
             "person-name-dob": N_("Person: name and date of birth"),
             "person-short-dob": N_("Person: short name and date of birth"),
             "person-phonetic-dob": N_("Person: name sound and date of birth"), "company": N_("Company"),
             "event-cell": N_("Event (place and time)"), "person": N_("Person"), "event": N_("Event")}

PSI_STAGES = {"cardinality": N_("Counts only"), "intersection": N_("Hits")}

PSI_STATUSES = {"open": N_("Running"), "counted": N_("Counted"), "done": N_("Done"), "failed": N_("Failed"),
                "refused": N_("Refused")}

PSI_ROLES = {"initiator": N_("Started here"), "responder": N_("Started by the partner")}

KINDS = {"type": TYPES, "role": ROLES, "tlp": TLP, "handling": HANDLING, "reliability": RELIABILITY,
         "accuracy": ACCURACY, "field": FIELDS,
         "case_kind": CASE_KINDS, "case_state": CASE_STATES, "note_kind": NOTE_KINDS,
         "selector": SELECTORS, "psi_stage": PSI_STAGES, "psi_status": PSI_STATUSES, "psi_role": PSI_ROLES,
         "pen_answer": PEN_ANSWERS}


# notifications (vinculo.notify)
KINDS["notify_kind"] = {"records": N_("New records"), "alerts": N_("Correlation alerts"),
                        "notices": N_("Deconfliction notices"), "sync": N_("Sync problems")}
KINDS["notify_mode"] = {"immediate": N_("At once"), "daily": N_("Daily digest"), "weekly": N_("Weekly digest")}

HUMANISED = ("field", "case_state")


def label(kind: str, value: object, locale: str) -> str:
    """The translated label of `value`; an unlisted value (a field added later) is shown humanised."""
    key = str(value)
    msgid = KINDS.get(kind, {}).get(key)
    if msgid is None:
        return key.rsplit(".", 1)[-1].replace("_", " ").capitalize() if kind in HUMANISED else key
    return translations(locale).gettext(msgid)
