#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server
short_description: Boot or delete a Stackling server
description:
  - Ensures a server named O(name) exists in the caller's project, or does not.
  - A new server is booted from O(flavor) and O(image) on O(networks). The module returns when the
    server is C(ACTIVE), or fails when it ends in C(ERROR), with the reason (no valid host, or the
    step that failed on each host tried) in the message and in RV(server.fault). An C(ERROR) server
    stays (its quota counted) until it is deleted with O(state=absent).
  - An existing server of that name is left as it is (C(changed=false)), except for what the options
    ask. A different O(flavor) resizes it, a different O(host) migrates it (cold), a different
    O(metadata) replaces its metadata, O(state) sets its run state.
  - A resize or a migration shuts the guest down, moves it through a new claim (to another host, for
    a resize the scheduler may keep it on its host) and starts it again if it ran; it is C(RESIZE)
    meanwhile and is confirmed at once. A failed one leaves the server as it was and fails the task.
    Servers with volumes attached are refused (detach them first).
  - A different O(image) rebuilds the server when O(rebuild=true) (its root disk made again from the
    image, everything on it lost; host, addresses and config drive kept) and fails naming O(rebuild)
    otherwise. A failed rebuild leaves the server C(ERROR).
  - The build runs the collection's node playbooks on the host the scheduler chose, and on its
    alternates when it fails there (see the collection's docs/servers.md).
  - A server left in C(BUILD) by a run that died (killed, or its controller rebooted) is taken over by
    the next run, whose build steps run again on the host it holds and converge on what the dead
    run left (C(changed=true)). While the first run is still building it, the module fails with
    C(409 Conflict). Two runs racing to boot the same O(name) make one server; the other fails
    with C(409 Conflict).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.cloud
  - stackling.cloud.check_diff
options:
  name:
    description:
      - Name of the server, unique in the project for this module.
    type: str
    required: true
  state:
    description:
      - V(present) boots the server if there is none of that name and leaves an existing one in the
        run state it is in; V(absent) deletes it.
      - V(running) and V(stopped) also make sure it runs (C(ACTIVE)) or is shut down (C(SHUTOFF),
        by an ACPI shutdown, powered off after a minute). A server in C(ERROR) can be neither.
      - V(rebooted) reboots an existing server as O(reboot_type) says and returns it C(ACTIVE) (like
        the C(reboot) action of C(openstack.cloud.server_action)); a C(SHUTOFF) server is started
        instead (nova refuses a soft reboot there). It is C(REBOOT) or C(HARD_REBOOT) while the
        reboot runs. Not idempotent by nature, it always reports C(changed), and in check mode
        reports C(changed) without rebooting. A missing server is booted, which needs no reboot.
    type: str
    choices: [present, running, stopped, rebooted, absent]
    default: present
  reboot_type:
    description:
      - With O(state=rebooted). V(soft) presses the guest's ACPI power button (libvirt's reboot,
        so the guest shuts down and comes back in the same QEMU process) and resets it if it has not
        rebooted after a minute; V(hard) resets it at once, like its reset button.
      - A hard reboot is also allowed while another reboot runs (the way out of a reboot that hangs).
    type: str
    choices: [soft, hard]
    default: soft
  flavor:
    description:
      - Flavor name or id. Required to boot.
      - A different flavor for an existing server resizes it (policy C(compute:resize_server)). Its root
        disk is never shrunk; a flavor with a smaller one is refused.
    type: str
  host:
    description:
      - The compute host the server is on. Cloud admins only (policy C(compute:migrate_server)).
      - A new server is built on this host only (the scheduler's filters still apply to it); an existing
        server on another host is cold-migrated to it.
    type: str
  image:
    description:
      - Image name or id (one the project may use). Required to boot.
      - See O(rebuild) for an existing server.
    type: str
  rebuild:
    description:
      - Allow a different O(image) to rebuild an existing server (policy C(compute:rebuild_server)). It is
        C(REBUILD) while the guest is shut down, its root disk replaced by a new one on the image and
        the guest started again (if it ran). Everything on the old root disk is lost.
      - Without it, a different image fails the task (a typo in O(image) must not wipe a server).
    type: bool
    default: false
  networks:
    description:
      - Networks (names or ids) to attach, one port each, in order. Each needs an IPv4 subnet.
    type: list
    elements: str
    default: []
  ports:
    description:
      - Ports of the caller's project (names or ids) that no server or router uses, attached after the
        O(networks) ports (nova's C(port-id) NICs). The server keeps each port's addresses and groups (a
        port in no group gets O(security_groups)); deleting the server unbinds them, it does not delete them.
      - Used when the server is booted only.
    type: list
    elements: str
    default: []
  key_name:
    description:
      - Name of one of the caller's keypairs, put on the config drive.
    type: str
  user_data:
    description:
      - User data for cloud-init (at most 64 KiB). Not logged, not returned.
    type: str
  server_group:
    description:
      - Server group (name or id) whose policy the placement follows.
    type: str
  security_groups:
    description:
      - Security groups (names or ids, of the caller's project) of the server's ports; none gives the
        project's V(default) group.
      - Other groups for an existing server replace its ports' groups (policy C(compute:update_server)); the
        filters on its host are rewritten at once, the guest keeps running. Omitted, the groups stay.
      - Compute hosts enforce them with nftables before the guest starts (see M(stackling.cloud.security_group)).
    type: list
    elements: str
    default: []
  availability_zone:
    description:
      - Availability zone to boot in; default any.
    type: str
  timeout:
    description:
      - Seconds the build may take on the hosts (all attempts together).
    type: int
    default: 1800
  metadata:
    description:
      - The server's metadata (nova's), string keys of 1-255 characters and string values of at most
        255, 128 items at most. Given for an existing server, it replaces the metadata when it differs
        (no node work, the server keeps running); omitted, the metadata is left as it is.
      - The C(stackling.cloud.servers) inventory plugin makes groups from it (C(group), C(meta_<key>_<value>)).
    type: dict
    aliases: [meta]
"""

EXAMPLES = r"""
- name: A web server on the project's network
  stackling.cloud.server:
    cloud: web-member
    name: web-1
    flavor: m1.small
    image: debian-12
    networks: [private]
    key_name: laptop
  register: web

- name: Its address
  ansible.builtin.debug:
    msg: "{{ web.server.addresses.private[0] }}"

- name: Twice the size (a resize; the guest restarts)
  stackling.cloud.server:
    cloud: web-member
    name: web-1
    flavor: m1.medium

- name: The same server on a fresh Debian 13 root disk (a rebuild; the old disk's data is lost)
  stackling.cloud.server:
    cloud: web-member
    name: web-1
    image: debian-13
    rebuild: true

- name: Moved to another compute host by a cloud admin (a cold migration)
  stackling.cloud.server:
    cloud: admin
    name: web-1
    host: cmp2

- name: Reboot it through ACPI (reset after a minute if the guest ignores it)
  stackling.cloud.server:
    cloud: web-member
    name: web-1
    state: rebooted

- name: Gone
  stackling.cloud.server:
    cloud: web-member
    name: web-1
    state: absent
"""

RETURN = r"""
server:
  description: The server after the run (in check mode, as it would be; unknown fields are null).
  returned: unless O(state=absent)
  type: dict
  contains:
    id: {description: "Server id.", type: str}
    name: {description: "Server name.", type: str}
    status: {description: "ACTIVE, ERROR, BUILD, SHUTOFF, REBOOT, HARD_REBOOT, RESIZE, REBUILD or DELETING.", type: str, sample: ACTIVE}
    fault: {description: "Why the server is in ERROR (null otherwise).", type: str}
    addresses: {description: "Network name -> fixed IPs.", type: dict, sample: {"private": ["10.0.0.3"]}}
    ports: {description: "Port ids, one per network.", type: list, elements: str}
    security_groups: {description: "Names of the security groups of its ports.", type: list, elements: str}
    metadata: {description: "The server's metadata.", type: dict, sample: {group: "web", role: "frontend"}}
    flavor_id: {description: "Flavor id.", type: str}
    image_id: {description: "Image id.", type: str}
    key_name: {description: "Keypair name, or null.", type: str}
    availability_zone: {description: "Availability zone.", type: str}
    server_group_id: {description: "Server group id, or null.", type: str}
    project_id: {description: "Owner project id.", type: str}
    user_id: {description: "Creating user id.", type: str}
    host: {description: "Compute host; cloud admins only.", type: str, returned: for cloud admins}
    hypervisor: {description: "Hypervisor type of the host; cloud admins only.", type: str, returned: for cloud admins}
    created_at: {description: "Creation time, ISO 8601 UTC.", type: str}
    updated_at: {description: "Last change, ISO 8601 UTC.", type: str}
"""

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import cloud_module, run_cloud_module
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_servers import server_view
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_state import Plan, plan, state_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError

IMPORT_ERROR = None
try:
    from stackling.compute.servers import REBOOTING, ServerRequest, may_reboot
except ImportError as exc:  # run_cloud_module() fails first, saying the library is missing or another version
    ServerRequest = may_reboot = None
    REBOOTING = ()
    IMPORT_ERROR = str(exc)

RUN_STATUS = {"running": "ACTIVE", "stopped": "SHUTOFF"}
# What an existing server's options change: the ServerService method -> (its policy, the view's key).
CHANGES = {
    "rebuild": ("compute:rebuild_server", "image_id"),
    "resize": ("compute:resize_server", "flavor_id"),
    "migrate": ("compute:migrate_server", "host"),
    "set_security_groups": ("compute:update_server", "security_groups"),
}
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "running", "stopped", "rebooted", "absent"], "default": "present"},
    "reboot_type": {"type": "str", "choices": ["soft", "hard"], "default": "soft"},
    "flavor": {"type": "str"},
    "image": {"type": "str"},
    "networks": {"type": "list", "elements": "str", "default": []},
    "ports": {"type": "list", "elements": "str", "default": []},
    "key_name": {"type": "str", "no_log": False},
    "user_data": {"type": "str", "no_log": True},
    "server_group": {"type": "str"},
    "security_groups": {"type": "list", "elements": "str", "default": []},
    "availability_zone": {"type": "str"},
    "timeout": {"type": "int", "default": 1800},
    "metadata": {"type": "dict", "aliases": ["meta"]},
    "host": {"type": "str"},
    "rebuild": {"type": "bool", "default": False},
}


def check_unchanged(cloud, params, current, options=("image",)):
    """An existing server keeps its image (and while it builds, its flavor): asking for others fails
    naming the option."""
    for option, finder, key, verb in (("flavor", cloud.controller.flavors.find, "flavor_id", "resize"),
                                      ("image", cloud.controller.images.find, "image_id", "rebuild")):
        if params[option] is None or option not in options:
            continue
        found = finder(cloud.ctx, params[option])
        if found is None or found.id != current[key]:
            why = ("set rebuild=true to %s it from that image (its root disk is lost)" % verb
                   if option == "image" else "resize it once it is ACTIVE")
            raise InvalidInput(option, "server %s has %s %s, not %s; %s"
                               % (current["name"], option, current[key], params[option], why))
    if params["security_groups"] and "security_groups" in options:
        groups = cloud.controller.networking.security_groups
        asked = sorted(set(groups.get(cloud.ctx, ref).name for ref in params["security_groups"]))
        if asked != sorted(current["security_groups"]):
            raise InvalidInput("security_groups", "server %s is in %s, not %s; change its groups once it is ACTIVE"
                               % (current["name"], ", ".join(current["security_groups"]) or "none", ", ".join(asked)))


def planned_moves(cloud, params, current):
    """The rebuild (a different O(image) with O(rebuild)), the resize (a different O(flavor)), the
    migration (a different O(host)) and the new security groups an existing server needs, in that
    order: [(ServerService method, value)]."""
    moves = []
    if params["rebuild"] and params["image"] is not None:
        image = cloud.controller.images.find(cloud.ctx, params["image"])
        if image is None:
            raise InvalidInput("image", "no image %s that you may use" % params["image"])
        if image.id != current["image_id"]:
            moves.append(("rebuild", image.id))
    if params["flavor"] is not None:
        found = cloud.controller.flavors.find(cloud.ctx, params["flavor"])
        if found is None:
            raise InvalidInput("flavor", "no flavor %s that you may use" % params["flavor"])
        if found.id != current["flavor_id"]:
            moves.append(("resize", found.id))
    if params["host"] is not None and params["host"] != current.get("host"):  # tenants see no host: refused below
        moves.append(("migrate", params["host"]))
    if params["security_groups"]:
        groups = cloud.controller.networking.security_groups
        asked = sorted(set(groups.get(cloud.ctx, ref).name for ref in params["security_groups"]))
        if asked != sorted(current["security_groups"]):
            moves.append(("set_security_groups", asked))
    return moves


def with_moves(change, moves, current):
    """``change`` plus the moves' new flavor and host."""
    if not moves:
        return change
    after, keys = dict(change.after if change.changed else current), list(change.keys)
    for action, value in moves:
        key = CHANGES[action][1]
        after[key] = value
        keys.append(key)
    return Plan(change.action if change.changed else moves[0][0], current, after, keys)


def run_state_change(params, current):
    """What O(state) asks of an existing server's run state: start, stop, reboot (always) or nothing."""
    state, status = params["state"], current["status"]
    if state == "rebooted":
        if not may_reboot(status, params["reboot_type"] == "hard"):
            raise InvalidInput("state", "server %s is %s (%s); it cannot be rebooted%s" % (
                current["name"], status, current["fault"], "; a hard reboot can" if status in REBOOTING else ""))
        return Plan("reboot", current, dict(current, status="ACTIVE"), ["status"] if status != "ACTIVE" else [])
    wanted = RUN_STATUS.get(state)
    if not wanted or status == wanted:
        return plan(current, {}, "present")
    if status not in RUN_STATUS.values():
        raise InvalidInput("state", "server %s is %s (%s); it cannot be %s"
                           % (current["name"], status, current["fault"], state))
    return Plan("start" if wanted == "ACTIVE" else "stop", current, dict(current, status=wanted), ["status"])


def wanted_metadata(params):
    """O(metadata) as strings (Ansible hands numbers and booleans through), or None when not given."""
    if params["metadata"] is None:
        return None
    return dict((str(key), value if isinstance(value, str) else str(value)) for key, value in params["metadata"].items())


def with_metadata(change, params, current):
    """``change`` plus replacing the server's metadata when O(metadata) differs from it."""
    wanted = wanted_metadata(params)
    if wanted is None or wanted == current["metadata"]:
        return change
    if not change.changed:
        return Plan("update", current, dict(current, metadata=wanted), ["metadata"])
    return Plan(change.action, change.before, dict(change.after, metadata=wanted), change.keys + ["metadata"])


def run(module, cloud):
    params = module.params
    servers = cloud.controller.servers
    found = servers.find(cloud.ctx, params["name"])
    current = server_view(found) if found else None
    moves = []
    if params["state"] == "absent":
        change = plan(current, {}, "absent")
    elif current is not None and current["status"] == "BUILD":
        # a build whose builder died (a killed run, a rebooted controller): this run takes it over
        # and converges on what it left; while the builder lives the library refuses (Conflict)
        check_unchanged(cloud, params, current, ("flavor", "image", "security_groups"))
        change = Plan("resume", current, dict(current, status=RUN_STATUS.get(params["state"], "ACTIVE")), ["status"])
    elif current is not None:
        check_unchanged(cloud, params, current, () if params["rebuild"] else ("image",))
        moves = planned_moves(cloud, params, current)
        change = with_moves(with_metadata(run_state_change(params, current), params, current), moves, current)
    else:
        for option in ("flavor", "image"):
            if not params[option]:
                raise InvalidInput(option, "required to boot server %s" % params["name"])
        if params["timeout"] < 1:
            raise InvalidInput("timeout", "expected seconds >= 1, got %d" % params["timeout"])
        change = Plan("create", None, {"id": None, "name": params["name"], "status": None, "fault": None,
                                       "addresses": {}, "key_name": params["key_name"],
                                       "availability_zone": params["availability_zone"],
                                       "metadata": wanted_metadata(params) or {}})
    view = change.after
    if change.changed:
        target = {"project_id": (current or {}).get("project_id") or cloud.ctx.project_id}
        rule = CHANGES[change.action][0] if change.action in CHANGES else "compute:%s_server" % (
            "create" if change.action == "resume" else change.action)
        cloud.authorize(rule, target)
        if change.action in ("create", "resume") and params["state"] == "stopped":
            cloud.authorize("compute:stop_server", target)
        if "metadata" in change.keys and change.action != "update":
            cloud.authorize("compute:update_server", target)
        if change.action == "create" and params["host"] is not None:
            cloud.authorize("compute:migrate_server", target)
        for action, _value in moves:
            cloud.authorize(CHANGES[action][0], target)
        if not module.check_mode:
            view = apply(cloud, params, change, moves)
    result = state_result(module, change, "server", view)
    if view is not None and view["status"] == "ERROR" and change.action in ("create", "resume"):
        raise StacklingError("server %s (%s) is ERROR: %s" % (view["name"], view["id"], view["fault"]),
                             server=view, changed=True)
    return result


def apply(cloud, params, change, moves):
    servers, server_id = cloud.controller.servers, (change.before or {}).get("id")
    # a server to stop is stopped first (it then moves shut down and stays so); others move first
    view = apply_action(cloud, params, change) if change.action == "stop" else None
    for action, value in moves:
        view = server_view(getattr(servers, action)(cloud.ctx, server_id, value))
    if change.action != "stop" and change.action not in CHANGES:
        view = apply_action(cloud, params, change)
    if view is not None and "metadata" in change.keys and change.action not in ("create", "resume"):
        view = server_view(cloud.controller.servers.set_metadata(cloud.ctx, view["id"], change.after["metadata"]))
    return view


def apply_action(cloud, params, change):
    servers = cloud.controller.servers
    if change.action == "update":
        return server_view(servers.get(cloud.ctx, change.before["id"]))
    if change.action == "delete":
        servers.delete(cloud.ctx, change.before["id"])
        return None
    if change.action in ("start", "stop"):
        return server_view(getattr(servers, change.action)(cloud.ctx, change.before["id"]))
    if change.action == "reboot":
        return server_view(servers.reboot(cloud.ctx, change.before["id"], hard=params["reboot_type"] == "hard"))
    before = change.before or {}
    request = ServerRequest(
        params["name"], flavor=params["flavor"] or before.get("flavor_id"), image=params["image"] or before.get("image_id"),
        networks=tuple(params["networks"]), ports=tuple(params["ports"]),
        key_name=params["key_name"], user_data=params["user_data"], server_group=params["server_group"],
        availability_zone=params["availability_zone"], timeout=params["timeout"],
        security_groups=tuple(params["security_groups"]), unique_name=True, metadata=wanted_metadata(params),
        host=params["host"])
    if change.action == "resume":
        made = servers.resume(cloud.ctx, change.before["id"], request)
    else:
        # unique: two runs racing to make the same server make one, the other fails naming it
        made = servers.create(cloud.ctx, request)
    if made.status == "ACTIVE" and params["state"] == "stopped":
        made = servers.stop(cloud.ctx, made.id)
    return server_view(made)


def main():
    module = cloud_module(ARGUMENT_SPEC)
    run_cloud_module(module, run, IMPORT_ERROR)


if __name__ == "__main__":
    main()
