# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparing a normalised current state with the desired one and describing the change."""

from __future__ import annotations

import shlex


def changed_keys(current, desired):
    """Keys of ``desired`` whose value differs from ``current`` (missing counts as different)."""
    return sorted(key for key, value in desired.items() if current.get(key) != value)


def build_diff(before, after, keys=None):
    """An Ansible ``diff`` dict holding only the keys that changed (all keys of ``after`` if None)."""
    if before is None or after is None:
        return {"before": before or {}, "after": after or {}}
    keys = changed_keys(before, after) if keys is None else keys
    return {
        "before": dict((key, before.get(key)) for key in keys),
        "after": dict((key, after.get(key)) for key in keys),
    }


def changes_list(before, after, keys):
    """The ``changes`` list returned to the user: ``[{name, current, desired}]``."""
    return [{"name": key, "current": (before or {}).get(key), "desired": after.get(key)} for key in keys]


def command_strings(commands):
    """Commands (lists of arguments) as copy-pasteable shell lines for the ``commands`` result."""
    return [" ".join(shlex.quote(str(part)) for part in argv) for argv in commands]


def change_result(module, commands, before, after, keys=None, changed=None, **fields):
    """A module result: ``fields``, ``changed``, the ``commands`` run (or, in check mode, planned)
    and, in diff mode, the diff of ``before`` and ``after`` (empty when nothing changed).

    ``changed`` defaults to whether there is any command; ``keys`` as for build_diff.
    """
    changed = bool(commands) if changed is None else changed
    result = dict(fields, changed=changed, commands=command_strings(commands))
    if module._diff:
        result["diff"] = build_diff(before, after, keys) if changed else {"before": {}, "after": {}}
    return result
