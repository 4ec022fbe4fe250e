# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Paired with NETNS_ARG_SPEC in plugins/module_utils/_netns.py.
    DOCUMENTATION = r"""
options:
  netns:
    description:
      - Name of the network namespace to act in, as listed by C(ip netns list);
        the module runs C(ip -n NETNS ...) and C(bridge -n NETNS ...), and other commands
        under C(ip netns exec NETNS).
      - Omit it to act in the network namespace of the Ansible process (usually the host's).
      - The namespace must exist; create it with M(stackling.cloud.ip_netns).
    type: str
requirements:
  - iproute2 (the C(ip) and C(bridge) commands) with JSON output support
"""
