"""The check tree a policy rule parses into; each node answers ``check(target, credentials, enforcer)``.

``credentials`` are the caller's attributes (stackling.context.Context.policy_credentials):
user_id, project_id, domain_id, roles, is_admin_project, ... ``target`` describes the object
acted on; rules reach it as ``%(target.project_id)s`` (dotted, nested mappings allowed).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

_SUBSTITUTION = re.compile(r"^%\(([A-Za-z_][A-Za-z0-9_.]*)\)s$")


class RuleResolver(Protocol):
    def check_rule(self, name: str, target: Mapping[str, Any], credentials: Mapping[str, Any]) -> bool: ...


class Check(ABC):
    @abstractmethod
    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool: ...

    def rule_references(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class TrueCheck(Check):
    """``@``: always passes."""

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        return True

    def __str__(self) -> str:
        return "@"


@dataclass(frozen=True)
class FalseCheck(Check):
    """``!``: never passes."""

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        return False

    def __str__(self) -> str:
        return "!"


@dataclass(frozen=True)
class NotCheck(Check):
    operand: Check

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        return not self.operand.check(target, credentials, rules)

    def rule_references(self) -> set[str]:
        return self.operand.rule_references()

    def __str__(self) -> str:
        return "not %s" % self.operand


@dataclass(frozen=True)
class AndCheck(Check):
    operands: tuple[Check, ...]

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        return all(operand.check(target, credentials, rules) for operand in self.operands)

    def rule_references(self) -> set[str]:
        return set().union(*(operand.rule_references() for operand in self.operands))

    def __str__(self) -> str:
        return "(%s)" % " and ".join(str(operand) for operand in self.operands)


@dataclass(frozen=True)
class OrCheck(Check):
    operands: tuple[Check, ...]

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        return any(operand.check(target, credentials, rules) for operand in self.operands)

    def rule_references(self) -> set[str]:
        return set().union(*(operand.rule_references() for operand in self.operands))

    def __str__(self) -> str:
        return "(%s)" % " or ".join(str(operand) for operand in self.operands)


@dataclass(frozen=True)
class RuleCheck(Check):
    """``rule:name``: the named rule passes (an undefined name never does)."""

    name: str

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        return rules.check_rule(self.name, target, credentials)

    def rule_references(self) -> set[str]:
        return {self.name}

    def __str__(self) -> str:
        return "rule:%s" % self.name


@dataclass(frozen=True)
class RoleCheck(Check):
    """``role:name``: the caller holds the role (effective roles, implied ones included; case-insensitive)."""

    role: str

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        match = resolve_match(self.role, target)
        if match is None:
            return False
        return match.lower() in {str(role).lower() for role in credentials.get("roles", ())}

    def __str__(self) -> str:
        return "role:%s" % self.role


@dataclass(frozen=True)
class GenericCheck(Check):
    """``field:value``: the caller's ``field`` equals a literal (``True``, ``'text'``) or a target value.

    A missing or null value on either side never matches: a domain-scoped caller (project_id None)
    does not match a target without project_id.
    """

    field: str
    match: str

    def check(self, target: Mapping[str, Any], credentials: Mapping[str, Any], rules: RuleResolver) -> bool:
        expected = resolve_match(self.match, target)
        actual = credentials.get(self.field)
        if expected is None or actual is None:
            return False
        if isinstance(actual, bool):
            return expected.lower() == str(actual).lower()
        return expected == str(actual)

    def __str__(self) -> str:
        return "%s:%s" % (self.field, self.match)


def resolve_match(match: str, target: Mapping[str, Any]) -> str | None:
    """The right-hand side of a check: a ``%(target.x.y)s`` lookup, a quoted literal or a bare word."""
    substitution = _SUBSTITUTION.match(match)
    if substitution is None:
        if len(match) >= 2 and match[0] == match[-1] and match[0] in "'\"":
            return match[1:-1]
        return match
    path = substitution.group(1).split(".")
    if path[0] != "target":
        return None
    value: Any = target
    for part in path[1:]:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if value is None or isinstance(value, Mapping):
        return None
    return str(value)
