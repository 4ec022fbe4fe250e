# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# Apache License 2.0 (see LICENSE)
"""Unit tests of the libvirt network normalisers and spec <-> XML code (no libvirtd needed)."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils import _libvirt_network as net

IFACE = ipaddress.IPv4Interface("10.231.30.1/24")
XML = """<network>
  <name>n1</name>
  <uuid>0b9a7d6e-6f38-4a8e-9d0c-1b2b1e7c1f00</uuid>
  <forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>
  <bridge name='virbr7' stp='on' delay='0'/>
  <mac address='52:54:00:aa:bb:cc'/>
  <ip address='10.231.30.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.231.30.100' end='10.231.30.200'/>
      <host mac='52:54:00:00:00:0B' name='b' ip='10.231.30.12'/>
      <host mac='52:54:00:00:00:0a' name='a' ip='10.231.30.11'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00::1' prefix='64'/>
</network>"""


def field_of(func, *args):
    with pytest.raises(InvalidInput) as info:
        func(*args)
    return info.value.field


def test_normalise_mac():
    assert net.normalise_mac("f", "52-54-00-AB-cd-01") == "52:54:00:ab:cd:01"
    assert field_of(net.normalise_mac, "m", "52:54:00") == "m"


def test_parse_interface_refuses_missing_prefix_and_network_address():
    assert net.parse_interface("a", "10.231.30.1/24") == IFACE
    for bad in ("10.231.30.1", "10.231.30.0/24", "10.231.30.255/24", "10.231.30.1/32", "x/24"):
        assert field_of(net.parse_interface, "a", bad) == "a"


def test_normalise_range():
    assert net.normalise_range("r", None, IFACE) is None
    assert net.normalise_range("r", {"start": "10.231.30.100", "end": "10.231.30.200"}, IFACE) == {
        "start": "10.231.30.100", "end": "10.231.30.200"}
    assert field_of(net.normalise_range, "r", {"start": "10.231.31.1", "end": "10.231.30.9"}, IFACE) == "r.start"
    assert field_of(net.normalise_range, "r", {"start": "10.231.30.9", "end": "10.231.30.2"}, IFACE) == "r"
    assert field_of(net.normalise_range, "r", {"start": "10.231.30.1", "end": "10.231.30.9"}, IFACE) == "r"


def test_normalise_hosts_is_order_free_and_refuses_duplicates():
    one = [{"ip": "10.231.30.12", "mac": "52:54:00:00:00:0B"}, {"ip": "10.231.30.11", "name": "a"}]
    assert net.normalise_hosts("h", one, IFACE) == net.normalise_hosts("h", one[::-1], IFACE)
    assert net.normalise_hosts("h", one, IFACE)[1] == {"ip": "10.231.30.12", "mac": "52:54:00:00:00:0b"}
    dupes = [{"ip": "10.231.30.12", "name": "a"}, {"ip": "10.231.30.13", "name": "a"}]
    assert field_of(net.normalise_hosts, "h", dupes, IFACE) == "h"
    assert field_of(net.normalise_hosts, "h", [{"ip": "10.231.30.12"}], IFACE) == "h[0]"
    assert field_of(net.normalise_hosts, "h", [{"ip": "10.231.30.1", "name": "gw"}], IFACE) == "h[0].ip"


def test_parse_spec_ignores_uuid_mac_and_host_order():
    spec = net.parse_spec(XML)
    assert spec == {
        "forward": "nat", "bridge": "virbr7", "stp": True, "delay": 0, "mtu": None, "domain": None,
        "ipv4": "10.231.30.1/24", "dhcp_range": {"start": "10.231.30.100", "end": "10.231.30.200"},
        "hosts": [{"ip": "10.231.30.11", "mac": "52:54:00:00:00:0a", "name": "a"},
                  {"ip": "10.231.30.12", "mac": "52:54:00:00:00:0b", "name": "b"}],
    }
    assert net.parse_spec("<network><name>x</name></network>")["forward"] == "none"


def test_apply_spec_keeps_what_it_does_not_manage():
    spec = net.desired_spec({"name": "n1", "mtu": 1400, "ipv4": {"address": "10.231.30.1/24"}})
    out = net.apply_spec(XML, "n1", spec)
    parsed = net.parse_spec(out)
    assert parsed["mtu"] == 1400 and parsed["dhcp_range"] is None and parsed["hosts"] == []
    assert "0b9a7d6e-6f38-4a8e-9d0c-1b2b1e7c1f00" in out and "52:54:00:aa:bb:cc" in out and "fd00::1" in out
    assert "netmask" not in out and net.parse_spec(out)["forward"] == "nat"


def test_apply_spec_round_trips_a_new_network():
    params = {"name": "n2", "forward": "route", "domain": "c.test",
              "ipv4": {"address": "10.231.30.1/24", "dhcp_range": {"start": "10.231.30.50", "end": "10.231.30.60"},
                       "hosts": [{"ip": "10.231.30.5", "mac": "52:54:00:00:00:05", "name": "h5"}]}}
    spec = net.complete_spec(net.desired_spec(params), params, None)
    parsed = net.parse_spec(net.apply_spec(None, "n2", spec))
    assert dict((key, parsed[key]) for key in spec) == spec


def test_complete_spec_for_bridge_mode():
    params = {"name": "n3", "forward": "bridge", "bridge": {"name": "br0"}}
    spec = net.complete_spec(net.desired_spec(params), params, None)
    assert spec["ipv4"] is None and spec["stp"] is None and spec["hosts"] == []
    out = net.apply_spec(XML, "n3", spec)
    assert "<mac" not in out and "stp" not in out and "10.231.30.1" not in out
    with pytest.raises(InvalidInput) as info:
        net.complete_spec({"forward": "bridge"}, {}, None)
    assert info.value.field == "bridge"
    with pytest.raises(InvalidInput) as info:
        net.complete_spec({"forward": "bridge", "bridge": "br0", "mtu": 1400}, {}, None)
    assert info.value.field == "mtu"


def test_host_changes():
    a, b, c = ({"ip": "10.231.30.%d" % i, "name": "h%d" % i} for i in (5, 6, 7))
    assert net.host_changes([a, b], [b, c]) == ([a], [c])
