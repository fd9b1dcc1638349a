"""Partners' key rotations: served to them, followed from them at each pull, and repinned by an operator.

A node serves its key and the rotation statements that led to it (`GET /api/v1/federation/keys`, for
partners). Before each pull this node asks for them (`follow`): if the partner serves the key pinned here,
nothing happens; otherwise the statements must lead from the pinned key to the served one, each signed by
the key it leaves and the key it brings (`node.key_statement`). Then the new key is pinned, the old one kept
with the time it was retired (`node.key_periods`), and `partner.key_rotated` audited; if they do not, nothing
is pinned, `partner.key_refused` is audited, the partner's sync status says why and the pull stops.

A stolen key can sign a statement too: the operator's way out is `repin`, with the new key's fingerprint
checked out of band and the time the old key is known to be compromised since.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import Connection, select, update

from vinculo.audit.events import AuditEvent
from vinculo.canonical import canonical_json
from vinculo.federation.client import TaxiiClient, TaxiiClientError
from vinculo.federation.partners import read_public_key
from vinculo.node import key_periods, key_statement
from vinculo.node.context import Node
from vinculo.node.keys import fingerprint
from vinculo.records import holding
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.service import SharingError
from vinculo.sodium import ed25519_verify_hex
from vinculo.store.feed import lock_node_state
from vinculo.store.tables import partners
from vinculo.store.tables_federation import sync_state
from vinculo.store.upsert import upsert

log = logging.getLogger("vinculo.sync")
KEYS_PATH = "/api/v1/federation/keys"
MAX_STATEMENTS = 100  # served and read: a node that rotates yearly needs a handful
MAX_SUSPECTS_AUDITED = 200  # the ids kept in the repin's audit entry (the count is always there)
_KEY_RE = re.compile(r"[0-9a-f]{64}")


class KeyRefused(SharingError):
    """A partner's key could not be followed: nothing was pinned, nothing pulled."""


# --- what this node serves -----------------------------------------------------------------------------

def served(node: Node) -> dict:
    """This node's key in force (the one it signs with now) and the statements that led to it."""
    with node.engine.connect() as conn:
        chain = key_periods.statements(conn, node.id, MAX_STATEMENTS)
    return {"node_id": node.id, "public_key": node.public_key_hex, "fingerprint": fingerprint(node.public_key_hex),
            "rotations": chain}


# --- following a partner's rotation before a pull --------------------------------------------------------

def follow(node: Node, partner: str, url: str, client: TaxiiClient) -> str | None:
    """Pin the key `partner` moved to, if it did (its fingerprint), else None; `KeyRefused` if its
    statements do not lead from the key pinned here to the key it serves. A server without the keys
    endpoint (404: not a Vinculo node, or one older than key rotation) is left to its records' signatures;
    one that fails to answer fails the pull (pulling now would reject what a new key signed).
    With the pinned key served, the keys before the earliest known here are learned (`_learn_past`)."""
    try:
        answer = client.get_json(url.rstrip("/") + KEYS_PATH)
    except TaxiiClientError as exc:
        if exc.status in (404, 405, 501):  # no such endpoint
            return None
        raise KeyRefused(f"{partner}: its keys could not be read ({client.limits.clip(exc)}); nothing pulled") from None
    with node.engine.connect() as conn:
        pinned = conn.execute(select(partners.c.public_key).where(partners.c.node_id == partner)).scalar_one()
        since = key_periods.in_force_since(conn, partner, pinned)
        retired = key_periods.known(conn, partner)
    served_key = answer.get("public_key")
    if served_key == pinned:
        _learn_past(node, partner, pinned, answer.get("rotations"))
        return None
    try:
        target, chain = _served(answer, partner)
        steps = _walk(chain, partner, pinned, target, retired, since)
    except key_statement.StatementProblem as exc:
        _refuse(node, partner, served_key, str(exc))
    return _pin(node, partner, pinned, target, steps)


def _served(answer: dict, partner: str) -> tuple[str, list]:
    if answer.get("node_id") != partner:
        raise key_statement.StatementProblem(f"the keys served are for node {str(answer.get('node_id'))[:64]!r}")
    target, chain = answer.get("public_key"), answer.get("rotations")
    if type(target) is not str or not _KEY_RE.fullmatch(target):
        raise key_statement.StatementProblem("public_key: not an Ed25519 key as 64 lowercase hex characters")
    if not isinstance(chain, list) or len(chain) > MAX_STATEMENTS:
        raise key_statement.StatementProblem(f"rotations: not a list of at most {MAX_STATEMENTS} statements")
    return target, chain


