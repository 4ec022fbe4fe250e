"""IPAM: networks and their VNIs, subnets, ports with MACs and fixed IPs, floating IPs.

    ipam = Ipam(IpamConfig(), clock, random.Random())
    with db.write() as session:
        net = ipam.create_network(session, project_id, "private")          # takes a VNI
        subnet = ipam.create_subnet(session, net.id, "10.0.0.0/24", dns_nameservers=["10.0.0.2"])
        port = ipam.create_port(session, net.id)                            # MAC + 10.0.0.2
Every method runs in the caller's transaction (``db.write()`` for changes).
"""

from __future__ import annotations

from stackling.ipam.floating import FloatingIpOps
from stackling.ipam.networks import NetworkOps


class Ipam(NetworkOps, FloatingIpOps):
    """Networks, subnets, ports, fixed and floating IPs."""
