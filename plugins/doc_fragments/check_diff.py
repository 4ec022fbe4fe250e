# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment(object):
    # Every Stackling node module supports check mode and diff mode fully.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Reports what would change and changes nothing.
    support: full
  diff_mode:
    description: Returns a before/after diff holding only the changed fields.
    support: full
"""