def _walk(chain: list, partner: str, pinned: str, target: str, retired: set[str],
          since: str | None) -> list[tuple[dict, dict]]:
    """The statements, in order, that lead from `pinned` to `target`, each checked; (statement, signed)."""
    steps: list[tuple[dict, dict]] = []
    key, seen, now = pinned, {pinned}, utcnow()
    while key != target:
        leaving = [s for s in chain if isinstance(s, dict) and isinstance(s.get("statement"), dict)
                   and s["statement"].get("old_key") == key]
        if not leaving:
            raise key_statement.StatementProblem(
                f"{partner} serves key {fingerprint(target)}, and no rotation statement it serves moves away "
                f"from {'the pinned key' if key == pinned else 'key'} {fingerprint(key)}")
        if len(leaving) > 1:
            raise key_statement.StatementProblem(f"{len(leaving)} rotation statements move away from key "
                                                 f"{fingerprint(key)}: a fork")
        statement = key_statement.check(leaving[0], partner, key, now, since)
        new = statement["new_key"]
        if new in seen or new in retired:
            raise key_statement.StatementProblem(f"a rotation statement moves back to key {fingerprint(new)}, "
                                                 "which it used before")
        steps.append((statement, leaving[0]))
        key, since = new, statement["time"]
        seen.add(new)
    return steps


def _learn_past(node: Node, partner: str, pinned: str, chain: object) -> None:
    """Keys `partner` used before the earliest one known here, as statements signed by that known key say
    (e.g. it was added as a partner after it rotated): what they signed before their retirement then
    verifies here too. A statement that does not check stops the walk and changes nothing."""
    if not isinstance(chain, list) or len(chain) > MAX_STATEMENTS:
        return
    with node.engine.connect() as conn:
        key = key_periods.earliest(conn, partner) or pinned
        known = key_periods.known(conn, partner) | {pinned}
    learned: list[tuple[str, str, str, dict]] = []
    before, now = None, utcnow()
    while True:
        arriving = [s for s in chain if isinstance(s, dict) and isinstance(s.get("statement"), dict)
                    and s["statement"].get("new_key") == key]
        old = arriving[0]["statement"].get("old_key") if len(arriving) == 1 else None
        if type(old) is not str or old in known:
            break
        try:
            statement = key_statement.check(arriving[0], partner, old, now)
        except key_statement.StatementProblem:
            break
        if before is not None and statement["time"] >= before:
            break
        learned.append((old, statement["time"], key, arriving[0]))
        known.add(old)
        key, before = old, statement["time"]
    if learned:
        with node.uow() as uow:
            uow.conn.execute(select(partners.c.node_id).where(partners.c.node_id == partner).with_for_update())
            if (key_periods.earliest(uow.conn, partner) or pinned) != learned[0][2]:
                return  # another pull learned them meanwhile
            for old, until, later, signed in learned:
                key_periods.learn(uow.conn, partner, old, until, later, signed)
            uow.audit(AuditEvent(f"partner:{partner}", "partner.key_history", f"partner:{partner}", {
                "keys": [[old, fingerprint(old), until] for old, until, _later, _s in learned]}))
            uow.commit()


def _pin(node: Node, partner: str, pinned: str, target: str, steps: list[tuple[dict, dict]]) -> str | None:
    with node.uow() as uow:
        now_pinned = uow.conn.execute(select(partners.c.public_key).where(partners.c.node_id == partner)
                                      .with_for_update()).scalar_one()
        if now_pinned != pinned:  # another pull followed it meanwhile
            return None
        for statement, signed in steps:
            key_periods.replace(uow.conn, partner, statement["old_key"], statement["new_key"], statement["time"],
                                "rotation", signed)
        uow.conn.execute(update(partners).where(partners.c.node_id == partner).values(public_key=target))
        uow.audit(AuditEvent(f"partner:{partner}", "partner.key_rotated", f"partner:{partner}", {
            "old_key": pinned, "new_key": target, "old_fingerprint": fingerprint(pinned),
            "new_fingerprint": fingerprint(target),
            "statements": [[s["old_key"], s["new_key"], s["time"]] for s, _ in steps]}))
        uow.commit()
    log.info("pinned %s's new key %s (rotation statement)", partner, fingerprint(target))
    return fingerprint(target)


