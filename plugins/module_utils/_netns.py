# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named network namespaces: the shared ``netns`` option and running a command inside one.

iproute2's own tools take the namespace as an option (``ip -n NS ...``, ``bridge -n NS ...``);
any other binary runs under ``ip netns exec NS``. :func:`netns_argv` is the one place that
builds either command line.
"""

from __future__ import annotations

import os

from ansible_collections.stackling.cloud.plugins.module_utils._errors import InvalidInput
from ansible_collections.stackling.cloud.plugins.module_utils._names import validate_name

# The shared option of every module that acts in a namespace; documented in doc_fragments/netns.py.
NETNS_ARG_SPEC = {
    "netns": {"type": "str"},
}
NETNS_DIR = "/run/netns"
IPROUTE2_TOOLS = ("ip", "bridge")


def netns_argv(netns, binary, args, ip="ip"):
    """The command line running ``binary args`` in ``netns`` (None or empty: the caller's namespace).

    ``ip`` is the path of the ``ip`` binary, needed only for ``ip netns exec``.
    """
    if not netns:
        return [binary] + list(args)
    if os.path.basename(binary) in IPROUTE2_TOOLS:
        return [binary, "-n", netns] + list(args)
    return [ip, "netns", "exec", netns, binary] + list(args)


def validate_netns(field, value):
    """A named network namespace (a file under /run/netns): a safe object name."""
    return validate_name(field, value, max_length=64)


def netns_option(params, field="netns"):
    """The module's namespace option, validated as a name; falsy when omitted."""
    value = params[field]
    return value and validate_netns(field, value)


def missing_netns(field, name, **details):
    """The InvalidInput for a namespace that does not exist."""
    return InvalidInput(field, "network namespace %r does not exist (create it with stackling.cloud.ip_netns)" % (name,),
                        **details)


def netns_exists(field, name):
    """Whether the network namespace ``name`` exists; InvalidInput if it is not a valid name."""
    return os.path.exists(os.path.join(NETNS_DIR, validate_netns(field, name)))


def require_netns(field, name):
    """``name`` if it names an existing network namespace (``ip netns list``); else InvalidInput."""
    if not netns_exists(field, name):
        raise missing_netns(field, name)
    return name
