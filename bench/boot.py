#!/usr/bin/env python3
"""Time server boots on this machine, beside the floor libvirt alone gives (issue 7).

In one run, in this order:
  floor      libvirt define+start of a plain domain (libvirt-python, qemu:///system, the libvirt rig):
             a qcow2 overlay of the tiny guest image, a NoCloud config drive and one NIC, the flavor's
             1 vCPU and 128 MB, the XML the libvirt_domain module would write for it; the NIC is on a
             libvirt network of its own whose dnsmasq has a static host entry for the guest's MAC (as
             the cloud's dnsmasq has a reservation). Seconds from define to running, to the guest's
             DHCP lease (libvirt's lease list) and to its STACKLING-GUEST-READY console line.
  floor xN   the same for N domains defined and started together (one thread and connection each).
  one        the ``server`` module (state present, tenant auth, flavor 1 vCPU/128 MB, the tiny
             image, one tenant network) run as Ansible runs it: seconds from its start to the lease of
             its port's MAC in the network's dnsmasq lease file, to its return, and to READY.
  xN         N ``server`` module processes started together (like N AWX forks) on one network:
             seconds until all N leases, until all N modules returned, and until all N READY.
The controller is a real one in a temporary directory (tests/functional/cloud_support.py
``make_server_rig``) whose conductor runs the collection's node playbooks on this machine
(``compute1``: the compute and network host, guests in the libvirt rig's namespace). Every lease
is checked against the port's fixed IP. Servers are deleted through the service between phases
and at the end; the networks, files and namespaces go too (also on failure, unless --keep).

A table goes to stderr and one JSON line to stdout. Run it through ``bench/boot`` (as root).
Not part of the test suite: no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "library" / "src"), str(REPO)]

import libvirt  # type: ignore[import-untyped]  # noqa: E402  # libvirt-python ships no type hints

from tests.functional.cloud_support import ServerRig, make_server_rig, remove_server_rig  # noqa: E402
from tests.functional.domain_support import destroy_domain, destroy_network, qemu_workdir  # noqa: E402
from tests.support.collection import COLLECTIONS_ROOT, ensure_collection_link, start_module  # noqa: E402
from tests.support.guest_image import make_config_drive, ready_line, tiny_image  # noqa: E402
from tests.support.rig import rig as tools_rig  # noqa: E402

URI = "qemu:///system"
PREFIX = "stkbench-"
VCPUS, RAM_MB = 1, 128  # the flavor make_server_rig creates
POLL = 0.1  # seconds between looks at the lease files and consoles
LEASE_TIMEOUT = 600.0  # seconds a phase may take from its start to its last lease
READY_GRACE = 60.0  # seconds to wait for READY lines once the leases are in


def module_utils(name: str) -> Any:
    """A module_utils module of the collection (this checkout), untyped."""
    ensure_collection_link()
    if str(COLLECTIONS_ROOT) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS_ROOT))
    return importlib.import_module("ansible_collections.stackling.cloud.plugins.module_utils." + name)


def log(message: str) -> None:
    print("boot bench: " + message, file=sys.stderr, flush=True)


@dataclass
class Boot:
    """One guest's boot: monotonic times, and what its lease and console said."""

    label: str
    started: float
    mac: str = ""
    expected_ip: str = ""  # the address it should get (the reservation / the port's fixed IP)
    server_id: str = ""
    console: Path | None = None
    defined: float | None = None  # floor: define returned
    running: float | None = None  # floor: start returned (define+start)
    returned: float | None = None  # server: the module process ended
    leased: float | None = None
    lease_ip: str = ""
    ready: float | None = None
    ready_ip: str = ""
    ready_uptime: float | None = None  # the guest kernel's uptime in its READY line
    error: str = ""

    def since(self, moment: float | None, origin: float | None = None) -> float | None:
        return None if moment is None else moment - (self.started if origin is None else origin)


