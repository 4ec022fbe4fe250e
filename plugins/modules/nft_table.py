#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nft_table
short_description: One nftables table, replaced atomically from a declarative description
description:
  - Manages one named nftables table (its sets, chains and rules) on the host or inside a network
    namespace. The whole table is described; anything in it that is not described is removed.
  - The table is replaced in one C(nft -f) transaction (C(table X), C(delete table X), C(table X { ... })),
    so packets never see a half-applied table and a rejected rule leaves the current table untouched.
version_added: 0.1.0
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - stackling.cloud.check_diff
  - stackling.cloud.netns
options:
  name:
    description: Name of the table.
    type: str
    required: true
  family:
    description: Address family of the table.
    type: str
    choices: [ip, ip6, inet, bridge, netdev]
    default: inet
  state:
    description: Whether the table exists as described or does not exist.
    type: str
    choices: [present, absent]
    default: present
  chains:
    description: The chains of the table. Order does not matter.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Chain name.
        type: str
        required: true
      hook:
        description:
          - Netfilter hook of a base chain. Omit for a regular chain, reached only by C(jump) or C(goto).
        type: str
        choices: [prerouting, input, forward, output, postrouting, ingress, egress]
      type:
        description: Type of a base chain; defaults to C(filter) when O(chains[].hook) is set.
        type: str
        choices: [filter, nat, route]
      priority:
        description:
          - Priority of a base chain, a number or a standard name (V(filter), V(dstnat), V(srcnat+10)).
          - Defaults to 0 for filter chains, -100 (dstnat) for nat chains on prerouting and output,
            100 (srcnat) for nat chains on postrouting and input, and -150 (mangle) for route chains.
        type: raw
      policy:
        description: Policy of a base chain; defaults to C(accept) when O(chains[].hook) is set.
        type: str
        choices: [accept, drop]
      device:
        description: Interface of an C(ingress) or C(egress) chain in the C(netdev) family.
        type: str
      rules:
        description:
          - The rules of the chain, in order, one nft rule per item, written as for C(nft add rule)
            (for example V(ip saddr 10.0.0.0/24 oif "eth0" masquerade)).
          - A rule may not contain C(;), C(#) or a line break outside double quotes.
        type: list
        elements: str
        default: []
  sets:
    description: Named sets of the table, referenced from rules as C(@name). Order does not matter.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Set name.
        type: str
        required: true
      type:
        description: Element type, for example V(ipv4_addr), V(inet_service) or V(ipv4_addr . inet_service).
        type: str
        required: true
      flags:
        description: Set flags.
        type: list
        elements: str
        choices: [constant, interval, timeout, dynamic]
        default: []
      elements:
        description:
          - Elements of the set, one per item (V(10.0.0.0/24), V(22), V(10.0.0.5 . 443)).
          - Elements of a C(dynamic) set are not compared, since the packet path adds them.
        type: list
        elements: str
        default: []
notes:
  - "Idempotence: nft rewrites rules when it lists them (C(ct state related,established) is listed as
    C(ct state established,related), C(dnat to) in an inet table as C(dnat ip to), priorities as
    numbers), so the module never compares rule text. It loads the exact transaction it would apply
    into a private scratch network namespace (C(ip netns add stackling-nft-*), deleted afterwards,
    also in check mode), lists it there with C(nft -s -j), and compares that with the listing of the
    current table. Both sides are nft's own rendering; handles, counter values and set element
    expiry are ignored, objects compare order-free and rules in order within their chain."
  - In the scratch namespace, interfaces of the target namespace that the rules name (C(oif "eth0"),
    C(device "eth0")) exist as placeholder bridges, so such rules load as they would in the target.
  - Replacing the table resets its counters and the run-time elements of its sets.
  - With O(state=absent), a namespace that does not exist holds no table, and nothing is done.
  - The names C(fwd) and other nft keywords cannot be used as chain or set names (nft rejects them).
requirements:
  - nftables (C(nft)) on the managed host
"""

EXAMPLES = r"""
- name: SNAT and a floating IP in a router namespace
  stackling.cloud.nft_table:
    name: router
    family: ip
    netns: qrouter-1
    chains:
      - name: prerouting
        type: nat
        hook: prerouting
        rules:
          - ip daddr 203.0.113.5 dnat to 10.0.0.5
      - name: postrouting
        type: nat
        hook: postrouting
        rules:
          - ip saddr 10.0.0.0/24 oif "eth0" masquerade

