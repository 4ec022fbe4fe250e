# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dnsmasq serving DHCP (and DNS) for one tenant network.

Validates and normalises the network description, renders the two files dnsmasq reads
(the config, whose changes need a restart, and the dhcp-hostsfile of reservations, re-read
on SIGHUP), parses them back for comparison, and builds dnsmasq's command line.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput, StacklingError

DEFAULT_STATE_ROOT = "/var/lib/stackling/dnsmasq"
# hosts.unloaded exists from the moment a new hosts file is written until dnsmasq has read it,
# so a run killed in between still reloads on the next run.
FILES = dict(config="dnsmasq.conf", hosts="hosts", leases="leases", pid_file="dnsmasq.pid", log="dnsmasq.log",
             reload_pending="hosts.unloaded")
HEADER = "# Managed by stackling.cloud.dnsmasq_network for network %s; changes here are overwritten.\n"

_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_LEASE_RE = re.compile(r"^(\d+[smhdw]?|infinite)$")
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.:+-]{1,15}$")


def state_paths(state_dir):
    """The state directory and the absolute path of each file dnsmasq uses in it."""
    paths = dict((key, os.path.join(state_dir, name)) for key, name in FILES.items())
    paths["state_dir"] = state_dir
    return paths


def _address(field, value):
    try:
        return ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise InvalidInput(field, "%r is not an IPv4 address" % (value,))


def _subnet(spec):
    """The subnet the range lies in, from dhcp_range.start and its prefix or netmask."""
    mask = spec.get("prefix") if spec.get("prefix") is not None else spec.get("netmask")
    if mask is None:
        raise InvalidInput("dhcp_range", "give prefix (for example 24) or netmask (255.255.255.0)")
    field = "dhcp_range.prefix" if spec.get("prefix") is not None else "dhcp_range.netmask"
    try:
        subnet = ipaddress.IPv4Network("%s/%s" % (_address("dhcp_range.start", spec.get("start")), mask), strict=False)
    except ValueError:
        raise InvalidInput(field, "%r is not a valid IPv4 prefix length or netmask" % (mask,))
    if subnet.prefixlen > 30:
        raise InvalidInput(field, "%r leaves no room for hosts: use a prefix of at most 30" % (mask,))
    return subnet


def _host_in(field, value, subnet):
    """``value`` as an address of ``subnet`` that is neither its network nor its broadcast address."""
    address = _address(field, value)
    if address not in subnet:
        raise InvalidInput(field, "%s is outside the subnet %s (dhcp_range.start with its prefix)" % (address, subnet))
    if address in (subnet.network_address, subnet.broadcast_address):
        raise InvalidInput(field, "%s is the network or broadcast address of %s" % (address, subnet))
    return address


def normalize_range(spec):
    """(dhcp_range with netmask filled in, subnet); the range must lie in the subnet, start <= end."""
    subnet = _subnet(spec)
    start = _host_in("dhcp_range.start", spec["start"], subnet)
    end = _host_in("dhcp_range.end", spec.get("end"), subnet)
    if end < start:
        raise InvalidInput("dhcp_range.end", "%s is before dhcp_range.start %s" % (end, start))
    lease = str(spec.get("lease_time") or "12h").strip().lower()
    if not _LEASE_RE.match(lease):
        raise InvalidInput("dhcp_range.lease_time", "%r is not a lease time such as 3600, 45m, 12h, 7d or infinite"
                           % (spec.get("lease_time"),))
    return dict(start=str(start), end=str(end), netmask=str(subnet.netmask), lease_time=lease), subnet


def _reservation(index, spec, subnet):
    field = "reservations[%d]" % index
    mac = str(spec.get("mac") or "").strip().lower()
    if not _MAC_RE.match(mac):
        raise InvalidInput(field + ".mac", "%r is not a MAC address like 52:54:00:12:34:56" % (spec.get("mac"),))
    hostname = spec.get("hostname") or None
    if hostname is not None and not _LABEL_RE.match(hostname):
        raise InvalidInput(field + ".hostname", "%r is not a host name (letters, digits and '-', one label)"
                           % (hostname,))
    return dict(mac=mac, ip=str(_host_in(field + ".ip", spec.get("ip"), subnet)), hostname=hostname)


