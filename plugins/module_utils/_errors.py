# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised below the module layer and turned into one fail_json at the top."""

from __future__ import annotations


class StacklingError(Exception):
    """Base class: a failure the module reports with ``msg`` plus structured details."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class InvalidInput(StacklingError, ValueError):
    """A parameter value is wrong; ``field`` names the parameter so the user can fix it."""

    def __init__(self, field, msg, **details):
        super().__init__("%s: %s" % (field, msg), field=field, **details)
        self.field = field


class ServiceUnavailable(StacklingError):
    """The daemon or tool the module drives is not reachable (e.g. libvirtd is not running)."""


class CommandFailed(StacklingError):
    """An external command exited non-zero; carries cmd, rc, stdout and stderr."""

    def __init__(self, cmd, rc, stdout, stderr, msg=None):
        super().__init__(
            msg or "%s failed with rc=%s: %s" % (cmd[0], rc, (stderr or stdout).strip()),
            cmd=list(cmd), rc=rc, stdout=stdout, stderr=stderr,
        )


def fail_from_exception(module, exc):
    """The single place where a StacklingError becomes module.fail_json."""
    module.fail_json(msg=exc.msg, **exc.details)


def exit_with_result(module, run):
    """Exit with ``run(module)``'s result; a StacklingError from it fails the module (fail_from_exception)."""
    try:
        result = run(module)
    except StacklingError as exc:
        fail_from_exception(module, exc)
    else:
        module.exit_json(**result)
