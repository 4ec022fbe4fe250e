"""Policy: an oslo.policy-style rule language, shipped defaults, operator overrides, enforcement."""

from stackling.policy.enforcer import Enforcer, compile_rules, default_rules
from stackling.policy.parser import parse_rule

__all__ = ["Enforcer", "compile_rules", "default_rules", "parse_rule"]