@dataclass
class Phase:
    name: str
    boots: list[Boot]
    origin: float  # when the phase's first guest was started
    notes: list[str] = field(default_factory=list)

    def last(self, attr: str) -> float | None:
        """Seconds from the phase's start until every guest reached ``attr`` (None if one did not)."""
        moments: list[float | None] = [getattr(b, attr) for b in self.boots]
        reached = [m for m in moments if m is not None]
        if not moments or len(reached) < len(moments):
            return None
        return max(reached) - self.origin

    def each(self, attr: str) -> list[float]:
        return [getattr(b, attr) - b.started for b in self.boots if getattr(b, attr) is not None]

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": len(self.boots)}
        for attr in ("defined", "running", "returned", "leased", "ready"):
            values = self.each(attr)
            if values:
                out["all_%s_s" % attr] = rnd(self.last(attr))
                out["median_%s_s" % attr] = rnd(statistics.median(values))
        uptimes = [b.ready_uptime for b in self.boots if b.ready_uptime is not None]
        if uptimes:  # the guest's own share: kernel start to READY
            out["median_guest_uptime_at_ready_s"] = rnd(statistics.median(uptimes))
            out["max_guest_uptime_at_ready_s"] = rnd(max(uptimes))
        out["failed"] = [{"label": b.label, "server": b.server_id, "error": b.error} for b in self.boots if b.error]
        wrong = [b for b in self.boots if b.lease_ip and b.expected_ip and b.lease_ip != b.expected_ip]
        out["wrong_lease"] = [{"label": b.label, "lease": b.lease_ip, "expected": b.expected_ip} for b in wrong]
        if self.notes:
            out["notes"] = self.notes
        return out


def rnd(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def random_mac() -> str:
    return "52:54:00:%02x:%02x:%02x" % tuple(secrets.randbelow(256) for _ in range(3))


def watch_consoles(boots: Sequence[Boot], now: float) -> None:
    for boot in boots:
        if boot.ready is None and boot.console is not None and boot.console.exists():
            found = ready_line(boot.console.read_text(errors="replace"))
            if found:
                boot.ready, boot.ready_ip = now, found.get("ip", "").split("/")[0]
                try:
                    boot.ready_uptime = float(found.get("uptime", ""))
                except ValueError:
                    pass


def wait_until(done: Callable[[], bool], step: Callable[[float], None], deadline: float) -> bool:
    while True:
        step(time.monotonic())
        if done():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


# --- the floor: plain libvirt domains ------------------------------------------------------------


@dataclass
class Floor:
    """What the floor's runs made: libvirt networks with DHCP, domains, and their directories."""

    conn: Any
    networks: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    workdirs: list[Path] = field(default_factory=list)

    def remove(self) -> None:
        for name in self.domains:
            destroy_domain(self.conn, name)
        for name in self.networks:
            destroy_network(self.conn, name)
        for path in self.workdirs:
            shutil.rmtree(path, ignore_errors=True)
        self.domains.clear()
        self.networks.clear()
        self.workdirs.clear()


def floor_network_xml(name: str, bridge: str, third: int, hosts: Sequence[tuple[str, str, str]]) -> str:
    """An isolated libvirt network on 10.236.<third>.0/24 (it lives in the rig's namespace) whose
    dnsmasq hands out only ``hosts`` (mac, ip, name): libvirt's version of the cloud's DHCP."""
    import xml.etree.ElementTree as ET

    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "bridge", name=bridge, stp="off")
    ip = ET.SubElement(root, "ip", address="10.236.%d.1" % third, prefix="24")
    dhcp = ET.SubElement(ip, "dhcp")
    ET.SubElement(dhcp, "range", start="10.236.%d.100" % third, end="10.236.%d.200" % third)
    for mac, address, host in hosts:
        ET.SubElement(dhcp, "host", mac=mac, ip=address, name=host)
    return ET.tostring(root, encoding="unicode")


def floor_domain_xml(name: str, disk: Path, drive: Path, bridge: str, mac: str, console: Path) -> str:
    """What the libvirt_domain module would define for a server of the flavor (server_boot.yml's
    options), minus the metadata: the module_utils that build its XML are called directly."""
    spec_of = module_utils("_libvirt_domain")
    params = {"virt_type": "qemu", "vcpus": VCPUS, "memory_mb": RAM_MB,
              "disks": [{"file": str(disk), "format": "qcow2"}, {"file": str(drive), "format": "raw", "readonly": True}],
              "interfaces": [{"bridge": bridge, "mac": mac}], "console_log": str(console)}  # fmt: skip
    xml: str = module_utils("_libvirt_domain_xml").build_domain(
        name, spec_of.creation_defaults(spec_of.desired_spec(params))
    )
    return xml


