"""Fuzzing the inbox and the page parser: random, garbled and half-valid STIX objects and pages give clean
per-object rejections (or, for a page that is not an envelope at all, a `SyncError` that leaves the cursor
as it was), never an exception out of the pull, and nothing stored that does not verify as it was signed."""

import copy

import orjson
from fake_partner import FakePartner, Reply, state, stored_ids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinculo.federation import inbox, sync
from vinculo.federation.provenance import origin_signature
from vinculo.records.model import ID_RE

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from(["seizure", "note", "H0", "green", "red", "2025-01-01T00:00:00Z", "mx-fake",
                                     "note--00000000-0000-4000-8000-000000000000"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)
# Where a mutation lands: the STIX object, its extension, the signed document, its body or markings.
WHERE = ["object", "extension", "document", "body", "markings"]


def _spots(obj: dict) -> dict[str, dict]:
    ext = next(iter(obj["extensions"].values()))
    doc = ext["document"]
    return {"object": obj, "extension": ext, "document": doc, "body": doc["body"], "markings": doc["markings"]}


@st.composite
def mutation(draw):
    where = draw(st.sampled_from(WHERE))
    action = draw(st.sampled_from(["set", "delete", "add"]))
    return where, action, draw(st.text(max_size=12)), draw(values), draw(st.integers(0, 20))


def _mutated(obj: dict, steps: list) -> object:
    obj = copy.deepcopy(obj)
    for where, action, key, value, pick in steps:
        try:
            spot = _spots(obj)[where]
        except (KeyError, TypeError, AttributeError, StopIteration):
            return obj
        if not isinstance(spot, dict):
            return obj
        keys = sorted(spot)
        if action == "set" and keys:
            spot[keys[pick % len(keys)]] = value
        elif action == "delete" and keys:
            del spot[keys[pick % len(keys)]]
        else:
            spot[key] = value
    return obj


items = st.one_of(
    st.tuples(st.just("valid"), st.sampled_from(["seizure", "note"]), st.just([])),
    st.tuples(st.just("mutated"), st.sampled_from(["seizure", "note"]), st.lists(mutation(), min_size=1, max_size=3)),
    st.tuples(st.just("random"), st.just(""), values),
)


def _make(fake: FakePartner, node, spec) -> object:
    kind, rtype, extra = spec
    if kind == "random":
        return extra
    if rtype == "note":
        obj = fake.signed(fake.document({"text": "seen", "about_refs": [fake.document()["id"]]}, "note"))
    else:
        obj = fake.signed()
    return obj if kind == "valid" else _mutated(obj, extra)


def _all_stored_verify(node, before: set[str]) -> set[str]:
    """What is stored now; every record new since `before` verifies, as held, against the pinned key."""
    now = stored_ids(node)
    for rid in now - before:
        record = service_record(node, rid)
        assert origin_signature(node, record)["status"] == "verified", rid
    return now


def service_record(node, rid: str):
    from vinculo.records import repository as repo

    with node.engine.connect() as conn:
        return repo.current_many(conn, [rid])[rid]


def test_garbled_objects_are_rejected_one_by_one_and_nothing_unverified_is_stored(node):
    with FakePartner() as fake:
        fake.register(node)

        @FUZZ
        @given(st.lists(items, max_size=6))
        def run(specs):
            page = [_make(fake, node, s) for s in specs]
            before = stored_ids(node)
            result = inbox.apply_page(node, fake.node_id, page, "c")  # never raises
            assert result.new + result.updated + result.retracted + result.unchanged + result.rejected_count \
                == len(page)
            valid = sum(1 for s in specs if s[0] == "valid")
            assert result.new >= valid  # every untouched object is stored
            after = _all_stored_verify(node, before)
            assert len(after - before) == result.new
            assert all(ID_RE.match(rid) for rid in after)

        run()


def test_garbled_pages_end_the_pull_cleanly_and_leave_the_cursor(node):
    with FakePartner() as fake:
        fake.register(node)
        good = fake.signed()
        fake.serve = lambda _t, _l: Reply(orjson.dumps({"objects": [good], "more": False, "next": "1"}))
        sync.pull(node, fake.node_id)
        assert state(node, fake.node_id)["cursor"] == "1"

        bodies = st.one_of(
            st.binary(max_size=200),
            values.map(lambda v: orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS) if _dumpable(v) else b"{"),
            st.builds(lambda objs, more, nxt: orjson.dumps({"objects": objs, "more": more, "next": nxt})
                      if _dumpable(objs) and _dumpable(nxt) else b"[",
                      st.lists(values, max_size=4), values, values),
        )

        @FUZZ
        @given(bodies, st.sampled_from([200, 200, 200, 404, 500, 301]))
        def run(body, status):
            fake.serve = lambda _t, _l: Reply(body, status=status)
            try:
                report = sync.pull(node, fake.node_id)
            except sync.SyncError:
                assert state(node, fake.node_id)["cursor"] == "1" or _ok_cursor(state(node, fake.node_id)["cursor"])
                return
            cursor = state(node, fake.node_id)["cursor"]
            assert _ok_cursor(cursor) and report.new == 0

        run()


def _ok_cursor(cursor: object) -> bool:
    return cursor is None or (isinstance(cursor, str) and 0 < len(cursor) <= 256 and cursor.isascii()
                              and cursor.isprintable() and " " not in cursor)


def _dumpable(value: object) -> bool:
    try:
        orjson.dumps(value)
        return True
    except TypeError:
        return False
