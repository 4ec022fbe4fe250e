# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What libvirt_domain will do: one plan that check mode reports and a real run carries out.

A plan holds the new definition (``xml``), the ``before`` and ``after`` views (spec keys plus
``state`` and ``autostart``), the changed ``keys``, the ``actions`` in order and whether a
running domain is left with a pending definition (``restart_required``).
"""

from __future__ import annotations

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import call, find_domain
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain import (
    XML_KEYS, check_paths, creation_defaults, desired_spec, domain_facts, read_definition, start_error_field,
)
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt_domain_xml import (
    METADATA_NS, METADATA_PREFIX, build_domain, machine_aliases, metadata_xml, parse_domain, source_hash,
    stamp_raw_xml,
)
from ansible_collections.stackling.cloud.plugins.module_utils import _libvirt_lifecycle as lifecycle

_METADATA_ELEMENT = 2  # VIR_DOMAIN_METADATA_ELEMENT
_AFFECT_LIVE = 1  # VIR_DOMAIN_AFFECT_LIVE


def _spec_view(xml):
    spec = parse_domain(xml)
    return dict((key, spec[key]) for key in XML_KEYS)


def _canonical_machine(conn, spec):
    if spec["machine"]:
        aliases = machine_aliases(call("reading libvirt capabilities", conn.getCapabilities))
        spec["machine"] = aliases.get(spec["machine"], spec["machine"])
    return spec


def _spec_definition(conn, dom, params, current_xml):
    spec = desired_spec(params)
    check_paths(params)
    if dom is None:
        spec = creation_defaults(spec)
    xml = build_domain(params["name"], _canonical_machine(conn, spec), current_xml)
    return dict(xml=xml, after=_spec_view(xml), digest=None)


def _raw_definition(dom, params, current_xml):
    """The ``xml`` option: unchanged while its sha256 matches the one stamped at the last define."""
    uuid = call("reading the uuid of domain %s" % params["name"], dom.UUIDString) if dom else None
    xml, digest = stamp_raw_xml(params["name"], params["xml"], uuid)
    if current_xml and source_hash(current_xml) == digest:
        return dict(xml=xml, after=_spec_view(current_xml), digest=digest)
    after = _spec_view(xml)
    if current_xml:  # report only what the given XML states; libvirt fills in the rest
        before = _spec_view(current_xml)
        after = dict((key, value if value not in (None, "", [], {}) else before[key]) for key, value in after.items())
    return dict(xml=xml, after=after, digest=digest)


def _nics_comparable(nics, reference):
    """Interfaces without what only the running XML shows: a network's bridge, tap names libvirt chose."""
    result = []
    for index, nic in enumerate(nics):
        ref = reference[index] if index < len(reference) else {}
        result.append(dict(nic, bridge=None if (nic["network"] or ref.get("network")) else nic["bridge"],
                           target=nic["target"] if ref.get("target") else None))
    return result


def _restart_pending(live_xml, after, digest):
    """Whether the running domain differs from the definition a restart would give it."""
    if digest is not None:
        return source_hash(live_xml) != digest
    live = _spec_view(live_xml)
    live["interfaces"] = _nics_comparable(live["interfaces"], after["interfaces"])
    wanted = dict(after, interfaces=_nics_comparable(after["interfaces"], after["interfaces"]))
    ignored = {"metadata"}  # applied live
    if after["cpu"] and after["cpu"]["mode"] == "host-model":
        ignored.add("cpu")  # a running host-model CPU shows as the custom model libvirt picked
    return any(live[key] != wanted[key] for key in XML_KEYS if key not in ignored)


def run_state(params):
    """The run state ``state`` asks for: ``rebooted`` ends ``running``."""
    return "running" if params["state"] == "rebooted" else params["state"]


def _views(dom, params, definition, current_xml):
    """The before and after views and the changed keys."""
    current_run = lifecycle.state_name(dom) if dom else "shutdown"
    autostart_now = bool(call("reading autostart", dom.autostart)) if dom else False
    after = dict(definition["after"], state=current_run if params["state"] == "present" else run_state(params),
                 autostart=autostart_now if params["autostart"] is None else params["autostart"])
    if definition["digest"]:
        after["xml_sha256"] = definition["digest"]
    if dom is None:  # a new domain: report what the spec sets, not the defaults libvirt will fill in
        return None, after, [key for key, value in after.items() if value not in (None, "", [], {})]
    before = dict(_spec_view(current_xml), state=current_run, autostart=autostart_now)
    if definition["digest"]:
        before["xml_sha256"] = source_hash(current_xml)
    return before, after, [key for key in after if before.get(key) != after[key]]


