"""Audit events and the bytes each log entry is hashed from."""

from __future__ import annotations

from dataclasses import dataclass, field

from vinculo.canonical import canonical_json

ACTION_NOTES: dict[str, str] = {
    # the node, its users and their tokens
    "node.init": "the node was created", "node.backup": "a sealed backup of the node was written (archive, hash)",
    "node.restore": "the node was restored from a backup (archive, its audit size)",
    "node.upgrade": "the database was migrated to a new release's schema (revisions)",
    "user.add": "a user account was added",
    "token.create": "an API token was issued", "token.use": "an API token authenticated a request",
    "login": "a user logged in", "login.failed": "a wrong user name or password",
    "login.throttled": "a login refused while the name or address is throttled",
    "login.unthrottled": "an operator cleared the failed logins of a name or address",
    "token.revoke": "an API token was revoked (by its owner, an admin or the operator)",
    "login.otp_failed": "a right password with a missing or wrong one-time code",
    "login.recovery_code": "a user logged in with a single-use recovery code (how many are left)",
    "totp.start": "a user began enrolling a second factor", "totp.enrol": "a second factor was put in force",
    "totp.reset": "an operator removed a user's second factor",
    # records
    "record.create": "a record was created", "record.version": "a new version of a record",
    "record.revoke": "a record was revoked", "record.read": "a record was read",
    "record.list": "records were listed (their ids)", "record.count": "records were counted (the filters)",
    "record.preview": "a record's release preview was shown", "record.selectors": "a record's selectors were read",
    "records.signed": "imported versions were signed in the background", "denied": "a read was refused (why)",
    "import": "a file of records was imported", "stats.import": "a file of public statistics was imported",
    "graph.query": "a link-analysis query", "alerts.list": "correlation alerts were listed",
    "alerts.raised": "correlation alerts were raised", "notices.list": "PSI hit notices were listed",
    "audit.read": "the audit log was read",
    # partners, agreements and what crosses between nodes
    "partner.add": "a partner node was added", "partner.credential": "a pull credential was issued",
    "partner.credential.revoke": "pull credentials issued to a partner were revoked (ids)",
    "agreement.set": "a new version of an agreement", "agreement.preview": "what an agreement change would withdraw",
    "release": "records were sent to a partner (ids, versions)", "egress.refused": "the egress guard refused an object",
    "receive": "a page from a partner was stored (ids, rejections)", "receipts": "a partner's receipts were recorded",
    "receipts.sent": "receipts were sent to a partner", "sync.failed": "a pull from a partner failed (why)",
    # keys: this node's rotations, partners' rotations followed or refused, operators' repins
    "node.key_rotated": "this node moved to a new signing key (a statement signed by the old and the new)",
    "partner.key_rotated": "a partner's rotation statement was verified and its new key pinned",
    "partner.key_history": "a partner's earlier keys were learned from statements its pinned key signed",
    "partner.key_refused": "a partner served a key its statements do not lead to from the pinned one (why)",
    "partner.repin": "an operator pinned a partner's new key (fingerprint checked; compromise time, suspects)",
    "partner.repin_refused": "a repin was refused: the fingerprint given does not match the key",
    # retention (what is purged is named by record id and content hash, never by its content)
    "retention.rule": "an own retention rule was set or removed", "retention.review": "own records listed for review",
    "retention.approve": "a supervisor approved purging own records (ids, hashes)",
    "retention.received": "received records purged: retention or agreement ended (ids, hashes)",
    "agreement.ended": "an agreement ended: what the partner holds was withdrawn",
    "treehead.conflict": "a partner's signed audit tree head failed its checks (why; both heads kept)",
    # private set intersection
    "psi.start": "a private matching run was started", "psi.declare": "a partner declared its set sizes",
    "psi.approve": "a supervisor approved a matching run", "psi.answer": "this node answered a run's stage",
    "psi.run": "a matching run's intersection was computed", "psi.hit": "a matching run found common selectors",
    "psi.refused": "a matching run was refused (why)", "psi.failed": "a matching run failed (why)",
    # growing a node
    "node.migrated": "the node was copied into a PostgreSQL database and its audit log verified there",
    # notifications (who was told of which record ids, by which channel; never the content)
    "notify.subscribe": "a user subscribed to notifications", "notify.unsubscribe": "a subscription was ended",
    "notify.list": "a user read their notifications", "notify.read": "notifications were marked read",
    "notify.sent": "a notification was stored or delivered (user, record ids, channel)",
    "notify.webhook.add": "a webhook was registered (url)", "notify.webhook.enable": "a webhook was re-enabled",
    # forensic exhibits (vinculo.exhibits)
    "attachment.list": "a record's attachments were listed", "attachment.download": "an attachment was downloaded",
    "attachment.sent": "a partner fetched an attachment's bytes", "attachment.received":
    "attachments' bytes were fetched from their origin, hashes verified", "attachment.purged":
    "attachment files no record names any more were deleted",
}
"""Every action the node writes to its audit log, with what it means (a test holds the code to it)."""

ACTIONS: tuple[str, ...] = tuple(sorted(ACTION_NOTES))


@dataclass(frozen=True)
class AuditEvent:
    actor: str
    action: str
    target: str | None = None
    detail: dict = field(default_factory=dict)


def entry_document(idx: int, ts: str, actor: str, action: str, target: str | None, detail: dict) -> dict:
    return {"idx": idx, "ts": ts, "actor": actor, "action": action, "target": target, "detail": detail}


def entry_bytes(idx: int, ts: str, actor: str, action: str, target: str | None, detail: dict) -> bytes:
    return canonical_json(entry_document(idx, ts, actor, action, target, detail))