def run_floor(floor: Floor, count: int, label: str) -> Phase:
    """Define and start ``count`` plain domains together; wait for their leases and READY lines."""
    token = secrets.token_hex(3)
    third = 1 + secrets.randbelow(250)
    bridge = "stkbf" + token
    boots = [Boot("%s-%d" % (label, i), 0.0, mac=random_mac(), expected_ip="10.236.%d.%d" % (third, 10 + i))
             for i in range(count)]  # fmt: skip
    network = PREFIX + "floor-" + token
    floor.networks.append(network)
    net = floor.conn.networkDefineXML(floor_network_xml(network, bridge, third,
                                                        [(b.mac, b.expected_ip, b.label) for b in boots]))  # fmt: skip
    net.create()
    workdir = qemu_workdir()  # where QEMU may open the files (not pytest's tmp dirs)
    floor.workdirs.append(workdir)
    xmls = []
    for i, boot in enumerate(boots):
        name = "%sfloor-%s-%d" % (PREFIX, token, i)
        disk, drive = workdir / ("%s.qcow2" % name), workdir / ("%s-config.img" % name)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(tiny_image()), str(disk)],
                       check=True, timeout=60)  # fmt: skip
        make_config_drive(drive, hostname=boot.label, instance_id=name)
        boot.console = workdir / ("%s-console.log" % name)
        xmls.append((name, floor_domain_xml(name, disk, drive, bridge, boot.mac, boot.console)))
        floor.domains.append(name)
    conns = [libvirt.open(URI) for _ in boots]
    gate = threading.Barrier(len(boots))

    def define_and_start(i: int) -> None:
        boot, (name, xml) = boots[i], xmls[i]
        gate.wait()
        boot.started = time.monotonic()
        try:
            dom = conns[i].defineXML(xml)
            boot.defined = time.monotonic()
            dom.create()
            boot.running = time.monotonic()
        except libvirt.libvirtError as exc:
            boot.error = str(exc)

    threads = [threading.Thread(target=define_and_start, args=(i,)) for i in range(len(boots))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for conn in conns:
        conn.close()
    origin = min(b.started for b in boots)
    phase = Phase(label, boots, origin)

    def step(now: float) -> None:
        for lease in net.DHCPLeases():
            for boot in boots:
                if boot.leased is None and lease["mac"].lower() == boot.mac:
                    boot.leased, boot.lease_ip = now, lease["ipaddr"]
        watch_consoles(boots, now)

    pending = [b for b in boots if not b.error]
    if not wait_until(lambda: all(b.leased is not None for b in pending), step, origin + LEASE_TIMEOUT):
        phase.notes.append("not every floor guest leased within %d s" % LEASE_TIMEOUT)
    wait_until(lambda: all(b.ready is not None for b in pending), step, time.monotonic() + READY_GRACE)
    for boot in boots:
        if not boot.error and boot.leased is None:
            boot.error = "no DHCP lease"
    return phase


# --- servers through the server module ------------------------------------------------------------


def lease_file(network_id: str) -> Path:
    """The network's dnsmasq lease file: dnsmasq_network's state directory for dhcp_network.yml's
    ``dhcp-<network id[:24]>``."""
    root = module_utils("_dnsmasq").DEFAULT_STATE_ROOT
    return Path(root) / ("dhcp-" + network_id[:24]) / "leases"


def read_leases(path: Path) -> dict[str, str]:
    """MAC -> IP from a dnsmasq lease file (``expiry mac ip hostname client-id`` lines)."""
    try:
        text = path.read_text()
    except (FileNotFoundError, PermissionError):
        return {}
    leases = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            leases[fields[1].lower()] = fields[2]
    return leases


@dataclass
class Run:
    boot: Boot
    proc: subprocess.Popen[str]
    result: dict[str, Any] = field(default_factory=dict)


def run_servers(rig: ServerRig, count: int, label: str, running: list[Run]) -> Phase:
    """Start ``count`` server modules together; wait for them, their leases and READY lines."""
    c = rig.controller
    params: dict[str, Any] = {"config": str(rig.config), "auth": rig.auth(), "state": "present", "flavor": rig.flavor,
                              "image": rig.image, "networks": [rig.network]}  # fmt: skip
    leases_path = lease_file(rig.network)
    first_seen: dict[str, tuple[float, str]] = {}
    args = [rig.directory / ("%s-%d.json" % (label, i)) for i in range(count)]
    runs: list[Run] = []
    for i in range(count):
        boot = Boot("%s-%d" % (label, i), time.monotonic())
        runs.append(Run(boot, start_module("server", args[i], name=boot.label, **params)))
        running.append(runs[-1])
    origin = runs[0].boot.started
    phase = Phase(label, [r.boot for r in runs], origin)

    def wait_for(run: Run) -> None:
        out, err = run.proc.communicate()
        run.boot.returned = time.monotonic()
        try:
            run.result = json.loads(out)
        except json.JSONDecodeError:
            run.result = {
                "failed": True,
                "msg": "no JSON (rc=%s): %s %s" % (run.proc.returncode, out[-500:], err[-2000:]),
            }
        if run.result.get("failed"):
            run.boot.error = str(run.result.get("msg") or run.result)

    waiters = [threading.Thread(target=wait_for, args=(run,)) for run in runs]
    for waiter in waiters:
        waiter.start()
    next_lookup = 0.0

    def step(now: float) -> None:
        nonlocal next_lookup
        for mac, ip in read_leases(leases_path).items():
            first_seen.setdefault(mac, (now, ip))
        boots = [r.boot for r in runs]
        if now >= next_lookup and any(not b.mac for b in boots):
            next_lookup = now + 1.0
            lookup_ports(rig, boots)
        for boot in boots:
            if boot.mac and boot.leased is None and boot.mac in first_seen:
                boot.leased, boot.lease_ip = first_seen[boot.mac]
        watch_consoles(boots, now)

    def settled() -> bool:  # every module returned; every one that did not fail leased
        return all(r.boot.returned is not None for r in runs) and all(
            r.boot.leased is not None for r in runs if not r.boot.error
        )

    if not wait_until(settled, step, origin + LEASE_TIMEOUT):
        phase.notes.append("not every server returned and leased within %d s" % LEASE_TIMEOUT)
    wait_until(lambda: all(r.boot.ready is not None for r in runs if not r.boot.error), step,
               time.monotonic() + READY_GRACE)  # fmt: skip
    lookup_ports(rig, [r.boot for r in runs])
    for run in runs:
        boot = run.boot
        if not boot.error and boot.leased is None:
            boot.error = "ACTIVE but no DHCP lease for %s" % (boot.mac or "its port")
        if boot.server_id and boot.error:
            phase.notes.append("%s (%s): %s" % (boot.label, boot.server_id, describe_failure(c, rig, boot.server_id)))
    for waiter in waiters:
        waiter.join(timeout=5)
    return phase


def lookup_ports(rig: ServerRig, boots: Sequence[Boot]) -> None:
    """Fill in each boot's server id, port MAC, fixed IP and console file (once its server exists)."""
    c = rig.controller
    ids = {s.name: s.id for s in c.servers.list(rig.alice)}
    ports = {p.device_id: p for p in c.networking.ports.list(rig.alice, network=rig.network)}
    for boot in boots:
        boot.server_id = ids.get(boot.label, boot.server_id)
        port = ports.get(boot.server_id)
        if port is not None:
            boot.mac = port.mac_address.lower()
            boot.expected_ip = port.fixed_ips[0].ip_address if port.fixed_ips else ""
            boot.console = rig.instances / ("%s-console.log" % boot.server_id)


def describe_failure(c: Any, rig: ServerRig, server_id: str) -> str:
    """The server's status and fault, and its failed steps, as a cloud admin sees them."""
    try:
        server = c.servers.get(rig.admin, server_id)
        failed = ["%s %s on %s: %s" % (a.action, a.step, a.host, a.message.strip()[:400])
                  for a in c.servers.actions(rig.admin, server_id) if a.status == "failed"]  # fmt: skip
        return "%s %s %s" % (server.status, server.fault[:600], " | ".join(failed))
    except Exception as exc:  # noqa: BLE001  (a report, not the measurement)
        return "(could not read it: %s)" % exc


def stop_modules(running: list[Run]) -> None:
    """Kill the module processes still running (each with its ansible-runner: its own session)."""
    for run in running:
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait(timeout=60)
    running.clear()


def delete_servers(rig: ServerRig, running: list[Run]) -> float:
    """Stop module processes still running, then delete every server through the service; seconds taken."""
    stop_modules(running)
    started = time.monotonic()
    for server in rig.controller.servers.list(rig.alice):
        rig.controller.servers.delete(rig.alice, server.id)
    return time.monotonic() - started


# --- the run ----------------------------------------------------------------------------------------


@contextmanager
def libvirt_rig(keep: bool) -> Iterator[None]:
    """The libvirt rig (tools/rig), started here if it is not running, and then stopped again unless
    ``keep`` or STACKLING_KEEP_RIG."""
    started = False
    if tools_rig("status").returncode != 0:
        proc = tools_rig("start")
        if proc.returncode != 0:
            raise SystemExit("boot bench: cannot start the libvirt rig: %s%s" % (proc.stdout, proc.stderr))
        started = True
    try:
        yield
    finally:
        if started and not keep and not os.environ.get("STACKLING_KEEP_RIG"):
            tools_rig("stop")


RIG_PID = Path(os.environ.get("STACKLING_RIG_RUNDIR", "/run/stackling-rig")) / "libvirtd.pid"


def dev_kvm_of(pid: int | None) -> str | None:
    """What is mounted on /dev/kvm in the mount namespace of process ``pid`` (tools/rig hides the device
    from libvirtd that way): the mount's source path, or None (nothing mounted there, or no process)."""
    if pid is None:
        return None
    try:
        lines = Path("/proc/%d/mountinfo" % pid).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 4 and fields[4] == "/dev/kvm":
            return fields[3]
    return None


def machine_state() -> dict[str, Any]:
    """The load, the domains of others running on the rig, and the rig's libvirtd pid (another session
    restarting the rig meanwhile would show as a new pid)."""
    state: dict[str, Any] = {"load": [round(x, 2) for x in os.getloadavg()], "other_running_domains": None}
    try:
        state["rig_libvirtd_pid"] = int(RIG_PID.read_text().strip())
    except (OSError, ValueError):
        state["rig_libvirtd_pid"] = None
    state["rig_dev_kvm"] = dev_kvm_of(state["rig_libvirtd_pid"])
    try:
        conn = libvirt.open(URI)
        try:
            running = [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
            state["other_running_domains"] = len([name for name in running if not name.startswith(PREFIX)])
        finally:
            conn.close()
    except libvirt.libvirtError as exc:
        state["libvirt_error"] = str(exc)
    return state


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--parallel", type=int, default=10, metavar="N", help="servers booted together (default 10)")
    parser.add_argument("--keep", action="store_true", help="leave the servers, networks, domains and files")
    args = parser.parse_args(argv)
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")
    if os.geteuid() != 0:
        raise SystemExit("boot bench: run me as root (libvirt rig, network namespaces)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl-C
    n = args.parallel
    when = datetime.now(timezone.utc)
    tiny_image()  # built (or found cached) before anything is timed
    phases: dict[str, Phase] = {}
    deleted: dict[str, float] = {}
    failure: BaseException | None = None
    with libvirt_rig(args.keep):
        before = machine_state()
        log("load %s, %s other running domain(s) on the rig" % (before["load"], before["other_running_domains"]))
        directory = Path(tempfile.mkdtemp(prefix=PREFIX + "boot-"))
        conn = libvirt.open(URI)
        floor = Floor(conn)
        rig: ServerRig | None = None
        running: list[Run] = []
        try:
            log("floor: one plain domain")
            phases["floor"] = run_floor(floor, 1, "floor")
            if not args.keep:
                floor.remove()
            log("floor: %d plain domains together" % n)
            phases["floor_parallel"] = run_floor(floor, n, "floorx%d" % n)
            if not args.keep:
                floor.remove()
            log("controller and tenant (not timed)")
            inventory = {
                "VCPU": {"total": max(16, n), "allocation_ratio": 4.0},
                "MEMORY_MB": {"total": max(8192, 2 * RAM_MB * n)},
                "DISK_GB": {"total": max(100, 2 * n)},
            }
            rig = make_server_rig(directory, inventory, prefix=PREFIX)
            assert rig.alice.project_id is not None
            rig.controller.quotas.set_limits(rig.admin, rig.alice.project_id,
                                             {"instances": -1, "cores": -1, "ram_mb": -1})  # fmt: skip
            log("one server (server module)")
            phases["one"] = run_servers(rig, 1, "one", running)
            deleted["one"] = delete_servers(rig, running)
            log("%d servers together (%d server modules)" % (n, n))
            phases["parallel"] = run_servers(rig, n, "par", running)
            if not args.keep:
                log("deleting the servers")
                deleted["parallel"] = delete_servers(rig, running)
        except BaseException as exc:  # report what was measured, clean up, then fail
            failure = exc
        after = machine_state()
        if after["rig_libvirtd_pid"] != before["rig_libvirtd_pid"]:
            log("the libvirt rig's libvirtd changed (pid %s -> %s): another session restarted the rig during the "
                "run, the figures are not valid" % (before["rig_libvirtd_pid"], after["rig_libvirtd_pid"]))  # fmt: skip
        if args.keep:
            log("--keep: left the floor's %s and %s, the controller in %s (config %s, instances %s)"
                % (", ".join(floor.networks) or "-", ", ".join(floor.domains) or "-", directory,
                   rig.config if rig else "-", rig.instances if rig else "-"))  # fmt: skip
        else:
            log("cleaning up")
            cleaned = True
            try:
                stop_modules(running)
                if rig is not None:
                    remove_server_rig(rig)  # deletes the servers left through the service
            except Exception as exc:  # noqa: BLE001  (the rest of the clean-up still runs)
                cleaned = False
                log("clean-up failed: %s" % exc)
                failure = failure or exc
            finally:
                floor.remove()
                conn.close()
            if cleaned:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                log("kept the controller in %s (config %s) to delete what is left" % (directory, rig and rig.config))
    report(phases, deleted, n, when, before, after)
    if failure is not None:
        raise failure
    bad = any(p.record()["failed"] or p.record()["wrong_lease"] for p in phases.values())
    return 1 if bad else 0


def report(phases: dict[str, Phase], deleted: dict[str, float], n: int, when: datetime, before: dict[str, Any],
           after: dict[str, Any]) -> None:  # fmt: skip
    records = {name: phase.record() for name, phase in phases.items()}
    floor, floor_n, one, par = (records.get(k, {}) for k in ("floor", "floor_parallel", "one", "parallel"))

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else round(a / b, 1)

    ratios = {
        "one_lease_over_floor_lease": ratio(one.get("all_leased_s"), floor.get("all_leased_s")),
        "parallel_lease_over_floor_lease": ratio(par.get("all_leased_s"), floor.get("all_leased_s")),
        "parallel_lease_over_floor_parallel_lease": ratio(par.get("all_leased_s"), floor_n.get("all_leased_s")),
        "one_lease_over_floor_define_start": ratio(one.get("all_leased_s"), floor.get("all_running_s")),
        "parallel_lease_over_floor_define_start": ratio(par.get("all_leased_s"), floor.get("all_running_s")),
    }
    cols = ("defined", "running", "returned", "leased", "ready")

    def cells(record: dict[str, Any], which: str) -> list[Any]:
        return [record.get("%s_%s_s" % (which, col)) for col in cols]

    rows = [
        ("floor: 1 plain domain", cells(floor, "all")),
        ("floor: %d plain domains together (all)" % n, cells(floor_n, "all")),
        ("floor: %d plain domains together (median)" % n, cells(floor_n, "median")),
        ("one server (server module)", cells(one, "all")),
        ("%d servers together (all)" % n, cells(par, "all")),
        ("%d servers together (median)" % n, cells(par, "median")),
    ]
    out = sys.stderr
    print("\nboot bench, %s UTC, load %s -> %s, other running domains %s -> %s" % (
        when.strftime("%Y-%m-%d %H:%M"), before["load"], after["load"], before["other_running_domains"],
        after["other_running_domains"]), file=out)  # fmt: skip
    print("%-44s %9s %9s %9s %10s %9s" % ("seconds from start", "defined", "running", "returned", "DHCP lease", "READY"),
          file=out)  # fmt: skip
    for label, values in rows:
        print("%-44s %9s %9s %9s %10s %9s" % (label, *("-" if v is None else v for v in values)), file=out)
    for name, record in records.items():
        if "median_guest_uptime_at_ready_s" in record:
            print("%-44s guest kernel uptime at READY: median %s s, max %s s" % (
                name, record["median_guest_uptime_at_ready_s"], record["max_guest_uptime_at_ready_s"]), file=out)  # fmt: skip
    for key, value in ratios.items():
        print("%-52s %s" % (key.replace("_", " "), "-" if value is None else "%sx" % value), file=out)
    for name, record in records.items():
        for problem in record.get("failed", []) + record.get("wrong_lease", []):
            print("PROBLEM %s: %s" % (name, problem), file=out)
        for note in record.get("notes", []):
            print("NOTE %s: %s" % (name, note), file=out)
    if before.get("rig_dev_kvm") == "/null":
        print("NOTE: the rig's libvirtd has /dev/null on /dev/kvm (tools/rig before fcef7f4): it re-probes QEMU on "
              "every define (the 'defined' column, and inside each server's build); restart the rig to drop that",
              file=out)  # fmt: skip
    if deleted:
        print("deleting (through the service, one by one): %s" % ", ".join(
            "%s %.1f s" % (k, v) for k, v in deleted.items()), file=out)  # fmt: skip
    line = {"bench": "stackling_boot", "date": when.isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "before": before, "after": after, "phases": records, "ratios": ratios,
            "delete_s": {k: round(v, 1) for k, v in deleted.items()}}  # fmt: skip
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    sys.exit(main())
