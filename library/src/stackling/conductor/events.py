"""ansible-runner job events -> StepOutcome (the per-task result events), and the playbook's stats data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackling.conductor.jobs import StepOutcome, StepStatus

_RESULT_EVENTS = {
    "runner_on_ok": StepStatus.OK,
    "runner_on_failed": StepStatus.FAILED,
    "runner_on_skipped": StepStatus.SKIPPED,
    "runner_on_unreachable": StepStatus.UNREACHABLE,
}


def step_from_event(event: Mapping[str, Any]) -> StepOutcome | None:
    """The outcome an event reports, or None for events that are not a task's final result."""
    status = _RESULT_EVENTS.get(str(event.get("event", "")))
    if status is None:
        return None
    data: Mapping[str, Any] = event.get("event_data") or {}
    result: Mapping[str, Any] = data.get("res") or {}
    if status is StepStatus.FAILED and data.get("ignore_errors"):
        status = StepStatus.OK
    if status is StepStatus.OK and result.get("changed"):
        status = StepStatus.CHANGED
    message = ""
    if status in (StepStatus.FAILED, StepStatus.UNREACHABLE):
        # Ansible has already censored no_log results to a fixed text, so msg is safe to keep.
        message = _failure_message(result)[:2000]
    return StepOutcome(task=str(data.get("task", "")), host=str(data.get("host", "")), status=status, message=message)


def _failure_message(result: Mapping[str, Any]) -> str:
    """``msg`` (or stderr) of a failed result; for a loop, of its first failed item."""
    for item in result.get("results") or ():
        if isinstance(item, Mapping) and item.get("failed"):
            return "item %s: %s" % (item.get("_ansible_item_label", item.get("item", "?")), _failure_message(item))
    return str(result.get("msg") or result.get("stderr") or "")


def stats_from_event(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """What the playbook handed back with ``set_stats`` (ansible-runner's ``artifact_data`` of the
    final ``playbook_on_stats`` event), or None for any other event."""
    if event.get("event") != "playbook_on_stats":
        return None
    data: Mapping[str, Any] = event.get("event_data") or {}
    artifacts = data.get("artifact_data")
    return dict(artifacts) if isinstance(artifacts, Mapping) else {}
