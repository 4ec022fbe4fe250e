"""Traits and aggregates of providers; aggregate names and metadata (availability zones)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.db.models.base import new_id
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.placement._base import EngineBase
from stackling.placement.traits import validate_traits
from stackling.placement.types import AggregateInfo, Provider

AVAILABILITY_ZONE = "availability_zone"


class TraitOps(EngineBase):
    def traits(self, session: Session, ref: str) -> frozenset[str]:
        row = self._provider_row(session, ref)
        return frozenset(
            session.scalars(select(m.ProviderTrait.trait).where(m.ProviderTrait.resource_provider_id == row.id))
        )

    def set_traits(
        self, session: Session, ref: str, traits: Iterable[str], expected_generation: int | None = None
    ) -> Provider:
        """Replace the provider's traits."""
        wanted = validate_traits(traits)
        row = self._begin_change(session, ref, expected_generation)
        session.execute(delete(m.ProviderTrait).where(m.ProviderTrait.resource_provider_id == row.id))
        session.add_all(m.ProviderTrait(resource_provider_id=row.id, trait=trait) for trait in sorted(wanted))
        session.flush()
        return Provider(row.id, row.uuid, row.name, self._bump(session, row.id, row.generation))

    def add_traits(self, session: Session, ref: str, traits: Iterable[str]) -> Provider:
        return self.set_traits(session, ref, self.traits(session, ref) | validate_traits(traits))

    def remove_traits(self, session: Session, ref: str, traits: Iterable[str]) -> Provider:
        return self.set_traits(session, ref, self.traits(session, ref) - frozenset(traits))


