# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt networks: the user's options <-> a normalised spec <-> libvirt's network XML.

A *spec* is a flat dict over SPEC_KEYS (forward, bridge, stp, delay, mtu, domain, ipv4,
dhcp_range, hosts). ``parse_spec`` reads one from libvirt XML, ``desired_spec`` and
``complete_spec`` build one from the module's options, and ``apply_spec`` writes one into
an existing definition, keeping what the spec does not manage (uuid, MAC, IPv6, DNS).
Only the standard library and libvirt-python are used: this runs on target hosts.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._libvirt import call, libvirt, wrap
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

SPEC_KEYS = ("forward", "bridge", "stp", "delay", "mtu", "domain", "ipv4", "dhcp_range", "hosts")
# In forward mode bridge the host bridge carries everything: libvirt refuses these there.
BRIDGE_MODE_UNSET = {"stp": None, "delay": None, "mtu": None, "domain": None,
                     "ipv4": None, "dhcp_range": None, "hosts": []}
BRIDGE_MODE_REFUSED = (("ipv4", "ipv4"), ("domain", "domain"), ("mtu", "mtu"),
                       ("stp", "bridge.stp"), ("delay", "bridge.delay"))
IFNAME_MAX = 15  # IFNAMSIZ - 1
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


# ---- validating and normalising the options -------------------------------------------

def normalise_mac(field, value):
    """Lower-case ``aa:bb:cc:dd:ee:ff``; dashes are accepted as separators."""
    mac = str(value).strip().lower().replace("-", ":")
    if not _MAC_RE.match(mac):
        raise InvalidInput(field, "%r is not a MAC address like 52:54:00:12:34:56" % (value,))
    return mac


def validate_hostname(field, value):
    """One DNS label: letters, digits and inner dashes (dnsmasq's host name rules)."""
    if not _LABEL_RE.match(value or ""):
        raise InvalidInput(field, "%r is not a host name: use letters, digits and '-' only" % (value,))
    return value


def validate_domain(field, value):
    """A DNS domain: dot-separated labels, no trailing dot."""
    labels = (value or "").split(".")
    if len(value or "") > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise InvalidInput(field, "%r is not a DNS domain name like cloud.example" % (value,))
    return value


