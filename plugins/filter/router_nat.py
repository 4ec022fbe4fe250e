# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The router's NAT rules (playbooks/node/router.yml), rendered in one place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: router_nat
short_description: The nft NAT rules of a Stackling router
description:
  - From the C(router) variable of C(playbooks/node/router.yml), the rules of its C(prerouting)
    (DNAT) and C(postrouting) (SNAT) chains.
  - Each floating IP gets a DNAT rule to its fixed IP and an SNAT rule from its fixed IP out of
    the gateway port; with SNAT on, each interface's subnet leaves through the gateway address.
    Floating IPs' SNAT rules come first, so a server with a floating IP leaves with it.
  - Without a gateway there is no NAT at all (both lists are empty).
author:
  - Stackling developers (!UNKNOWN)
options:
  _input:
    description:
      - The router, as C(router.yml) gets it. C(gateway) with C(port_id), C(address) and
        C(enable_snat); C(interfaces) with C(cidr); C(floating_ips) with C(floating_ip) and C(fixed_ip).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Render the router's rules
  ansible.builtin.set_fact:
    _router_nat: "{{ router | stackling.cloud.router_nat }}"
"""

RETURN = r"""
_value:
  description: C(dnat) and C(snat), each a list of nft rules.
  type: dict
"""


def router_nat(router):
    """{'dnat': [...], 'snat': [...]} for ``router``."""
    gateway = router.get("gateway")
    if not gateway:
        return {"dnat": [], "snat": []}
    qg = "qg-" + gateway["port_id"][:11]
    dnat, snat = [], []
    for floating in router.get("floating_ips") or []:
        dnat.append("ip daddr %s dnat to %s" % (floating["floating_ip"], floating["fixed_ip"]))
        snat.append('ip saddr %s oif "%s" snat to %s' % (floating["fixed_ip"], qg, floating["floating_ip"]))
    if gateway.get("enable_snat", True):
        address = gateway["address"].split("/")[0]
        for interface in router.get("interfaces") or []:
            snat.append('ip saddr %s oif "%s" snat to %s' % (interface["cidr"], qg, address))
    return {"dnat": dnat, "snat": snat}


class FilterModule:
    def filters(self):
        return {"router_nat": router_nat}
