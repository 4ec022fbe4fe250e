# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running commands (optionally inside a network namespace) and daemons tracked by a pid file.

There is no init system to lean on: daemons are started by the module, found again through
their pid file, and only signalled after ``/proc/<pid>/cmdline`` proves the pid still belongs
to the daemon we started (a stale pid file may name a recycled pid).
"""

from __future__ import annotations

import errno
import os
import signal
import time

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    CommandFailed,
    ServiceUnavailable,
    StacklingError,
)
from ansible_collections.stackling.cloud.plugins.module_utils._netns import netns_argv

SBIN_DIRS = ["/usr/sbin", "/sbin"]


def find_binary(module, binary, hint="looked in PATH, /usr/sbin and /sbin"):
    """The path of ``binary`` (PATH, then the sbin directories); ServiceUnavailable naming ``hint`` if absent."""
    path = module.get_bin_path(binary, opt_dirs=SBIN_DIRS)
    if not path:
        raise ServiceUnavailable("%s is not installed (%s)" % (binary, hint))
    return path


class Runner(object):
    """The gateway for one binary, run in ``netns`` (see _netns.netns_argv) or in the caller's namespace."""

    def __init__(self, module, binary, netns=None):
        self.module = module
        self.netns = netns
        self.path = find_binary(module, binary)
        self.ip = find_binary(module, "ip") if netns else None

    def argv(self, args):
        """The full command line: ``binary args...``, run inside ``netns`` when one is set."""
        return netns_argv(self.netns, self.path, args, self.ip)

    def run(self, args, data=None, expect_rc=(0,)):
        """Run; raise CommandFailed unless rc is in ``expect_rc``. Returns (rc, stdout, stderr)."""
        cmd = self.argv(args)
        rc, out, err = self.module.run_command(cmd, data=data, binary_data=data is not None)
        if rc not in expect_rc:
            raise self.failed(args, rc, out, err)
        return rc, out, err

    def failed(self, args, rc, out, err):
        """CommandFailed naming the binary (not ``ip``) and the namespace it ran in."""
        where = " in network namespace %s" % self.netns if self.netns else ""
        msg = "%s%s failed with rc=%s: %s" % (os.path.basename(self.path), where, rc, (err or out).strip())
        return CommandFailed(self.argv(args), rc, out, err, msg=msg)


def read_pid(pid_file):
    """The pid written in ``pid_file`` or None when the file is missing or holds no number."""
    try:
        with open(pid_file) as handle:
            text = handle.read().strip()
    except (IOError, OSError):
        return None
    return int(text) if text.isdigit() else None


def cmdline(pid):
    """The argv of a live process, or None when it is gone or a zombie (zombies have none)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            raw = handle.read()
    except (IOError, OSError, IndexError):
        return None
    if state in ("Z", "X") or not raw:
        return None
    return raw.decode("utf-8", "replace").rstrip("\0").split("\0")


def find_daemon(pid_file, binary, marker):
    """The pid from ``pid_file`` if that process is ``binary`` and has ``marker`` among its arguments."""
    pid = read_pid(pid_file)
    if pid is None:
        return None
    argv = cmdline(pid)
    if not argv or os.path.basename(argv[0]) != binary or marker not in argv[1:]:
        return None
    return pid


def send_signal(pid, signum):
    """Signal ``pid``; False if it has already exited, StacklingError on any other failure."""
    try:
        os.kill(pid, signum)
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            return False
        raise StacklingError("cannot send signal %d to pid %d: %s" % (signum, pid, exc), pid=pid)
    return True


def wait_gone(pid, timeout):
    """True once ``pid`` has exited (or is a zombie) within ``timeout`` seconds."""
    deadline = time.time() + timeout
    while cmdline(pid) is not None:
        if time.time() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop(pid, timeout=5.0):
    """SIGTERM, then SIGKILL after ``timeout`` seconds; raise if the process survives both."""
    if not send_signal(pid, signal.SIGTERM) or wait_gone(pid, timeout):
        return
    send_signal(pid, signal.SIGKILL)
    if not wait_gone(pid, timeout):
        raise StacklingError("pid %d did not exit after SIGTERM and SIGKILL" % pid, pid=pid)
