# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

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
