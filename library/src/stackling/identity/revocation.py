"""Token revocation events (Keystone's revoke model).

An event names some of: user, project, domain, audit id, application credential,
plus ``issued_before``. A token is revoked when every field the event names equals
the token's and the token was issued at or before ``issued_before``. ``domain_id``
matches the user's domain, the project's domain or the scope domain. Events older
than the token lifetime can match no live token and are pruned when new ones are written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from stackling.clock import Clock
from stackling.db import models as m
from stackling.errors import ValidationError

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenFacts:
    user_id: str
    user_domain_id: str
    issued_at: datetime
    audit_id: str
    project_id: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    application_credential_id: str | None = None


def _matches(column: InstrumentedAttribute[str | None], *values: str | None) -> ColumnElement[bool]:
    present = [value for value in values if value is not None]
    return or_(column.is_(None), column.in_(present)) if present else column.is_(None)


class RevocationLog:
    def __init__(self, clock: Clock, token_lifetime: timedelta) -> None:
        self._clock = clock
        self._lifetime = token_lifetime

    def revoke(
        self,
        session: Session,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        domain_id: str | None = None,
        audit_id: str | None = None,
        application_credential_id: str | None = None,
    ) -> None:
        """Record an event revoking the matching tokens issued until now (in the caller's transaction)."""
        if not any((user_id, project_id, domain_id, audit_id, application_credential_id)):
            raise ValidationError(
                "a revocation event must name at least one of user, project, domain, audit id, credential"
            )
        now = self._clock()
        session.add(
            m.RevocationEvent(
                user_id=user_id,
                project_id=project_id,
                domain_id=domain_id,
                audit_id=audit_id,
                application_credential_id=application_credential_id,
                issued_before=now,
                revoked_at=now,
            )
        )
        LOG.info(
            "revoked tokens issued before %s: user=%s project=%s domain=%s audit=%s application_credential=%s",
            now.isoformat(),
            user_id,
            project_id,
            domain_id,
            audit_id,
            application_credential_id,
        )
        self.prune(session, now)

    def prune(self, session: Session, now: datetime) -> None:
        session.execute(delete(m.RevocationEvent).where(m.RevocationEvent.issued_before < now - self._lifetime))

    def is_revoked(self, session: Session, token: TokenFacts) -> bool:
        event = m.RevocationEvent
        query = select(event.id).where(
            event.issued_before >= token.issued_at,
            _matches(event.user_id, token.user_id),
            _matches(event.project_id, token.project_id),
            _matches(event.domain_id, token.user_domain_id, token.project_domain_id, token.domain_id),
            _matches(event.audit_id, token.audit_id),
            _matches(event.application_credential_id, token.application_credential_id),
        )
        return session.scalars(query.limit(1)).first() is not None