def _run_steps(plan, live_xml, params):
    """Run-state steps, with a restart when the definition changed under a running domain."""
    current_run, desired_run = plan["current_run"], plan["after"]["state"]
    pending = live_xml is not None and _restart_pending(live_xml, plan["after"], plan["digest"])
    restart = pending and desired_run != "shutdown"
    plan["restart_required"] = restart and not params["restart"]
    if restart and params["restart"]:
        return lifecycle.plan_restart(current_run, desired_run)  # a restart boots it afresh: no reboot on top
    if params["state"] == "rebooted":
        steps = lifecycle.plan_reboot(current_run, params["reboot_type"])
    else:
        steps = lifecycle.plan(current_run, desired_run)
    live_metadata = parse_domain(live_xml)["metadata"] if live_xml is not None else None
    if (plan["digest"] is None and live_metadata is not None and desired_run != "shutdown"
            and live_metadata != plan["after"]["metadata"]):
        steps.insert(0, "update live metadata")
    return steps


def plan_present(conn, dom, params):
    """Everything the run does to reach the spec (or raw XML), state and autostart."""
    current_xml = read_definition(dom) if dom else None
    if params["xml"]:
        definition = _raw_definition(dom, params, current_xml)
    else:
        definition = _spec_definition(conn, dom, params, current_xml)
    before, after, keys = _views(dom, params, definition, current_xml)
    plan = dict(name=params["name"], xml=definition["xml"], digest=definition["digest"], before=before, after=after,
                keys=keys, current_run=before["state"] if before else "shutdown", create=dom is None)
    persistent = dom is None or bool(call("checking persistence", dom.isPersistent))
    define = dom is None or not persistent or any(key not in ("state", "autostart") for key in keys)
    live_xml = call("reading domain %s" % params["name"], dom.XMLDesc, 0) if dom and lifecycle.is_active(dom) else None
    autostart = after["autostart"] != (before or {}).get("autostart", False)
    plan["actions"] = (["define"] if define else []) + (["autostart"] if autostart else [])
    plan["actions"] += _run_steps(plan, live_xml, params)
    return plan


def plan_absent(dom):
    if dom is None:
        return dict(actions=[], before=None, after={"state": "absent"}, keys=[], restart_required=False)
    state = lifecycle.state_name(dom)
    actions = (["destroy"] if lifecycle.is_active(dom) else []) + ["undefine"]
    return dict(actions=actions, before={"state": state}, after={"state": "absent"}, keys=["state"],
                restart_required=False)


def predicted_facts(dom, plan):
    """The facts check mode (or a run with nothing to do) returns."""
    if dom is not None and not plan["actions"]:
        return domain_facts(dom)
    uuid = call("reading the uuid", dom.UUIDString) if dom else None
    facts = dict(plan["after"], name=plan["name"], uuid=uuid, persistent=True)
    facts.pop("xml_sha256", None)
    return facts


def _set_live_metadata(dom, metadata):
    xml = metadata_xml(metadata) if metadata else None
    call("updating the metadata of running domain %s" % dom.name(), dom.setMetadata,
         _METADATA_ELEMENT, xml, METADATA_PREFIX if metadata else None, METADATA_NS, _AFFECT_LIVE)


def _carry_out(conn, dom, plan, params):
    taken = []
    for action in plan["actions"]:
        if action == "define":
            dom = call("defining domain %s" % plan["name"], conn.defineXML, plan["xml"])
            taken.append(action)
        elif action == "autostart":
            call("setting autostart of domain %s" % plan["name"], dom.setAutostart, int(plan["after"]["autostart"]))
            taken.append(action)
        elif action == "update live metadata":
            _set_live_metadata(dom, plan["after"]["metadata"])
            taken.append(action)
        else:
            taken.extend(lifecycle.execute(dom, [action], params["shutdown_timeout"]))
    plan["actions"] = taken
    return dom


def _undo_create(conn, plan, exc):
    """A domain this run defined is removed again, so a failed create leaves nothing half-made."""
    try:
        created = find_domain(conn, plan["name"])
        if created is not None:
            lifecycle.undefine(created)
    except StacklingError as cleanup:
        exc.details["cleanup_error"] = cleanup.msg


def apply_plan(conn, dom, plan, params):
    """Carry out the plan; returns the domain (None once undefined). Start errors name the option at fault."""
    if "undefine" in plan["actions"]:
        lifecycle.undefine(dom)
        return None
    try:
        return _carry_out(conn, dom, plan, params)
    except StacklingError as exc:
        if plan["create"]:
            _undo_create(conn, plan, exc)
        culprit = start_error_field(exc.msg, plan["after"].get("interfaces"))
        if culprit is None:
            raise
        raise InvalidInput(culprit[0], culprit[1], libvirt_error=exc.msg, **exc.details)
