"""Pure parts of pre-export notifications: the reply deadline across weekends and the rule files'
holidays, the answers read from notes, and the control status data."""

from __future__ import annotations

import datetime as dt

import pytest

from vinculo.cases import CaseKind, advance, deadlines, open_case
from vinculo.cases.preexport import answer_text, answers_of, decision, parse_answer, table, with_answers
from vinculo.records.control import control_status, flag, statuses
from vinculo.records.vocab_keys import VocabularyError


def pen(opened: dt.date, exporter="US", importer="MX", reply_days=15):
    return open_case("PEN-1", CaseKind.PRE_EXPORT_NOTIFICATION, opened_on=opened, requesting_state=exporter,
                     requested_state=importer, params={"reply_days": reply_days})


def due(case, rule, today):
    return {d.rule_id: d for d in deadlines(case, today, table=table())}[rule]


def test_reply_period_skips_weekends_and_the_importers_holidays():
    # Friday 19 Dec 2025, 5 working days in Mexico: 22, 23, 24, (25 Christmas), 26, 29
    case = pen(dt.date(2025, 12, 19), reply_days=5)
    assert due(case, "PEN-REPLY", dt.date(2025, 12, 20)).due == dt.date(2025, 12, 29)
    assert due(case, "PEN-ACK", dt.date(2025, 12, 20)).due == dt.date(2025, 12, 23)
    # the other way round the US calendar counts: Thursday 3 July 2025, then Friday 4 July (holiday)
    back = pen(dt.date(2025, 7, 3), exporter="MX", importer="US", reply_days=2)
    assert due(back, "PEN-REPLY", dt.date(2025, 7, 3)).due == dt.date(2025, 7, 8)
    # Mexico's first Monday of February (Constitution Day, 2 Feb 2026) is a holiday there
    feb = pen(dt.date(2026, 1, 30), reply_days=1)
    assert due(feb, "PEN-REPLY", dt.date(2026, 1, 30)).due == dt.date(2026, 2, 3)


def test_answers_stop_the_clock_only_from_the_right_node():
    body = {"requesting_node": "us-dea", "requested_node": "mx-cofepris"}

    def note(origin, kind, answer, day):
        return {"id": f"note--{origin}{day}", "origin": origin, "created": f"{day}T10:00:00Z",
                "body": {"kind": kind, "about_refs": ["case--1"], "text": answer_text(answer, "x")}}

    notes = [note("mx-cofepris", "status", "acknowledged", "2025-12-22"),
             note("hub-incb", "response", "objection", "2025-12-22"),  # not the importer: ignored
             note("us-dea", "response", "no-objection", "2025-12-22"),  # the exporter cannot clear
             note("mx-cofepris", "response", "objection", "2025-12-30")]  # the importer, but late
    answers = answers_of("case--1", body, notes)
    assert [a for a, _, _ in answers] == ["acknowledged", "objection"]
    assert decision(answers) == "objected"
    case = with_answers(pen(dt.date(2025, 12, 19), reply_days=5), answers)
    assert due(case, "PEN-ACK", dt.date(2026, 1, 5)).status == "met"
    assert due(case, "PEN-REPLY", dt.date(2026, 1, 5)).status == "late"
    unanswered = pen(dt.date(2025, 12, 19), reply_days=5)
    assert due(unanswered, "PEN-REPLY", dt.date(2025, 12, 29)).status == "pending"
    assert due(unanswered, "PEN-REPLY", dt.date(2025, 12, 30)).overdue
    shipped = advance(unanswered, "shipped", dt.date(2025, 12, 31), "left without an answer")
    assert due(shipped, "PEN-REPLY", dt.date(2026, 1, 5)).overdue  # still unanswered, on both nodes


