"""A larger leak hunt: the harness of `tests/leak` on more nodes, records and examples.

    .venv/bin/python bench/leak.py [--examples 30] [--nodes 4] [--records 10] [--rounds 3] [--db sqlite]

Each case is a whole random scenario (hypothesis, `tests/leak/leak_strategies.py`) played on fresh real
nodes on loopback, every byte between them captured by a recording proxy and judged by the oracle
(`tests/leak/leak_oracle.py`, which never calls the product's release code). Prints the cases tried,
pulls, objects and receipts checked, and every distinct leak found (sender -> receiver, rule) with how
often it was seen and one example object. Exit status 1 when a leak was found.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(HERE / "tests"), str(HERE / "tests" / "leak"), str(HERE / "src")]

from conftest import Databases
from leak_harness import NODE_IDS, network
from leak_strategies import scenarios


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=30)
    ap.add_argument("--nodes", type=int, default=4, choices=range(3, len(NODE_IDS) + 1))
    ap.add_argument("--records", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--show", type=int, default=3, help="print the whole scenario of the first SHOW leaky cases")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    nodes = NODE_IDS[: args.nodes]
    totals: collections.Counter = collections.Counter()
    seen: dict[tuple[str, str, str], list] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vinculo-leak-") as tmp:
        dbs = Databases(args.db, Path(tmp))

        strategy = scenarios(nodes, rounds=args.rounds, max_records=args.records)
        try:
            for n in range(args.examples):
                # Each case drawn on its own (`example()`): hypothesis' own search starts from the simplest
                # example and mutates it into near-copies, which suits shrinking, not a hunt.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    scenario = strategy.example()
                with network(dbs, Path(tmp), scenario.nodes, tag=f"-{n}") as net:
                    out = net.run(scenario)
                o = out.oracle
                totals.update(cases=1, records=out.records, pulls=out.pulls, failed_pulls=len(out.failed_pulls),
                              captures=o.captures_checked, objects=o.objects_checked, relayed=o.relayed,
                              tombstones=o.tombstones, receipts=o.receipts_checked, leaks=len(o.leaks),
                              leaky_cases=bool(o.leaks))
                for leak in o.leaks:
                    seen.setdefault((leak.sender, leak.receiver, leak.rule), []).append(leak.obj)
                    if len(seen) <= 20 and len(seen[(leak.sender, leak.receiver, leak.rule)]) == 1:
                        print(f"  leak: {leak}", flush=True)
                if o.leaks and totals["leaky_cases"] <= args.show:
                    print(f"  scenario of case {n + 1}:\n" + scenario.describe(), flush=True)
                print(f"case {n + 1}: {out.records} records, {out.pulls} pulls, {o.objects_checked} objects "
                      f"({o.relayed} relayed, {o.tombstones} tombstones), {o.receipts_checked} receipts, "
                      f"{len(o.leaks)} leaks", flush=True)
        finally:
            dbs.drop()
    elapsed = time.perf_counter() - started
    t = totals
    print(f"\n{t['cases']} cases on {args.nodes} nodes ({args.db}) in {elapsed:.0f} s "
          f"({elapsed / max(1, t['cases']):.1f} s a case)")
    print(f"{t['records']} records, {t['pulls']} pulls ({t['failed_pulls']} refused: no agreement), "
          f"{t['captures']} responses captured")
    print(f"{t['objects']} objects checked ({t['relayed']} relayed, {t['tombstones']} tombstones), "
          f"{t['receipts']} receipts checked")
    print(f"{t['leaks']} leaks found in {t['leaky_cases']} of {t['cases']} cases, "
          f"{len(seen)} distinct (sender, receiver, rule):")
    by_rule: collections.Counter = collections.Counter()
    for (_s, _r, rule), objs in seen.items():
        general = re.sub(r"[a-z]+--[0-9a-f-]{36}", "<record>", rule)
        for nid in NODE_IDS:
            general = general.replace(nid, "<node>")
        by_rule[general] += len(objs)
    for rule, count in by_rule.most_common():
        print(f"  {count:5d}  {rule}")
    return 1 if t["leaks"] else 0


if __name__ == "__main__":
    sys.exit(main())
