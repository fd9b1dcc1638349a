"""Two real nodes on loopback that know each other."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

from servers import serving

from vinculo.federation import partners
from vinculo.federation.agreements import update_agreement


@contextmanager
def pair(us, mx, us_terms: dict | None = None, mx_terms: dict | None = None):
    """Serve both nodes, register each with the other, exchange credentials, set agreements."""
    with ExitStack() as stack:
        us_url = stack.enter_context(serving(us))
        mx_url = stack.enter_context(serving(mx))
        _, cred_for_mx = partners.add_partner(us, mx.id, "Mexico", mx.public_key_hex, mx_url, "MX")
        _, cred_for_us = partners.add_partner(mx, us.id, "United States", us.public_key_hex, us_url, "US")
        partners.store_pull_credential(mx, us.id, cred_for_mx)
        partners.store_pull_credential(us, mx.id, cred_for_us)
        if us_terms is not None:
            update_agreement(us, mx.id, us_terms)
        if mx_terms is not None:
            update_agreement(mx, us.id, mx_terms)
        yield us_url, mx_url, cred_for_mx, cred_for_us