class AggregateOps(EngineBase):
    def create_aggregate(
        self,
        session: Session,
        name: str | None = None,
        uuid: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> AggregateInfo:
        ensure_write_transaction(session)
        row = m.Aggregate(uuid=uuid or new_id(), name=name, created_at=self._clock())
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            raise Conflict("an aggregate named %r or with uuid %r exists" % (name, row.uuid)) from None
        if metadata:
            self.set_aggregate_metadata(session, row.uuid, metadata)
        return self.aggregate(session, row.uuid)

    def aggregate(self, session: Session, ref: str) -> AggregateInfo:
        row = self._aggregate_row(session, ref)
        metadata = session.execute(
            select(m.AggregateMetadata.key, m.AggregateMetadata.value).where(
                m.AggregateMetadata.aggregate_uuid == row.uuid
            )
        )
        return AggregateInfo(row.uuid, row.name, dict(metadata.all()))

    def delete_aggregate(self, session: Session, ref: str) -> None:
        ensure_write_transaction(session)
        row = self._aggregate_row(session, ref)
        for provider_id in session.scalars(
            select(m.ProviderAggregate.resource_provider_id).where(m.ProviderAggregate.aggregate_uuid == row.uuid)
        ).all():
            self._bump_current(session, provider_id)
        session.delete(row)
        session.flush()

    def set_aggregate_metadata(self, session: Session, ref: str, metadata: Mapping[str, str | None]) -> AggregateInfo:
        """Set (or, with None, delete) metadata keys. An ``availability_zone`` may not put a
        provider in two zones at once."""
        ensure_write_transaction(session)
        row = self._aggregate_row(session, ref)
        with session.begin_nested():  # all or nothing
            for key, value in metadata.items():
                if not key or (value is not None and not isinstance(value, str)):
                    raise ValidationError("aggregate metadata %r: expected a non-empty key and a string or None" % key)
                session.execute(
                    delete(m.AggregateMetadata).where(
                        m.AggregateMetadata.aggregate_uuid == row.uuid, m.AggregateMetadata.key == key
                    )
                )
                if value is not None:
                    session.add(m.AggregateMetadata(aggregate_uuid=row.uuid, key=key, value=value))
            session.flush()
            if AVAILABILITY_ZONE in metadata:
                members = session.scalars(
                    select(m.ProviderAggregate.resource_provider_id).where(
                        m.ProviderAggregate.aggregate_uuid == row.uuid
                    )
                ).all()
                for provider_id in members:
                    self._check_one_zone(session, provider_id)
        return self.aggregate(session, row.uuid)

    def aggregates(self, session: Session, ref: str) -> frozenset[str]:
        row = self._provider_row(session, ref)
        return frozenset(
            session.scalars(
                select(m.ProviderAggregate.aggregate_uuid).where(m.ProviderAggregate.resource_provider_id == row.id)
            )
        )

    def set_aggregates(
        self, session: Session, ref: str, aggregates: Iterable[str], expected_generation: int | None = None
    ) -> Provider:
        """Replace the provider's aggregates (by uuid or name; unknown uuids are created, as placement does)."""
        row = self._begin_change(session, ref, expected_generation)
        with session.begin_nested():  # all or nothing
            uuids = sorted({self._aggregate_uuid(session, ref_) for ref_ in aggregates})
            session.execute(delete(m.ProviderAggregate).where(m.ProviderAggregate.resource_provider_id == row.id))
            session.add_all(m.ProviderAggregate(resource_provider_id=row.id, aggregate_uuid=uuid) for uuid in uuids)
            session.flush()
            self._check_one_zone(session, row.id)
            generation = self._bump(session, row.id, row.generation)
        return Provider(row.id, row.uuid, row.name, generation)

    def add_to_aggregate(self, session: Session, ref: str, aggregate: str) -> Provider:
        """Nova's ``aggregate add host``."""
        return self.set_aggregates(
            session, ref, self.aggregates(session, ref) | {self._aggregate_row(session, aggregate).uuid}
        )

    def remove_from_aggregate(self, session: Session, ref: str, aggregate: str) -> Provider:
        return self.set_aggregates(
            session, ref, self.aggregates(session, ref) - {self._aggregate_row(session, aggregate).uuid}
        )

    def availability_zone(self, session: Session, ref: str, default: str) -> str:
        row = self._provider_row(session, ref)
        zones = self._zones(session, row.id)
        return zones[0] if zones else default

    def _zones(self, session: Session, provider_id: int) -> list[str]:
        return sorted(
            set(
                session.scalars(
                    select(m.AggregateMetadata.value)
                    .join(m.ProviderAggregate, m.ProviderAggregate.aggregate_uuid == m.AggregateMetadata.aggregate_uuid)
                    .where(
                        m.ProviderAggregate.resource_provider_id == provider_id,
                        m.AggregateMetadata.key == AVAILABILITY_ZONE,
                    )
                )
            )
        )

    def _check_one_zone(self, session: Session, provider_id: int) -> None:
        zones = self._zones(session, provider_id)
        if len(zones) > 1:
            name = session.scalar(select(m.ResourceProvider.name).where(m.ResourceProvider.id == provider_id))
            raise Conflict("provider %s would be in availability zones %s at once" % (name, ", ".join(zones)))

    def _aggregate_row(self, session: Session, ref: str) -> m.Aggregate:
        row = session.scalars(select(m.Aggregate).where((m.Aggregate.uuid == ref) | (m.Aggregate.name == ref))).first()
        if row is None:
            raise NotFound("aggregate", ref)
        return row

    def _aggregate_uuid(self, session: Session, ref: str) -> str:
        row = session.scalars(select(m.Aggregate).where((m.Aggregate.uuid == ref) | (m.Aggregate.name == ref))).first()
        if row is not None:
            return row.uuid
        if not ref or len(ref) > 64:
            raise ValidationError("aggregate uuid %r: expected 1 to 64 characters" % ref)
        session.add(m.Aggregate(uuid=ref, name=None, created_at=self._clock()))
        session.flush()
        return ref

    def _bump_current(self, session: Session, provider_id: int) -> None:
        generation = session.scalar(select(m.ResourceProvider.generation).where(m.ResourceProvider.id == provider_id))
        if generation is not None:
            self._bump(session, provider_id, generation)
