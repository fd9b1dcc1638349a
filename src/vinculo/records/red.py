"""TLP:RED names the people who read it (`Markings.recipients`): its author first, then the local users
the author names. Whoever saves a RED version is named too, so nobody locks themselves out of what they
just saved; the author is kept from version to version."""

from __future__ import annotations

from pydantic import ValidationError

from vinculo.accounts import service as accounts
from vinculo.accounts.model import Actor
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.sharing.markings import TLP, Markings

FIELD = "markings.recipients"


def with_readers(conn, marks: Markings, actor: Actor, previous: Markings | None = None) -> Markings:
    """`marks` with its TLP:RED recipients complete: the author first, the names given, the actor saving
    it. Names given must be users of this node. Other TLPs are returned as they are."""
    if marks.tlp is not TLP.RED:
        return marks
    given = list(marks.recipients)
    unknown = sorted(set(given) - accounts.known_names(conn, given) - {actor.name})
    if unknown:
        raise RecordInvalid([FieldError(FIELD, f"no user named {', '.join(unknown)} on this node")])
    kept = previous is not None and previous.tlp is TLP.RED and previous.recipients
    author = previous.recipients[0] if kept else actor.name
    names = list(dict.fromkeys([author, *given, actor.name]))
    try:
        return Markings.model_validate(marks.model_dump() | {"recipients": tuple(names)})
    except ValidationError as exc:
        reason = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise RecordInvalid([FieldError(FIELD, reason)]) from None
