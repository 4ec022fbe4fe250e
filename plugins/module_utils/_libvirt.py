# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one gateway to libvirt shared by every libvirt_* module.

Opens the connection (with a clear message when libvirtd is down), looks objects up
by name mapping only libvirt's specific "no such object" codes to None, and wraps every
other libvirt error into a typed StacklingError carrying libvirt's own message.
"""

from __future__ import annotations

import traceback

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    ServiceUnavailable,
    StacklingError,
)

LIBVIRT_IMPORT_ERROR = None
try:
    import libvirt
except ImportError:  # pragma: no cover - reported by require_libvirt()
    libvirt = None
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()

# Shared options of every libvirt module; documented in doc_fragments/libvirt.py.
LIBVIRT_ARG_SPEC = {
    "uri": {"type": "str", "default": "qemu:///system"},
}


def require_libvirt(module):
    """Fail the module with Ansible's standard message when libvirt-python is missing."""
    if libvirt is None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib("libvirt-python"), exception=LIBVIRT_IMPORT_ERROR)


def _silence_default_handler():
    # libvirt prints every error to stderr by default; we report errors ourselves.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


_EVENT_LOOP = []


def _register_event_loop():
    # Once per process, before the connection opens: only then does libvirt deliver domain events to it.
    if not _EVENT_LOOP:
        libvirt.virEventRegisterDefaultImpl()
        _EVENT_LOOP.append(True)


def connect(uri, events=False):
    """Open a read-write connection or raise ServiceUnavailable explaining how to fix it.

    ``events``: the connection can deliver domain events (the caller runs libvirt's default event loop)."""
    _silence_default_handler()
    if events:
        _register_event_loop()
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as exc:
        raise ServiceUnavailable(
            "cannot connect to libvirt at %s: %s. Is libvirtd running (libvirtd -d, or "
            "systemctl start libvirtd) and is the uri option right?" % (uri, exc.get_error_message()),
            uri=uri,
        )


def error_code(exc):
    return exc.get_error_code() if libvirt is not None and isinstance(exc, libvirt.libvirtError) else None


def wrap(action, exc):
    """A StacklingError naming the action that failed and libvirt's message and code."""
    return StacklingError("%s failed: %s" % (action, exc.get_error_message()), libvirt_error_code=exc.get_error_code())


def _lookup(lookup, name, missing_code):
    try:
        return lookup(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == missing_code:
            return None
        raise wrap("looking up %r" % name, exc)


def find_domain(conn, name):
    return _lookup(conn.lookupByName, name, libvirt.VIR_ERR_NO_DOMAIN)


def find_network(conn, name):
    return _lookup(conn.networkLookupByName, name, libvirt.VIR_ERR_NO_NETWORK)


def find_pool(conn, name):
    return _lookup(conn.storagePoolLookupByName, name, libvirt.VIR_ERR_NO_STORAGE_POOL)


def find_volume(pool, name):
    return _lookup(pool.storageVolLookupByName, name, libvirt.VIR_ERR_NO_STORAGE_VOL)


def call(action, func, *args):
    """Run one libvirt call, turning libvirtError into a StacklingError that names ``action``."""
    try:
        return func(*args)
    except libvirt.libvirtError as exc:
        raise wrap(action, exc)
