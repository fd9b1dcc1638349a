"""The fast canonical JSON must give exactly RFC 8785's bytes."""

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.canonical import canonical_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_matches_reference(value):
    try:
        expected = rfc8785.dumps(value)
    except Exception:  # noqa: BLE001 - values JCS cannot encode (e.g. ints beyond 2**53)
        return
    assert canonical_json(value) == expected


def test_known_spellings():
    assert canonical_json({"b": 1.0, "a": [1e-7, 1e21, 0.5, "é"]}) == '{"a":[1e-7,1e+21,0.5,"é"],"b":1}'.encode()


def test_source_id_is_uuid5():
    import uuid

    from vinculo.records.model import SOURCE_NAMESPACE, source_id

    for key in ("a", "unodc-ids|abc|0", "ñ" * 50):
        assert source_id("seizure", key) == f"seizure--{uuid.uuid5(SOURCE_NAMESPACE, key)}"


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_orjson_writes_what_json_writes(value):
    """The fast path writes the prepared copy with orjson; it must spell it exactly as `json` does."""
    from vinculo.canonical import _dumps, _NeedsReference, _prepare

    try:
        prepared = _prepare(value)
    except _NeedsReference:
        return
    assert canonical_json(value) == _dumps(prepared).encode("utf-8")


def test_deep_nesting_falls_back_to_json():
    deep: object = 1.5
    for _ in range(300):  # deeper than orjson writes
        deep = [deep]
    assert canonical_json(deep) == rfc8785.dumps(deep)


EDGES = [2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 1e16, 9999999999999998.0, 1e-6, 9.99e-7, -0.0, 0.0, 12.0, 12.5,
         0.1, 1e21, 123456789.125, "\ud800", "é", "\u2028", "\x7f\x00\n"]


def test_plain_documents_and_edges_match_reference():
    """`_plain` values skip preparing; every edge around its limits must still give JCS bytes."""
    import orjson

    docs = [{"k": edge} for edge in EDGES] + [[edge] for edge in EDGES] + [{"é": 1}, {"\ud800": 1}]
    docs.append(orjson.loads(b'{"id":"seizure--7cc31ddf-fb6e","version":1,"revoked":false,"body":{"quantity":'
                             b'{"amount":12.5,"kg":12.5,"unit":"kg"},"transit_countries":[],"n":null}}'))
    for doc in docs:
        try:
            expected = rfc8785.dumps(doc)
        except Exception:  # noqa: BLE001 - the reference refuses it: so must we
            try:
                canonical_json(doc)
            except Exception:  # noqa: BLE001
                continue
            raise AssertionError(f"{doc!r}: the reference refuses it, the fast path did not") from None
        assert canonical_json(doc) == expected, doc
