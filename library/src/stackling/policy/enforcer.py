"""The policy enforcer: named rules (shipped defaults + operator overrides) checked against a caller."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from stackling.errors import PolicyInvalid, PolicyNotAuthorized
from stackling.policy.checks import Check
from stackling.policy.parser import parse_rule

LOG = logging.getLogger(__name__)


class Caller(Protocol):
    def policy_credentials(self) -> dict[str, Any]: ...


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (libyaml's when available)


def default_rules() -> dict[str, str]:
    """The rules shipped in stackling/policy/default_policy.yaml."""
    text = resources.files("stackling.policy").joinpath("default_policy.yaml").read_text(encoding="utf-8")
    return _rule_mapping(_load_yaml(text), "default policy")


def _rule_mapping(raw: Any, source: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise PolicyInvalid("%s: expected a mapping of rule name to rule text" % source)
    rules: dict[str, str] = {}
    for name, text in raw.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise PolicyInvalid("%s: rule %r must map a name to a rule string, got %r" % (source, name, text))
        rules[name] = text
    return rules


def compile_rules(texts: Mapping[str, str]) -> dict[str, Check]:
    """Parse every rule and refuse references to undefined rules and reference cycles."""
    compiled: dict[str, Check] = {}
    for name, text in texts.items():
        try:
            compiled[name] = parse_rule(text)
        except PolicyInvalid as exc:
            raise PolicyInvalid("rule %s: %s" % (name, exc)) from None
    for name, check in compiled.items():
        for reference in check.rule_references():
            if reference not in compiled:
                raise PolicyInvalid("rule %s: references undefined rule %r" % (name, reference))
    _refuse_cycles(compiled)
    return compiled


def _refuse_cycles(compiled: Mapping[str, Check]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise PolicyInvalid("rules refer to each other in a cycle: %s" % " -> ".join(path + (name,)))
        if name in done:
            return
        for reference in sorted(compiled[name].rule_references()):
            visit(reference, path + (name,))
        done.add(name)

    for name in compiled:
        visit(name, ())


class Enforcer:
    """Check actions against rules. An action with no rule is denied.

    The operator file (optional) overrides rules by name; it is re-read when its
    modification time changes, so editing it needs no restart.
    """

    def __init__(self, override_file: Path | None = None, defaults: Mapping[str, str] | None = None) -> None:
        self._defaults = dict(default_rules() if defaults is None else defaults)
        self._override_file = override_file
        self._lock = threading.Lock()
        self._loaded_stamp: tuple[int, int] | None = None
        self._rules = compile_rules(self._defaults)
        self._reload_if_changed()

    def _file_stamp(self) -> tuple[int, int] | None:
        if self._override_file is None:
            return None
        try:
            stat = os.stat(self._override_file)
        except FileNotFoundError:
            raise PolicyInvalid("policy file %s not found" % self._override_file) from None
        return (stat.st_mtime_ns, stat.st_size)

    def _reload_if_changed(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._loaded_stamp:
            return
        with self._lock:
            assert self._override_file is not None
            source = str(self._override_file)
            try:
                raw = _load_yaml(self._override_file.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise PolicyInvalid("policy file %s is not valid YAML: %s" % (source, exc)) from None
            overrides = _rule_mapping(raw, source)
            try:
                self._rules = compile_rules({**self._defaults, **overrides})
            except PolicyInvalid as exc:
                raise PolicyInvalid("policy file %s: %s" % (source, exc)) from None
            self._loaded_stamp = stamp
            LOG.info("policy: loaded %d override(s) from %s", len(overrides), source)

    def rules(self) -> dict[str, str]:
        """The rules in force (name -> rule text, normalised)."""
        self._reload_if_changed()
        return {name: str(check) for name, check in self._rules.items()}

    def check_rule(self, name: str, target: Mapping[str, Any], credentials: Mapping[str, Any]) -> bool:
        check = self._rules.get(name)
        return check is not None and check.check(target, credentials, self)

    def check(self, action: str, target: Mapping[str, Any], caller: Caller) -> bool:
        """True when ``caller`` may perform ``action`` on ``target``."""
        self._reload_if_changed()
        allowed = self.check_rule(action, target, caller.policy_credentials())
        LOG.debug("policy: %s %s", action, "allowed" if allowed else "denied")
        return allowed

    def enforce(self, action: str, target: Mapping[str, Any], caller: Caller) -> None:
        """Raise PolicyNotAuthorized (naming the action) unless ``caller`` may perform ``action``."""
        if self.check(action, target, caller):
            return
        reason = "" if action in self._rules else "no rule is defined for it (unknown actions are denied)"
        raise PolicyNotAuthorized(action, reason)
