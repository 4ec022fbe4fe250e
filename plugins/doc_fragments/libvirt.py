# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment(object):
    # Paired with LIBVIRT_ARG_SPEC in plugins/module_utils/_libvirt.py.
    DOCUMENTATION = r"""
options:
  uri:
    description:
      - libvirt connection URI.
      - The default talks to the system libvirtd on this host.
    type: str
    default: qemu:///system
requirements:
  - libvirt-python
  - a running libvirtd
"""