def test_a_tag_needs_its_note_kind():
    assert parse_answer({"kind": "response", "text": "[PEN no-objection] fine"}) == "no-objection"
    assert parse_answer({"kind": "status", "text": "[PEN no-objection] fine"}) is None
    assert parse_answer({"kind": "response", "text": "no-objection"}) is None
    assert parse_answer({"kind": "response", "text": "[PEN whatever] x"}) is None
    with pytest.raises(ValueError):
        answer_text("whatever", "x")


def test_control_status_of_the_fentanyl_precursors():
    years = {s.code: (s.un1988_table, s.un1988_added) for s in statuses()}
    assert years["anpp"] == years["npp"] == ("I", 2017)
    assert years["4-ap"] == years["1-boc-4-ap"] == years["norfentanyl"] == ("I", 2022)
    assert years["4-piperidone"] == years["1-boc-4-piperidone"] == ("I", 2024)
    assert control_status("79099-07-3").code == "1-boc-4-piperidone"  # by CAS number
    assert control_status("acetona").un1988_table == "II"
    assert control_status("methylamine").watch and not control_status("methylamine").un1988_table
    assert control_status("caffeine") is None and control_status(None) is None
    assert flag("shipment", {"substance": "npp"})["label"].startswith("1988-I (2017)")
    assert flag("seizure", {}) is None and flag("person", {"substance": "npp"}) is None
    for s in statuses():  # every un1988 year given is the table's, and every row names its references
        assert s.un1988_added is None or s.un1988_table
        assert not s.un1988_table or s.un1988_ref


def test_bad_control_rows_are_refused(monkeypatch):
    from vinculo.records import control

    def rows(*_):
        yield 2, {"code": "not-a-substance", "un1988_table": "I", "un1988_added": "", "un1988_ref": "",
                  "us_list": "", "us_ref": "", "mx_list": "", "mx_ref": "", "incb_watch": "", "verified": ""}

    monkeypatch.setattr(control, "_read_rows", rows)
    control._table.cache_clear()
    try:
        with pytest.raises(VocabularyError, match="control.csv:2"):
            control.statuses()
    finally:
        monkeypatch.undo()
        control._table.cache_clear()


def test_selectors_of_a_notification_name_its_parties():
    from vinculo.deconfliction.selectors import selectors_for

    body = {"kind": "pre_export_notification", "requesting_country": "US", "requested_country": "MX",
            "precursor": {"substance": "npp", "exporter": "Gulf Fine Chemicals LLC", "importer": "Quimica del Pacifico",
                          "consignee": "Laboratorios Sinaloa SA", "consignee_phone": "667 123 4567",
                          "consignee_address": "Av. Obregón 100, Culiacán", "exporter_phone": "(713) 555-0100"}}
    got = {(s.kind, s.value) for s in selectors_for("case", body) if s.valid}
    kinds = {k for k, _ in got}
    assert {"company", "phone", "address"} <= kinds
    assert ("phone", "+526671234567") in got and ("phone", "+17135550100") in got  # each in its own country
    assert selectors_for("case", {"kind": "mla_request"}) == []
    assert selectors_for("case", {"precursor": "not a mapping"}) == []


def test_answers_keep_the_order_they_were_written_in():
    body = {"requesting_node": "us-dea", "requested_node": "mx-cofepris"}
    notes = [{"id": f"note--{c}", "origin": "mx-cofepris", "created": f"2025-12-22T10:00:0{t}Z",
              "body": {"kind": k, "about_refs": ["case--1"], "text": answer_text(a, "")}}
             for c, t, k, a in (("f", 1, "status", "acknowledged"), ("a", 2, "response", "objection"),
                                ("0", 3, "response", "no-objection"), ("1", 4, "status", "acknowledged"))]
    answers = answers_of("case--1", body, notes)
    assert [a for a, _, _ in answers] == ["acknowledged", "objection", "no-objection", "acknowledged"]
    assert decision(answers) == "cleared"  # the last clearance or objection, not a later acknowledgement
    assert decision(answers[:1]) == "acknowledged" and decision([]) is None
