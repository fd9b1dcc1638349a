"""The responder's open matching stages in the database (deconfliction.psi_state), on both databases."""

from __future__ import annotations

import json

import pytest
from conftest import actor
from fed_helpers import pair
from sqlalchemy import select

from vinculo.deconfliction import psi_responder, psi_service, psi_state
from vinculo.deconfliction.psi import PsiPeer, resume, suspend
from vinculo.deconfliction.psi_channel import PsiChannel
from vinculo.deconfliction.psi_messages import PsiError, PsiRefused
from vinculo.deconfliction.psi_sets import PsiSet
from vinculo.records import service
from vinculo.store.tables_jobs import psi_pending

TERMS = {"record_types": ["phone"], "max_tlp": "amber", "start": "2020-01-01"}
RUN = "ab" * 16


def stages(node):
    with node.engine.connect() as conn:
        return conn.execute(select(psi_pending)).all()


def test_a_full_run_leaves_no_open_stage_and_a_replayed_step_is_refused(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    service.create_record(us, actor(us, "analyst"), "phone", {"number": "+52 656 123 4567"})
    service.create_record(mx, actor(mx, "analyst"), "phone", {"number": "656 123 4567"})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS), PsiChannel(us, "mx-fgr") as ch:
        run = psi_service.start_run(us, actor(us, "analyst"), "mx-fgr", ["phone"], channel=ch)
        assert stages(mx) == []  # every declared family answered: the stage is gone
        done = psi_service.approve_run(us, actor(us, "supervisor"), run["id"], channel=ch)
        assert done["status"] == "done" and stages(mx) == []
        with pytest.raises(PsiRefused, match="no open stage"):
            psi_responder.answer(mx, "us-dea", run["id"], "phone", b"\0" * 64)
        with pytest.raises(PsiRefused, match="no open stage"):
            psi_responder.finish(mx, "us-dea", run["id"], "phone", b"\0" * 64)


def test_a_family_is_answered_once_and_a_stage_belongs_to_its_partner(node):
    sets = {"phone": PsiSet("phone", {"+15550001": ["phone--1"]})}
    with node.uow() as uow:
        psi_state.open_stage(uow.conn, RUN, "mx-fgr", "intersection", 100, {"phone": 1}, sets)
        uow.commit()
    with pytest.raises(PsiRefused, match="no open stage"):
        psi_state.mark_answered(node, "gt-pnc", RUN, "phone")  # another partner's run
    with pytest.raises(PsiRefused, match="not declared"):
        psi_state.mark_answered(node, "mx-fgr", RUN, "plate")
    pending = psi_state.mark_answered(node, "mx-fgr", RUN, "phone")
    assert pending.sets()["phone"].holders == {"+15550001": ["phone--1"]}
    with pytest.raises(PsiRefused, match="already answered"):
        psi_state.mark_answered(node, "mx-fgr", RUN, "phone")


def test_a_suspended_half_run_is_sealed_finishes_once_and_matches_a_live_one(node):
    ours, theirs = ["+15550001", "+15550002"], ["+15550002", "+15550003"]
    sets = {"phone": PsiSet("phone", {v: [f"phone--{i}"] for i, v in enumerate(ours)})}
    with node.uow() as uow:
        psi_state.open_stage(uow.conn, RUN, "mx-fgr", "intersection", 100, {"phone": 2}, sets)
        uow.commit()
    initiator = PsiPeer(theirs, "phone", initiator=True)
    responder = PsiPeer(ours, "phone", initiator=False)
    to_them = responder.respond(initiator.request())
    request = responder.request()
    state = suspend(responder)
    with pytest.raises(PsiError):
        suspend(responder)  # spent
    psi_state.mark_answered(node, "mx-fgr", RUN, "phone")
    psi_state.keep_peer(node, RUN, "phone", state)
    stored = stages(node)[0].peers
    assert state["scalar"] not in stored and "aesgcm1:" in json.loads(stored)["phone"]
    to_us = initiator.respond(request)
    assert initiator.finish(to_them) == {"+15550002"}
    _, opened = psi_state.take_peer(node, "mx-fgr", RUN, "phone")
    peer = resume(sorted(ours), "phone", opened)
    assert peer.finish(to_us) == {"+15550002"}
    assert peer.transcript_hash == initiator.transcript_hash
    assert stages(node) == []  # the stage's last half-run: gone
    with pytest.raises(PsiRefused):
        psi_state.take_peer(node, "mx-fgr", RUN, "phone")
