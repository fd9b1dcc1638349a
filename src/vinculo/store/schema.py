"""Every table of the node: importing this module registers all of them on `metadata`.

Each domain keeps its tables in its own module under `vinculo/store/` (`tables_<domain>.py`) and its
migrations on its own Alembic branch (`down_revision = "0001"`, `branch_labels = ("<domain>",)`);
`upgrade()` goes to all heads.
"""

from vinculo.store import tables  # noqa: F401  (core: node, users, records, audit, partners)
from vinculo.store.tables import metadata

__all__ = ["metadata"]
from vinculo.store import tables_federation  # noqa: F401,E402
from vinculo.store import tables_stats  # noqa: F401,E402
from vinculo.store import tables_graph  # noqa: F401,E402
from vinculo.store import tables_deconfliction  # noqa: F401,E402
from vinculo.store import tables_accounts  # noqa: F401,E402
from vinculo.store import tables_retention  # noqa: F401,E402
from vinculo.store import tables_readers  # noqa: F401,E402
from vinculo.store import tables_jobs  # noqa: F401,E402
from vinculo.store import tables_notify  # noqa: F401