- name: A default-drop filter with an allow list
  stackling.cloud.nft_table:
    name: guard
    sets:
      - name: admins
        type: ipv4_addr
        flags: [interval]
        elements: [192.0.2.0/24]
    chains:
      - name: input
        hook: input
        policy: drop
        rules:
          - ct state established,related accept
          - iifname "lo" accept
          - ip saddr @admins tcp dport 22 accept

- name: Remove the table
  stackling.cloud.nft_table:
    name: guard
    state: absent
"""

RETURN = r"""
text:
  description:
    - The table as C(nft -s list table) prints it after the run (empty when absent).
    - In check mode, the table as it would be.
  returned: always
  type: str
  sample: "table inet guard {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n"
nftables:
  description:
    - The table as C(nft -s -j list table) returns it after the run, without handles and metainfo.
    - In check mode, the table as it would be.
  returned: always
  type: list
  elements: dict
  sample: [{"table": {"family": "inet", "name": "guard"}}]
script:
  description: The nft transaction applied (or, in check mode, that would be applied) when changed.
  returned: changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.stackling.cloud.plugins.module_utils import _nft
from ansible_collections.stackling.cloud.plugins.module_utils._errors import exit_with_result
from ansible_collections.stackling.cloud.plugins.module_utils._netns import NETNS_ARG_SPEC, netns_exists, require_netns

CHAIN_SPEC = dict(
    name=dict(type="str", required=True),
    hook=dict(type="str", choices=list(_nft.HOOKS)),
    type=dict(type="str", choices=list(_nft.CHAIN_TYPES)),
    priority=dict(type="raw"),
    policy=dict(type="str", choices=list(_nft.POLICIES)),
    device=dict(type="str"),
    rules=dict(type="list", elements="str", default=[]),
)
SET_SPEC = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True),
    flags=dict(type="list", elements="str", choices=list(_nft.SET_FLAGS), default=[]),
    elements=dict(type="list", elements="str", default=[]),
)
ARGUMENT_SPEC = dict(
    NETNS_ARG_SPEC,
    name=dict(type="str", required=True),
    family=dict(type="str", choices=list(_nft.FAMILIES), default="inet"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    chains=dict(type="list", elements="dict", options=CHAIN_SPEC, default=[]),
    sets=dict(type="list", elements="dict", options=SET_SPEC, default=[]),
)


def desired_listing(module, table, netns):
    """(text, objects, script) of the desired table as nft renders it, from a scratch namespace."""
    script, fields = _nft.replace_script(table)
    with _nft.scratch_namespace(module, netns, script) as scratch:
        nft = _nft.Nft(module, scratch)
        nft.apply(script, fields)
        text, objects = nft.read(table["family"], table["name"])
    return text, objects, (script, fields)


def ensure_present(module, nft, table, current):
    """Changed flag, final (text, objects) and the transaction; applies it unless in check mode."""
    netns = module.params["netns"]
    text, objects, (script, fields) = desired_listing(module, table, netns)
    if current is not None and _nft.canonical(current[1]) == _nft.canonical(objects):
        return False, current, script
    if not module.check_mode:
        nft.apply(script, fields)
        text, objects = nft.read(table["family"], table["name"])
    return True, (text, objects), script


def ensure_absent(module, nft, table, current):
    if current is None:
        return False, None, None
    script = "delete table %s %s\n" % (table["family"], table["name"])
    if not module.check_mode:
        nft.delete(table["family"], table["name"])
    return True, None, script


def run(module):
    params = module.params
    netns = params["netns"]
    if netns and params["state"] == "absent" and not netns_exists("netns", netns):
        return dict(changed=False, text="", nftables=[])
    if netns:
        require_netns("netns", netns)
    table = _nft.normalize_table(params["family"], params["name"], params["chains"], params["sets"])
    nft = _nft.Nft(module, netns)
    current = nft.read(table["family"], table["name"])
    ensure = ensure_present if params["state"] == "present" else ensure_absent
    changed, final, script = ensure(module, nft, table, current)
    final_text, final_objects = final or ("", [])
    result = dict(changed=changed, text=final_text, nftables=_nft.without_handles(final_objects))
    if changed:
        result["script"] = script
    if module._diff:
        header = "table %s %s" % (table["family"], table["name"])
        result["diff"] = dict(before=current[0] if current else "", after=final_text,
                              before_header=header, after_header=header)
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    exit_with_result(module, run)


if __name__ == "__main__":
    main()
