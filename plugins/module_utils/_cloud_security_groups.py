# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the security group cloud modules share: the views (plain dicts, Neutron's field names)."""

from __future__ import annotations


def security_groups(cloud):
    """The library's security group service."""
    return cloud.controller.networking.security_groups


def rule_view(rule):
    return {"id": rule.id, "security_group_id": rule.security_group_id, "project_id": rule.project_id,
            "direction": rule.direction, "ethertype": rule.ethertype, "protocol": rule.protocol,
            "port_range_min": rule.port_range_min, "port_range_max": rule.port_range_max,
            "remote_ip_prefix": rule.remote_ip_prefix, "remote_group_id": rule.remote_group_id,
            "description": rule.description}


def security_group_view(group):
    return {"id": group.id, "name": group.name, "project_id": group.project_id, "description": group.description,
            "security_group_rules": [rule_view(rule) for rule in group.rules]}
