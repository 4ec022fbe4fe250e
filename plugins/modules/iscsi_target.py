#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iscsi_target
short_description: Export block devices or files as an iSCSI target with tgt
description:
  - Ensures a tgt (userspace iSCSI) target with the given IQN exists with exactly the listed
    LUNs, initiator ACL and CHAP account, or does not exist.
  - The state is read from C(tgtadm --mode target --op show) and changed in place (LUNs, ACL
    entries and accounts are added and removed one by one; the target is not recreated).
  - Starts tgtd when it is not running (see O(portal) and O(control_port)).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.tgt
options:
  iqn:
    description:
      - The target's iSCSI name, such as V(iqn.2024-01.org.example:volume-1) (RFC 3720
        C(iqn.YYYY-MM.reversed.domain[:suffix]) in lower case, or C(eui.)/C(naa.) names).
    type: str
    required: true
    aliases: [name]
  tid:
    description:
      - tgt's numeric target id. By default the lowest free id is used for a new target and an
        existing target keeps its id.
      - An existing target with another id is an error (renumbering means recreating it).
    type: int
  luns:
    description:
      - The logical units, in order. LUN 0 is tgt's controller and is not listed.
      - A LUN whose path or backing store type differs is deleted and added again.
    type: list
    elements: dict
    default: []
    suboptions:
      lun:
        description: LUN number (1 or more). Defaults to the position in the list, starting at 1.
        type: int
      path:
        description: The backing store, an existing block device or regular file (sparse is fine).
        type: str
        required: true
      bstype:
        description: tgt backing store type.
        type: str
        choices: [rdwr, aio]
        default: rdwr
  initiators:
    description:
      - Initiators allowed to log in, each an IP address, an IP network (V(10.0.0.0/24)) or an
        initiator name (V(iqn.1993-08.org.debian:01:abcdef)).
      - The list is complete; an empty list lets nobody in.
      - V(ALL) allows every initiator; it is only accepted when written explicitly, alone.
    type: list
    elements: str
    default: []
  incoming_user:
    description:
      - CHAP user initiators must log in with. Omit it to require no CHAP (any incoming
        account bound to the target is unbound).
      - tgt accounts are global; an account no target uses any more is deleted.
    type: str
  incoming_password:
    description:
      - CHAP secret of O(incoming_user). Never returned, logged or shown in a diff.
      - tgt cannot report a secret, so a changed secret is only applied when
        O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sets the secret only when the account is created; V(always) recreates the
        account with the secret on every run (reported as a change every time).
    type: str
    choices: [always, on_create]
    default: on_create
  state:
    description: V(present) creates or adjusts the target; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: Allow deleting a target while initiators are logged in to it.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Export an LV to one compute host with CHAP
  stackling.cloud.iscsi_target:
    iqn: iqn.2024-01.org.stackling:volume-1
    luns:
      - path: /dev/stackling-volumes/volume-1
    initiators: [192.0.2.21]
    incoming_user: volume-1
    incoming_password: "{{ volume_1_chap_secret }}"

- name: A file-backed volume on an all-in-one, portal on loopback only
  stackling.cloud.iscsi_target:
    iqn: iqn.2024-01.org.stackling:volume-2
    luns:
      - path: /var/lib/stackling/volumes/volume-2.img
    initiators: [127.0.0.1]
    portal: 127.0.0.1:3260
"""

RETURN = r"""
target:
  description: The target after the run (in check mode, as it would be). Secrets are never returned.
  returned: when the target exists after the run
  type: dict
  contains:
    tid: {description: "tgt target id.", type: int, sample: 1}
    iqn: {description: "Target name.", type: str}
    luns:
      description: LUNs other than the controller, by number.
      type: list
      elements: dict
      sample: [{lun: 1, path: /var/lib/stackling/volumes/volume-2.img, bstype: rdwr}]
    initiators: {description: "The ACL, sorted.", type: list, elements: str}
    incoming_user: {description: "The CHAP user bound to the target (null for none).", type: str}
    sessions: {description: "Number of initiator sessions (I_T nexuses).", type: int}
tgtd:
  description: The tgtd this module talked to.
  returned: always
  type: dict
  contains:
    control_port: {description: "Its control port.", type: int}
    started: {description: "Whether this run started it (in check mode, would start it).", type: bool}
    pid: {description: "Its pid when this run started it.", type: int}
    pid_file: {description: "The pid file it was started with.", type: str}
commands:
  description: The commands run (in check mode, that would run), with secrets masked.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackling.cloud.plugins.module_utils._diff import change_result
