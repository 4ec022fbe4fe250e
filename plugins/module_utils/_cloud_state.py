# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The present/absent state machine of the cloud modules: plan a change from views, describe it.

A module reads the current object as a plain dict (its "view"), builds the desired
fields from its options (None = not asked for) and calls plan(); the real run and
check mode both act on that plan, so they cannot disagree. state_result() returns
the object and, in diff mode, only the keys that change.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.stackling.cloud.plugins.module_utils._diff import build_diff, changed_keys
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput

STATE_SPEC = {"type": "str", "choices": ["present", "absent"], "default": "present"}


class Plan(object):
    """``action``: create, update, delete or None; ``keys``: the fields an update changes."""

    def __init__(self, action, before, after, keys=()):
        self.action = action
        self.before = before
        self.after = after
        self.keys = list(keys)

    @property
    def changed(self):
        return self.action is not None


def wanted(**fields):
    """The desired fields: those the user asked for (None means "leave as it is")."""
    return dict((key, value) for key, value in fields.items() if value is not None)


def plan(current, desired, state, new=None):
    """The change from ``current`` (a view, None if missing) to ``desired`` under ``state``.

    ``new`` is the view of the object a create would make (defaults to ``desired``).
    """
    if state == "absent":
        return Plan("delete" if current is not None else None, current, None)
    if current is None:
        return Plan("create", None, dict(desired, **(new or {})))
    keys = changed_keys(current, desired)
    return Plan("update" if keys else None, current, dict(current, **desired), keys)


def plan_diff(plan_):
    """Ansible's diff of a plan: the whole object when created or deleted, else the changed keys only."""
    if not plan_.changed:
        return {"before": {}, "after": {}}
    if plan_.action == "update":
        return build_diff(plan_.before, plan_.after, plan_.keys)
    return build_diff(plan_.before, plan_.after)


def state_result(module, plan_, key, view, **fields):
    """The module result: ``changed``, the object under ``key`` (None when absent) and the diff in diff mode."""
    result = dict(fields, changed=plan_.changed)
    result[key] = view
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = plan_diff(plan_)
    return result


def parse_time(field, value):
    """An ISO 8601 time as an aware UTC datetime (no zone: UTC); InvalidInput naming ``field`` otherwise."""
    if value is None:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, "expected an ISO 8601 time such as 2030-01-31T12:00:00Z, got %r" % value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_time(value):
    """An aware datetime as ISO 8601 UTC with a Z (None stays None)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def string_values(field, mapping, allow_null=False):
    """A dict option whose values must be strings: numbers become strings (``cores: 8`` -> ``'8'``),
    None stays None when ``allow_null`` (it deletes the key); anything else fails naming the key."""
    out = {}
    for key, value in (mapping or {}).items():
        if value is None and allow_null:
            out[str(key)] = None
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidInput("%s.%s" % (field, key), "expected a string%s, got %r"
                               % (" or null (to remove the key)" if allow_null else "", value))
        else:
            out[str(key)] = str(value)
    return out
