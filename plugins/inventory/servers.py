# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: servers
short_description: The servers of a Stackling cloud as Ansible hosts
description:
  - Adds the servers the caller may see as hosts, each with an C(ansible_host) address and a
    C(stackling) variable describing the server, in groups by project, flavor, image, status,
    availability zone and metadata (like the C(openstack.cloud.openstack) inventory).
  - The caller is who the login options name (a C(clouds.yaml) entry, an C(auth) block or a token).
    It sees the servers of the project its token is scoped to; with O(all_projects), every server
    the cloud's policy lets it see (all of them for a cloud admin). What the caller may not see is not
    listed. The compute host of a server is shown to cloud admins only.
  - The inventory reads the cloud through the Stackling control library, in the process of
    C(ansible-inventory) or C(ansible-playbook), as the cloud modules do. So run Ansible on the
    controller host with the Python of the venv where C(stackling) is installed.
  - The configuration file's name must end in C(stackling.yml) or C(stackling.yaml), for example
    C(servers.stackling.yml).
author:
  - Stackling developers (!UNKNOWN)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description:
      - Marks the file as a configuration of this plugin.
    required: true
    type: str
    choices: [stackling.cloud.servers]
  cloud:
    description:
      - Name of an entry of a C(clouds.yaml) file, searched as the cloud modules' O(cloud) option is
        (C(~/.config/stackling/clouds.yaml), then C(/etc/stackling/clouds.yaml)), holding the login
        (C(auth)) and optionally C(config).
      - Exactly one of O(cloud), O(auth) and O(token) is required. O(cloud) keeps the password out
        of the inventory file.
    type: str
  auth:
    description:
      - Log in with a password or an application credential; the same keys as the C(auth) option
        of the cloud modules (for example M(stackling.cloud.server_info)), checked the same way.
    type: dict
  token:
    description:
      - A token to act with, as returned by M(stackling.cloud.auth).
    type: str
  config:
    description:
      - Path of the controller configuration file.
      - Defaults to the C(config) key of the O(cloud) entry, else C(/etc/stackling/controller.yaml).
    type: path
  all_projects:
    description:
      - List the servers of every project the caller may see, not only those of its token's project.
    type: bool
    default: false
  hostname:
    description:
      - What names a host. With V(name), servers whose names are not unique among the listed ones
        are named by their id instead (with a warning), so no server hides another.
    type: str
    choices: [name, id]
    default: name
  address:
    description:
      - Which address becomes C(ansible_host). V(floating) takes a floating IP of the server if it
        has one, else its first fixed IP; V(fixed) always takes the first fixed IP.
      - A server without any address gets no C(ansible_host).
    type: str
    choices: [floating, fixed]
    default: floating
  network:
    description:
      - Take C(ansible_host) from the server's addresses on this network only (name or id); a floating
        IP counts when it points at one of them. Servers without an address there get no C(ansible_host).
    type: str
  default_groups:
    description:
      - Add the hosts to the groups C(stackling), C(project_<project>), C(flavor_<flavor>),
        C(image_<image>), C(status_<status>) (lower case) and C(az_<zone>), to the groups named in
        the comma-separated C(group) metadata item, and to C(meta_<key>_<value>) for each metadata
        item. Characters other than letters, digits and C(_) become C(_).
      - Flavors and images the caller may not see (or that were deleted) are named by their id.
      - Set to V(false) to build only the groups of O(groups) and O(keyed_groups).
    type: bool
    default: true