def _refuse(node: Node, partner: str, served_key: object, reason: str) -> NoReturn:
    with node.engine.connect() as conn:
        pinned = conn.execute(select(partners.c.public_key).where(partners.c.node_id == partner)).scalar_one()
    reason = f"its key was not followed: {reason[:500]}"
    with node.uow() as uow:
        lock_node_state(uow.conn)  # before sync_state, as store_page does
        upsert(uow.conn, sync_state, [{"partner": partner, "cursor": None, "receipts_seq": 0,
                                       "last_run": format_ts(utcnow()),
                                       "last_result": json.dumps({"error": reason, "key_refused": True})}],
               ["partner"], ["last_run", "last_result"])
        uow.audit(AuditEvent(f"node:{node.id}", "partner.key_refused", f"partner:{partner}", {
            "served_key": str(served_key)[:64], "pinned_fingerprint": fingerprint(pinned), "reason": reason}))
        uow.commit()
    raise KeyRefused(f"{partner}: {reason}; nothing pinned, nothing pulled (check its key with it out of band, "
                     f"then `vinculo partner repin {partner}`)")


# --- the operator's repin -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Repin:
    partner: str
    old_key: str
    new_key: str
    retired_at: str
    compromised: bool
    suspects: list[dict]  # held versions made since the compromise that the compromised key signed


def _same_fingerprint(given: str, key: str) -> bool:
    return given.strip().lower().replace("sha256:", "") == fingerprint(key).lower().replace("sha256:", "")


def parse_since(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """An RFC 3339 time with its zone, not in the future: when a key was compromised."""
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise SharingError(f"--compromised-since {value!r}: not an ISO 8601 time "
                           "(e.g. 2026-11-30T08:00:00Z)") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise SharingError(f"--compromised-since {value!r}: give its time zone (e.g. Z or -06:00)")
    if when > (now or utcnow()) + key_statement.MAX_SKEW:
        raise SharingError(f"--compromised-since {value!r}: in the future")
    return when.astimezone(dt.UTC)


def repin(node: Node, partner: str, key: str, given_fingerprint: str, compromised_since: str | None = None,
          by: str = "cli") -> Repin:
    """Pin `key` for `partner` in place of its key in force, as its operator confirmed out of band
    (`given_fingerprint` must be the key's). With `compromised_since`, the old key is taken as stolen since
    then: what it signs made from then on is rejected, and the versions held from that time that it signed
    are returned (`suspects`) for the operator to purge."""
    new = read_public_key(key)
    since = parse_since(compromised_since) if compromised_since is not None else None
    if not _same_fingerprint(given_fingerprint, new):
        with node.uow() as uow:
            uow.audit(AuditEvent(by, "partner.repin_refused", f"partner:{partner}", {
                "key": new, "fingerprint_given": given_fingerprint[:100], "reason": "fingerprint does not match"}))
            uow.commit()
        raise SharingError(f"--fingerprint does not match the key given for {partner}: nothing changed (read "
                           "both again with the partner's operator, on a channel other than this one)")
    at = format_ts(since or utcnow())
    with node.uow() as uow:
        old = uow.conn.execute(select(partners.c.public_key).where(partners.c.node_id == partner)
                               .with_for_update()).scalar()
        if old is None:
            raise SharingError(f"no partner {partner!r}")
        if new == old:
            raise SharingError(f"{fingerprint(new)} is already the key pinned for {partner}: nothing changed")
        if new in key_periods.known(uow.conn, partner):
            raise SharingError(f"{fingerprint(new)} is a key {partner} used before: a retired key is not pinned "
                               "again; nothing changed")
        key_periods.replace(uow.conn, partner, old, new, at, "repin", compromised=since is not None)
        uow.conn.execute(update(partners).where(partners.c.node_id == partner).values(public_key=new))
        suspects = _suspects(uow.conn, partner, old, since) if since is not None else []
        uow.audit(AuditEvent(by, "partner.repin", f"partner:{partner}", {
            "old_key": old, "new_key": new, "fingerprint": fingerprint(new), "old_valid_to": at,
            "compromised_since": at if since else None, "suspects_count": len(suspects),
            "suspects": [[s["id"], s["version"]] for s in suspects[:MAX_SUSPECTS_AUDITED]]}))
        uow.commit()
    return Repin(partner, old, new, at, since is not None, suspects)


def _suspects(conn: Connection, origin: str, key: str, since: dt.datetime) -> list[dict]:
    raw = bytes.fromhex(key)
    return [{"id": r.id, "version": r.version, "modified": format_ts(r.modified), "type": r.type}
            for r in holding.made_since(conn, origin, since)
            if r.signature and ed25519_verify_hex(raw, canonical_json(r.document()), r.signature)]


def suspects(node: Node, partner: str) -> list[dict]:
    """The versions held from `partner` made since one of its keys was compromised and signed by that key."""
    with node.engine.connect() as conn:
        bad = [k for k in key_periods.retired(conn, partner).get(partner, ()) if k.compromised]
        return [s for k in bad for s in _suspects(conn, partner, k.public_key, k.valid_to)]
