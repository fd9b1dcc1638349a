"""ECDH PSI over ristretto255: correctness, modes, caps, what the messages reveal."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.deconfliction import group
from vinculo.deconfliction.psi import (
    PsiClient,
    PsiError,
    PsiPeer,
    PsiProtocolError,
    PsiRefused,
    PsiServer,
    read_header,
)
from vinculo.deconfliction.psi_messages import HEADER_BYTES

item_sets = st.sets(st.text(min_size=0, max_size=12), max_size=25)


def run(a, b, kind="phone", **kw):
    client, server = PsiClient(a, kind, **kw), PsiServer(b, kind)
    request = client.request()
    response = server.respond(request)
    return client, server, request, response


@settings(max_examples=60, deadline=None)
@given(a=item_sets, b=item_sets, shared=item_sets)
def test_intersection_is_exact(a, b, shared):
    a, b = a | shared, b | shared
    client, server, _, response = run(a, b)
    assert client.finish(response) == a & b
    assert client.transcript_hash == server.transcript_hash


@settings(max_examples=30, deadline=None)
@given(a=item_sets, b=item_sets, shared=item_sets)
def test_cardinality_mode_gives_the_size(a, b, shared):
    a, b = a | shared, b | shared
    client, _, _, response = run(a, b, cardinality_only=True)
    assert read_header(response).cardinality_only
    assert client.finish_count(response) == len(a & b)


def test_cardinality_response_is_unlinkable_and_finish_refuses():
    a = [f"+52551234{i:04d}" for i in range(200)]
    client, _, _, response = run(a, a[::2], cardinality_only=True)
    header = read_header(response)
    doubled = group.split(response[header.size:header.size + 32 * header.n])
    assert doubled == sorted(doubled)
    with pytest.raises(PsiError):
        client.finish(response)


def test_server_policy_forces_cardinality():
    client = PsiClient(["a", "b", "c"], "email")
    server = PsiServer(["b", "c", "d"], "email", cardinality_only=True)
    response = server.respond(client.request())
    with pytest.raises(PsiRefused):
        client.finish(response)
    client2 = PsiClient(["a", "b", "c"], "email")
    server2 = PsiServer(["b", "c", "d"], "email", cardinality_only=True)
    assert client2.finish_count(server2.respond(client2.request())) == 2


def test_kinds_are_domain_separated():
    client = PsiClient(["+525512345678"], "phone")
    request = client.request()
    server = PsiServer(["+525512345678"], "email")
    with pytest.raises(PsiProtocolError):
        server.respond(request)
    assert group.hash_to_group("phone", ["x"]) != group.hash_to_group("email", ["x"])


def test_messages_contain_no_plaintext_and_no_item_hash():
    items = [f"1957-04-04|joaquin guzman {i}" for i in range(50)] + ["+525512345678", "CSQU3054383"]
    client, _, request, response = run(items, items[10:], kind="person-short-dob")
    assert client.finish(response) == set(items[10:])
    points = group.split(group.hash_to_group("person-short-dob", items))
    for item in items:
        raw = item.encode()
        digest = hashlib.sha512(b"vinculo-psi-v1|person-short-dob|" + raw).digest()
        for needle in (raw, raw[-8:], digest[:16], digest[32:48], hashlib.sha256(raw).digest()[:16]):
            assert needle not in request and needle not in response
    for point in points:
        assert point not in request and point not in response
    assert len(request) == HEADER_BYTES + len("person-short-dob") + 32 * len(items)


def test_fresh_keys_give_different_messages():
    items = ["a", "b", "c"]
    _, _, req1, resp1 = run(items, items)
    _, _, req2, resp2 = run(items, items)
    assert set(group.split(req1[-96:])).isdisjoint(group.split(req2[-96:]))
    assert set(group.split(resp1[-96:])).isdisjoint(group.split(resp2[-96:]))


def test_caps_refuse_before_any_work():
    client = PsiClient([str(i) for i in range(11)], "phone")
    with pytest.raises(PsiRefused):
        PsiServer(["1"], "phone", max_set_size=10).respond(client.request())
    small = PsiClient(["1"], "phone", max_set_size=10)
    response = PsiServer([str(i) for i in range(11)], "phone").respond(small.request())
    with pytest.raises(PsiRefused):
        small.finish(response)
    with pytest.raises(PsiRefused):
        PsiClient(["1", "2"], "phone", max_set_size=1)


def test_server_checks_header_alone():
    header_only = PsiClient([str(i) for i in range(20)], "vin").request()[:HEADER_BYTES + 3]
    with pytest.raises(PsiRefused):
        PsiServer([], "vin", max_set_size=5).check(header_only)
    assert read_header(header_only).n == 20


@pytest.mark.parametrize("mangle", [
    lambda m: m[:10], lambda m: b"XPSI" + m[4:], lambda m: m[:4] + b"\x09" + m[5:], lambda m: m[:-1],
    lambda m: m + b"\x00" * 32, lambda m: m[:-32] + b"\xff" * 32, lambda m: m[:-32] + b"\x00" * 32,
    lambda m: m[:6] + b"\x80" + m[7:],
])
def test_malformed_requests_are_rejected(mangle):
    request = PsiClient(["a", "b"], "phone").request()
    with pytest.raises(PsiProtocolError):
        PsiServer(["a"], "phone").respond(mangle(request))


def test_response_must_belong_to_the_run():
    c1, c2 = PsiClient(["a"], "phone"), PsiClient(["a"], "phone")
    c1.request()
    other = PsiServer(["a"], "phone").respond(c2.request())
    with pytest.raises(PsiProtocolError):
        c1.finish(other)
    with pytest.raises(PsiError):  # the run is over after any response, good or bad
        c1.finish(other)


def test_response_with_bad_point_is_rejected():
    client = PsiClient(["a"], "phone")
    response = PsiServer(["a", "b"], "phone").respond(client.request())
    with pytest.raises(PsiProtocolError):
        client.finish(response[:-32] + b"\xff" * 32)


def test_objects_are_single_use():
    client, server, request, response = run(["a"], ["a"])
    with pytest.raises(PsiError):
        client.request()
    with pytest.raises(PsiError):
        server.respond(request)
    client.finish(response)
    with pytest.raises(PsiError):
        client.finish(response)


def test_odd_strings_are_items_too():
    odd = ["", "\ud800", "\x00", "a" * 10_000, "é", "e\u0301", "'; DROP TABLE x; --"]
    client, _, _, response = run(odd, odd[1::2])
    assert client.finish(response) == set(odd[1::2])   # "é" and "e\u0301" stay distinct


def test_empty_sets():
    client, _, _, response = run([], ["a"])
    assert client.finish(response) == set()
    client, _, _, response = run(["a"], [])
    assert client.finish(response) == set()


def test_parallel_workers_agree_with_serial():
    a = [f"x{i}" for i in range(3000)]
    b = [f"x{i}" for i in range(2500, 6000)]
    client = PsiClient(a, "plate", workers=2)
    server = PsiServer(b, "plate", workers=3, max_set_size=10_000)
    assert client.finish(server.respond(client.request())) == set(a) & set(b)
    assert group.hash_to_group("plate", a, workers=2) == group.hash_to_group("plate", a, workers=1)


def test_mutual_both_learn():
    a_items, b_items = {"a", "b", "c", "d"}, {"c", "d", "e"}
    alice = PsiPeer(a_items, "company", initiator=True)
    bob = PsiPeer(b_items, "company", initiator=False)
    a_req = alice.request()
    to_alice = bob.respond(a_req)
    b_req = bob.request()
    with pytest.raises(PsiError):
        PsiPeer(a_items, "company", initiator=True).finish(to_alice)  # must answer first
    to_bob = alice.respond(b_req)
    assert alice.finish(to_alice) == {"c", "d"}
    assert bob.finish(to_bob) == {"c", "d"}
    assert alice.transcript_hash == bob.transcript_hash is not None


def test_mutual_refuses_inconsistent_declared_sizes():
    alice = PsiPeer({"a", "b"}, "company", initiator=True)
    bob_client = PsiClient({"a", "b", "c"}, "company")        # bob asks with 3 items ...
    bob_server = PsiServer({"a"}, "company")                  # ... but answers with 1
    to_alice = bob_server.respond(alice.request())
    alice.respond(bob_client.request())
    with pytest.raises(PsiRefused):
        alice.finish(to_alice)


def test_request_and_server_elements_are_sorted_and_sizes_declared():
    a, b = [f"a{i}" for i in range(40)], [f"a{i}" for i in range(30, 90)]
    _, _, request, response = run(a, b)
    req, resp = read_header(request), read_header(response)
    assert (req.n, req.m, resp.n, resp.m) == (40, 0, 40, 60)
    sent = group.split(request[req.size:])
    theirs = group.split(response[resp.size + 32 * resp.n:])
    assert sent == sorted(sent) and theirs == sorted(theirs)
    assert len(request) + len(response) == 2 * (HEADER_BYTES + len("phone")) + 32 * (40 + 40 + 60)