from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError, exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._tgt import (
    PID_FILE,
    TGT_ARG_SPEC,
    Tgt,
    backing_store,
    normalise_initiator,
    validate_account,
    validate_iscsi_name,
    validate_portal,
)

LUN_SPEC = {
    "lun": {"type": "int"},
    "path": {"type": "str", "required": True},
    "bstype": {"type": "str", "choices": ["rdwr", "aio"], "default": "rdwr"},
}
ARGUMENT_SPEC = dict(
    TGT_ARG_SPEC,
    iqn={"type": "str", "required": True, "aliases": ["name"]},
    tid={"type": "int"},
    luns={"type": "list", "elements": "dict", "options": LUN_SPEC, "default": []},
    initiators={"type": "list", "elements": "str", "default": []},
    incoming_user={"type": "str"},
    incoming_password={"type": "str", "no_log": True},
    update_password={"type": "str", "choices": ["always", "on_create"], "default": "on_create", "no_log": False},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    force={"type": "bool", "default": False},
)
REQUIRED_TOGETHER = [["incoming_user", "incoming_password"]]


def desired_luns(luns):
    """``{number: {lun, path, bstype}}`` with real paths; numbers default to the list position."""
    out = {}
    for index, lun in enumerate(luns):
        field = "luns[%d]" % index
        number = lun["lun"] if lun["lun"] is not None else index + 1
        if number < 1:
            raise InvalidInput("luns", "%s.lun must be 1 or more (LUN 0 is tgt's controller)" % field)
        if number in out:
            raise InvalidInput("luns", "%s.lun %d is listed twice" % (field, number))
        out[number] = {"lun": number, "path": backing_store("luns", lun["path"]), "bstype": lun["bstype"]}
    return out


def desired_acl(entries):
    acl = set(normalise_initiator("initiators", entry) for entry in entries)
    if ("address", "ALL") in acl and len(acl) > 1:
        raise InvalidInput("initiators", "ALL allows every initiator; list it alone")
    return acl


def desired_state(params):
    if params["tid"] is not None and params["tid"] < 1:
        raise InvalidInput("tid", "must be 1 or more")
    return {
        "iqn": validate_iscsi_name("iqn", params["iqn"]),
        "tid": params["tid"],
        "luns": desired_luns(params["luns"]),
        "acl": desired_acl(params["initiators"]),
        "user": params["incoming_user"] and validate_account("incoming_user", params["incoming_user"]),
        "password": params["incoming_password"],
        "always": params["update_password"] == "always",
    }


def current_luns(target):
    return dict((n, {"lun": n, "path": _real(lun.get("backing_store_path")), "bstype": lun.get("backing_store_type")})
                for n, lun in target["luns"].items() if lun.get("type") != "controller")


def _real(path):
    return os.path.realpath(path) if path and path.startswith("/") else path


def current_acl(target):
    acl = set()
    for entry in target["acl"]:
        try:
            acl.add(normalise_initiator("initiators", entry))
        except InvalidInput:
            acl.add(("name" if entry.lower().startswith(("iqn.", "eui.", "naa.")) else "address", entry))
    return acl


def sync_luns(tgt, tid, have, want):
    tid = str(tid)
    for number in sorted(have):
        if have[number] != want.get(number):
            tgt.change(["--mode", "logicalunit", "--op", "delete", "--tid", tid, "--lun", str(number)])
    for number in sorted(want):
        if have.get(number) != want[number]:
            tgt.change(["--mode", "logicalunit", "--op", "new", "--tid", tid, "--lun", str(number),
                        "--backing-store", want[number]["path"], "--bstype", want[number]["bstype"]])


def sync_acl(tgt, tid, have, want):
    for op, entries in (("unbind", have - want), ("bind", want - have)):
        for kind, value in sorted(entries):
            tgt.change(["--mode", "target", "--op", op, "--tid", str(tid), "--initiator-" + kind, value])


def sync_chap(tgt, target, want, accounts, targets):
    """Bind exactly ``want['user']`` (creating its account) and unbind other incoming users."""
    tid = str(target["tid"])
    for user in target["accounts"]:
        if user != want["user"]:
            tgt.change(["--mode", "account", "--op", "unbind", "--tid", tid, "--user", user])
            if not any(user in other["accounts"] for other in targets.values() if other["tid"] != target["tid"]):
                tgt.change(["--mode", "account", "--op", "delete", "--user", user])
    user = want["user"]
    if not user:
        return
    bound = [other["tid"] for other in targets.values() if user in other["accounts"]]
    new_account = ["--mode", "account", "--op", "new", "--user", user, "--password", want["password"]]
    if user not in accounts:
        tgt.change(new_account, secrets=[want["password"]])
    elif want["always"]:
        tgt.change(["--mode", "account", "--op", "delete", "--user", user])
        tgt.change(new_account, secrets=[want["password"]])
        for other in bound:  # deleting an account unbinds it everywhere
            if other != target["tid"]:
                tgt.change(["--mode", "account", "--op", "bind", "--tid", str(other), "--user", user])
        bound = []
    if target["tid"] not in bound:
        tgt.change(["--mode", "account", "--op", "bind", "--tid", tid, "--user", user])


