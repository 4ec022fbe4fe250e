# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one gateway to tgt (the userspace iSCSI target) shared by the iSCSI modules.

All calls go through ``tgtadm -C <control_port> --lld iscsi``; tgtadm has no machine-readable
output, so ``parse_targets`` reads ``--mode target --op show`` into dicts. tgtd keeps its state
in memory only. With no init system to ask, the module starts tgtd itself when its control
socket does not answer, with ``--pid-file`` so the daemon can be found (and stopped) again.
Secrets (CHAP passwords) never reach ``commands`` or error details: they are masked there.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import time

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    CommandFailed,
    InvalidInput,
    ServiceUnavailable,
)
from ansible_collections.stackling.cloud.plugins.module_utils._process import find_binary

# Shared options of every tgt module; documented in doc_fragments/tgt.py.
TGT_ARG_SPEC = {
    "control_port": {"type": "int", "default": 0},
    "portal": {"type": "str"},
}

PID_FILE = "/run/stackling-tgtd.%d.pid"
MASK = "********"
_ENOTCONN = 107  # tgtadm's exit code when no tgtd answers on the control socket
_START_TIMEOUT = 10.0

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_IQN_RE = re.compile(r"^iqn\.\d{4}-(?:0[1-9]|1[0-2])\.%s(?:\.%s)*(?::[a-z0-9.:_-]+)?$" % (_LABEL, _LABEL))
_EUI_RE = re.compile(r"^eui\.[0-9A-F]{16}$")
_NAA_RE = re.compile(r"^naa\.[0-9A-F]{16}(?:[0-9A-F]{16})?$")
_NAME_PREFIXES = ("iqn.", "eui.", "naa.")
_PORTAL_RE = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[0-9.]+)(?::\d{1,5})?$")
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9_.@:+-]{1,255}$")


def validate_iscsi_name(field, value):
    """An iSCSI name (RFC 3720/3721): ``iqn.YYYY-MM.reversed.domain[:suffix]``, ``eui.`` or ``naa.``."""
    if not value or len(value.encode("utf-8")) > 223:
        raise InvalidInput(field, "must be an iSCSI name of 1 to 223 bytes, got %r" % (value,))
    if _IQN_RE.match(value) or _EUI_RE.match(value) or _NAA_RE.match(value):
        return value
    raise InvalidInput(field, "%r is not a valid iSCSI name: use iqn.YYYY-MM.reversed.domain[:suffix] in lower "
                              "case (e.g. iqn.2024-01.org.example:volume-1), eui.<16 hex> or naa.<16 or 32 hex>"
                       % (value,))


def normalise_initiator(field, value):
    """``('name', iqn)`` or ``('address', ip-or-network)``; ``ALL`` stays ``('address', 'ALL')``."""
    text = str(value).strip()
    if text == "ALL":
        return "address", text
    if text.lower().startswith(_NAME_PREFIXES):
        return "name", validate_iscsi_name(field, text)
    try:
        if "/" in text:
            return "address", str(ipaddress.ip_network(text, strict=False))
        return "address", str(ipaddress.ip_address(text))
    except ValueError:
        raise InvalidInput(field, "%r is neither an initiator name (iqn./eui./naa.) nor an IP address or "
                                  "network" % (value,))


def validate_portal(field, value):
    if value is not None and not _PORTAL_RE.match(value):
        raise InvalidInput(field, "%r is not an IP[:port] portal such as 127.0.0.1:3260" % (value,))
    return value


def validate_account(field, value):
    if not _ACCOUNT_RE.match(value or ""):
        raise InvalidInput(field, "%r is not a valid CHAP user name (letters, digits and _ . @ : + -)" % (value,))
    return value


def _new_target(match):
    return {"tid": int(match.group(1)), "name": match.group(2), "luns": {}, "accounts": [],
            "outgoing_accounts": [], "acl": [], "sessions": 0}


def _lun_field(lun, key, value):
    if key == "Size":
        size = value.split(",")[0].split()
        lun["size_mb"] = int(size[0]) if size and size[0].isdigit() else None
    elif key in ("Type", "Backing store type", "Backing store path", "Readonly"):
        lun[key.lower().replace(" ", "_")] = value


def _target_line(target, state, line):
    if state["section"] == "LUN information":
        match = re.match(r"^LUN: (\d+)$", line)
        if match:
            state["lun"] = target["luns"].setdefault(int(match.group(1)), {"lun": int(match.group(1))})
        elif state["lun"] is not None and ":" in line:
            key, value = line.split(":", 1)
            _lun_field(state["lun"], key.strip(), value.strip())
    elif state["section"] == "Account information":
        if line.endswith(" (outgoing)"):
            target["outgoing_accounts"].append(line[:-len(" (outgoing)")])
        else:
            target["accounts"].append(line)
    elif state["section"] == "ACL information":
        target["acl"].append(line)
    elif state["section"] == "I_T nexus information" and line.startswith("I_T nexus:"):
        target["sessions"] += 1


