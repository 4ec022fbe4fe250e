# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one gateway to the iproute2 binaries ``ip`` and ``bridge``.

Reads ask for JSON with details (``ip -j -d``); every command can run inside a named
network namespace (``ip -n NS``, built by _netns.netns_argv). Changes go through
:meth:`IpRunner.change`, which records the command and, in check mode, does not run it,
so check mode and the real run plan the same commands. Errors are typed: only iproute2's
specific "no such device" and "no such namespace" messages are mapped (to DeviceNotFound
and InvalidInput); any other failure raises CommandFailed with cmd, rc, stdout and stderr.
"""

from __future__ import annotations

import json
import re

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    CommandFailed,
    InvalidInput,
    StacklingError,
)
from ansible_collections.stackling.cloud.plugins.module_utils._netns import missing_netns, netns_argv

_MISSING_DEVICE = re.compile(r'(Device "[^"]*" does not exist|Cannot find device "[^"]*")')
_MISSING_NETNS = re.compile(r'Cannot open network namespace "([^"]*)": No such file or directory')
_UNKNOWN_KIND = re.compile(r"Unknown device type")


class DeviceNotFound(CommandFailed):
    """iproute2 said the named device does not exist (and nothing else went wrong)."""


class UnsupportedKind(CommandFailed):
    """The kernel does not know the link kind (e.g. vlan without the 8021q module)."""


def where(netns):
    """Human wording for a namespace, used in messages."""
    return "network namespace %r" % netns if netns else "the host network namespace"


class IpRunner(object):
    """Runs ``ip``/``bridge`` for one module, in one namespace, recording every change.

    ``commands`` lists each change command (run, or only planned in check mode) as a
    list of arguments; :meth:`in_netns` gives a runner for another namespace that
    shares the same record. ``netns_field`` names the option a missing namespace
    is reported against.
    """

    def __init__(self, module, netns=None, netns_field="netns", commands=None):
        self.module = module
        self.netns = netns
        self.netns_field = netns_field
        self.commands = [] if commands is None else commands
        self.check_mode = module.check_mode
        self._bins = {}

    def in_netns(self, netns, netns_field):
        return IpRunner(self.module, netns, netns_field, self.commands)

    def argv(self, binary, args):
        if binary not in self._bins:
            self._bins[binary] = self.module.get_bin_path(binary, required=True)
        return netns_argv(self.netns, self._bins[binary], [str(arg) for arg in args])

    def _run(self, argv):
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C"})
        if rc != 0:
            raise self._error(argv, rc, out, err)
        return out

    def _error(self, argv, rc, out, err):
        missing_ns = _MISSING_NETNS.search(err or "")
        if missing_ns:
            return missing_netns(self.netns_field, missing_ns.group(1), cmd=argv, rc=rc, stderr=err)
        if _MISSING_DEVICE.search(err or ""):
            return DeviceNotFound(argv, rc, out, err)
        if _UNKNOWN_KIND.search(err or ""):
            return UnsupportedKind(argv, rc, out, err)
        return CommandFailed(argv, rc, out, err)

    def query(self, args, binary="ip"):
        """Run a read-only command with JSON and details; return the decoded JSON (a list)."""
        argv = self.argv(binary, ["-j", "-d"] + list(args))
        out = self._run(argv)
        if not out.strip():
            return []
        try:
            return json.loads(out)
        except ValueError as exc:
            raise StacklingError("%s printed invalid JSON: %s" % (argv[0], exc), cmd=argv, stdout=out)

    def change(self, args, binary="ip"):
        """Run a command that changes the system; in check mode only record it."""
        argv = self.argv(binary, args)
        self.commands.append(argv)
        if not self.check_mode:
            self._run(argv)

    def show_link(self, name):
        """The ``ip -j -d link show`` record of ``name``, or None when there is no such device."""
        try:
            links = self.query(["link", "show", "dev", name])
        except DeviceNotFound:
            return None
        return links[0] if links else None

    def require_link(self, field, name):
        """The link record of ``name``; InvalidInput naming ``field`` when it does not exist."""
        link = self.show_link(name)
        if link is None:
            raise InvalidInput(field, "no network device named %r in %s" % (name, where(self.netns)))
        return link

    def netns_names(self):
        """Names of the named network namespaces (``ip netns list``); never namespaced."""
        root = IpRunner(self.module, None, self.netns_field, self.commands)
        return sorted(entry["name"] for entry in root.query(["netns", "list"]))
