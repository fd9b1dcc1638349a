"""Benchmark: Vinculo's PSI against openmined-psi and against the libsodium floor.

Both parties run in this process.  For each size n, two sets of n selector-like strings with
~10% overlap are intersected by

* ours: PsiClient.request -> PsiServer.respond -> PsiClient.finish (exact intersection), with
  ``--workers`` threads per party (and, unless --no-serial, with 1 thread);
* openmined-psi (``private_set_intersection.python``), exact (RAW setup), same sets;
* the floor: the libsodium calls no ECDH PSI can avoid, in tight ctypes loops writing into
  preallocated buffers: hash-to-group of both sets (SHA-512 + from_hash) and 2(n+m) scalar
  multiplications, on 1 thread and split over ``--workers`` threads.

Throughput is "items/s" = n / wall time (n = each party's set size).

    .venv/bin/python bench/psi.py --quick          # 10k and 100k
    .venv/bin/python bench/psi.py                  # 100k and 1M
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import hashlib
import random
import time

from vinculo.deconfliction import group
from vinculo.deconfliction.psi import PsiClient, PsiServer

KIND = "phone"


def make_sets(n: int, overlap: float = 0.10, seed: int = 7) -> tuple[list[str], list[str], set[str]]:
    """Two sets of n E.164-like numbers sharing ~overlap * n."""
    rng = random.Random(seed)
    numbers = rng.sample(range(10**9, 10**10), 2 * n - int(n * overlap))
    shared = int(n * overlap)
    a = [f"+52{x}" for x in numbers[:n]]
    b = a[:shared] + [f"+52{x}" for x in numbers[n:]]
    rng.shuffle(b)
    return a, b, set(a[:shared])


REPEAT = 1


def timed(fn):  # type: ignore[no-untyped-def]
    """Best wall time of REPEAT calls, with the CPU time (all threads) of that call.

    The machine is shared: another process taking a core slows the wall time of a 2-thread run
    much more than its CPU time, so both are printed."""
    best, cpu, result = float("inf"), float("inf"), None
    for _ in range(REPEAT):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, used = time.perf_counter() - start, time.process_time() - start_cpu
        if wall < best:
            best, cpu = wall, used
    return best, cpu, result


def ours(a: list[str], b: list[str], workers: int) -> tuple[set[str], int]:
    cap = max(len(a), len(b))
    client = PsiClient(a, KIND, max_set_size=cap, workers=workers)
    server = PsiServer(b, KIND, max_set_size=cap, workers=workers)
    request = client.request()
    response = server.respond(request)
    return client.finish(response), len(request) + len(response)


def openmined(a: list[str], b: list[str]) -> tuple[set[str], int]:
    import private_set_intersection.python as omp

    client = omp.client.CreateWithNewKey(True)
    server = omp.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, len(a), b, omp.DataStructure.RAW)
    request = client.CreateRequest(a)
    response = server.ProcessRequest(request)
    found = {a[i] for i in client.GetIntersection(setup, response)}
    sent = sum(len(m.SerializeToString()) for m in (setup, request, response))
    return found, sent


def _floor_span(values: list[str], start: int, stop: int, pts: ctypes.Array, tmp: ctypes.Array) -> None:
    prefix = group.DOMAIN + KIND.encode() + b"|"
    from_hash, mult = group._from_hash, group._scalarmult
    sha512, byref = hashlib.sha512, ctypes.byref
    s1, s2 = group.random_scalar(), group.random_scalar()
    for i in range(start, stop):
        off = 32 * i
        from_hash(byref(pts, off), sha512(prefix + values[i].encode()).digest())
        mult(byref(tmp, off), s1, byref(pts, off))
        mult(byref(pts, off), s2, byref(tmp, off))


def floor(a: list[str], b: list[str], threads: int) -> None:
    """Hash both sets to the group and multiply every element twice (2(n+m) multiplications),
    in chunks pulled by ``threads`` threads (the same scheduling as ours, see group._run)."""
    values = a + b
    n = len(values)
    pts, tmp = ctypes.create_string_buffer(32 * n), ctypes.create_string_buffer(32 * n)
    group._run(lambda lo, hi: _floor_span(values, lo, hi, pts, tmp), n, threads)


def bench(n: int, workers: int, serial: bool, with_openmined: bool) -> None:
    a, b, expected = make_sets(n)
    print(f"\n== n = {n:,} per party, overlap {len(expected):,}, {workers} threads ==", flush=True)
    rows: dict[str, tuple[float, float]] = {}

    def show(label: str, wall: float, cpu: float, sent: int | None = None) -> None:
        rows[label] = (wall, cpu)
        per_item = f"  {sent / n:6.1f} bytes/item" if sent is not None else ""
        print(f"{label:<16} {wall:8.2f} s wall {cpu:8.2f} s cpu  {n / wall:9,.0f} items/s{per_item}",
              flush=True)

    ours_label = f"ours ({workers} thr)"
    t, c, (found, sent) = timed(lambda: ours(a, b, workers))
    assert found == expected, "ours: wrong intersection"
    show(ours_label, t, c, sent)
    if serial and workers > 1:
        t, c, (found, _) = timed(lambda: ours(a, b, 1))
        assert found == expected
        show("ours (1 thr)", t, c)
    if with_openmined:
        t, c, (found, sent_o) = timed(lambda: openmined(a, b))
        assert found == expected, "openmined: wrong intersection"
        show("openmined-psi", t, c, sent_o)
    t, c, _ = timed(lambda: floor(a, b, 1))
    show("floor (1 thr)", t, c)
    floor_label = "floor (1 thr)"
    if workers > 1:
        t, c, _ = timed(lambda: floor(a, b, workers))
        floor_label = f"floor ({workers} thr)"
        show(floor_label, t, c)

    print("-- ratios (wall; cpu) --")
    ow, oc = rows[ours_label]
    if "openmined-psi" in rows:
        mw, mc = rows["openmined-psi"]
        print(f"throughput {ours_label} / openmined   = {mw / ow:5.2f}x  (cpu {mc / oc:5.2f}x)")
        if "ours (1 thr)" in rows:
            print(f"throughput ours (1 thr) / openmined   = {mw / rows['ours (1 thr)'][0]:5.2f}x")
    fw, fc = rows[floor_label]
    print(f"time {ours_label} / {floor_label}     = {ow / fw:5.3f}  (cpu {oc / fc:5.3f})")
    if floor_label != "floor (1 thr)":
        print(f"time {ours_label} / floor (1 thr)     = {ow / rows['floor (1 thr)'][0]:5.3f}")
    if "ours (1 thr)" in rows:
        print(f"time ours (1 thr) / floor (1 thr)     = {rows['ours (1 thr)'][0] / rows['floor (1 thr)'][0]:5.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only 10k and 100k")
    parser.add_argument("--sizes", type=int, nargs="*", help="set sizes (default 100000 1000000)")
    parser.add_argument("--workers", type=int, default=group.default_workers(), help="threads per party")
    parser.add_argument("--no-serial", action="store_true", help="skip the 1-thread run of ours")
    parser.add_argument("--no-openmined", action="store_true", help="skip openmined-psi")
    parser.add_argument("--repeat", type=int, default=1, help="time each measurement this often, keep the best")
    args = parser.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [100_000, 1_000_000])
    print(f"libsodium via rbcl; {args.workers} threads per party; both parties in this process; "
          f"best of {REPEAT}")
    for n in sizes:
        bench(n, args.workers, serial=not args.no_serial and n <= 200_000,
              with_openmined=not args.no_openmined)


if __name__ == "__main__":
    main()
