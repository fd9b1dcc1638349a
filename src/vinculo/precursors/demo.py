"""The demo's pre-export notifications: the US node notifies Mexico of two 4-piperidone shipments; Mexico
clears the first within its reply period and leaves the second unanswered, overdue on both nodes."""

from __future__ import annotations

import datetime as dt

from vinculo.accounts.model import Actor
from vinculo.federation import sync
from vinculo.node.context import Node
from vinculo.precursors import service as pen
from vinculo.records import service as records

SHIPMENT = {"status": "released", "substance": "4-piperidone", "quantity": {"amount": 500, "unit": "kg"},
            "hs_code": "2933.39", "exporter": "Gulf Coast Fine Chemicals LLC (demo)", "exporter_country": "US",
            "importer": "Química Farmacéutica del Bajío S.A. de C.V. (demo)", "importer_country": "MX",
            "consignee": "Planta León, Guanajuato (demo)", "route": ["Houston", "Veracruz"],
            "transport": "maritime-container"}


def create(us: Node) -> list[str]:
    """Two notifications from us to mx-demo: one sent today, one sent 40 days ago (past its reply period)."""
    who = Actor("analyst", "analyst", us.id)
    today = dt.datetime.now(dt.UTC).date()
    made = []
    for i, sent in enumerate((today, today - dt.timedelta(days=40))):
        ship = records.create_record(us, who, "shipment", SHIPMENT | {"date": sent.isoformat()}, {"tlp": "green"})
        made.append(pen.notify(us, who, ship.id, "mx-demo", on=sent.isoformat(), reference=f"PEN-US-DEMO-{i + 1}",
                               fields={"ship_date": (sent + dt.timedelta(days=25)).isoformat()},
                               markings={"tlp": "green"}).id)
    return made


def answer_and_show(us: Node, mx: Node, made: list[str], say) -> None:
    """Mexico acknowledges and clears the first; both nodes then list what they see."""
    who = Actor("analyst", "analyst", mx.id)
    if made:
        pen.answer(mx, who, made[0], "acknowledged", "Recibida; se verifica al consignatario.")
        pen.answer(mx, who, made[0], "legitimate-consignee", "Consignatario con licencia vigente (demo).")
        say(sync.pull(us, mx.id, page_size=1000).line())
    say("\nPre-export notifications (4-piperidone, 1988 Convention Table I since 2024):")
    for node in (us, mx):
        for s in pen.list_notifications(node, Actor("demo", "supervisor", node.id)):
            late = f"OVERDUE {','.join(s['overdue'])}" if s["overdue"] else "in period"
            say(f"  {node.id}: {s['reference']} {s['direction']:<8} answer: {s['decision'] or 'none':<12} "
                f"reply due {s['reply_due']} ({late})")
