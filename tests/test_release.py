"""release(): the one decision about who sees which view of a record."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.records.model import Record
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.markings import TLP, Handling, Markings
from vinculo.sharing.release import ROLES, LocalUser, PartnerNode, PartnerReleases, release

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
TODAY = dt.date(2026, 6, 1)
BODY = {"date": "2025-06-01", "country": "US", "substance": "fentanyl", "route": "Tijuana",
        "quantity": {"amount": 1.0, "unit": "kg", "kg": 1.0}, "source_name": "CI-7"}


def rec(tlp=TLP.AMBER, handling=Handling.H0, partners=(), origin="us-dea", revoked=False, rtype="seizure",
        onward=False, excluded=(), body=None, holder="default"):
    text = "conditions" if handling is Handling.H3 else None
    if holder == "default":  # a partner's copy names this node as the one it may relay
        holder = "us-dea" if onward and origin != "us-dea" else None
    return Record("seizure--00000000-0000-4000-8000-000000000001", rtype, origin, 1, T0, T0,
                  Markings(tlp=tlp, handling=handling, handling_text=text, partners=tuple(partners), onward=onward,
                           excluded=tuple(excluded), onward_holder=holder), dict(body or BODY), revoked)


def agreement(**kw):
    terms = {"partner": "mx-fgr", "record_types": {"seizure"}, "max_tlp": TLP.AMBER, "start": dt.date(2026, 1, 1)}
    return Agreement(**(terms | kw))


def mx(a="default"):
    return PartnerNode("mx-fgr", "us-dea", agreement() if a == "default" else a, TODAY)


def test_no_agreement_no_sharing():
    d = release(rec(), mx(None))
    assert not d.allowed and d.view is None
    assert "no sharing agreement" in d.reasons[0]


def test_agreement_allows_and_withholds_fields():
    d = release(rec(), mx(agreement(withheld_fields={"seizure": {"route", "quantity.kg"}})))
    assert d.allowed
    assert "route" not in d.view["body"] and "kg" not in d.view["body"]["quantity"]
    assert d.view["body"]["quantity"]["amount"] == 1.0
    assert d.withheld == ("quantity.kg", "route")
    assert any("withheld" in r for r in d.reasons)


def test_tlp_above_agreement_is_refused():
    d = release(rec(tlp=TLP.AMBER), mx(agreement(max_tlp=TLP.GREEN)))
    assert not d.allowed and "above the agreement" in d.reasons[0]


def test_amber_strict_never_reaches_a_partner():
    """AMBER+STRICT is this organisation only: no agreement, however wide, and no naming sends it."""
    for max_tlp in (TLP.AMBER_STRICT, TLP.RED):
        a = agreement(max_tlp=max_tlp)
        assert not release(rec(tlp=TLP.AMBER_STRICT), mx(a)).allowed
        d = release(rec(tlp=TLP.AMBER_STRICT, partners=["mx-fgr"]), mx(a))
        assert not d.allowed and "AMBER+STRICT" in d.reasons[0]


def test_excluded_partner_gets_nothing():
    d = release(rec(tlp=TLP.GREEN, excluded=["mx-fgr"]), mx())
    assert not d.allowed and "exclude" in d.reasons[0]
    assert release(rec(tlp=TLP.GREEN, excluded=["co-dijin"]), mx()).allowed


def test_withholding_is_semantic():
    """Withholding a birth date withholds the CURP and RFC that embed it, and the reasons say so."""
    person = {"full_name": "Rafael Ortega Ruiz", "date_of_birth": "1979-03-14", "curp": "OERR790314HSLRZF09",
              "rfc": "OERR790314AB1", "nationality": ["MX"]}
    a = agreement(record_types={"person"}, withheld_fields={"person": {"date_of_birth"}})
    d = release(rec(rtype="person", body=person), mx(a))
    assert d.allowed
    assert set(d.view["body"]) == {"full_name", "nationality"}
    assert d.withheld == ("curp", "date_of_birth", "rfc")
    assert any("same information" in r and "curp" in r and "rfc" in r for r in d.reasons)
    named = release(rec(rtype="person", body=person), mx(agreement(record_types={"person"},
                                                               withheld_fields={"person": {"full_name"}})))
    assert set(named.view["body"]) == {"date_of_birth", "nationality"}  # a CURP/RFC spells the name's letters


def test_onward_permission_travels_signed_and_agreement_can_take_it_off():
    own = rec(tlp=TLP.GREEN, onward=True)
    d = release(own, mx(agreement(onward_sharing=True)))
    assert d.allowed and d.view["markings"]["onward"] is True and d.changed
    assert d.view["markings"]["onward_holder"] == "mx-fgr"  # the permission names the one node given it
    off = release(own, mx(agreement(onward_sharing=False)))
    assert off.allowed and "onward" not in off.view["markings"] and off.changed
    amber = release(rec(tlp=TLP.AMBER, onward=True), mx(agreement(onward_sharing=True)))
    assert amber.allowed and "onward" not in amber.view["markings"]  # never relayable: no permission sent
    assert any("without onward sharing" in r for r in off.reasons)
    assert own.markings.onward  # the stored record is untouched


def test_red_never_to_a_partner():
    """TLP:RED is for named people: not even a partner named in the markings receives it."""
    assert not release(rec(tlp=TLP.RED), mx(agreement(max_tlp=TLP.RED))).allowed
    named = release(rec(tlp=TLP.RED, partners=["mx-fgr"]), mx(agreement(max_tlp=TLP.RED)))
    assert not named.allowed and "never sent to a partner" in named.reasons[0]


def test_named_recipients_exclude_others():
    d = release(rec(partners=["co-dijin"]), mx())
    assert not d.allowed and "co-dijin" in d.reasons[0]


def test_agreement_window_and_types():
    assert not release(rec(), PartnerNode("mx-fgr", "us-dea", agreement(), dt.date(2025, 12, 31))).allowed
    assert not release(rec(rtype="lab"), mx()).allowed


def test_relay_needs_the_origins_onward_permission_and_the_agreement():
    relays = mx(agreement(relay_origins={"co-dijin"}))
    assert not release(rec(origin="co-dijin", tlp=TLP.GREEN), relays).allowed  # no onward permission
    onward = rec(origin="co-dijin", tlp=TLP.GREEN, onward=True)
    assert not release(onward, mx()).allowed  # the agreement does not relay co-dijin
    assert release(onward, relays).allowed
    assert not release(rec(origin="mx-fgr", tlp=TLP.GREEN, onward=True), mx(agreement(relay_origins={"mx-fgr"}))).allowed
    # SIENA H2 means "not to be disseminated without permission": never relayed, even marked onward
    d = release(rec(origin="co-dijin", tlp=TLP.GREEN, onward=True, handling=Handling.H2), relays)
    assert not d.allowed and "H2" in d.reasons[0]
    # only CLEAR and GREEN go onward, whatever the agreement allows for our own records
    d = release(rec(origin="co-dijin", tlp=TLP.AMBER, onward=True), relays)
    assert not d.allowed and "never relayed" in d.reasons[0]
    assert not release(rec(origin="co-dijin", tlp=TLP.GREEN, onward=True, excluded=["mx-fgr"]), relays).allowed
    # relays are one hop: a copy whose permission names another node (or none) is not relayed
    for holder in ("ca-rcmp", None):
        d = release(rec(origin="co-dijin", tlp=TLP.GREEN, onward=True, holder=holder), relays)
        assert not d.allowed and "one hop" in d.reasons[0]
    # a relay passes the origin's signed bytes: it cannot withhold, so it refuses
    withholding = mx(agreement(relay_origins={"co-dijin"}, withheld_fields={"seizure": {"route"}}))
    assert not release(onward, withholding).allowed


def test_handling_rules():
    assert not release(rec(handling=Handling.H1), mx(agreement(handling_refused={Handling.H1}))).allowed
    assert not release(rec(handling=Handling.H0), mx(agreement(handling_required={Handling.H1}))).allowed
    assert not release(rec(handling=Handling.H3), mx()).allowed
    assert release(rec(handling=Handling.H3, partners=["mx-fgr"]), mx()).allowed


def test_revoked_never_goes_to_partners():
    assert not release(rec(revoked=True), mx()).allowed


def test_local_roles():
    node = "us-dea"
    assert release(rec(), LocalUser("a", "analyst", node)).allowed
    assert not release(rec(), LocalUser("a", "admin", node)).allowed
    audit = release(rec(), LocalUser("a", "auditor", node))
    assert audit.allowed and audit.view["body"] == {} and audit.view["markings"]["tlp"] == "amber"
    assert not release(rec(tlp=TLP.RED), LocalUser("a", "analyst", node)).allowed
    assert not release(rec(tlp=TLP.RED), LocalUser("s", "supervisor", node)).allowed  # named people only
    assert not release(rec(), LocalUser("x", "root", node)).allowed


# --- properties over random records, markings and agreements ---------------------------------

tlps = st.sampled_from(list(TLP))
handlings = st.sampled_from(list(Handling))
partner_ids = st.sampled_from(["mx-fgr", "co-dijin", "gt-pnc"])
FIELDS = ["date", "country", "substance", "route", "quantity", "source_name"]


@st.composite
def records(draw):
    handling = draw(handlings)
    return Record("seizure--00000000-0000-4000-8000-000000000002", draw(st.sampled_from(["seizure", "lab"])),
                  draw(st.sampled_from(["us-dea", "co-dijin", "mx-fgr"])), 1, T0, T0,
                  Markings(tlp=draw(tlps), handling=handling,
                           handling_text="c" if handling is Handling.H3 else None,
                           partners=tuple(draw(st.lists(partner_ids, max_size=2, unique=True))),
                           onward=(onward := draw(st.booleans())),
                           onward_holder=draw(st.sampled_from(["us-dea", "ca-rcmp", None])) if onward else None),
                  dict(BODY), draw(st.booleans()))


@st.composite
def agreements(draw):
    return Agreement(partner="mx-fgr", record_types=frozenset(draw(st.sets(st.sampled_from(["seizure", "lab"])))),
                     max_tlp=draw(tlps), handling_refused=frozenset(draw(st.sets(handlings, max_size=2))),
                     withheld_fields={"seizure": frozenset(draw(st.sets(st.sampled_from(FIELDS), max_size=3)))},
                     relay_origins=frozenset(draw(st.sets(st.sampled_from(["co-dijin", "mx-fgr"])))),
                     onward_sharing=draw(st.booleans()),
                     start=dt.date(2026, 1, 1), end=draw(st.sampled_from([None, dt.date(2026, 3, 1)])))


@settings(max_examples=600, deadline=None)
@given(records(), agreements())
def test_partner_never_gets_what_rules_forbid(record, a):
    d = release(record, PartnerNode("mx-fgr", "us-dea", a, TODAY))
    m = record.markings
    if d.allowed:
        assert a.in_force(TODAY) and record.type in a.record_types and not record.revoked
        assert m.tlp.at_most(a.max_tlp) and m.handling not in a.handling_refused
        assert not m.partners or "mx-fgr" in m.partners
        assert m.tlp is not TLP.AMBER_STRICT
        assert m.tlp is not TLP.RED
        if m.handling is Handling.H3:
            assert "mx-fgr" in m.partners
        if record.origin != "us-dea":
            assert record.origin != "mx-fgr" and m.onward and record.origin in a.relay_origins
            assert m.tlp in (TLP.CLEAR, TLP.GREEN) and m.handling in (Handling.H0, Handling.H1)
            assert m.onward_holder == "us-dea"
            assert d.view == record.document()
        for f in a.withheld_fields.get(record.type, ()):
            assert f not in d.view["body"]
        if d.view["markings"].get("onward") and record.origin == "us-dea":
            assert a.onward_sharing and d.view["markings"]["onward_holder"] == "mx-fgr"
        assert d.view["id"] == record.id
    else:
        assert d.view is None
    assert d.reasons


@settings(max_examples=300, deadline=None)
@given(records(), st.sampled_from(list(ROLES) + ["guest"]))
def test_local_view_is_complete_or_nothing(record, role):
    d = release(record, LocalUser("u", role, "us-dea"))
    if role in ("admin", "guest"):
        assert not d.allowed
    elif d.allowed and role != "auditor":
        assert d.view == record.document()
    assert d.reasons


@settings(max_examples=300, deadline=None)
@given(st.lists(records(), min_size=1, max_size=12), agreements())
def test_partner_releases_decides_as_release_does(batch, a):
    """The batch form used by the TAXII feed memoises decisions; it must agree with release() on every
    record, in any order (views included)."""
    audience = PartnerNode("mx-fgr", "us-dea", a, TODAY)
    decide = PartnerReleases(audience)
    for record in batch + batch[::-1]:
        assert decide(record) == release(record, audience)
