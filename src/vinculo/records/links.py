"""Records linked to a record: relationships, notes and others whose body names its id."""

from __future__ import annotations

from vinculo.accounts.model import Actor
from vinculo.node.context import Node
from vinculo.records.model import id_type
from vinculo.records.reads import read_rule
from vinculo.records.repository import Filters
from vinculo.records.service import list_records


def linked_records(node: Node, actor: Actor, record_id: str, limit: int = 50) -> list[dict]:
    """Views of the records that reference `record_id` (through release() and audited, like any list).
    Finding them searches content: an actor who reads no content (auditors) gets none."""
    id_type(record_id)
    if not read_rule(actor.role).reads_content:
        return []
    page = list_records(node, actor, Filters(text=record_id), None, limit)
    return [item for item in page.items if item["id"] != record_id]
