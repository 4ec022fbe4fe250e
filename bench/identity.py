#!/usr/bin/env python3
"""Identity benchmark: Stackling's Fernet tokens and policy checks beside Keystone's, in one run.

Run with the project's venv (not part of the test suite):

    .venv/bin/python bench/identity.py            # ~1.5 min quiet, ~2.5 min on a busy 2-core VM
    .venv/bin/python bench/identity.py --quick    # about 25 s, rougher figures

What is timed (operations per second, median of --runs timed loops, runs interleaved
round-robin so that outside load hits every case alike):

  stackling format layer   FernetTokenProvider.issue / .decode of a project-scoped password
                           token (the layer comparable to Keystone's TokenFormatter): key
                           cache check, JSON payload, Fernet. No clock, no database.
  TokenManager.issue       what the Authenticator calls once the secret is verified: audit id,
                           clock, payload, Fernet (password verification itself is argon2id,
                           tens of milliseconds by design, and is not timed).
  tokens.validate          the full path, Controller.tokens.validate: decode + expiry + user,
                           project and domain state, revocation events, effective roles
                           (direct grants, implied roles) from the database -> Context.
  raw Fernet               cryptography.fernet.Fernet encrypt/decrypt of the same payload
                           bytes with the same primary key: the physical limit.
  policy                   Enforcer.check with the shipped default policy and the Context of a
                           validated member token: reading a server of the member's own project
                           (allowed), of another project (denied), and enforce() of the denied
                           one (raises PolicyNotAuthorized).
  keystone*                /work/shared/peers/keystone_fernet_bench.py run as a subprocess with
                           the peers venv's python (Keystone 30 TokenFormatter as shipped, with
                           keys loaded once, and its own raw-Fernet reference), same machine,
                           same run.

Output: a table on stdout; --jsonl FILE also writes one JSON object per figure.
The peers venv (/tmp/peers/venv, or $PEERS_VENV) is installed by bench/setup-peers,
under `flock /tmp/peers.lock`, when it cannot import keystone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cryptography
from cryptography.fernet import Fernet

from stackling.config import ControllerConfig, DatabaseConfig, FernetTokensConfig, PasswordHashingConfig
from stackling.controller import Controller
from stackling.db import upgrade
from stackling.errors import PolicyNotAuthorized
from stackling.identity.auth import ScopeRequest
from stackling.identity.tokens import Scope
from stackling.tokens import FernetTokenProvider
from stackling.tokens.payload import encode

BENCH_DIR = Path(__file__).resolve().parent
PEERS_DIR = Path(os.environ.get("PEERS_DIR", "/work/shared/peers"))
PEERS_VENV = Path(os.environ.get("PEERS_VENV", "/tmp/peers/venv"))
PEERS_LOCK = "/tmp/peers.lock"
KEYSTONE_CHECK = "import keystone.token.token_formatters, msgpack"
# Password hashing is not what this measures: cheap argon2id for the setup (bootstrap, users).
SETUP_HASHING = PasswordHashingConfig(time_cost=1, memory_cost=64, parallelism=1)

Op = Callable[[], object]


# --- timing -------------------------------------------------------------------------------------------
def loop_rate(fn: Op, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return count / (time.perf_counter() - start)


def calibrate(fn: Op, seconds: float) -> int:
    """Warm ``fn`` up for about 0.1 s; the count that makes one timed loop last ``seconds``."""
    count, spent = 0, 0.0
    start = time.perf_counter()
    while spent < 0.1:
        fn()
        count += 1
        spent = time.perf_counter() - start
    return max(20, int(count / spent * seconds))


def measure(cases: dict[str, Op], runs: int, seconds: float) -> dict[str, dict[str, Any]]:
    """ops/s of every case: ``runs`` timed loops each, interleaved round-robin; median, min, max."""
    counts = {name: calibrate(fn, seconds) for name, fn in cases.items()}
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            rates[name].append(loop_rate(fn, counts[name]))
    return {
        name: {
            "ops_per_s": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "runs": runs,
            "count": counts[name],
            "rates": [round(value) for value in values],
        }
        for name, values in rates.items()
    }


def paired_ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> float:
    """Median over the runs of numerator/denominator measured in the same round (back to back).

    Steadier than the ratio of the medians when outside load comes and goes between rounds.
    """
    return float(statistics.median(a / b for a, b in zip(numerator["rates"], denominator["rates"], strict=True)))


# --- Keystone, in the peers venv ----------------------------------------------------------------------
def peers_python() -> Path:
    """The peers venv's python, installing the venv first (bench/setup-peers, under the lock) if needed."""
    python = PEERS_VENV / "bin" / "python"

    def ready() -> bool:
        return (
            python.exists()
            and subprocess.run([python, "-c", KEYSTONE_CHECK], capture_output=True, check=False).returncode == 0
        )

    if ready():
        return python
    print("identity bench: %s cannot import keystone; running bench/setup-peers" % PEERS_VENV, file=sys.stderr)
    env = dict(os.environ, PEERS_VENV=str(PEERS_VENV), PEERS_DIR=str(PEERS_DIR))
    subprocess.run(["flock", PEERS_LOCK, str(BENCH_DIR / "setup-peers")], check=True, env=env)
    if not ready():
        raise SystemExit(
            "identity bench: %s still cannot import keystone (`%s`); see %s/README.md"
            % (PEERS_VENV, KEYSTONE_CHECK, PEERS_DIR)
        )
    return python