def parse_targets(text):
    """``tgtadm --mode target --op show`` output as ``{tid: target}``.

    A target is ``{tid, name, luns: {n: {lun, type, backing_store_type, backing_store_path,
    size_mb, readonly}}, accounts, outgoing_accounts, acl, sessions}``.
    """
    targets, target, state = {}, None, {"section": None, "lun": None}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        match = re.match(r"^Target (\d+): (\S+)$", line) if indent == 0 else None
        if match:
            target = targets.setdefault(int(match.group(1)), _new_target(match))
            state = {"section": None, "lun": None}
        elif target is not None and indent == 4 and line.endswith(":"):
            state = {"section": line[:-1], "lun": None}
        elif target is not None and indent > 4:
            _target_line(target, state, line)
    return targets


def parse_accounts(text):
    """``tgtadm --mode account --op show``: the global account names (outgoing marks dropped)."""
    names = []
    for line in text.splitlines():
        name = line.strip()
        if name and line[:1].isspace():
            names.append(name[:-len(" (outgoing)")] if name.endswith(" (outgoing)") else name)
    return names


def parse_portals(text):
    """``tgtadm --mode portal --op show``: ``['127.0.0.1:3260', ...]``."""
    return [line.split(":", 1)[1].strip().rsplit(",", 1)[0] for line in text.splitlines()
            if line.startswith("Portal:")]


def masked(argv, secrets):
    return [MASK if part in secrets else part for part in argv]


class Tgt(object):
    """Runs ``tgtadm`` against the tgtd on one control port; starts tgtd when asked to."""

    def __init__(self, module, control_port=0):
        self.module = module
        self.control_port = control_port
        self.commands = []
        self.secrets = set()
        self.tgtadm = find_binary(module, "tgtadm", "apt-get install tgt")
        self.tgtd = find_binary(module, "tgtd", "apt-get install tgt")

    def argv(self, args):
        return [self.tgtadm, "-C", str(self.control_port), "--lld", "iscsi"] + list(args)

    def _run(self, argv, ok=(0,)):
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"})
        if rc not in ok:
            shown = masked(argv, self.secrets)
            what = " ".join([os.path.basename(shown[0])] + shown[5:9])
            raise CommandFailed(shown, rc, out, err, msg="%s failed with rc=%s: %s" % (what, rc, (err or out).strip()))
        return rc, out

    def show(self, mode):
        return self._run(self.argv(["--mode", mode, "--op", "show"]))[1]

    def running(self):
        rc, _out = self._run(self.argv(["--mode", "sys", "--op", "show"]), ok=(0, _ENOTCONN))
        return rc == 0

    def targets(self):
        return parse_targets(self.show("target"))

    def accounts(self):
        return parse_accounts(self.show("account"))

    def portals(self):
        return parse_portals(self.show("portal"))

    def change(self, args, secrets=()):
        """Run a changing tgtadm command (recorded with secrets masked); only record it in check mode."""
        self.secrets.update(secrets)
        argv = self.argv(args)
        self.commands.append(masked(argv, self.secrets))
        if not self.module.check_mode:
            self._run(argv)

    def start(self, portal):
        """Start tgtd (it daemonizes) and wait until its control socket answers; return its pid."""
        pid_file = PID_FILE % self.control_port
        argv = [self.tgtd, "-C", str(self.control_port), "--pid-file", pid_file]
        if portal:
            argv += ["--iscsi", "portal=%s" % portal]
        self.commands.append(argv)
        if self.module.check_mode:
            return None
        self._run(argv)
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.running():
            if time.monotonic() > deadline:
                raise ServiceUnavailable("tgtd started but its control socket (port %d) did not answer within "
                                         "%d s" % (self.control_port, _START_TIMEOUT), cmd=argv)
            time.sleep(0.1)
        return read_pid(pid_file)


def read_pid(path):
    try:
        with open(path) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def backing_store(field, path):
    """Real path of an existing regular file or block device to export."""
    real = os.path.realpath(path)
    if not os.path.exists(real):
        raise InvalidInput(field, "backing store %s does not exist" % (path,))
    if not (os.path.isfile(real) or _is_block_device(real)):
        raise InvalidInput(field, "backing store %s is neither a regular file nor a block device" % (path,))
    return real


def _is_block_device(path):
    return stat.S_ISBLK(os.stat(path).st_mode)
