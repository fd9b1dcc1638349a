"""Helpers for the web UI tests: a logged-in browser-like HTTP client against a real server."""

from __future__ import annotations

import re

import httpx

from vinculo.accounts import service as accounts
from vinculo.sharing import service as sharing

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORDS = {"ana": "analyst-password-1", "sam": "supervisor-password-1", "aud": "auditor-password-1",
             "adm": "admin-password-1"}
ROLES = {"ana": "analyst", "sam": "supervisor", "aud": "auditor", "adm": "admin"}
MX_KEY = "11" * 32


def add_users(node) -> None:
    for name, role in ROLES.items():
        accounts.add_user(node, name, role, PASSWORDS[name])


def add_mx_partner(node, withheld: tuple[str, ...] = ("place",)) -> None:
    """A Mexican partner whose agreement covers seizures up to AMBER, withholding `withheld`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vinculo.node.keys import public_hex

    sharing.add_partner(node, "mx-fgr", "FGR Mexico", public_hex(Ed25519PrivateKey.generate()), country="MX")
    sharing.set_agreement(node, "mx-fgr", {"record_types": ["seizure", "lab"], "max_tlp": "amber",
                                           "withheld_fields": {"seizure": list(withheld)}, "start": "2020-01-01"})


def csrf(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client: httpx.Client, name: str) -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf(page.text), "username": name,
                                       "password": PASSWORDS[name], "next": "/"})


def post_form(client: httpx.Client, page_path: str, action: str, data: dict, **kw) -> httpx.Response:
    """Load `page_path`, take its CSRF token, post `data` to `action` (as the page's form would)."""
    token = csrf(client.get(page_path).text)
    return client.post(action, data={"csrf_token": token, **data}, **kw)