def keystone_figures(count: int, runs: int) -> dict[tuple[str, str], dict[str, Any]]:
    """Run keystone_fernet_bench.py; {(impl, op): its JSON object}."""
    command = [str(peers_python()), str(PEERS_DIR / "keystone_fernet_bench.py"), "--count", str(count)]
    command += ["--runs", str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("identity bench: %s failed (exit %d)" % (" ".join(command), done.returncode))
    figures = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            figures[(record["impl"], record["op"])] = record
    expected = {(impl, op) for impl in ("keystone", "keystone-keys", "raw-fernet") for op in ("create", "validate")}
    if not expected <= figures.keys():
        raise SystemExit("identity bench: keystone bench printed %s, expected %s" % (sorted(figures), sorted(expected)))
    return figures


# --- Stackling ----------------------------------------------------------------------------------------
def stackling_figures(workdir: Path, db_url: str | None, runs: int, seconds: float) -> dict[str, Any]:
    keys_dir = workdir / "fernet-keys"
    url = db_url or "sqlite:///%s" % (workdir / "stackling.db")
    config = ControllerConfig(
        database=DatabaseConfig(url=url),
        fernet_tokens=FernetTokensConfig(key_repository=keys_dir),
        password_hashing=SETUP_HASHING,
    )
    upgrade(url)
    cloud = Controller.from_config(config)
    try:
        cloud.keys.setup()
        result = cloud.bootstrap("bench-Admin-Secret-1")
        admin = cloud.tokens.validate(
            cloud.auth.password("admin", "bench-Admin-Secret-1", ScopeRequest(project=result.admin_project_id)).token
        )
        suffix = os.urandom(3).hex()  # a reused --db-url database keeps the previous run's names
        web = cloud.identity.create_project(admin, "bench-web-" + suffix, domain_id="default")
        other = cloud.identity.create_project(admin, "bench-other-" + suffix, domain_id="default")
        alice = cloud.identity.create_user(admin, "bench-alice-" + suffix, domain_id="default", password="pw-Alice-1")
        cloud.identity.assign_role(admin, "member", user=alice.id, project=web.id)
        issued = cloud.auth.password(alice.name, "pw-Alice-1", ScopeRequest(project=web.id))
        token = issued.token

        provider = FernetTokenProvider(cloud.keys)  # the controller's provider over the same key repository
        data = provider.decode(token)
        payload = encode(data)
        primary = max(int(name) for name in os.listdir(keys_dir) if name.isdigit())
        raw = Fernet((keys_dir / str(primary)).read_bytes())
        raw_token = token.encode("ascii")
        assert raw.decrypt(raw_token) == payload

        ctx = cloud.tokens.validate(token)
        assert ctx.roles == {"member", "reader"} and ctx.project_id == web.id
        policy = cloud.policy
        mine, theirs = {"project_id": web.id}, {"project_id": other.id}
        assert policy.check("compute:get_server", mine, ctx)
        assert not policy.check("compute:get_server", theirs, ctx)

        def enforce_denied() -> None:
            try:
                policy.enforce("compute:get_server", theirs, ctx)
            except PolicyNotAuthorized:
                return
            raise AssertionError("compute:get_server on another project was allowed")

        scope = Scope(project_id=web.id)
        roles = frozenset(ctx.roles)
        # Token format layer and raw Fernet, interleaved (the ratio matters most).
        fmt = measure(
            {
                "stackling-format:issue": lambda: provider.issue(data),
                "stackling-format:validate": lambda: provider.decode(token),
                "raw-fernet:issue": lambda: raw.encrypt(payload),
                "raw-fernet:validate": lambda: raw.decrypt(raw_token),
            },
            runs,
            seconds,
        )
        full = measure(
            {
                "stackling-manager:issue": lambda: cloud.tokens.issue(alice.id, scope, ("password",), roles),
                "stackling-full:validate": lambda: cloud.tokens.validate(token),
            },
            runs,
            seconds,
        )
        pol = measure(
            {
                "policy:allowed": lambda: policy.check("compute:get_server", mine, ctx),
                "policy:denied": lambda: policy.check("compute:get_server", theirs, ctx),
                "policy:enforce-denied": enforce_denied,
            },
            runs,
            seconds,
        )
        return {
            "figures": {**fmt, **full, **pol},
            "token_len": len(token),
            "payload_bytes": len(payload),
            "db": url.split(":", 1)[0],
        }
    finally:
        cloud.close()


# --- report -------------------------------------------------------------------------------------------
def machine_note() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPU(s), Python %s, cryptography %s, load average %s" % (
        model,
        os.cpu_count() or 0,
        platform.python_version(),
        cryptography.__version__,
        " ".join("%.2f" % value for value in os.getloadavg()),
    )


