"""Boot Stackling's tiny guest image under QEMU TCG with a NoCloud config drive and DHCP.

Everything with an address lives in a network namespace this test creates
(stktest-img-<random>): the bridge, the tap, dnsmasq and QEMU itself. Teardown kills what it
started by pid and deletes the namespace, pass or fail.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.guest_image import config_line, make_config_drive, ready_line, tiny_image, user_data_output
from tests.support.netns import NetnsFactory, ping

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces, taps)"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="needs qemu-system-x86"),
    pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="needs dnsmasq-base"),
]

SUBNET = ipaddress.IPv4Network("192.0.2.0/24")   # only ever inside the test's own namespace
GATEWAY = "192.0.2.1"
RANGE = ("192.0.2.100", "192.0.2.199")
READY_TIMEOUT = 120.0
POWEROFF_TIMEOUT = 60.0
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd0ZXN0a2V5Zm9yc3RhY2tsaW5ndGlueWltYWdl stktest@stackling"


def _run(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError("%s failed (rc=%d): %s%s" % (" ".join(argv), proc.returncode, proc.stdout, proc.stderr))
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process this test started, by its pid: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Lan:
    netns: str
    workdir: Path
    bridge: str = "br0"
    tap: str = "tap0"
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, *argv: str, log: Path) -> subprocess.Popen[bytes]:
        # `ip netns exec` execs the command, so the Popen pid is the command's own pid
        with log.open("wb") as out:
            proc = subprocess.Popen(["ip", "netns", "exec", self.netns, *argv], stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc


@pytest.fixture()
def lan(tmp_path: Path, netns_factory: NetnsFactory) -> Iterator[Lan]:
    """A namespace with a bridge (the gateway address), a tap for QEMU and dnsmasq serving DHCP."""
    name = netns_factory("img")
    lan = Lan(netns=name, workdir=tmp_path)
    try:
        _run("ip", "-n", name, "link", "add", lan.bridge, "type", "bridge")
        _run("ip", "-n", name, "addr", "add", "%s/%d" % (GATEWAY, SUBNET.prefixlen), "dev", lan.bridge)
        _run("ip", "-n", name, "link", "set", lan.bridge, "up")
        _run("ip", "-n", name, "tuntap", "add", "dev", lan.tap, "mode", "tap")
        _run("ip", "-n", name, "link", "set", lan.tap, "master", lan.bridge)
        _run("ip", "-n", name, "link", "set", lan.tap, "up")
        dnsmasq = lan.spawn(
            "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root", "--group=root",
            "--interface=" + lan.bridge, "--bind-interfaces", "--except-interface=lo",
            "--dhcp-range=%s,%s,%s,10m" % (RANGE[0], RANGE[1], SUBNET.netmask),
            "--dhcp-option=option:router," + GATEWAY, "--dhcp-authoritative",
            "--dhcp-leasefile=%s" % (tmp_path / "dnsmasq.leases"),
            "--pid-file=%s" % (tmp_path / "dnsmasq.pid"), "--log-dhcp",
            log=tmp_path / "dnsmasq.log",
        )
        time.sleep(0.5)
        assert dnsmasq.poll() is None, "dnsmasq exited: %s" % (tmp_path / "dnsmasq.log").read_text()
        yield lan
    finally:
        for proc in reversed(lan.procs):
            _stop(proc)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _qmp(sock_path: Path, *commands: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(sock_path))
        reader = sock.makefile("r")
        reader.readline()                                  # the greeting
        for command in ("qmp_capabilities", *commands):
            sock.sendall(json.dumps({"execute": command}).encode() + b"\n")
            while True:                                    # skip events until the reply
                reply = json.loads(reader.readline())
                if "return" in reply or "error" in reply:
                    break
            assert "error" not in reply, reply


def _wait_ready(qemu: subprocess.Popen[bytes], console: Path, timeout: float) -> tuple[str, float]:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        text = console.read_text(errors="replace") if console.exists() else ""
        if ready_line(text) is not None:
            return text, time.monotonic() - start
        if qemu.poll() is not None:
            raise AssertionError("qemu exited (rc=%s) before the ready line:\n%s" % (qemu.returncode, text[-4000:]))
        time.sleep(0.5)
    raise AssertionError("no STACKLING-GUEST-READY line within %.0f s:\n%s" % (timeout, text[-4000:]))


@pytest.mark.parametrize("fmt,attach,config_disk,user_data_kind", [
    ("vfat", "virtio", "vdb", "script"),            # what the cloud attaches (like Nova's vfat drive)
    ("iso9660", "ide-cdrom", "sr0", "script"),      # a cdrom on the i440fx machine
    ("vfat", "virtio", "vdb", "cloud-config"),      # hostname + ssh_authorized_keys, network-config
])
def test_tiny_guest_boots_with_config_drive_and_dhcp(lan: Lan, fmt: str, attach: str, config_disk: str,
                                                     user_data_kind: str,
                                                     record_property: Callable[[str, object], None]) -> None:
    base = tiny_image()
    base_sum = _sha256(base)
    work = lan.workdir
    overlay = work / "overlay.qcow2"
    _run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base), str(overlay))

    hostname = "stktest-" + secrets.token_hex(3)
    token = secrets.token_hex(8)
    network_config = None
    if user_data_kind == "script":
        meta_hostname = hostname
        user_data = ("#!/bin/sh\necho \"user-data-token=%s\"\necho \"user-data-host=$(hostname)\"\n"
                     "touch /run/user-data-was-here\n" % token).encode()
    else:
        # cloud-config's hostname wins over meta-data's local-hostname, as with cloud-init
        meta_hostname = "stktest-meta"
        user_data = ("#cloud-config\nhostname: %s\nssh_authorized_keys:\n  - %s\n"
                     "  - \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNlY29uZGtleQ second@stackling\"\n"
                     "  - %s\nruncmd: []\n" % (hostname, SSH_KEY, SSH_KEY)).encode()
        network_config = b"version: 2\nethernets: {}\n"
    cidata = make_config_drive(work / ("cidata." + ("iso" if fmt == "iso9660" else "img")), fmt=fmt,
                               hostname=meta_hostname, instance_id="iid-" + token, ssh_keys=[SSH_KEY],
                               user_data=user_data, network_config=network_config)
    if attach == "virtio":
        cidata_args = ["-drive", "file=%s,if=virtio,format=raw,readonly=on" % cidata]
    else:
        cidata_args = ["-drive", "file=%s,if=ide,media=cdrom,format=raw,readonly=on" % cidata]

    mac = "52:54:00:%02x:%02x:%02x" % tuple(secrets.token_bytes(3))
    console = work / "console.log"
    qmp = work / "qmp.sock"
    qemu = lan.spawn(
        "qemu-system-x86_64", "-machine", "pc,accel=tcg", "-cpu", "qemu64", "-m", "256", "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
        "-serial", "file:%s" % console, "-qmp", "unix:%s,server=on,wait=off" % qmp,
        "-drive", "file=%s,if=none,id=root,format=qcow2" % overlay,
        "-device", "virtio-blk-pci,drive=root,bootindex=1",
        *cidata_args,
        "-netdev", "tap,id=net0,ifname=%s,script=no,downscript=no" % lan.tap,
        "-device", "virtio-net-pci,netdev=net0,mac=%s" % mac,
        log=work / "qemu.log",
    )

    text, waited = _wait_ready(qemu, console, READY_TIMEOUT)
    ready = ready_line(text)
    config = config_line(text)
    assert ready is not None and config is not None, text
    record_property("ready_after_s", round(waited, 1))
    record_property("guest_uptime_s", ready.get("uptime"))
    print("\nguest ready after %.1f s (guest uptime %s s): %s" % (waited, ready.get("uptime"), ready))
    print("\n".join(line for line in text.splitlines() if line.startswith("STACKLING-GUEST-DHCP")))

    # the config drive was found and applied before the ready line
    assert config["source"] != "none", text
    assert config["fs"] == fmt, config
    assert config["instance-id"] == "iid-" + token, config
    assert config["hostname"] == hostname, config
    assert ready["hostname"] == hostname, ready
    if user_data_kind == "script":
        assert config["ssh_keys"] == "1", config           # meta-data public-keys
        assert config["user_data"] == "script" and config["user_data_rc"] == "0", config
        assert config["network_config"] == "absent", config
        assert "user-data-token=%s" % token in user_data_output(text), text
        assert "user-data-host=%s" % hostname in user_data_output(text), text
    else:
        assert config["ssh_keys"] == "2", config           # public-keys + 2 ssh_authorized_keys, 1 repeated
        assert config["user_data"] == "cloud-config" and config["user_data_rc"] == "-", config
        assert config["network_config"] == "ignored", config
        assert user_data_output(text) == [], text

    # an address from dnsmasq's range, on the interface with our MAC
    assert ready["mac"] == mac, ready
    iface = ipaddress.IPv4Interface(ready["ip"])
    assert iface.network == SUBNET, ready
    assert ipaddress.IPv4Address(RANGE[0]) <= iface.ip <= ipaddress.IPv4Address(RANGE[1]), ready
    leases = (work / "dnsmasq.leases").read_text()
    assert str(iface.ip) in leases and mac in leases, leases

    disks = ready["disks"].split(",")
    assert "vda" in disks and config_disk in disks, ready

    # the guest answers ping, from inside the namespace
    assert ping(lan.netns, str(iface.ip), deadline=15), "guest %s did not answer ping within 15 s" % iface.ip

    # ACPI power button (what `virsh shutdown` sends): the guest powers off and QEMU exits.
    # Pressed again every 10 s, as a cloud does, in case a press came before acpid listened.
    deadline = time.monotonic() + POWEROFF_TIMEOUT
    while qemu.poll() is None and time.monotonic() < deadline:
        try:
            _qmp(qmp, "system_powerdown")
        except (OSError, ValueError):
            if qemu.poll() is None:                        # QEMU may just have exited
                raise
        try:
            qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    if qemu.poll() is None:
        raise AssertionError("guest did not power off:\n%s" % console.read_text(errors="replace")[-3000:])
    assert "STACKLING-GUEST-SHUTDOWN" in console.read_text(errors="replace")

    assert _sha256(base) == base_sum, "the base image changed"
