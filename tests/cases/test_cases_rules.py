"""Rule tables: shipped JSON loads and validates; malformed tables are rejected clearly."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from vinculo.cases import (
    CaseKind,
    RuleTableError,
    deadlines,
    load_table,
    load_table_file,
    open_case,
    table_for,
)
from vinculo.cases.rules import DEFAULT_TABLES, parse_table

SHIPPED = ("us-mx-1978", "mla-generic", "info-generic", "generic")


@pytest.mark.parametrize("table_id", SHIPPED)
def test_shipped_tables_load(table_id):
    table = load_table(table_id)
    assert table.table_id == table_id and table.rules
    for rule in table.rules:
        assert rule.description and rule.reference, rule.rule_id


def test_us_mx_table_contents():
    table = load_table("us-mx-1978")
    t11 = table.rule("T11-FORMAL-REQUEST-60D")
    assert (t11.start, t11.until, t11.days, t11.count) == (
        ("state:arrested",),
        ("state:formal_request_received",),
        60,
        "calendar_days",
    )
    objections = table.rule("LEI-25-OBJECTIONS-3D")
    assert (objections.days, objections.count, objections.type, objections.requested_state) == (
        3,
        "business_days",
        "window",
        "MX",
    )
    assert table.rule("LEI-25-EVIDENCE-20D").days == 20
    assert table.rule("LEI-30-DECISION-20D").days == 20
    assert [g.requires_assurance for g in table.guards] == ["death_penalty", "death_penalty"]
    with pytest.raises(KeyError):
        table.rule("NOPE")


def test_default_tables_per_kind():
    assert (
        table_for(
            open_case(
                "a",
                CaseKind.MLA_REQUEST,
                opened_on=date(2025, 1, 1),
                requesting_state="MX",
                requested_state="US",
            )
        ).table_id
        == "mla-generic"
    )
    no_treaty = open_case(
        "b",
        CaseKind.TREATY_EXTRADITION,
        opened_on=date(2025, 1, 1),
        requesting_state="MX",
        requested_state="US",
    )
    assert table_for(no_treaty) is None
    assert set(DEFAULT_TABLES.values()) <= set(SHIPPED)


def test_unknown_or_bad_table_ids():
    with pytest.raises(RuleTableError, match="no rule table named 'us-ca-1971'"):
        load_table("us-ca-1971")
    with pytest.raises(RuleTableError, match="bad rule table id"):
        load_table("../../etc/passwd")


def _base() -> dict:
    return {
        "table_id": "t",
        "rules": [
            {
                "id": "A",
                "kinds": ["mla_request"],
                "from": "state:received",
                "until": ["state:accepted"],
                "days": 10,
                "count": "calendar_days",
                "description": "d",
                "reference": "r",
            },
        ],
    }


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t["rules"][0].update({"from": "state:nowhere"}), "mla_request has no state 'nowhere'"),
        (lambda t: t["rules"][0].update({"until": ["event:party"]}), "has no event 'party'"),
        (lambda t: t["rules"][0].update({"until": ["rule:A"]}), "bad reference 'rule:A'"),
        (lambda t: t["rules"][0].update({"from": "rule:A"}), "rule:A must name an earlier rule"),
        (lambda t: t["rules"][0].update({"from": "received"}), "bad reference 'received'"),
        (lambda t: t["rules"][0].update({"count": "weeks"}), "bad count or type"),
        (lambda t: t["rules"][0].update({"type": "soft"}), "bad count or type"),
        (lambda t: t["rules"][0].update({"days": None}), "needs days or days_param"),
        (lambda t: t["rules"][0].update({"days": -1}), "negative days"),
        (lambda t: t["rules"][0].update({"until": []}), "empty from/until"),
        (lambda t: t["rules"][0].update({"kinds": ["smuggling"]}), "malformed table"),
        (lambda t: t["rules"][0].pop("reference"), "malformed table"),
        (lambda t: t["rules"][0].update({"paused_by": ["limbo"]}), "has no state 'limbo'"),
        (lambda t: t["rules"].append(dict(t["rules"][0])), "duplicate rule ids"),
        (
            lambda t: t.update(
                guards=[
                    {
                        "kinds": ["mla_request"],
                        "to": ["accepted"],
                        "when": "is_vip",
                        "requires_assurance": "x",
                        "reference": "r",
                    }
                ]
            ),
            "guard condition",
        ),
    ],
)
def test_malformed_tables_are_rejected(mutate, message):
    data = copy.deepcopy(_base())
    mutate(data)
    with pytest.raises(RuleTableError, match=message):
        parse_table(data)


def test_custom_table_from_file(tmp_path):
    path = tmp_path / "agency.json"
    path.write_text(json.dumps(_base()), encoding="utf-8")
    table = load_table_file(path)
    case = open_case(
        "m", CaseKind.MLA_REQUEST, opened_on=date(2025, 1, 31), requesting_state="MX", requested_state="US"
    )
    (d,) = deadlines(case, date(2025, 2, 1), table=table)
    assert (d.rule_id, d.due) == ("A", date(2025, 2, 10))