def normalize_reservations(reservations, subnet):
    """Reservations sorted by MAC, each MAC and IP used once."""
    result, seen = [], {}
    for index, spec in enumerate(reservations or []):
        item = _reservation(index, spec, subnet)
        for key in ("mac", "ip"):
            if (key, item[key]) in seen:
                raise InvalidInput("reservations[%d].%s" % (index, key), "%s is already reserved by reservations[%d]"
                                   % (item[key], seen[(key, item[key])]))
            seen[(key, item[key])] = index
        result.append(item)
    return sorted(result, key=lambda item: item["mac"])


def _domain(value):
    if value is None or value == "":
        return None
    labels = value.rstrip(".").split(".")
    if not all(_LABEL_RE.match(label) for label in labels):
        raise InvalidInput("domain", "%r is not a DNS domain name" % (value,))
    return value.rstrip(".").lower()


def normalize_network(params):
    """(settings, reservations): the validated, normalised description of the network."""
    if not _IFNAME_RE.match(params.get("interface") or ""):
        raise InvalidInput("interface", "%r is not an interface name" % (params.get("interface"),))
    dhcp_range, subnet = normalize_range(params["dhcp_range"])
    gateway = params.get("gateway")
    settings = dict(
        interface=params["interface"],
        dhcp_range=dhcp_range,
        gateway=str(_host_in("gateway", gateway, subnet)) if gateway else None,
        dns_servers=[str(_address("dns_servers[%d]" % index, server))
                     for index, server in enumerate(params.get("dns_servers") or [])],
        domain=_domain(params.get("domain")),
        dns=bool(params.get("dns", True)),
    )
    return settings, normalize_reservations(params.get("reservations"), subnet)


def render_config(name, settings):
    """The dnsmasq config file: everything that needs a restart when it changes."""
    dhcp_range = settings["dhcp_range"]
    lines = ["no-hosts", "dhcp-authoritative", "dhcp-range=%(start)s,%(end)s,%(netmask)s,%(lease_time)s" % dhcp_range]
    if settings["gateway"]:
        lines.append("dhcp-option=option:router,%s" % settings["gateway"])
    if settings["dns_servers"]:
        lines.append("dhcp-option=option:dns-server,%s" % ",".join(settings["dns_servers"]))
    if settings["domain"]:
        lines.append("domain=%s" % settings["domain"])
    if not settings["dns"]:
        lines.append("port=0")
    return HEADER % name + "".join(line + "\n" for line in lines)


def parse_config(text):
    """The settings (but the interface, which is on the command line) of a config we rendered."""
    settings = dict(dhcp_range=None, gateway=None, dns_servers=[], domain=None, dns=True)
    for line in (text or "").splitlines():
        key, _sep, value = line.partition("=")
        if key == "dhcp-range":
            start, end, netmask, lease = (value.split(",") + [None] * 4)[:4]
            settings["dhcp_range"] = dict(start=start, end=end, netmask=netmask, lease_time=lease)
        elif key == "dhcp-option" and value.startswith("option:router,"):
            settings["gateway"] = value.split(",", 1)[1]
        elif key == "dhcp-option" and value.startswith("option:dns-server,"):
            settings["dns_servers"] = value.split(",")[1:]
        elif key == "domain":
            settings["domain"] = value
        elif key == "port" and value == "0":
            settings["dns"] = False
    return settings


def render_hosts(reservations):
    """The dhcp-hostsfile: ``mac,ip[,hostname]`` per reservation."""
    return "".join(",".join(part for part in (item["mac"], item["ip"], item["hostname"]) if part) + "\n"
                   for item in reservations)


def parse_hosts(text):
    result = []
    for line in (text or "").splitlines():
        parts = line.strip().split(",")
        if len(parts) >= 2 and not line.startswith("#"):
            result.append(dict(mac=parts[0], ip=parts[1], hostname=parts[2] if len(parts) > 2 else None))
    return sorted(result, key=lambda item: item["mac"])


