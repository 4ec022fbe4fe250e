# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Paired with TGT_ARG_SPEC in plugins/module_utils/_tgt.py.
    DOCUMENTATION = r"""
options:
  control_port:
    description:
      - The tgtd instance to talk to, by its management port (C(tgtadm -C), C(tgtd -C)); its
        control socket is C(/var/run/tgtd/socket.<control_port>).
      - The default V(0) is the tgtd a distribution's service starts.
    type: int
    default: 0
  portal:
    description:
      - Address and port the iSCSI portal listens on, such as V(127.0.0.1:3260) or
        V(192.0.2.10:3260), used only when the module starts tgtd itself
        (C(tgtd --iscsi portal=<portal>)).
      - Omitted, a tgtd started here listens on every address, port 3260 (tgtd's default).
      - When tgtd is already running the portal is not changed; the module warns when the
        running tgtd does not listen on it.
    type: str
notes:
  - When nothing answers on the control socket the module starts C(tgtd) itself (there may be
    no init system), writing its pid to C(/run/stackling-tgtd.<control_port>.pid), and waits
    for the control socket. In check mode it only reports that it would.
  - tgtd keeps its configuration in memory; a restarted tgtd has no targets until the module
    runs again.
requirements:
  - tgt (the C(tgtd) daemon and the C(tgtadm) command)
"""
