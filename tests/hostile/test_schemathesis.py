"""Schemathesis against the node's own OpenAPI, on a real server: no generated request gets a 5xx, whichever
role asks (analyst, supervisor, admin, auditor) and, on TAXII routes, a partner credential.

Per operation: up to VINCULO_SCHEMATHESIS_COVERAGE (default 25) of schemathesis' coverage cases (each parameter
at and past its bounds, wrong types, missing fields), then VINCULO_SCHEMATHESIS_EXAMPLES (default 20) random
valid and invalid requests, each from one of the roles; bounded so the test costs about two minutes in CI. Run
it with larger numbers to search harder. SQLite only: the 5xx it looks for come from input handling, not from
the database kind.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import suppress
from itertools import cycle, islice

import httpx
import pytest
import requests
import schemathesis
from conftest import SEIZURE
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from servers import serving

from vinculo.accounts import service as accounts
from vinculo.federation import partners
from vinculo.node.keys import public_hex
from vinculo.records import service as records
from vinculo.sharing import service as sharing

EXAMPLES = int(os.environ.get("VINCULO_SCHEMATHESIS_EXAMPLES", "20"))
COVERAGE = int(os.environ.get("VINCULO_SCHEMATHESIS_COVERAGE", "25"))
STATUSES: Counter[int] = Counter()  # responses by class (2 = 2xx ...), to show the requests got through
ROLES = ("analyst", "supervisor", "admin", "auditor")


@pytest.fixture
def databases(request, tmp_path):  # SQLite only here (see the module docstring)
    from conftest import Databases

    return Databases("sqlite", tmp_path)


@pytest.fixture
def site(node, supervisor):
    for role in ROLES:
        accounts.add_user(node, role, role, f"{role}-password-1")
    records.create_record(node, supervisor, "seizure", SEIZURE, {"tlp": "green"})
    _, credential = partners.add_partner(node, "mx-fgr", "FGR", public_hex(Ed25519PrivateKey.generate()), None, "MX")
    sharing.set_agreement(node, "mx-fgr", {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"})
    with serving(node) as base:
        tokens = {role: accounts.create_token(node, role, "schemathesis") for role in ROLES}
        yield base, tokens, credential


def _who(path: str, tokens: dict, credential: str) -> list[tuple[str, dict]]:
    if path.startswith("/taxii2") or "/psi/sessions" in path:
        return [("partner", {"Authorization": f"Bearer {credential}",
                             "Accept": "application/taxii+json;version=2.1"})]
    return [(role, {"Authorization": f"Bearer {token}"}) for role, token in tokens.items()]


def _strategy(operation):
    """Valid requests and requests that break the schema (out-of-range numbers, wrong types, missing fields)."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    with suppress(Exception):  # an operation with nothing to break gets positive cases only
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def _explore(operation, who: list[tuple[str, dict]], base: str, session: requests.Session,
             failures: list[str]) -> None:
    """EXAMPLES requests to `operation`, each as one of `who` (hypothesis picks which, so every role is tried)."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation), asker=st.sampled_from(who))
    def run(case, asker: tuple[str, dict]) -> None:
        name, headers = asker
        response = case.call(base_url=base, session=session, headers=headers, timeout=60)
        STATUSES[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(f"{operation.method.upper()} {operation.path} as {name}: "
                            f"{response.status_code} for {case.as_curl_command()}"[:800])

    run()


def _boundaries(schema, operation, who: list[tuple[str, dict]], base: str, session: requests.Session,
                failures: list[str]) -> int:
    """Schemathesis' coverage cases: each parameter at and just past its bounds, wrong types, missing fields
    (at most COVERAGE per operation), asked in turn by each of `who`."""
    config = schema.config.generation_for(operation=operation, phase="coverage")
    cases = schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode), generation_config=config)
    n = 0
    for n, (case, (name, headers)) in enumerate(zip(islice(cases, COVERAGE), cycle(who)), 1):
        response = case.call(base_url=base, session=session, headers=headers, timeout=60)
        STATUSES[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(f"{operation.method.upper()} {operation.path} as {name}: "
                            f"{response.status_code} for {case.as_curl_command()}"[:800])
    return n


def test_no_generated_request_gets_a_5xx(site):
    base, tokens, credential = site
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    failures: list[str] = []
    operations = 0
    STATUSES.clear()
    session = requests.Session()  # one keep-alive connection for the whole run
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        who = _who(operation.path, tokens, credential)
        _boundaries(schema, operation, who, base, session, failures)
        _explore(operation, who, base, session, failures)
    assert operations >= 40, operations  # the whole schema was walked
    assert not failures, "\n".join(dict.fromkeys(failures))
    print(f"schemathesis: {operations} operations, responses by class {dict(STATUSES)}")
    assert STATUSES[2] >= 100, STATUSES  # authenticated requests reached the handlers, not only 401s
    with httpx.Client(base_url=base) as client:  # the node still answers afterwards
        assert client.get("/api/v1/node").status_code == 200
