"""What every identity service part shares: the store, the policy, the clock, hashing and revocation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.context import Context
from stackling.db import Database
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.identity import lookup
from stackling.identity.passwords import SecretHasher
from stackling.identity.revocation import RevocationLog
from stackling.policy import Enforcer

Item = TypeVar("Item")


def check_name(kind: str, name: str) -> str:
    """A stripped name of 1 to 255 characters, or ValidationError."""
    name = name.strip()
    if not name or len(name) > 255:
        raise ValidationError("a %s name must have 1 to 255 characters" % kind)
    return name


def missing_as_none(get: Callable[[], Item], ignore_missing: bool) -> Item | None:
    """``get()``, or None when it raises NotFound and ``ignore_missing`` (the find_* methods)."""
    try:
        return get()
    except NotFound:
        if ignore_missing:
            return None
        raise


class ServiceBase:
    def __init__(
        self, db: Database, enforcer: Enforcer, hasher: SecretHasher, revocations: RevocationLog, clock: Clock
    ) -> None:
        self._db = db
        self._enforcer = enforcer
        self._hasher = hasher
        self._revocations = revocations
        self._clock = clock

    def _enforce(self, ctx: Context, action: str, target: Mapping[str, Any]) -> None:
        self._enforcer.enforce(action, target, ctx)

    def _visible(self, ctx: Context, action: str, items: Iterable[tuple[Item, Mapping[str, Any]]]) -> list[Item]:
        """The items whose target passes ``action`` (lists are filtered through the get rule)."""
        return [item for item, target in items if self._enforcer.check(action, target, ctx)]

    def _list_in_domain(
        self,
        ctx: Context,
        model: Any,  # a model with ``name`` and ``domain_id`` columns: Project, User or Group
        kind: str,
        view: Callable[[Any], Item],
        target: Callable[[Any], Mapping[str, Any]],
        domain: str | None,
    ) -> list[Item]:
        """Rows of ``model`` (in ``domain`` when given) that ``identity:get_<kind>`` lets the caller see."""
        with self._db.read() as session:
            query = select(model).order_by(model.name)
            domain_id = None
            if domain is not None:
                domain_id = lookup.domain_row(session, domain).id
                query = query.where(model.domain_id == domain_id)
            self._enforce(ctx, "identity:list_%ss" % kind, {"domain_id": domain_id or ctx.domain_id})
            rows = session.scalars(query)
            return self._visible(ctx, "identity:get_" + kind, ((view(row), target(row)) for row in rows))

    @contextmanager
    def _writing(self, conflict: str) -> Iterator[Session]:
        """A write transaction whose unique-constraint violations become Conflict(``conflict``)."""
        try:
            with self._db.write() as session:
                yield session
        except IntegrityError:
            raise Conflict(conflict) from None