def command_line(paths, interface):
    """dnsmasq's arguments; ``--conf-file=<path>`` is what identifies our process later."""
    return [
        "--conf-file=%s" % paths["config"],
        "--pid-file=%s" % paths["pid_file"],
        "--dhcp-hostsfile=%s" % paths["hosts"],
        "--dhcp-leasefile=%s" % paths["leases"],
        "--log-facility=%s" % paths["log"],
        "--except-interface=lo",
        "--bind-interfaces",
        "--interface=%s" % interface,
    ]


def interface_of(argv):
    """The ``--interface`` a running dnsmasq was started with (None if not found)."""
    for arg in argv or []:
        if arg.startswith("--interface="):
            return arg.split("=", 1)[1]
    return None


def interface_networks(addr_json):
    """The IPv4 networks of the addresses in an ``ip -j addr show dev IF`` listing."""
    networks = []
    for link in addr_json or []:
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                networks.append(ipaddress.IPv4Network("%s/%s" % (info["local"], info["prefixlen"]), strict=False))
    return networks


def check_range_served(dhcp_range, networks, interface):
    """dnsmasq silently ignores a range outside every subnet of its interface: refuse it instead."""
    start, end = ipaddress.IPv4Address(dhcp_range["start"]), ipaddress.IPv4Address(dhcp_range["end"])
    if networks and not any(start in net and end in net for net in networks):
        raise InvalidInput("dhcp_range", "%s-%s is outside the subnets of interface %s (%s): dnsmasq would not "
                           "answer" % (start, end, interface, ", ".join(str(net) for net in networks)))


def check_searchable(state_dir):
    """dnsmasq drops root (to user nobody) and re-reads the hosts file after that, so every existing
    directory on the way to the state directory must be searchable by others."""
    path = os.path.abspath(state_dir)
    while True:
        if os.path.isdir(path) and not os.stat(path).st_mode & stat.S_IXOTH:
            raise InvalidInput("state_dir", "%s is not searchable by others (mode %o): dnsmasq, which drops root "
                               "privileges, could not re-read its hosts file under %s"
                               % (path, stat.S_IMODE(os.stat(path).st_mode), state_dir))
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def read_file(path):
    """The text of ``path``, or None when it does not exist or cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _make_dirs(path):
    """mkdir -p with mode 0755 whatever the umask: dnsmasq (user nobody) must reach its files."""
    if not os.path.isdir(path):
        _make_dirs(os.path.dirname(path))
        os.mkdir(path)
        os.chmod(path, 0o755)


def write_file(state_dir, path, text):
    """Replace ``path`` atomically (rename), readable by dnsmasq after it dropped root."""
    try:
        _make_dirs(state_dir)
        with open(path + ".tmp", "w") as handle:
            handle.write(text)
        os.chmod(path + ".tmp", 0o644)
        os.rename(path + ".tmp", path)
    except (IOError, OSError) as exc:
        raise StacklingError("cannot write %s: %s" % (path, exc), path=path)


def mark_reload_pending(state_dir, path, pending):
    """Create (pending=True) or remove the marker saying dnsmasq has not read the hosts file yet."""
    try:
        if pending:
            _make_dirs(state_dir)
            open(path, "w").close()
        elif os.path.lexists(path):
            os.unlink(path)
    except (IOError, OSError) as exc:
        raise StacklingError("cannot update %s: %s" % (path, exc), path=path)


def remove_state(paths):
    """Remove the files of FILES and the directory if then empty; False if other files kept it."""
    try:
        for key in FILES:
            for path in (paths[key], paths[key] + ".tmp"):
                if os.path.lexists(path):
                    os.unlink(path)
        if os.path.isdir(paths["state_dir"]) and not os.listdir(paths["state_dir"]):
            os.rmdir(paths["state_dir"])
    except (IOError, OSError) as exc:
        raise StacklingError("cannot remove the files of %s: %s" % (paths["state_dir"], exc))
    return not os.path.isdir(paths["state_dir"])