def parse_interface(field, value):
    """``address/prefix`` -> IPv4Interface; the address must be a usable host of its subnet."""
    try:
        iface = ipaddress.IPv4Interface(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(field, "%r is not an IPv4 address/prefix like 10.0.0.1/24: %s" % (value, exc))
    if "/" not in str(value):
        raise InvalidInput(field, "%r has no prefix: write it as address/prefix, e.g. 10.0.0.1/24" % (value,))
    if iface.network.prefixlen > 30:
        raise InvalidInput(field, "prefix /%d leaves no room for hosts: use /30 or shorter" % iface.network.prefixlen)
    if iface.ip in (iface.network.network_address, iface.network.broadcast_address):
        raise InvalidInput(field, "%s is the network or broadcast address of %s" % (iface.ip, iface.network))
    return iface


def host_address(field, value, network):
    """An IPv4 address inside ``network`` that is neither its network nor broadcast address."""
    try:
        addr = ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise InvalidInput(field, "%r is not an IPv4 address" % (value,))
    if addr not in network or addr in (network.network_address, network.broadcast_address):
        raise InvalidInput(field, "%s is not a host address inside the subnet %s" % (addr, network))
    return addr


def normalise_range(field, rng, iface):
    """``{start, end}`` as strings, both inside the subnet and start <= end; None stays None."""
    if rng is None:
        return None
    start = host_address(field + ".start", rng.get("start"), iface.network)
    end = host_address(field + ".end", rng.get("end"), iface.network)
    if start > end:
        raise InvalidInput(field, "start %s is after end %s" % (start, end))
    if start <= iface.ip <= end:
        raise InvalidInput(field, "%s-%s includes the network's own address %s" % (start, end, iface.ip))
    return {"start": str(start), "end": str(end)}


def normalise_host(field, host, iface):
    """One static DHCP host as ``{ip, mac?, name?}`` with normalised values."""
    out = {"ip": str(host_address(field + ".ip", host.get("ip"), iface.network))}
    if host.get("mac"):
        out["mac"] = normalise_mac(field + ".mac", host["mac"])
    if host.get("name"):
        out["name"] = validate_hostname(field + ".name", host["name"])
    if len(out) == 1:
        raise InvalidInput(field, "give mac, name or both for the host with ip %s" % out["ip"])
    if out["ip"] == str(iface.ip):
        raise InvalidInput(field + ".ip", "%s is the network's own address" % out["ip"])
    return out


def sort_hosts(hosts):
    """Hosts in a stable order so two lists compare equal whatever order they were given in."""
    return sorted(hosts, key=lambda h: (ipaddress.IPv4Address(h["ip"]), h.get("mac", ""), h.get("name", "")))


def normalise_hosts(field, hosts, iface):
    """Validated, order-free static hosts; a MAC, IP or name may appear only once."""
    result = [normalise_host("%s[%d]" % (field, i), host, iface) for i, host in enumerate(hosts or [])]
    for key in ("ip", "mac", "name"):
        values = [host[key] for host in result if key in host]
        dupes = sorted(set(v for v in values if values.count(v) > 1))
        if dupes:
            raise InvalidInput(field, "%s %s is used by more than one host" % (key, ", ".join(dupes)))
    return sort_hosts(result)


def ipv4_spec(ipv4):
    """The ipv4, dhcp_range and hosts keys of a spec from the ``ipv4`` option."""
    iface = parse_interface("ipv4.address", ipv4.get("address"))
    return {
        "ipv4": iface.with_prefixlen,
        "dhcp_range": normalise_range("ipv4.dhcp_range", ipv4.get("dhcp_range"), iface),
        "hosts": normalise_hosts("ipv4.hosts", ipv4.get("hosts"), iface),
    }


def desired_spec(params):
    """The keys the user manages, validated and normalised; options left out are not managed."""
    validate_name("name", params["name"])
    spec = {}
    if params.get("forward") is not None:
        spec["forward"] = params["forward"]
    bridge = params.get("bridge")
    if bridge is not None:
        if bridge.get("name") is not None:
            spec["bridge"] = validate_name("bridge.name", bridge["name"], max_length=IFNAME_MAX)
        for key in ("stp", "delay"):
            if bridge.get(key) is not None:
                spec[key] = bridge[key]
    if spec.get("delay") is not None and spec["delay"] < 0:
        raise InvalidInput("bridge.delay", "must be 0 or more seconds")
    if params.get("mtu") is not None:
        if not 68 <= params["mtu"] <= 65535:
            raise InvalidInput("mtu", "%s is not between 68 and 65535" % params["mtu"])
        spec["mtu"] = params["mtu"]
    if params.get("domain") is not None:
        spec["domain"] = validate_domain("domain", params["domain"])
    if params.get("ipv4") is not None:
        spec.update(ipv4_spec(params["ipv4"]))
    return spec


def complete_spec(spec, params, current_forward):
    """Fill libvirt's defaults for the forward mode the network will have, or refuse what it forbids."""
    forward = spec.get("forward") or current_forward or "none"
    spec = dict(spec)
    if forward == "bridge":
        if not spec.get("bridge"):
            raise InvalidInput("bridge", "forward mode bridge needs bridge.name: the existing host bridge to use")
        given = [field for key, field in BRIDGE_MODE_REFUSED if key in spec]
        if given:
            raise InvalidInput(given[0], "is not allowed with forward mode bridge (the host bridge owns it)")
        spec.update(BRIDGE_MODE_UNSET)
    elif params.get("bridge") is not None or "forward" in spec:
        spec.setdefault("stp", True)
        spec.setdefault("delay", 0)
    return spec


# ---- reading libvirt XML --------------------------------------------------------------

def _ipv4_element(root):
    for ip in root.findall("ip"):
        if ip.get("family", "ipv4") == "ipv4" and "." in (ip.get("address") or ""):
            return ip
    return None


def _parse_ip(ip):
    if ip is None:
        return {"ipv4": None, "dhcp_range": None, "hosts": []}
    if ip.get("prefix"):
        iface = ipaddress.IPv4Interface("%s/%s" % (ip.get("address"), ip.get("prefix")))
    else:
        iface = ipaddress.IPv4Interface("%s/%s" % (ip.get("address"), ip.get("netmask", "255.255.255.0")))
    ranges = [{"start": r.get("start"), "end": r.get("end")} for r in ip.findall("dhcp/range")]
    hosts = [dict((k, h.get(k).lower() if k == "mac" else h.get(k)) for k in ("ip", "mac", "name") if h.get(k))
             for h in ip.findall("dhcp/host")]
    return {
        "ipv4": iface.with_prefixlen,
        "dhcp_range": ranges[0] if len(ranges) == 1 else (ranges or None),
        "hosts": sort_hosts(hosts),
    }


def _int_or_none(value):
    return int(value) if value is not None else None


def parse_spec(xml_text):
    """The normalised spec of a libvirt network definition (uuid and MAC are left out)."""
    root = ET.fromstring(xml_text)
    forward = root.find("forward")
    bridge = root.find("bridge")
    bridge = bridge if bridge is not None else ET.Element("bridge")
    mtu = root.find("mtu")
    domain = root.find("domain")
    spec = {
        "forward": "none" if forward is None else forward.get("mode", "nat"),
        "bridge": bridge.get("name"),
        "stp": None if bridge.get("stp") is None else bridge.get("stp") == "on",
        "delay": _int_or_none(bridge.get("delay")),
        "mtu": _int_or_none(mtu.get("size") if mtu is not None else None),
        "domain": domain.get("name") if domain is not None else None,
    }
    spec.update(_parse_ip(_ipv4_element(root)))
    return spec


# ---- writing libvirt XML --------------------------------------------------------------

def _child(root, tag):
    element = root.find(tag)
    return element if element is not None else ET.SubElement(root, tag)


def _drop(root, tag):
    for element in root.findall(tag):
        root.remove(element)


def _set_attr(element, attr, value):
    if value is None:
        element.attrib.pop(attr, None)
    else:
        element.set(attr, value)


def _set_forward(root, mode):
    current = root.find("forward")
    if current is not None and current.get("mode", "nat") == mode:
        return
    _drop(root, "forward")
    if mode != "none":
        ET.SubElement(root, "forward", mode=mode)
    if mode == "bridge":
        # libvirt refuses a MAC and DNS settings for a network on a host bridge.
        _drop(root, "mac")
        _drop(root, "dns")


def _set_bridge(root, spec):
    bridge = _child(root, "bridge")
    if spec.get("bridge") is not None:
        bridge.set("name", spec["bridge"])
    if "stp" in spec:
        _set_attr(bridge, "stp", None if spec["stp"] is None else ("on" if spec["stp"] else "off"))
    if "delay" in spec:
        _set_attr(bridge, "delay", None if spec["delay"] is None else str(spec["delay"]))


def _set_named(root, tag, attr, value):
    if value is None:
        _drop(root, tag)
    else:
        _child(root, tag).set(attr, str(value))


def _set_dhcp(ip, spec):
    dhcp = _child(ip, "dhcp")
    _drop(dhcp, "range")
    _drop(dhcp, "host")
    if spec.get("dhcp_range"):
        ET.SubElement(dhcp, "range", start=spec["dhcp_range"]["start"], end=spec["dhcp_range"]["end"])
    for host in spec.get("hosts") or []:
        dhcp.append(host_element(host))
    if len(dhcp) == 0:
        ip.remove(dhcp)


def _set_ipv4(root, spec):
    ip = _ipv4_element(root)
    if spec["ipv4"] is None:
        if ip is not None:
            root.remove(ip)
        return
    if ip is None:
        ip = ET.SubElement(root, "ip")
    iface = ipaddress.IPv4Interface(spec["ipv4"])
    ip.attrib.pop("netmask", None)
    ip.attrib.pop("family", None)
    ip.set("address", str(iface.ip))
    ip.set("prefix", str(iface.network.prefixlen))
    _set_dhcp(ip, spec)


def apply_spec(xml_text, name, spec):
    """libvirt XML for ``xml_text`` (or a new network called ``name``) changed to match ``spec``."""
    root = ET.fromstring(xml_text) if xml_text else ET.Element("network")
    _child(root, "name").text = name
    if "forward" in spec:
        _set_forward(root, spec["forward"])
    if any(key in spec for key in ("bridge", "stp", "delay")):
        _set_bridge(root, spec)
    if "mtu" in spec:
        _set_named(root, "mtu", "size", spec["mtu"])
    if "domain" in spec:
        _set_named(root, "domain", "name", spec["domain"])
    if "ipv4" in spec:
        _set_ipv4(root, spec)
    return ET.tostring(root, encoding="unicode")


def host_element(host):
    """``<host mac= name= ip=/>`` for one normalised static host."""
    return ET.Element("host", dict((key, host[key]) for key in ("mac", "name", "ip") if key in host))


def host_changes(current, desired):
    """(hosts to delete, hosts to add) turning the ``current`` static hosts into ``desired``."""
    return ([host for host in current if host not in desired],
            [host for host in desired if host not in current])


# ---- talking to libvirt ---------------------------------------------------------------

def read_network(net):
    """What libvirt holds for ``net`` (None if missing): the definition's spec and its live spec."""
    if net is None:
        return None
    active = bool(call("checking whether the network is active", net.isActive))
    return {
        "xml": call("reading the network definition", net.XMLDesc, libvirt.VIR_NETWORK_XML_INACTIVE),
        "live": parse_spec(call("reading the running network", net.XMLDesc, 0)) if active else None,
        "uuid": call("reading the network uuid", net.UUIDString),
        "active": active,
        "persistent": bool(call("checking whether the network is persistent", net.isPersistent)),
        "autostart": bool(call("reading the network autostart flag", net.autostart)),
    }


def facts(name, spec, uuid=None, active=False, autostart=False, persistent=True):
    """The module's ``network`` return value; ``spec`` None means the network is absent."""
    state = "absent" if spec is None else ("active" if active else "inactive")
    result = dict(name=name, uuid=uuid, state=state, active=active, autostart=autostart,
                  persistent=persistent and spec is not None)
    result.update((key, (spec or {}).get(key, [] if key == "hosts" else None)) for key in SPEC_KEYS)
    return result


def current_facts(name, current):
    """``facts`` of what ``read_network`` found (None when the network does not exist)."""
    if current is None:
        return None
    return facts(name, parse_spec(current["xml"]), current["uuid"], current["active"],
                 current["autostart"], current["persistent"])


def require_feasible(conn, spec):
    """Refuse, naming the option, a spec libvirt would refuse: NAT without IPv4, a missing host bridge."""
    if spec["forward"] in ("nat", "route") and spec["ipv4"] is None:
        raise InvalidInput("ipv4", "forward mode %s needs an IPv4 address/prefix" % spec["forward"])
    if spec["forward"] != "bridge":
        return
    try:
        conn.interfaceLookupByName(spec["bridge"])
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_INTERFACE:
            raise InvalidInput("bridge", "host bridge %r does not exist where libvirtd runs: create it "
                                         "first or use another forward mode" % spec["bridge"])
        raise wrap("looking up host bridge %r" % spec["bridge"], exc)


def update_hosts_live(net, delete, add):
    """Change static DHCP hosts of a running network in place (live and persistent, no restart)."""
    flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    section = libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST
    for host in delete:
        call("removing DHCP host %s" % host["ip"], net.update,
             libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, section, -1, ET.tostring(host_element(host), encoding="unicode"), flags)
    for host in add:
        call("adding DHCP host %s" % host["ip"], net.update,
             libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, section, -1, ET.tostring(host_element(host), encoding="unicode"), flags)
