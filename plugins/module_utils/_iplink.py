# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network links for the ip_link module: facts, desired state, and the commands between them.

A link is compared as a flat dict whose keys are the module's option paths (``mtu``,
``vxlan.remote``, ``veth.peer_netns``...), so a difference, an error and a diff all
name the same field. Keys the kernel can change on a live link are in IN_PLACE; any
other difference needs the link to be deleted and created again.
"""

from __future__ import annotations

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._iproute import where
from ansible_collections.stackling.cloud.plugins.module_utils._netns import validate_netns
from ansible_collections.stackling.cloud.plugins.module_utils._netvalues import normalise_mac, parse_ip, validate_ifname

KINDS = ("bridge", "veth", "vxlan", "vlan", "tap", "dummy")
KIND_OPTIONS = ("veth", "vxlan", "vlan")
COMMON = ("mtu", "address", "master", "admin_state", "alias")
IN_PLACE = COMMON + ("vxlan.local", "vxlan.remote", "vxlan.learning")
VXLAN_DEFAULT_PORT = 4789


def link_kind(raw):
    """The kind as this module names it: ``tap`` for a tuntap in tap mode, None for physical links."""
    info = raw.get("linkinfo") or {}
    kind = info.get("info_kind")
    if kind == "tun":
        return (info.get("info_data") or {}).get("type", "tun")
    return kind


def _vxlan_facts(data):
    remote = data.get("remote", data.get("remote6"))
    local = data.get("local", data.get("local6"))
    return {
        "vxlan.id": data.get("id"),
        "vxlan.local": str(parse_ip("vxlan.local", local)) if local else None,
        "vxlan.remote": str(parse_ip("vxlan.remote", remote)) if remote else None,
        "vxlan.dstport": data.get("port"),
        "vxlan.dev": data.get("link"),
        "vxlan.learning": bool(data.get("learning")),
    }


def link_facts(raw, peer=None):
    """Flat facts of a link from its ``ip -j -d link show`` record.

    ``peer`` is ``(name, netns)`` of a veth's other end, or None when it cannot be found
    (then the veth.* keys are left out and never compared).
    """
    kind = link_kind(raw)
    facts = {
        "name": raw["ifname"],
        "ifindex": raw.get("ifindex"),
        "kind": kind,
        "mtu": raw.get("mtu"),
        "address": raw.get("address"),
        "master": raw.get("master", ""),
        "admin_state": "up" if "UP" in raw.get("flags", []) else "down",
        "operstate": str(raw.get("operstate", "unknown")).lower(),
        "alias": raw.get("ifalias", ""),
    }
    data = (raw.get("linkinfo") or {}).get("info_data") or {}
    if kind == "vxlan":
        facts.update(_vxlan_facts(data))
    elif kind == "vlan":
        facts.update({"vlan.id": data.get("id"), "vlan.parent": raw.get("link")})
    elif kind == "veth" and peer is not None:
        facts.update({"veth.peer": peer[0], "veth.peer_netns": peer[1]})
    return facts


def nest(flat):
    """Flat facts as the nested ``link`` result: ``vxlan.id`` becomes ``{'vxlan': {'id': ...}}``."""
    nested = {}
    for key, value in flat.items():
        if "." in key:
            group, sub = key.split(".", 1)
            nested.setdefault(group, {})[sub] = value
        else:
            nested[key] = value
    return nested


def _common_desired(params):
    desired = {}
    if params.get("mtu") is not None:
        if params["mtu"] < 1:
            raise InvalidInput("mtu", "must be a positive number of bytes, got %r" % params["mtu"])
        desired["mtu"] = params["mtu"]
    if params.get("address") is not None:
        desired["address"] = normalise_mac("address", params["address"])
    if params.get("master") is not None:
        desired["master"] = params["master"] and validate_ifname("master", params["master"])
    for key in ("admin_state", "alias"):
        if params.get(key) is not None:
            desired[key] = params[key]
    return desired


def _vxlan_desired(opts):
    if not 1 <= opts["id"] <= 16777215:  # 24 bits; like Neutron, VNI 0 is not a tenant network
        raise InvalidInput("vxlan.id", "must be a VNI between 1 and 16777215, got %r" % opts["id"])
    if not 1 <= opts["dstport"] <= 65535:
        raise InvalidInput("vxlan.dstport", "must be a UDP port between 1 and 65535, got %r" % opts["dstport"])
    local = opts.get("local") and parse_ip("vxlan.local", opts["local"])
    remote = opts.get("remote") and parse_ip("vxlan.remote", opts["remote"])
    if local and remote and local.version != remote.version:
        raise InvalidInput("vxlan.remote", "%s and vxlan.local %s are not of the same IP version" % (remote, local))
    if remote and remote.is_multicast:
        raise InvalidInput("vxlan.remote", "%s is a multicast group; only unicast remotes are supported" % remote)
    return {
        "vxlan.id": opts["id"],
        "vxlan.local": str(local) if local else None,
        "vxlan.remote": str(remote) if remote else None,
        "vxlan.dstport": opts["dstport"],
        "vxlan.dev": opts.get("dev") and validate_ifname("vxlan.dev", opts["dev"]),
        "vxlan.learning": opts["learning"],
    }


def _kind_desired(kind, params, netns):
    if kind == "vxlan":
        return _vxlan_desired(params["vxlan"])
    if kind == "vlan":
        if not 1 <= params["vlan"]["id"] <= 4094:
            raise InvalidInput("vlan.id", "must be between 1 and 4094, got %r" % params["vlan"]["id"])
        return {"vlan.id": params["vlan"]["id"], "vlan.parent": validate_ifname("vlan.parent", params["vlan"]["parent"])}
    if kind == "veth":
        peer_netns = params["veth"].get("peer_netns")
        return {
            "veth.peer": validate_ifname("veth.peer", params["veth"]["peer"]),
            "veth.peer_netns": validate_netns("veth.peer_netns", peer_netns) if peer_netns else netns,
        }
    return {}


def desired_link(params):
    """The flat desired state from the module parameters; options left out are not managed."""
    kind = params.get("kind")
    for option in KIND_OPTIONS:
        if params.get(option) is not None and kind != option:
            raise InvalidInput(option, "is only valid with kind: %s (kind is %s)" % (option, kind or "not set"))
    desired = {"kind": kind} if kind else {}
    desired.update(_common_desired(params))
    desired.update(_kind_desired(kind, params, params.get("netns")))
    if desired.get("veth.peer") == params["name"] and desired.get("veth.peer_netns") == params.get("netns"):
        raise InvalidInput("veth.peer", "must differ from name when both ends are in the same namespace")
    return desired


def differences(current, desired):
    """Keys of ``desired`` that differ from ``current``; keys the facts cannot tell are skipped."""
    keys = [key for key in desired if key in current and current[key] != desired[key]]
    if "kind" in keys:
        return ["kind"]
    return keys


def _common_args(desired, keys):
    args = []
    for key in keys:
        value = desired[key]
        if key == "master":
            args += ["master", value] if value else ["nomaster"]
        elif key == "admin_state":
            continue
        elif key in ("mtu", "address", "alias"):
            args += [key, value]
    if "admin_state" in keys:
        args.append(desired["admin_state"])
    return args


def _vxlan_args(desired, keys, current=None):
    args = []
    for key in keys:
        value = desired[key]
        sub = key.split(".", 1)[1]
        if sub == "learning":
            args.append("learning" if value else "nolearning")
        elif sub in ("local", "remote") and value is None:
            if current is not None:  # in place: the unspecified address of the right family clears it
                old = parse_ip(key, current[key] or desired.get("vxlan.local") or "0.0.0.0")
                args += [sub, "::" if old.version == 6 else "0.0.0.0"]
        elif sub in ("local", "remote", "dev", "dstport", "id") and value is not None:
            args += [sub, value]
    return args


def create_commands(name, desired, netns):
    """The commands that create link ``name`` with the desired state; the first one adds it."""
    kind = desired["kind"]
    if kind == "tap":
        add = ["tuntap", "add", "dev", name, "mode", "tap"]
    elif kind == "vlan":
        add = ["link", "add", "link", desired["vlan.parent"], "name", name, "type", "vlan", "id", desired["vlan.id"]]
    else:
        add = ["link", "add", name, "type", kind]
    if kind == "veth":
        add += ["peer", "name", desired["veth.peer"]]
        if desired["veth.peer_netns"] != netns:
            add += ["netns", desired["veth.peer_netns"]]
    elif kind == "vxlan":
        add += _vxlan_args(desired, ["vxlan.id", "vxlan.dstport", "vxlan.local", "vxlan.remote", "vxlan.dev", "vxlan.learning"])
    commands = [add]
    common = _common_args(desired, [key for key in COMMON if key in desired])
    if common:
        commands.append(["link", "set", "dev", name] + common)
    return commands


def update_commands(name, current, desired, keys):
    """The commands that change the IN_PLACE ``keys`` of a live link."""
    commands = []
    vxlan_keys = [key for key in keys if key.startswith("vxlan.")]
    if vxlan_keys:
        commands.append(["link", "set", "dev", name, "type", "vxlan"] + _vxlan_args(desired, vxlan_keys, current))
    common = _common_args(desired, [key for key in keys if key in COMMON])
    if common:
        commands.append(["link", "set", "dev", name] + common)
    return commands


def predicted(current, desired, name):
    """The facts a check-mode run reports: current facts (or a new link's) with the desired values."""
    base = dict(current) if current else {
        "name": name, "ifindex": None, "mtu": None, "address": None, "master": "",
        "admin_state": "down", "operstate": "unknown", "alias": "",
    }
    base.update(desired)
    return base


def veth_peer(runner, raw):
    """``(name, netns)`` of a veth's other end, or None when its namespace has no name here."""
    if "link_netnsid" not in raw:
        return (raw["link"], runner.netns) if raw.get("link") else None
    ids = runner.query(["netns", "list-id"])
    names = [entry.get("name") for entry in ids if entry.get("nsid") == raw["link_netnsid"]]
    if not names or not names[0]:
        return None
    other = runner.in_netns(names[0], "veth.peer_netns")
    for link in other.query(["link", "show"]):
        if link.get("ifindex") == raw.get("link_index"):
            return (link["ifname"], names[0])
    return None


def read_link(runner, name):
    """Flat facts of link ``name`` in the runner's namespace, or None when it does not exist."""
    raw = runner.show_link(name)
    if raw is None:
        return None
    peer = veth_peer(runner, raw) if link_kind(raw) == "veth" else None
    return link_facts(raw, peer)


def check_references(runner, desired):
    """Every device the link refers to must exist, so no half-made link is left behind."""
    if desired.get("master"):
        runner.require_link("master", desired["master"])
    for field in ("vxlan.dev", "vlan.parent"):
        if desired.get(field):
            runner.require_link(field, desired[field])


def check_peer(runner, desired, current):
    """A new veth's peer namespace must exist and its peer name must be free there."""
    peer, peer_netns = desired["veth.peer"], desired["veth.peer_netns"]
    if peer_netns and peer_netns not in runner.netns_names():
        raise InvalidInput("veth.peer_netns", "network namespace %r does not exist" % peer_netns)
    owned = current and (current.get("veth.peer"), current.get("veth.peer_netns")) == (peer, peer_netns)
    if not owned and runner.in_netns(peer_netns, "veth.peer_netns").show_link(peer) is not None:
        raise InvalidInput("veth.peer", "a device named %r already exists in %s" % (peer, where(peer_netns)))