def report(ours: dict[str, Any], keystone: dict[tuple[str, str], dict[str, Any]] | None, started: str) -> list[str]:
    fig = ours["figures"]
    rate = {name: value["ops_per_s"] for name, value in fig.items()}
    lines = ["# Stackling identity bench, %s" % started, "# %s" % machine_note(), ""]
    lines.append(
        "Tokens: project-scoped password token, Stackling %d chars (%d B JSON payload)%s"
        % (
            ours["token_len"],
            ours["payload_bytes"],
            (
                ""
                if keystone is None
                else ", Keystone %d chars (%d B msgpack payload)"
                % (keystone[("keystone", "create")]["token_len"], keystone[("keystone", "create")]["payload_bytes"])
            ),
        )
    )
    lines.append("Figures: operations/s, median of the runs [min-max]; database %s" % ours["db"])
    lines.append("")
    lines.append("| implementation | issue/s | validate/s |")
    lines.append("|---|---:|---:|")

    def cell(record: dict[str, Any] | None) -> str:
        if record is None:
            return "-"
        return "%d [%d-%d]" % (record["ops_per_s"], record["min"], record["max"])

    rows: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = [
        (
            "Stackling format layer (FernetTokenProvider)",
            fig["stackling-format:issue"],
            fig["stackling-format:validate"],
        ),
        ("raw Fernet, Stackling's payload (same process)", fig["raw-fernet:issue"], fig["raw-fernet:validate"]),
        (
            "Stackling TokenManager.issue / tokens.validate (full, DB)",
            fig["stackling-manager:issue"],
            fig["stackling-full:validate"],
        ),
    ]
    if keystone is not None:
        rows += [
            (
                "Keystone TokenFormatter as shipped",
                keystone[("keystone", "create")],
                keystone[("keystone", "validate")],
            ),
            (
                "Keystone TokenFormatter, keys loaded once",
                keystone[("keystone-keys", "create")],
                keystone[("keystone-keys", "validate")],
            ),
            (
                "raw Fernet, Keystone's payload (its run)",
                keystone[("raw-fernet", "create")],
                keystone[("raw-fernet", "validate")],
            ),
        ]
    lines += ["| %s | %s | %s |" % (label, cell(issue), cell(validate)) for label, issue, validate in rows]
    lines.append("")
    lines.append("| policy check (default policy, member token) | checks/s |")
    lines.append("|---|---:|")
    lines.append("| compute:get_server, own project (allowed) | %s |" % cell(fig["policy:allowed"]))
    lines.append("| compute:get_server, other project (denied) | %s |" % cell(fig["policy:denied"]))
    lines.append(
        "| enforce() of the denied one (raises PolicyNotAuthorized) | %s |" % cell(fig["policy:enforce-denied"])
    )
    lines.append("")

    fmt_v, fmt_i = rate["stackling-format:validate"], rate["stackling-format:issue"]
    validate_vs_raw = paired_ratio(fig["stackling-format:validate"], fig["raw-fernet:validate"])
    ratios = [
        ("format-layer validate / raw Fernet decrypt (median of same-round ratios)", validate_vs_raw),
        ("format-layer validate / raw Fernet decrypt (ratio of the medians)", fmt_v / rate["raw-fernet:validate"]),
        (
            "format-layer validate / raw Fernet decrypt (ratio of the best runs)",
            fig["stackling-format:validate"]["max"] / fig["raw-fernet:validate"]["max"],
        ),
        (
            "format-layer issue / raw Fernet encrypt (median of same-round ratios)",
            paired_ratio(fig["stackling-format:issue"], fig["raw-fernet:issue"]),
        ),
    ]
    if keystone is not None:
        ks = {key: value["ops_per_s"] for key, value in keystone.items()}
        ratios += [
            ("format-layer validate / Keystone as shipped", fmt_v / ks[("keystone", "validate")]),
            ("format-layer validate / Keystone keys loaded once", fmt_v / ks[("keystone-keys", "validate")]),
            ("format-layer issue / Keystone as shipped", fmt_i / ks[("keystone", "create")]),
            ("format-layer issue / Keystone keys loaded once", fmt_i / ks[("keystone-keys", "create")]),
            (
                "full tokens.validate / Keystone format layer as shipped",
                rate["stackling-full:validate"] / ks[("keystone", "validate")],
            ),
            (
                "Keystone keys-once validate / its raw Fernet decrypt",
                ks[("keystone-keys", "validate")] / ks[("raw-fernet", "validate")],
            ),
            (
                "raw Fernet decrypt, our process / Keystone's process",
                rate["raw-fernet:validate"] / ks[("raw-fernet", "validate")],
            ),
        ]
    ratios.append(("full tokens.validate / format-layer validate", rate["stackling-full:validate"] / fmt_v))
    lines.append("| ratio | value |")
    lines.append("|---|---:|")
    lines += ["| %s | %.2f |" % (label, value) for label, value in ratios]
    lines.append("")
    aims = [
        (
            "format-layer validate within 2x of raw Fernet decrypt (ratio >= 0.50)",
            validate_vs_raw >= 0.5,
        )
    ]
    if keystone is not None:
        aims += [
            ("format-layer validate >= Keystone as shipped", fmt_v >= ks[("keystone", "validate")]),
            ("format-layer validate >= Keystone keys loaded once", fmt_v >= ks[("keystone-keys", "validate")]),
        ]
    lines += ["aim: %s: %s" % (label, "met" if met else "NOT met") for label, met in aims]
    return lines