requirements:
  - The C(stackling) control library, importable by the Python that runs Ansible (the controller
    host's Stackling venv).
notes:
  - Passwords, secrets and tokens of the login options are neither shown in the inventory nor in
    its error messages. Prefer O(cloud) (a C(clouds.yaml) readable by its owner only) to writing a
    password into the inventory file.
  - 'Each host has the variable C(stackling): the server as M(stackling.cloud.server_info) returns
    it, plus C(project_name), C(flavor_name), C(image_name), C(floating_ips), C(metadata) and,
    where the cloud records them, C(security_groups).'
  - The cache (O(cache)) keeps what the last listing found, per inventory file; it is not keyed by
    the caller, so do not share one cache between users of the same file.
seealso:
  - module: stackling.cloud.server_info
"""

EXAMPLES = r"""
# servers.stackling.yml: the servers of the project of the clouds.yaml entry "web-member"
plugin: stackling.cloud.servers
cloud: web-member

---
# servers.stackling.yml: an admin's view of every project, reaching servers on the network "ops",
# grouped by a variable of its own as well
plugin: stackling.cloud.servers
cloud: ops-admin
all_projects: true
network: ops
address: fixed
keyed_groups:
  - key: stackling.key_name
    prefix: key
compose:
  ansible_user: "'debian'"
groups:
  broken: stackling.status == 'ERROR'
"""

import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.stackling.cloud.plugins.module_utils._cloud import (
    AUTH_SOURCES,
    AUTH_SPEC,
    HAS_STACKLING,
    Cloud,
    LibraryError,
    library_error,
    login_options,
    open_controller,
)
from ansible_collections.stackling.cloud.plugins.module_utils._cloud_servers import server_view
from ansible_collections.stackling.cloud.plugins.module_utils._errors import StacklingError

display = Display()
LOGIN_OPTIONS = ("config", "auth", "token", "cloud")
_NOT_IN_GROUP_NAMES = re.compile(r"[^A-Za-z0-9_]")


class _LoginOptions(object):
    """The file's login options as login_options() reads them from a module: ``params``, and
    ``no_log_values`` (where a module gathers the secrets Ansible must hide; nothing here shows them)."""

    def __init__(self, params):
        self.params = params
        self.no_log_values = set()


def group_name(*parts):
    """A group name from ``parts`` joined by ``_``: characters Ansible refuses in group names become ``_``."""
    return _NOT_IN_GROUP_NAMES.sub("_", "_".join(str(part) for part in parts))


def choose_address(facts, fixed_on, prefer_floating):
    """The ``ansible_host`` of a server: a floating IP pointing at one of ``fixed_on`` (the fixed IPs
    to consider) when ``prefer_floating``, else the first of ``fixed_on``; None without any."""
    if prefer_floating:
        for fip in facts["floating_ips"]:
            if fip["fixed_ip_address"] in fixed_on:
                return fip["floating_ip_address"]
    return fixed_on[0] if fixed_on else None


def fixed_addresses(facts, network):
    """The server's fixed IPs (all, or those on ``network``: a dict with the network's id and name)."""
    addresses = facts["addresses"]
    if network is None:
        return [ip for ips in addresses.values() for ip in ips]
    # The library labels a server's addresses by network name (by id for an unnamed network).
    return list(addresses.get(network["name"]) or addresses.get(network["id"]) or [])


def default_groups(facts):
    """The groups a server is in by default (see the default_groups option)."""
    groups = ["stackling", group_name("project", facts["project_name"] or facts["project_id"]),
              group_name("flavor", facts["flavor_name"] or facts["flavor_id"]),
              group_name("image", facts["image_name"] or facts["image_id"]),
              group_name("status", facts["status"].lower())]
    if facts["availability_zone"]:
        groups.append(group_name("az", facts["availability_zone"]))
    metadata = facts["metadata"]
    groups.extend(group_name(name.strip()) for name in str(metadata.get("group", "")).split(",") if name.strip())
    groups.extend(group_name("meta", key, value) for key, value in sorted(metadata.items()))
    return groups


def host_names(servers, by):
    """``{server id: inventory name}``: the name, or the id where ``by`` is ``id`` or the name is not unique."""
    counts = {}
    for facts in servers:
        counts[facts["name"]] = counts.get(facts["name"], 0) + 1
    return dict((facts["id"], facts["name"] if by == "name" and counts[facts["name"]] == 1 else facts["id"])
                for facts in servers)


class _Reader(object):
    """What the library says about the servers the logged-in caller sees, as plain dicts."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.ctx = cloud.ctx
        self.controller = cloud.controller

    def servers(self, all_projects, network_ref):
        controller, ctx = self.controller, self.ctx
        servers = controller.servers.list(ctx, all_projects=all_projects)
        flavors = dict((flavor.id, flavor.name) for flavor in controller.flavors.list(ctx))
        images = dict((image.id, image.name) for image in controller.images.list(ctx))
        floating = {}
        for fip in controller.networking.floating_ips.list(ctx):
            if fip.port_id is not None:
                floating.setdefault(fip.port_id, []).append(
                    {"floating_ip_address": fip.floating_ip_address, "fixed_ip_address": fip.fixed_ip_address})
        ports = dict((port.id, port) for port in controller.networking.ports.list(ctx)) if servers else {}
        network = self.network(network_ref)
        projects = {}
        records = []
        for server in servers:
            facts = server_view(server)
            if server.project_id not in projects:
                projects[server.project_id] = self.cloud.resolve("project", server.project_id)["name"]
            facts.update(project_name=projects[server.project_id], flavor_name=flavors.get(server.flavor_id),
                         image_name=images.get(server.image_id),
                         floating_ips=[fip for port in server.ports for fip in floating.get(port, [])],
                         metadata=dict(getattr(server, "metadata", None) or {}))
            groups = self.security_groups(server.ports, ports)
            if groups is not None:
                facts["security_groups"] = groups
            records.append({"facts": facts, "fixed_on": fixed_addresses(facts, network)})
        return records

    def network(self, ref):
        if ref is None:
            return None
        found = self.controller.networking.networks.find(self.ctx, ref)
        if found is None:
            raise AnsibleParserError("network: no network %r that the caller may see" % ref)
        return {"id": found.id, "name": found.name}

    @staticmethod
    def security_groups(port_ids, ports):
        """The security groups of the server's ports (their names where the library gives group records),
        once the library's port records carry them; None until then (security groups are being added)."""
        found = [getattr(ports[port_id], "security_groups", None) for port_id in port_ids if port_id in ports]
        if not found or any(groups is None for groups in found):
            return None
        return sorted(set(getattr(group, "name", group) for groups in found for group in groups))


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "stackling.cloud.servers"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("stackling.yml", "stackling.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        read_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        records = None
        if read_cache:
            try:
                records = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if records is None:
            records = self._list_servers()
        if update_cache:
            self._cache[cache_key] = records
        self._populate(records)

    def _list_servers(self):
        if not HAS_STACKLING:
            raise AnsibleParserError(
                "the stackling control library is not importable by this Python; run Ansible on the controller "
                "host with the Python of the venv where stackling is installed")
        login = self._login()
        try:
            controller = open_controller(login.config)
            try:
                cloud = Cloud.log_in(controller, login)
                try:
                    return _Reader(cloud).servers(self.get_option("all_projects"), self.get_option("network"))
                except LibraryError as exc:
                    raise library_error(exc, None, cloud) from None
            finally:
                controller.close()
        except StacklingError as exc:
            raise AnsibleParserError(str(exc)) from None

    def _login(self):
        """Which credentials the file names, checked as the cloud modules check theirs."""
        params = dict((name, self.get_option(name)) for name in LOGIN_OPTIONS)
        given = [name for name in AUTH_SOURCES if params[name]]
        if len(given) != 1:
            raise AnsibleParserError("give exactly one of %s (given: %s)"
                                     % (", ".join(AUTH_SOURCES), ", ".join(given) or "none"))
        if params["auth"]:
            checked = ArgumentSpecValidator({"auth": AUTH_SPEC}).validate({"auth": params["auth"]})
            if checked.error_messages:
                raise AnsibleParserError("auth: %s" % "; ".join(checked.error_messages))
            params["auth"] = checked.validated_parameters["auth"]
        try:
            return login_options(_LoginOptions(params))
        except StacklingError as exc:
            raise AnsibleParserError(str(exc)) from None

    def _populate(self, records):
        names = host_names([record["facts"] for record in records], self.get_option("hostname"))
        prefer_floating = self.get_option("address") == "floating"
        strict = self.get_option("strict")
        for record in records:
            facts = record["facts"]
            if names[facts["id"]] != facts["name"] and self.get_option("hostname") == "name":
                display.warning("several servers are named %r: this one is the host %s"
                                % (facts["name"], facts["id"]))
            host = self.inventory.add_host(names[facts["id"]])
            hostvars = {"stackling": facts}
            address = choose_address(facts, record["fixed_on"], prefer_floating)
            if address is not None:
                hostvars["ansible_host"] = address
            for name, value in hostvars.items():
                self.inventory.set_variable(host, name, value)
            if self.get_option("default_groups"):
                for group in default_groups(facts):
                    self.inventory.add_group(group)
                    self.inventory.add_host(host, group)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
