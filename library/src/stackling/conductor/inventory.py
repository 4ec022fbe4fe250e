"""What the conductor reads of its own inventory (YAML, Ansible's format): host variables the
controller needs when it plans node jobs (``stackling_tunnel_address``) and the hosts of a group.

Only the YAML inventory format is read: ``all`` with ``hosts``, ``vars`` and ``children``, nested.
A host's variables are its groups' (outermost first) overlaid with its own, which always win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackling.errors import ConfigError


@dataclass(frozen=True)
class Inventory:
    hostvars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def var(self, host: str, name: str, default: Any = None) -> Any:
        return self.hostvars.get(host, {}).get(name, default)

    def tunnel_address(self, host: str) -> str:
        return str(self.var(host, "stackling_tunnel_address", "") or "")


def read_inventory(path: Path) -> Inventory:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("conductor.inventory: %s does not exist" % path) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("conductor.inventory: cannot read %s: %s" % (path, exc)) from None
    if not isinstance(raw, Mapping):
        raise ConfigError("conductor.inventory: %s is not a YAML inventory (a mapping of groups)" % path)
    group_vars: dict[str, dict[str, Any]] = {}  # host -> its groups' vars (a later group wins)
    own_vars: dict[str, dict[str, Any]] = {}  # host -> its own vars (these win over any group's)
    groups: dict[str, list[str]] = {}

    def walk(name: str, group: Any, inherited: Mapping[str, Any]) -> list[str]:
        group = group if isinstance(group, Mapping) else {}
        merged = {**inherited, **(group.get("vars") or {})}
        members: list[str] = []
        for host, own in (group.get("hosts") or {}).items():
            group_vars[str(host)] = {**group_vars.get(str(host), {}), **merged}
            own_vars[str(host)] = {**own_vars.get(str(host), {}), **(own or {})}
            members.append(str(host))
        for child, sub in (group.get("children") or {}).items():
            members.extend(walk(str(child), sub, merged))
        groups[name] = list(dict.fromkeys(groups.get(name, []) + members))
        return members

    for name, group in raw.items():
        walk(str(name), group, {})
    hostvars = {host: {**group_vars[host], **own_vars[host]} for host in group_vars}
    return Inventory(hostvars, {name: tuple(hosts) for name, hosts in groups.items()})
