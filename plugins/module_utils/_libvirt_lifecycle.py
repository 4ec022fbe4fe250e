# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run state of a libvirt domain: read it, plan the steps to another one, and carry them out.

``plan()`` is pure, so check mode reports exactly the steps a real run takes. The steps whose
outcome is only known at run time are ``shutdown``, a graceful ACPI shutdown that falls back to
``destroy`` (power off) when the guest ignores ACPI for ``shutdown_timeout`` seconds, and
``reboot``, an ACPI reboot that falls back to ``reset`` (the reset button) the same way.
"""

from __future__ import annotations

import time

from ansible_collections.stackling.cloud.plugins.module_utils import _libvirt
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import call

# virDomainState values -> the names the modules use (and accept as ``state``).
_STATE_NAMES = {
    0: "running",      # VIR_DOMAIN_NOSTATE
    1: "running",      # VIR_DOMAIN_RUNNING
    2: "running",      # VIR_DOMAIN_BLOCKED (running, waiting on a resource)
    3: "paused",       # VIR_DOMAIN_PAUSED
    4: "running",      # VIR_DOMAIN_SHUTDOWN (being shut down, still running)
    5: "shutdown",     # VIR_DOMAIN_SHUTOFF
    6: "crashed",      # VIR_DOMAIN_CRASHED (kept around by on_crash=preserve)
    7: "pmsuspended",  # VIR_DOMAIN_PMSUSPENDED
}
RUN_STATES = ("running", "paused", "shutdown")

_PLANS = {
    ("shutdown", "running"): ["start"],
    ("shutdown", "paused"): ["start_paused"],
    ("running", "shutdown"): ["shutdown"],
    ("running", "paused"): ["pause"],
    ("paused", "running"): ["resume"],
    ("paused", "shutdown"): ["resume", "shutdown"],  # a paused guest cannot react to ACPI
    ("crashed", "running"): ["destroy", "start"],
    ("crashed", "shutdown"): ["destroy"],
    ("crashed", "paused"): ["destroy", "start_paused"],
    ("pmsuspended", "running"): ["wakeup"],
    ("pmsuspended", "shutdown"): ["destroy"],
    ("pmsuspended", "paused"): ["wakeup", "pause"],
}

_UNDEFINE_FLAGS = 1 | 2 | 4 | 16  # MANAGED_SAVE | SNAPSHOTS_METADATA | NVRAM | CHECKPOINTS_METADATA


def state_name(dom):
    """``running``, ``paused``, ``shutdown``, ``crashed`` or ``pmsuspended``."""
    state = call("reading the state of domain %s" % dom.name(), dom.state)[0]
    return _STATE_NAMES.get(state, "running")


def plan(current, desired):
    """Steps from run state ``current`` to ``desired`` (None or ``present``: stay as it is)."""
    if desired is None or desired == "present" or desired == current:
        return []
    return list(_PLANS.get((current, desired), []))


def plan_restart(current, desired):
    """Steps to stop the domain and bring it back to ``desired`` (its current state if None)."""
    target = current if desired in (None, "present") else desired
    return plan(current, "shutdown") + plan("shutdown", target)


def is_active(dom):
    return bool(call("checking whether domain %s runs" % dom.name(), dom.isActive))


def shutdown(dom, timeout):
    """ACPI shutdown, waiting up to ``timeout`` seconds, then destroy. Returns True when it had to force."""
    if timeout > 0 and is_active(dom):
        call("asking domain %s to shut down" % dom.name(), dom.shutdown)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not is_active(dom):
                return False
            time.sleep(0.5)
    if is_active(dom):
        call("powering off domain %s" % dom.name(), dom.destroy)
        return True
    return False


def plan_reboot(current, reboot_type):
    """Steps that leave the domain freshly booted and running: a shut off (or crashed) one is started,
    a running one rebooted (``soft``: ACPI, ``hard``: reset), a paused or suspended one woken first."""
    steps = plan(current, "running")
    if "start" in steps:
        return steps
    return steps + ["reboot" if reboot_type == "soft" else "reset"]


def reboot(dom, timeout):
    """ACPI reboot, waiting up to ``timeout`` seconds for the guest to reset itself, then a reset.
    Returns True when it had to force. libvirt reports the guest's reset as a REBOOT event, so the
    connection must have been opened with events (``_libvirt.connect(uri, events=True)``)."""
    name = dom.name()
    if timeout > 0:
        seen = []
        conn = dom.connect()
        callback = call("watching domain %s" % name, conn.domainEventRegisterAny, dom,
                        _libvirt.libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, lambda *args: seen.append(True), None)
        timer = _libvirt.libvirt.virEventAddTimeout(250, lambda *args: None, None)  # wakes the loop below
        try:
            call("asking domain %s to reboot" % name, dom.reboot, _libvirt.libvirt.VIR_DOMAIN_REBOOT_ACPI_POWER_BTN)
            deadline = time.monotonic() + timeout
            while not seen and time.monotonic() < deadline:
                _libvirt.libvirt.virEventRunDefaultImpl()
        finally:
            _libvirt.libvirt.virEventRemoveTimeout(timer)
            call("no longer watching domain %s" % name, conn.domainEventDeregisterAny, callback)
        if seen:
            return False
    call("resetting domain %s" % name, dom.reset, 0)
    return True


def _start_paused(dom):
    call("starting domain %s paused" % dom.name(), dom.createWithFlags, _libvirt.libvirt.VIR_DOMAIN_START_PAUSED)


_STEPS = {
    "start": lambda dom: call("starting domain %s" % dom.name(), dom.create),
    "start_paused": _start_paused,
    "pause": lambda dom: call("pausing domain %s" % dom.name(), dom.suspend),
    "resume": lambda dom: call("resuming domain %s" % dom.name(), dom.resume),
    "wakeup": lambda dom: call("waking domain %s up" % dom.name(), dom.pMWakeup, 0),
    "destroy": lambda dom: call("powering off domain %s" % dom.name(), dom.destroy),
    "reset": lambda dom: call("resetting domain %s" % dom.name(), dom.reset, 0),
}


def execute(dom, steps, shutdown_timeout):
    """Carry out ``steps`` in order; returns the steps taken (``shutdown`` may add ``destroy``, ``reboot``
    may add ``reset``)."""
    taken = []
    for step in steps:
        if step == "shutdown":
            forced = shutdown(dom, shutdown_timeout)
            taken.extend(["shutdown", "destroy"] if forced else ["shutdown"])
        elif step == "reboot":
            forced = reboot(dom, shutdown_timeout)
            taken.extend(["reboot", "reset"] if forced else ["reboot"])
        else:
            _STEPS[step](dom)
            taken.append(step)
    return taken


def undefine(dom):
    """Power the domain off if it runs and remove its definition (its disk files stay)."""
    if is_active(dom):
        call("powering off domain %s" % dom.name(), dom.destroy)
    call("undefining domain %s" % dom.name(), dom.undefineFlags, _UNDEFINE_FLAGS)
