"""Parse a policy rule (oslo.policy's language) into a Check tree.

Grammar, loosest binding first::

    rule     := and_rule ("or" and_rule)*
    and_rule := not_rule ("and" not_rule)*
    not_rule := "not" not_rule | atom
    atom     := "(" rule ")" | "@" | "!" | kind ":" match

``kind`` is ``rule`` (a reference to another named rule), ``role`` (the caller holds
that role) or any credential field (``project_id:%(target.project_id)s``,
``is_admin_project:True``). Unlike oslo.policy an empty rule is an error, not
"allow everyone": write ``@`` for that.
"""

from __future__ import annotations

from typing import NoReturn

from stackling.errors import PolicyInvalid
from stackling.policy.checks import (
    AndCheck,
    Check,
    FalseCheck,
    GenericCheck,
    NotCheck,
    OrCheck,
    RoleCheck,
    RuleCheck,
    TrueCheck,
)

_KEYWORDS = {"and", "or", "not"}


def tokenize(text: str) -> list[str]:
    """Split on whitespace, then peel parentheses off each word's ends (as oslo.policy does).

    ``%(target.x)s`` keeps its own parentheses because they sit inside the word.
    """
    tokens: list[str] = []
    for word in text.split():
        inner = word.lstrip("(")
        tokens.extend("(" * (len(word) - len(inner)))
        core = inner.rstrip(")")
        if core:
            tokens.append(core.lower() if core.lower() in _KEYWORDS else core)
        tokens.extend(")" * (len(inner) - len(core)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def parse(self) -> Check:
        if not self.tokens:
            raise PolicyInvalid("empty rule (write '@' to allow everyone or '!' to allow no one)")
        check = self._or()
        if self.position != len(self.tokens):
            self._fail("unexpected %r" % self.tokens[self.position])
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            self._fail("unexpected end of rule")
        self.position += 1
        return token

    def _fail(self, problem: str) -> NoReturn:
        raise PolicyInvalid("%s in rule %r" % (problem, self.text))

    def _or(self) -> Check:
        operands = [self._and()]
        while self._peek() == "or":
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else OrCheck(tuple(operands))

    def _and(self) -> Check:
        operands = [self._not()]
        while self._peek() == "and":
            self._take()
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else AndCheck(tuple(operands))

    def _not(self) -> Check:
        if self._peek() == "not":
            self._take()
            return NotCheck(self._not())
        return self._atom()

    def _atom(self) -> Check:
        token = self._take()
        if token == "(":
            check = self._or()
            if self._take() != ")":
                self._fail("missing ')'")
            return check
        if token == "@":
            return TrueCheck()
        if token == "!":
            return FalseCheck()
        if token in (")", "and", "or"):
            self._fail("unexpected %r" % token)
        return self._check(token)

    def _check(self, token: str) -> Check:
        kind, colon, match = token.partition(":")
        if not colon or not kind or not match:
            self._fail("%r is not a check (expected kind:match, '@' or '!')" % token)
        if kind == "rule":
            return RuleCheck(match)
        if kind == "role":
            return RoleCheck(match)
        return GenericCheck(kind, match)


def parse_rule(text: str) -> Check:
    """Parse ``text`` into a Check; PolicyInvalid names the problem."""
    return _Parser(text).parse()