def json_records(ours: dict[str, Any], keystone: dict[tuple[str, str], dict[str, Any]] | None) -> list[dict[str, Any]]:
    records = []
    for name, value in ours["figures"].items():
        impl, op = name.split(":")
        records.append(
            {
                "bench": "stackling_identity",
                "impl": impl,
                "op": op,
                **value,
                "token_len": ours["token_len"],
                "payload_bytes": ours["payload_bytes"],
                "db": ours["db"],
            }
        )
    for record in (keystone or {}).values():
        records.append(record)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short loops (about 25 s in all); rougher figures")
    parser.add_argument("--runs", type=int, help="timed loops per Stackling case, median reported (default 7, quick 3)")
    parser.add_argument("--seconds", type=float, help="length of one timed loop (default 0.3, quick 0.15)")
    parser.add_argument("--keystone-count", type=int, help="Keystone ops per loop (default 10000, quick 3000)")
    parser.add_argument("--skip-keystone", action="store_true", help="Stackling only (no peers venv needed)")
    parser.add_argument("--db-url", help="a migrated-or-empty database to use instead of a temp SQLite file")
    parser.add_argument("--jsonl", type=Path, help="also write one JSON object per figure to this file")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    keystone_runs = 3 if args.quick else 5
    seconds = args.seconds or (0.15 if args.quick else 0.3)
    keystone_count = args.keystone_count or (3000 if args.quick else 10000)

    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    keystone = None
    if not args.skip_keystone:
        print(
            "identity bench: Keystone's formatter (peers venv, %d x %d ops)..." % (keystone_runs, keystone_count),
            file=sys.stderr,
        )
        keystone = keystone_figures(keystone_count, keystone_runs)
    print("identity bench: Stackling (%d runs of ~%.2f s per case)..." % (runs, seconds), file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="stackling-identity-bench-"))
    try:
        ours = stackling_figures(workdir, args.db_url, runs, seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(report(ours, keystone, started)))
    if args.jsonl:
        with args.jsonl.open("w", encoding="utf-8") as out:
            for record in json_records(ours, keystone):
                out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
