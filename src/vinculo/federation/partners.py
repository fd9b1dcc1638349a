"""Partner credentials: issued by this node (stored hashed) and held for pulling (owner-only files)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from sqlalchemy import insert, select

from vinculo.audit.events import AuditEvent
from vinculo.federation import credentials
from vinculo.node.context import Node
from vinculo.node.keys import fingerprint, public_hex
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing import service as sharing
from vinculo.store.tables import partners
from vinculo.store.tables_federation import partner_credentials

PREFIX = "vnp_"
_PEM_RE = re.compile(r"-----BEGIN PUBLIC KEY-----")


class PartnerAuthError(Exception):
    """A partner's credentials were missing or wrong."""


def read_public_key(value: str) -> str:
    """A partner key given as 64 hex characters, or a file holding hex or a PEM public key."""
    text = value.strip()
    path = Path(text)
    if len(text) != 64 and path.exists():
        text = path.read_text().strip()
    if _PEM_RE.search(text):
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        key = load_pem_public_key(text.encode())
        return public_hex(key)  # type: ignore[arg-type]
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise sharing.SharingError("key: give the partner's Ed25519 public key as 64 hex characters or a file")
    return text.lower()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_credential(node: Node, partner: str, by: str = "system") -> str:
    """A new credential `partner` uses to pull from this node; shown once, stored as SHA-256."""
    token = PREFIX + secrets.token_urlsafe(32)
    with node.uow() as uow:
        if not uow.conn.execute(select(partners.c.node_id).where(partners.c.node_id == partner)).first():
            raise sharing.SharingError(f"no partner {partner!r}")
        cid = uow.conn.execute(insert(partner_credentials).values(
            partner=partner, token_hash=_hash(token), created=format_ts(utcnow()), revoked=False)).inserted_primary_key[0]
        uow.audit(AuditEvent(by, "partner.credential", f"partner:{partner}", {"credential_id": cid}))
        uow.commit()
    return token


def add_partner(node: Node, node_id: str, name: str, key: str, url: str | None, country: str | None = None,
                by: str = "system") -> tuple[str, str]:
    """Register a partner with its pinned key; return (key fingerprint, credential issued to it)."""
    pub = read_public_key(key)
    sharing.add_partner(node, node_id, name, pub, url=url, country=country, by=by)
    return fingerprint(pub), issue_credential(node, node_id, by)


def authenticate_partner(node: Node, token: str | None) -> str:
    """The partner a credential belongs to; PartnerAuthError when it is missing, unknown, revoked or its
    partner disabled (read on every request: a revocation holds at once). Notes the use (`credentials.touch`)."""
    if not token:
        raise PartnerAuthError("missing partner credentials")
    with node.engine.connect() as conn:
        row = conn.execute(
            select(partner_credentials.c.id, partner_credentials.c.partner, partner_credentials.c.revoked,
                   partner_credentials.c.last_used, partners.c.disabled)
            .join(partners, partners.c.node_id == partner_credentials.c.partner)
            .where(partner_credentials.c.token_hash == _hash(token))
        ).one_or_none()
    if row is None or row.revoked or row.disabled:
        raise PartnerAuthError("invalid partner credentials")
    credentials.touch(node.engine, row.id, row.last_used)
    return row.partner


def _token_file(node: Node, partner: str) -> Path:
    return node.home.path / "partners" / f"{partner}.token"


def store_pull_credential(node: Node, partner: str, token: str) -> None:
    """Keep the credential `partner` issued to us (a secret we must present: a 0600 file, not the DB)."""
    if not token.startswith(PREFIX):
        raise sharing.SharingError(f"token: a partner credential starts with {PREFIX}")
    path = _token_file(node, partner)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)


def pull_credential(node: Node, partner: str) -> str:
    path = _token_file(node, partner)
    if not path.exists():
        raise sharing.SharingError(f"no credential for pulling from {partner}: run "
                                   f"`vinculo partner credential {partner} --token-stdin` with the one it issued")
    return path.read_text().strip()


def partner_row(node: Node, partner: str):  # noqa: ANN201
    with node.engine.connect() as conn:
        row = conn.execute(select(partners).where(partners.c.node_id == partner)).one_or_none()
    if row is None:
        raise sharing.SharingError(f"no partner {partner!r}")
    return row
