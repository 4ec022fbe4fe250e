"""stackling.cloud.dnsmasq_network with a real dnsmasq and a real DHCP client (busybox udhcpc),
each in a network namespace made by the test and joined by a veth pair."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.collection import run_module
from tests.support.netns import NetnsFactory, sh, veth

from ansible_collections.stackling.cloud.plugins.module_utils import _dnsmasq, _process
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

LEASE_SCRIPT = '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE ip=$ip router=$router dns=$dns domain=$domain"\nexit 0\n'


def dnsmasq_pid(state_dir: Path) -> int | None:
    """The pid of the dnsmasq serving from ``state_dir``, verified by its command line."""
    return _process.find_daemon(str(state_dir / "dnsmasq.pid"), "dnsmasq", "--conf-file=%s" % (state_dir / "dnsmasq.conf"))


@pytest.fixture()
def lan(tmp_path: Path, netns_factory: NetnsFactory) -> Iterator[dict[str, Any]]:
    """Server namespace (veth0 = 10.234.N.1/24) and client namespace (veth1, no address), and a network
    name whose state directory is the default one, /var/lib/stackling/dnsmasq/<name>.

    Afterwards: kills the dnsmasq of that state directory (by verified pid) and removes the directory;
    netns_factory then deletes both namespaces.
    """
    server, client = netns_factory("dhcp"), netns_factory("dhcp")
    net = "10.234.%d" % secrets.randbelow(250)
    network = "stktest-" + secrets.token_hex(4)
    state_dir = Path(_dnsmasq.DEFAULT_STATE_ROOT) / network
    try:
        veth(server, "veth0", client, "veth1", net + ".1/24")
        mac = json.loads(sh("ip", "-n", client, "-j", "link", "show", "dev", "veth1").stdout)[0]["address"]
        script = tmp_path / "lease.sh"
        script.write_text(LEASE_SCRIPT)
        script.chmod(0o755)
        yield {"server": server, "client": client, "net": net, "mac": mac, "name": network, "state_dir": state_dir,
               "script": script}
    finally:
        pid = dnsmasq_pid(state_dir)
        if pid:
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(state_dir, ignore_errors=True)


def params(lan: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    net = lan["net"]
    base = {
        "name": lan["name"], "netns": lan["server"], "interface": "veth0",
        "dhcp_range": {"start": net + ".100", "end": net + ".150", "prefix": 24, "lease_time": "1h"},
        "gateway": net + ".1", "dns_servers": [net + ".53"], "domain": "tenant.example",
    }
    return dict(base, **overrides)


def dhcp_lease(lan: dict[str, Any]) -> dict[str, str]:
    """Run busybox udhcpc once in the client namespace; the variables of the lease it got."""
    proc = sh("ip", "netns", "exec", lan["client"], "busybox", "udhcpc", "-i", "veth1", "-n", "-q", "-f",
              "-t", "8", "-T", "1", "-s", str(lan["script"]), check=False)
    match = re.search(r"^LEASE (.*)$", proc.stdout, re.MULTILINE)
    assert proc.returncode == 0 and match, "no lease:\n%s\n%s" % (proc.stdout, proc.stderr)
    return dict(item.split("=", 1) for item in match.group(1).split(" "))


def test_lease_reservation_by_sighup_rerun_and_range_change(lan: dict[str, Any]) -> None:
    started = run_module("dnsmasq_network", **params(lan))
    assert started["changed"] and started["running"] and not started["failed"], started
    pid = started["pid"]
    assert pid == dnsmasq_pid(lan["state_dir"])
    assert started["config_path"] == "/var/lib/stackling/dnsmasq/%s/dnsmasq.conf" % lan["name"]

    lease = dhcp_lease(lan)
    assert 100 <= int(lease["ip"].rsplit(".", 1)[1]) <= 150 and lease["ip"].startswith(lan["net"] + ".")
    assert lease["router"] == lan["net"] + ".1" and lease["dns"] == lan["net"] + ".53"
    assert lease["domain"] == "tenant.example"

    again = run_module("dnsmasq_network", **params(lan))
    assert not again["changed"] and again["pid"] == pid and again["actions"] == [], again

    reserved = lan["net"] + ".42"
    reservations = [{"mac": lan["mac"].upper(), "ip": reserved, "hostname": "client1"}]
    hup = run_module("dnsmasq_network", diff=True, **params(lan, reservations=reservations))
    assert hup["changed"] and hup["actions"] == ["write hosts", "reload"] and hup["pid"] == pid, hup
    assert hup["hosts"] == [{"mac": lan["mac"].lower(), "ip": reserved, "hostname": "client1"}]
    assert list(hup["diff"]["before"]) == ["reservations"] and hup["diff"]["after"]["reservations"] == hup["hosts"]
    assert dhcp_lease(lan)["ip"] == reserved
    assert dnsmasq_pid(lan["state_dir"]) == pid
    assert not run_module("dnsmasq_network", **params(lan, reservations=reservations))["changed"]

    wider = params(lan, reservations=reservations, dhcp_range={"start": lan["net"] + ".100", "end": lan["net"] + ".200",
                                                               "netmask": "255.255.255.0", "lease_time": "1h"})
    restarted = run_module("dnsmasq_network", diff=True, **wider)
    assert restarted["changed"] and restarted["actions"] == ["stop", "write config", "start"], restarted
    assert restarted["pid"] != pid and restarted["pid"] == dnsmasq_pid(lan["state_dir"])
    assert _process.cmdline(pid) is None
    assert list(restarted["diff"]["before"]) == ["dhcp_range"]
    assert "dhcp-range=%s.100,%s.200,255.255.255.0,1h" % (lan["net"], lan["net"]) in Path(restarted["config_path"]).read_text()
    assert dhcp_lease(lan)["ip"] == reserved


def test_run_killed_between_writing_hosts_and_sighup_reloads_next_time(lan: dict[str, Any]) -> None:
    pid = run_module("dnsmasq_network", **params(lan))["pid"]
    reserved = lan["net"] + ".43"
    # What a run killed right after writing the hosts file leaves: the new file and the marker, no SIGHUP.
    _dnsmasq.mark_reload_pending(str(lan["state_dir"]), str(lan["state_dir"] / "hosts.unloaded"), True)
    (lan["state_dir"] / "hosts").write_text(_dnsmasq.render_hosts([{"mac": lan["mac"], "ip": reserved, "hostname": None}]))

    reservations = [{"mac": lan["mac"], "ip": reserved}]
    resumed = run_module("dnsmasq_network", **params(lan, reservations=reservations))
    assert resumed["changed"] and resumed["actions"] == ["reload"] and resumed["pid"] == pid, resumed
    assert not (lan["state_dir"] / "hosts.unloaded").exists()
    assert dhcp_lease(lan)["ip"] == reserved
    assert not run_module("dnsmasq_network", **params(lan, reservations=reservations))["changed"]


def test_check_mode_starts_and_changes_nothing(lan: dict[str, Any]) -> None:
    planned = run_module("dnsmasq_network", check=True, diff=True, **params(lan))
    assert planned["changed"] and planned["actions"] == ["write config", "write hosts", "start"], planned
    assert planned["pid"] is None and not lan["state_dir"].exists()
    assert planned["diff"]["after"]["interface"] == "veth0"

    pid = run_module("dnsmasq_network", **params(lan))["pid"]
    config = Path(lan["state_dir"] / "dnsmasq.conf").read_text()
    changed = run_module("dnsmasq_network", check=True, **params(lan, gateway=lan["net"] + ".254",
                                                         reservations=[{"mac": lan["mac"], "ip": lan["net"] + ".7"}]))
    assert changed["changed"] and changed["actions"] == ["stop", "write config", "write hosts", "start"]
    assert {change["name"] for change in changed["changes"]} == {"gateway", "reservations"}
    assert changed["pid"] == pid == dnsmasq_pid(lan["state_dir"])
    assert Path(lan["state_dir"] / "dnsmasq.conf").read_text() == config


def test_absent_stops_dnsmasq_and_removes_its_files(lan: dict[str, Any]) -> None:
    pid = run_module("dnsmasq_network", **params(lan))["pid"]
    planned = run_module("dnsmasq_network", check=True, name=lan["name"], state="absent")
    assert planned["changed"] and dnsmasq_pid(lan["state_dir"]) == pid

    gone = run_module("dnsmasq_network", diff=True, name=lan["name"], state="absent")
    assert gone["changed"] and gone["actions"] == ["stop", "remove files"] and not gone["running"], gone
    assert gone["diff"]["after"] == {} and gone["diff"]["before"]["running"] is True
    assert _process.cmdline(pid) is None and not lan["state_dir"].exists()
    assert not run_module("dnsmasq_network", name=lan["name"], state="absent")["changed"]


def test_stale_pid_file_never_kills_another_process(lan: dict[str, Any]) -> None:
    lan["state_dir"].mkdir()
    (lan["state_dir"] / "dnsmasq.pid").write_text("%d\n" % os.getpid())
    started = run_module("dnsmasq_network", **params(lan))
    assert started["changed"] and started["pid"] != os.getpid() and "stop" not in started["actions"]
    gone = run_module("dnsmasq_network", name=lan["name"], state="absent")
    assert gone["changed"] and _process.cmdline(started["pid"]) is None


@pytest.mark.parametrize("overrides, message", [
    ({"dhcp_range": {"start": "NET.100", "end": "10.99.0.150", "prefix": 24}},
     "dhcp_range.end: 10.99.0.150 is outside the subnet NET.0/24"),
    ({"dhcp_range": {"start": "10.99.0.10", "end": "10.99.0.20", "prefix": 24}, "gateway": None},
     "dhcp_range: 10.99.0.10-10.99.0.20 is outside the subnets of interface veth0 (NET.0/24)"),
    ({"reservations": [{"mac": "52:54:00:00:00:01", "ip": "NET.5"}, {"mac": "52:54:00:00:00", "ip": "NET.6"}]},
     "reservations[1].mac: '52:54:00:00:00' is not a MAC address"),
    ({"reservations": [{"mac": "52:54:00:00:00:01", "ip": "10.99.0.5"}]},
     "reservations[0].ip: 10.99.0.5 is outside the subnet NET.0/24"),
    ({"netns": "stktest-missing"}, "netns: network namespace 'stktest-missing' does not exist"),
    ({"interface": "veth9"}, "interface: veth9 does not exist in network namespace"),
])
def test_bad_input_is_explained_and_starts_nothing(lan: dict[str, Any], overrides: dict[str, Any], message: str) -> None:
    text = json.dumps(overrides).replace("NET", lan["net"])
    result = run_module("dnsmasq_network", **params(lan, **json.loads(text)))
    assert result["failed"] and result["msg"].startswith(message.replace("NET", lan["net"])), result
    assert dnsmasq_pid(lan["state_dir"]) is None and not lan["state_dir"].exists()


# Normalisers, without a process.

def test_reservations_sorted_lowercased_and_unique() -> None:
    subnet = _dnsmasq.normalize_range({"start": "10.0.0.10", "end": "10.0.0.20", "prefix": 24})[1]
    items = _dnsmasq.normalize_reservations([{"mac": "52:54:00:00:00:0B", "ip": "10.0.0.3"},
                                             {"mac": "52:54:00:00:00:0a", "ip": "10.0.0.2", "hostname": "h"}], subnet)
    assert [item["mac"] for item in items] == ["52:54:00:00:00:0a", "52:54:00:00:00:0b"]
    assert _dnsmasq.parse_hosts(_dnsmasq.render_hosts(items)) == items
    with pytest.raises(InvalidInput, match=r"reservations\[1\].ip: 10.0.0.2 is already reserved by reservations\[0\]"):
        _dnsmasq.normalize_reservations([{"mac": "52:54:00:00:00:01", "ip": "10.0.0.2"},
                                         {"mac": "52:54:00:00:00:02", "ip": "10.0.0.2"}], subnet)


def test_config_round_trips() -> None:
    settings, _ = _dnsmasq.normalize_network({
        "interface": "tap0", "dhcp_range": {"start": "10.0.0.10", "end": "10.0.0.20", "netmask": "255.255.255.0"},
        "gateway": "10.0.0.1", "dns_servers": ["192.0.2.53", "192.0.2.54"], "domain": "Example.ORG.", "dns": False})
    parsed = _dnsmasq.parse_config(_dnsmasq.render_config("n", settings))
    assert dict(parsed, interface="tap0") == settings
    assert settings["dhcp_range"]["lease_time"] == "12h" and settings["domain"] == "example.org"


def test_state_dir_dnsmasq_cannot_reach_is_refused(lan: dict[str, Any], tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    result = run_module("dnsmasq_network", **params(lan, state_dir=str(private / "state")))
    assert result["failed"] and result["msg"].startswith("state_dir: %s is not searchable by others" % private), result
    assert not (private / "state").exists()
