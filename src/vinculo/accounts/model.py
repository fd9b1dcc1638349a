"""Users, roles and what each role may do (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vinculo.sharing.release import ROLES, LocalUser

NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 12

# What each role may do besides reading (reading goes through release()).
PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": frozenset({"records.read", "records.write", "records.import", "partners.read"}),
    "supervisor": frozenset({"records.read", "records.write", "records.import", "records.revoke", "partners.read"}),
    "admin": frozenset({"users.manage", "node.manage", "partners.read"}),
    "auditor": frozenset({"records.read", "audit.read"}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a local user (with role) or the node itself."""

    name: str
    role: str
    node: str
    token_id: int | None = None
    source: str = "user"

    @property
    def label(self) -> str:
        return f"{self.source}:{self.name}"

    def audience(self) -> LocalUser:
        return LocalUser(self.name, self.role, self.node)

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def operator(node_id: str) -> Actor:
    """The person at the node's console (the CLI): holds the key, acts with supervisor rights."""
    import getpass

    return Actor(getpass.getuser(), "supervisor", node_id, source="cli")


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise ValueError(f"user name {name!r}: 2-63 lowercase letters, digits, '.', '_' or '-'")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role {role!r}: one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    return password
