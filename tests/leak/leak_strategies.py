"""Hypothesis strategies for whole leak scenarios: nodes, records with markings, agreements between
every ordered pair (some missing), relay topologies, revocations and re-markings between pulls."""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations

from hypothesis import strategies as st
from leak_harness import RecordSpec, Scenario

TYPES = ("seizure", "person", "note", "relationship")
# The first choice of each is what hypothesis tries first: the most open world (everything in force,
# GREEN/H0, relays permitted), so that early examples move records around.
TLPS = ("green", "clear", "green", "amber", "amber+strict", "red")  # GREEN twice: relays need it
HANDLING = ("H0", "H1", "H0", "H2", "H3")
WINDOWS = (("2020-01-01", None),) * 10 + (("2099-01-01", None), ("2020-01-01", "2021-12-31"))
WITHHELD = ({}, {}, {"person": ["date_of_birth"]}, {"person": ["curp"]}, {"seizure": ["place"]},
            {"person": ["date_of_birth"], "seizure": ["place"]})


@st.composite
def markings(draw, nodes: tuple[str, ...], origin: str) -> dict:
    others = [n for n in nodes if n != origin]
    m = draw(st.fixed_dictionaries(
        {"tlp": st.sampled_from(TLPS), "handling": st.sampled_from(HANDLING)},
        optional={"partners": st.lists(st.sampled_from(others), unique=True, max_size=2),
                  "onward": st.sampled_from((True, False)),
                  "excluded": st.lists(st.sampled_from(others), unique=True, max_size=1)}))
    if "excluded" in m:  # a node cannot be both named and excluded (the markings refuse it)
        m["excluded"] = [n for n in m["excluded"] if n not in m.get("partners", ())]
    return m


@st.composite
def terms(draw, nodes: tuple[str, ...], node: str, partner: str) -> dict:
    start, end = draw(st.sampled_from(WINDOWS))
    types = draw(st.one_of(st.just(list(TYPES)), st.lists(st.sampled_from(TYPES), unique=True, min_size=1)))
    refused = draw(st.lists(st.sampled_from(("H0", "H1", "H2", "H3")), unique=True, max_size=2)
                   if draw(st.integers(0, 3)) == 3 else st.just([]))
    required = [] if refused or draw(st.integers(0, 5)) < 5 else draw(
        st.lists(st.sampled_from(("H0", "H1", "H2", "H3")), unique=True, min_size=1, max_size=3))
    others = [n for n in nodes if n not in (node, partner)]
    t = {"record_types": sorted(types), "max_tlp": draw(st.sampled_from(("amber", "green", "amber", "red",
                                                                        "amber+strict", "clear"))),
         "handling_required": required, "handling_refused": refused,
         "withheld_fields": draw(st.sampled_from(WITHHELD)), "onward_sharing": draw(st.sampled_from((True, False))),
         "relay_origins": draw(st.one_of(st.just(others), st.lists(st.sampled_from(others), unique=True)))
         if others else [],
         "start": start}
    if end:
        t["end"] = end
    return t


@st.composite
def records(draw, nodes: tuple[str, ...], max_records: int = 7) -> list[RecordSpec]:
    out: list[RecordSpec] = []
    for i in range(draw(st.integers(min(4, max_records), max_records))):
        origin = draw(st.sampled_from(nodes))
        rtype = draw(st.sampled_from(TYPES if i >= 2 else TYPES[:2]))
        refs: tuple[int, ...] = ()
        if rtype == "note":
            refs = tuple(draw(st.lists(st.integers(0, i - 1), unique=True, min_size=1, max_size=2)))
        elif rtype == "relationship":
            refs = tuple(draw(st.lists(st.integers(0, i - 1), unique=True, min_size=2, max_size=2)))
        out.append(RecordSpec(origin, rtype, draw(markings(nodes, origin)), refs))
    return out


@st.composite
def scenarios(draw, nodes: tuple[str, ...] = ("us-dea", "mx-fgr", "ca-rcmp"), rounds: int = 3,
              max_records: int = 7) -> Scenario:
    pairs = list(permutations(nodes, 2))
    agreements = {}
    for n, p in pairs:
        if draw(st.integers(0, 5)) < 5:  # one pair in six has no agreement
            agreements[(n, p)] = draw(terms(nodes, n, p))
    recs = draw(records(nodes, max_records))
    # Most scenarios get one relay chain origin -> relay -> recipient whose terms permit relaying, and
    # a record the origin lets go onward, so that relays (and refusals next to them) are exercised.
    chain = draw(st.one_of(st.permutations(nodes).map(lambda p: tuple(p[:3])), st.none()))
    if chain:
        o, n, p = chain
        for key in ((o, n), (n, p), (p, n)):
            agreements.setdefault(key, draw(terms(nodes, *key)))
        agreements[(o, n)] |= {"onward_sharing": True}
        agreements[(n, p)] |= {"withheld_fields": {}, "end": None,
                               "relay_origins": sorted(set(agreements[(n, p)]["relay_origins"]) | {o})}
        agreements[(p, n)] |= {"relay_origins": sorted(set(agreements[(p, n)]["relay_origins"]) | {o})}
        rtype = draw(st.sampled_from(("seizure", "person")))
        for key in ((o, n), (n, p)):
            agreements[key] |= {"start": "2020-01-01", "end": None, "handling_required": [], "handling_refused": [],
                                "record_types": sorted(set(agreements[key]["record_types"]) | {rtype})}
        first = RecordSpec(o, rtype, {"tlp": draw(st.sampled_from(("green", "clear"))),
                                      "handling": draw(st.sampled_from(("H0", "H1"))), "onward": True})
        recs = [first] + [replace(r, refs=tuple(i + 1 for i in r.refs)) for r in recs]
    steps: list[tuple] = []
    for r in range(rounds):
        order = draw(st.permutations(pairs))
        steps += [("pull", puller, server) for puller, server in order]
        if r == rounds - 1:
            break
        for _ in range(draw(st.integers(0, 2))):
            what = draw(st.sampled_from(("revoke", "remark", "agree")))
            i = draw(st.integers(0, len(recs) - 1))
            if what == "revoke":
                steps.append(("revoke", i))
            elif what == "remark":
                steps.append(("remark", i, draw(markings(nodes, recs[i].origin))))
            else:
                n, p = draw(st.sampled_from(pairs))
                steps.append(("agree", n, p, draw(terms(nodes, n, p))))
    return Scenario(tuple(nodes), agreements, recs, steps)
