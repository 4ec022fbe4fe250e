#!/usr/bin/env python3
"""Benchmark Stackling's scheduler and claims beside OpenStack Placement (and nova's filters).

For N compute hosts (VCPU 64 x4.0, MEMORY_MB 262144 reserved 4096, DISK_GB 2000: the
inventory of /work/shared/peers/placement_bench.py) in a fresh SQLite file it times:
  setup    enrolling the N hosts (ComputeHosts.register_many: providers, inventories,
           traits, compute-host rows); for N <= 1000 also one at a time (register())
  select   Scheduler.select_destinations for one request (2 vCPU, 4096 MB, 20 GB, image
           x86_64/qemu, a hard anti-affinity group with 10 members on the first 10 hosts,
           every 50th host disabled: nova_filter_bench.py's scenario) with the default
           filters and weighers, considering every host: first (cold) call, then median
           and p95 of --repeats, and the median again with Python's cyclic GC off
  claims   --claims placement claims (PlacementEngine.claim, one write transaction each,
           cycling over the hosts) per second, and full boots (select + claim) per second
Then it runs the peers in the same session as subprocesses (placement_bench.py and
nova_filter_bench.py from --peers-dir, in the venv --peers-venv, installed by
bench/setup-peers if missing), parses their JSON lines, and prints the figures side by side
with ratios. One JSON object per measurement goes to stdout, the tables to stderr.

    .venv/bin/python bench/scheduler.py            # 100, 1,000 and 10,000 hosts (~6 min)
    .venv/bin/python bench/scheduler.py --quick    # 100 and 1,000 (~1 min)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "library" / "src"))

from sqlalchemy import event  # noqa: E402

from stackling.clock import utcnow  # noqa: E402
from stackling.db import Database, upgrade  # noqa: E402
from stackling.placement import ConsumerRef, InventorySpec, PlacementEngine  # noqa: E402
from stackling.scheduler import ComputeHosts, RequestSpec, Scheduler, SchedulerConfig, ServerGroups  # noqa: E402
from stackling.scheduler.compute_hosts import ComputeHostSpec  # noqa: E402

INVENTORY = {
    "VCPU": InventorySpec(64, allocation_ratio=4.0, max_unit=64),
    "MEMORY_MB": InventorySpec(262144, reserved=4096),
    "DISK_GB": InventorySpec(2000),
}
RESOURCES = {"VCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 20}
IMAGE = {"hw_architecture": "x86_64", "img_hv_type": "qemu"}
GROUP_MEMBERS = 10


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, as the peer scripts compute it."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))]


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def open_store(path: Path, sync: str) -> Database:
    url = "sqlite:///%s" % path
    upgrade(url)
    db = Database(url)
    if sync != "full":

        @event.listens_for(db.engine, "connect")
        def _sync(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.execute("PRAGMA synchronous=%s" % sync.upper())

    return db


def specs(n: int, prefix: str = "cn") -> list[ComputeHostSpec]:
    return [ComputeHostSpec("%s%05d" % (prefix, i), INVENTORY) for i in range(n)]


def setup_cloud(db: Database, n: int) -> tuple[PlacementEngine, Scheduler, str, float]:
    placement = PlacementEngine(utcnow)
    hosts = ComputeHosts(placement, utcnow)
    started = time.perf_counter()
    with db.write() as session:
        providers = hosts.register_many(session, specs(n))
    setup = time.perf_counter() - started
    with db.write() as session:
        for i in range(0, n, 50):  # every 50th host disabled, as in nova_filter_bench.py
            hosts.set_enabled(session, providers[i].name, False, "bench")
        group = ServerGroups(utcnow).create(session, "bench", "anti-affinity", "p", "u")
    scheduler = Scheduler(SchedulerConfig(), placement, random.Random(0))
    for i in range(GROUP_MEMBERS):  # members on the first hosts, so anti-affinity removes hosts
        with db.write() as session:
            member = ConsumerRef("member-%d" % i, "p", "u")
            placement.claim(session, member, {providers[i + 1].uuid: RESOURCES})
            ServerGroups(utcnow).add_member(session, group.id, member.uuid)
    return placement, scheduler, group.id, setup


def one_by_one_setup(directory: Path, n: int, sync: str) -> float:
    db = open_store(directory / "one-by-one.db", sync)
    hosts = ComputeHosts(PlacementEngine(utcnow), utcnow)
    started = time.perf_counter()
    for spec in specs(n):
        with db.write() as session:
            hosts.register(session, spec.name, spec.inventories)
    elapsed = time.perf_counter() - started
    db.dispose()
    return elapsed


def time_select(
    db: Database, scheduler: Scheduler, request: RequestSpec, repeats: int
) -> tuple[float, list[float], int]:
    started = time.perf_counter()
    with db.read() as session:
        selection = scheduler.select_destinations(session, request)
    first = time.perf_counter() - started
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with db.read() as session:
            selection = scheduler.select_destinations(session, request)
        times.append(time.perf_counter() - started)
    return first, times, selection.considered


def run_child(n: int, repeats: int, claims: int, sync: str) -> None:
    base = {"bench": "stackling", "providers": n, "db": "file", "sync": sync}
    with tempfile.TemporaryDirectory(prefix="stackling-bench-") as tmp:
        directory = Path(tmp)
        db = open_store(directory / "bench.db", sync)
        placement, scheduler, group_id, setup = setup_cloud(db, n)
        record = {**base, "metric": "setup_s", "value": round(setup, 3), "providers_per_s": round(n / setup, 1)}
        if n <= 1000:
            record["one_by_one_s"] = round(one_by_one_setup(directory, n, sync), 3)
        emit(record)

        request = RequestSpec(RESOURCES, image_properties=IMAGE, group_id=group_id)
        first, times, considered = time_select(db, scheduler, request, repeats)
        gc.disable()
        _, times_gc_off, _ = time_select(db, scheduler, request, repeats)
        gc.enable()
        emit({**base, "metric": "select_ms", "considered": considered, "repeats": repeats,
              "first": round(first * 1e3, 2), "median": round(statistics.median(times) * 1e3, 2),
              "p95": round(pct(times, 95) * 1e3, 2), "min": round(min(times) * 1e3, 2),
              "median_gc_off": round(statistics.median(times_gc_off) * 1e3, 2)})  # fmt: skip

        with db.read() as session:
            targets = [host.uuid for host in scheduler.select_destinations(session, RequestSpec(RESOURCES)).hosts]
            targets += [c.uuid for c in placement.allocation_candidates(session, _placement_request())]
        started = time.perf_counter()
        for k in range(claims):
            with db.write() as session:
                placement.claim(
                    session, ConsumerRef(uuid.uuid4().hex, "p", "u"), {targets[k % len(targets)]: RESOURCES}
                )
        elapsed = time.perf_counter() - started
        emit({**base, "metric": "claims_per_s", "claims": claims, "value": round(claims / elapsed, 1),
              "mean_ms": round(elapsed / claims * 1e3, 2)})  # fmt: skip

        boots = max(10, claims // 10)
        plain = RequestSpec(RESOURCES, image_properties=IMAGE)
        started = time.perf_counter()
        for _ in range(boots):
            scheduler.schedule_and_claim(db, ConsumerRef(uuid.uuid4().hex, "p", "u"), plain)
        elapsed = time.perf_counter() - started
        emit({**base, "metric": "boots_per_s", "boots": boots, "value": round(boots / elapsed, 1),
              "mean_ms": round(elapsed / boots * 1e3, 2)})  # fmt: skip
        db.dispose()


def _placement_request() -> Any:
    from stackling.placement import AllocationRequest

    return AllocationRequest(RESOURCES, limit=1000)


# --- the peers --------------------------------------------------------------------------------------
def ensure_peers(venv: Path, peers: Path) -> Path:
    python = venv / "bin" / "python"
    check = "import placement.direct, nova.scheduler.filters, wsgi_intercept"
    if python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0:
        return python
    print("peers venv %s missing: running bench/setup-peers (about 1-3 minutes)" % venv, file=sys.stderr)
    env = dict(os.environ, PEERS_VENV=str(venv), PEERS_DIR=str(peers))
    subprocess.run([str(HERE / "setup-peers")], check=True, env=env)
    return python


def run_peer(python: Path, script: Path, args: list[str]) -> list[dict[str, Any]]:
    started = time.perf_counter()
    out = subprocess.run([str(python), str(script), *args], check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout  # fmt: skip
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for record in records:
        record["peer_script"] = script.name
        emit(record)
    print("  %s done in %.0f s" % (script.name, time.perf_counter() - started), file=sys.stderr)
    return records


# --- the parent: children per N, peers, tables -------------------------------------------------------------
def run_ours(sizes: list[int], args: argparse.Namespace) -> dict[int, dict[str, dict[str, Any]]]:
    rows: dict[int, dict[str, dict[str, Any]]] = {}
    for n in sizes:
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--repeats", str(args.repeats), "--claims", str(args.claims),
             "--sync", args.sync],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout  # fmt: skip
        for line in out.splitlines():
            record = json.loads(line)
            print(line, flush=True)
            rows.setdefault(n, {})[record["metric"]] = record
        print("  stackling N=%d done in %.0f s" % (n, time.perf_counter() - started), file=sys.stderr)
    return rows


def ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "-"
    return "%.1fx" % (numerator / denominator)


def report(sizes: list[int], ours: dict[int, dict[str, dict[str, Any]]], placement: dict[int, dict[str, dict[str, Any]]],
           nova: dict[int, dict[str, Any]], sync: str) -> None:  # fmt: skip
    err = sys.stderr
    print("\nChoosing a host (ms): Stackling select_destinations (SQLite file, synchronous=%s, all hosts considered)" % sync,
          file=err)  # fmt: skip
    print("beside Placement GET /allocation_candidates (in-memory SQLite, limit=N) and nova filters+weighers", file=err)
    print("%7s %9s %9s %9s %9s | %9s %9s %9s | %9s | %8s" % ("N", "ours med", "ours p95", "ours 1st", "ours noGC",
          "a_c med", "a_c p95", "a_c noGC", "nova f+w", "speedup"), file=err)  # fmt: skip
    for n in sizes:
        s = ours.get(n, {}).get("select_ms", {})
        a = placement.get(n, {}).get("alloc_candidates_ms", {})
        v = nova.get(n, {})
        fw = (v.get("filter_ms_median", 0) + v.get("weigh_ms_median", 0)) or None
        print("%7d %9s %9s %9s %9s | %9s %9s %9s | %9s | %8s" % (
            n, s.get("median", "-"), s.get("p95", "-"), s.get("first", "-"), s.get("median_gc_off", "-"),
            a.get("median", "-"), a.get("p95", "-"), a.get("median_gc_off", "-"),
            "-" if fw is None else round(fw, 1), ratio(a.get("median"), s.get("median"))), file=err)  # fmt: skip
    print("\nClaims per second and set-up time", file=err)
    print("%7s %10s %10s %8s %10s | %10s %12s %10s" % ("N", "ours cl/s", "a_c cl/s", "speedup", "boots/s",
          "ours setup", "one-by-one", "plc setup"), file=err)  # fmt: skip
    for n in sizes:
        o = ours.get(n, {})
        c = o.get("claims_per_s", {}).get("value")
        pc = placement.get(n, {}).get("claims_per_s", {}).get("value")
        setup = o.get("setup_s", {})
        print("%7d %10s %10s %8s %10s | %9ss %11ss %9ss" % (
            n, c or "-", pc or "-", ratio(c, pc), o.get("boots_per_s", {}).get("value", "-"),
            setup.get("value", "-"), setup.get("one_by_one_s", "-"),
            placement.get(n, {}).get("setup_s", {}).get("value", "-")), file=err)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--quick", action="store_true", help="100 and 1000 providers only")
    parser.add_argument("--repeats", type=int, default=20, help="select_destinations repeats (default 20)")
    parser.add_argument("--claims", type=int, default=200, help="claims timed (default 200, as placement_bench)")
    parser.add_argument(
        "--sync",
        choices=["normal", "full", "off"],
        default="normal",
        help="SQLite synchronous for Stackling's file DB (default normal: WAL-safe)",
    )
    parser.add_argument("--no-peers", action="store_true", help="do not run the OpenStack peers")
    parser.add_argument("--peers-dir", type=Path, default=Path(os.environ.get("PEERS_DIR", "/work/shared/peers")))
    parser.add_argument("--peers-venv", type=Path, default=Path(os.environ.get("PEERS_VENV", "/tmp/peers/venv")))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.repeats, args.claims, args.sync)
        return
    sizes = [100, 1000] if args.quick else args.providers
    started = time.perf_counter()
    print("stackling: %s providers" % sizes, file=sys.stderr)
    ours = run_ours(sizes, args)
    placement: dict[int, dict[str, dict[str, Any]]] = {}
    nova: dict[int, dict[str, Any]] = {}
    if not args.no_peers:
        python = ensure_peers(args.peers_venv, args.peers_dir)
        sizes_arg = [str(n) for n in sizes]
        for record in run_peer(
            python,
            args.peers_dir / "placement_bench.py",
            ["--providers", *sizes_arg, "--repeats", str(min(args.repeats, 10)), "--claims", str(args.claims)],
        ):
            placement.setdefault(record["providers"], {})[record["metric"]] = record  # fmt: skip
        for record in run_peer(python, args.peers_dir / "nova_filter_bench.py", ["--hosts", *sizes_arg]):
            nova[record["hosts"]] = record
    report(sizes, ours, placement, nova, args.sync)
    print("\ntotal %.0f s" % (time.perf_counter() - started), file=sys.stderr)


if __name__ == "__main__":
    main()