def free_tid(targets, wanted):
    if wanted is not None:
        if wanted in targets:
            raise InvalidInput("tid", "tid %d is used by target %s" % (wanted, targets[wanted]["name"]))
        return wanted
    return next(tid for tid in range(1, len(targets) + 2) if tid not in targets)


def ensure_target(tgt, targets, accounts, want):
    """Create or adjust the target; returns it as it is (would be) afterwards."""
    target = next((t for t in targets.values() if t["name"] == want["iqn"]), None)
    if target is None:
        tid = free_tid(targets, want["tid"])
        tgt.change(["--mode", "target", "--op", "new", "--tid", str(tid), "--targetname", want["iqn"]])
        target = {"tid": tid, "name": want["iqn"], "luns": {}, "accounts": [], "acl": [], "sessions": 0}
    elif want["tid"] is not None and want["tid"] != target["tid"]:
        raise InvalidInput("tid", "target %s exists with tid %d; delete it (state=absent) to renumber it"
                           % (want["iqn"], target["tid"]))
    sync_luns(tgt, target["tid"], current_luns(target), want["luns"])
    sync_acl(tgt, target["tid"], current_acl(target), want["acl"])
    sync_chap(tgt, target, want, accounts, targets)
    return facts(target, want["luns"], want["acl"], want["user"])


def delete_target(tgt, targets, target, force):
    if target["sessions"] and not force:
        raise StacklingError("target %s has %d initiator session(s) logged in; set force: true to delete it anyway"
                             % (target["name"], target["sessions"]), sessions=target["sessions"])
    tgt.change(["--mode", "target", "--op", "delete"] + (["--force"] if force else []) + ["--tid", str(target["tid"])])
    for user in target["accounts"]:
        if not any(user in other["accounts"] for other in targets.values() if other["tid"] != target["tid"]):
            tgt.change(["--mode", "account", "--op", "delete", "--user", user])


def facts(target, luns, acl, user):
    return {
        "tid": target["tid"],
        "iqn": target["name"],
        "luns": [luns[number] for number in sorted(luns)],
        "initiators": sorted(value for _kind, value in acl),
        "incoming_user": user or None,
        "sessions": target["sessions"],
    }


def current_facts(target):
    if target is None:
        return None
    users = target["accounts"]
    return facts(target, current_luns(target), current_acl(target), users[0] if len(users) == 1 else ",".join(users))


def ensure_daemon(module, tgt, needed):
    """Start tgtd if it does not answer and a target is wanted; returns (tgtd facts, running)."""
    portal = validate_portal("portal", module.params["portal"])
    info = {"control_port": tgt.control_port, "started": False, "pid": None, "pid_file": None}
    if tgt.running():
        if portal and portal not in tgt.portals():
            module.warn("tgtd on control port %d is already running and does not listen on %s; the portal "
                        "option only applies when the module starts tgtd" % (tgt.control_port, portal))
        return info, True
    if not needed:
        return info, False
    info.update(started=True, pid=tgt.start(portal), pid_file=PID_FILE % tgt.control_port)
    return info, not module.check_mode


def run(module):
    params = module.params
    present = params["state"] == "present"
    want = desired_state(params) if present else {"iqn": validate_iscsi_name("iqn", params["iqn"])}
    tgt = Tgt(module, params["control_port"])
    daemon, running = ensure_daemon(module, tgt, present)
    targets = tgt.targets() if running else {}
    accounts = tgt.accounts() if running else []
    current = next((t for t in targets.values() if t["name"] == want["iqn"]), None)
    before = current_facts(current)
    if not present:
        if current is not None:
            delete_target(tgt, targets, current, params["force"])
        after = None
    else:
        after = ensure_target(tgt, targets, accounts, want)
    changed = any(cmd[0] == tgt.tgtadm for cmd in tgt.commands)
    if changed and after is not None and not module.check_mode:
        after = current_facts(next(t for t in tgt.targets().values() if t["name"] == want["iqn"]))
    result = change_result(module, tgt.commands, before, after, changed=changed, tgtd=daemon)
    result["changed"] = changed or daemon["started"]  # starting tgtd is a change too, but not of the target
    if after is not None:
        result["target"] = after
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_together=REQUIRED_TOGETHER,
                           supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
