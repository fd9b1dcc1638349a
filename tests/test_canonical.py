"""The fast canonical JSON must give exactly RFC 8785's bytes."""

import pytest
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


class _Str(str):
    pass


class _Int(int):
    pass


class _Float(float):
    pass


class _Dict(dict):
    pass


# what `_plain` must refuse or treat specially besides JSON values: subclasses, tuples, other key types,
# floats at each limit of `jcs_number`, and values it cannot know
ODD = [_Str("a"), _Int(1), _Float(1.5), _Dict(a=1), (1, 2), {1: "a"}, {_Str("k"): 1}, {"k": _Str("v")},
       {"k": _Int(2)}, {"k": (1,)}, float("nan"), float("inf"), -float("inf"), 1e-4, 9.999e-5, 1.0000000000000002e-6,
       -1e-6, 1e-6 * 0.9999999, 1e16 - 2, 4503599627370495.5, 2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 10**30,
       True, False, None, b"x", object(), {"k": [1, {"é": 2}]}, {"k": [1, {"e": 2.5}]}]


@settings(max_examples=500, deadline=None)
@given(json_values | st.sampled_from(ODD) | st.lists(st.sampled_from(ODD), max_size=3)
       | st.dictionaries(st.text(max_size=3), st.sampled_from(ODD), max_size=3))
def test_the_c_plainness_check_answers_as_the_python_one(value):
    from vinculo import canonical

    assert canonical._plain is not canonical._plain_py, "vinculo._canonical was not built (a C compiler is needed)"
    assert canonical._plain(value) is canonical._plain_py(value)


def test_the_c_plainness_check_refuses_what_recurses_too_deep():
    from vinculo import canonical

    deep: object = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecursionError):
        canonical._plain(deep)
