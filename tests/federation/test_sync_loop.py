"""The background loop of `vinculo serve` pulls from partners on its own, and survives a partner that is down."""

import time

import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo.federation import partners
from vinculo.federation.scheduler import SyncLoop
from vinculo.records import service
from vinculo.records.query import build_filters

TERMS = {"record_types": ["seizure"], "max_tlp": "green", "start": "2020-01-01"}


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_loop_pulls_and_outlives_a_dead_partner(make_node):
    us, mx, gt = make_node("us-dea", "US"), make_node("mx-fgr", "MX"), make_node("gt-pnc", "GT")
    rec = service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    partners.add_partner(mx, "gt-pnc", "Guatemala", gt.public_key_hex, "http://127.0.0.1:9", "GT")  # nobody there
    partners.store_pull_credential(mx, "gt-pnc", "vnp_never-used")
    with pair(us, mx, us_terms=TERMS):
        loop = SyncLoop(mx, interval=0.2)
        loop.start()
        try:
            for _ in range(100):
                held = service.list_records(mx, actor(mx, "analyst"), build_filters(origin="us-dea"), None, 10).items
                if held:
                    break
                time.sleep(0.1)
        finally:
            loop.stop()
            loop.join(10)
    assert [i["id"] for i in held] == [rec.id]
    assert loop.runs >= 1 and not loop.is_alive()
