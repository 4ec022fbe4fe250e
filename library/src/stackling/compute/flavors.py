"""Flavors through the policy: cloud admins create, describe and delete them and grant private
ones to projects; project readers see the public flavors and the private ones granted to their
project (nova's flavor access). Sizes are immutable, as in nova: make a new flavor instead.

    flavor = cloud.flavors.create(ctx, "m1.small", vcpus=1, ram_mb=2048, disk_gb=20,
                                  extra_specs={"aggregate_instance_extra_specs:disk": "ssd"})
    request = RequestSpec.from_flavor(cloud.flavors.get(ctx, "m1.small"), availability_zone="az1")
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.compute._base import PolicyService
from stackling.compute.types import Flavor
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.identity import lookup
from stackling.policy import Enforcer

LOG = logging.getLogger(__name__)
SIZES = {"vcpus": 1, "ram_mb": 1, "disk_gb": 0, "ephemeral_gb": 0, "swap_mb": 0}  # size -> minimum
MAX_TEXT = 255


def check_sizes(sizes: Mapping[str, Any]) -> dict[str, int]:
    out = {}
    for key, minimum in SIZES.items():
        value = sizes.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValidationError("%s: expected an integer >= %d, got %r" % (key, minimum, value), field=key)
        out[key] = value
    return out


def check_extra_specs(specs: Mapping[str, Any]) -> dict[str, str | None]:
    """Keys 1-255 characters, values strings of at most 255 (None: delete the key)."""
    out: dict[str, str | None] = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_TEXT:
            raise ValidationError("extra_specs: key %r: expected 1 to 255 characters" % (key,), field="extra_specs")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise ValidationError(
                "extra_specs.%s: expected a string of at most 255 characters, got %r" % (key, value),
                field="extra_specs",
            )
        out[key] = value
    return out


class FlavorService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, clock: Clock) -> None:
        super().__init__(db, enforcer)
        self._clock = clock

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str) -> Flavor | None:
        """The flavor with id or name ``ref`` if the caller may see it, else None (as nova: 404)."""
        self._enforce(ctx, "compute:list_flavors")
        with self._db.read() as session:
            row = _row(session, ref)
            if row is None:
                return None
            flavor = _flavor(session, row)
        return flavor if self._may_see(ctx, flavor) else None

    def get(self, ctx: Context, ref: str) -> Flavor:
        found = self.find(ctx, ref)
        if found is None:
            raise NotFound("flavor", ref)
        return found

    def list(self, ctx: Context) -> list[Flavor]:
        self._enforce(ctx, "compute:list_flavors")
        with self._db.read() as session:
            flavors = [_flavor(session, row) for row in session.scalars(select(m.Flavor).order_by(m.Flavor.name))]
        return [flavor for flavor in flavors if self._may_see(ctx, flavor)]

    def _may_see(self, ctx: Context, flavor: Flavor) -> bool:
        """Public flavors for whoever passes compute:get_flavor; private ones for the projects
        granted access and whoever passes compute:get_private_flavor (cloud admins)."""
        if not self._enforcer.check("compute:get_flavor", {"is_public": flavor.is_public}, ctx):
            return False
        if flavor.is_public or self._enforcer.check("compute:get_private_flavor", {}, ctx):
            return True
        return ctx.project_id in flavor.projects

    # --- writing -------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        name: str,
        *,
        is_public: bool = True,
        description: str = "",
        extra_specs: Mapping[str, str] | None = None,
        projects: Iterable[str] = (),
        **sizes: int,
    ) -> Flavor:
        """A new flavor (sizes: vcpus, ram_mb, disk_gb, ephemeral_gb, swap_mb); ``projects`` get
        access to a private one."""
        self._enforce(ctx, "compute:create_flavor")
        unknown = sorted(set(sizes) - set(SIZES))
        if unknown:
            raise ValidationError("unknown flavor size(s): %s" % ", ".join(unknown))
        if not name or len(name) > MAX_TEXT:
            raise ValidationError("a flavor name must have 1 to 255 characters", field="name")
        specs = {k: v for k, v in check_extra_specs(extra_specs or {}).items() if v is not None}
        try:
            with self._db.write() as session:
                row = m.Flavor(id=m.new_id(), name=name, is_public=is_public, description=description,
                               created_at=self._clock(), **check_sizes(sizes))  # fmt: skip
                session.add(row)
                session.flush()
                session.add_all(m.FlavorExtraSpec(flavor_id=row.id, key=k, value=v) for k, v in specs.items())
                for project in sorted(set(projects)):
                    self._grant(session, row, project)
                session.flush()
                LOG.info("created flavor %s (%s)", row.id, name)
                return _flavor(session, row)
        except IntegrityError:
            raise Conflict("a flavor named %r exists" % name) from None

    def update(
        self,
        ctx: Context,
        ref: str,
        *,
        description: str | None = None,
        extra_specs: Mapping[str, str | None] | None = None,
        add_projects: Iterable[str] = (),
        remove_projects: Iterable[str] = (),
    ) -> Flavor:
        """Change what may change: the description, extra specs (merged; None deletes a key) and
        project access. One transaction."""
        self._enforce(ctx, "compute:update_flavor")
        specs = check_extra_specs(extra_specs or {})
        with self._db.write() as session:
            row = _existing(session, ref)
            if description is not None:
                row.description = description
            for key, value in specs.items():
                session.execute(
                    delete(m.FlavorExtraSpec).where(m.FlavorExtraSpec.flavor_id == row.id, m.FlavorExtraSpec.key == key)
                )
                if value is not None:
                    session.add(m.FlavorExtraSpec(flavor_id=row.id, key=key, value=value))
            for project in sorted(set(add_projects)):
                self._grant(session, row, project)
            for project in sorted(set(remove_projects)):
                project_id = lookup.project_row(session, project).id
                session.execute(
                    delete(m.FlavorProject).where(
                        m.FlavorProject.flavor_id == row.id, m.FlavorProject.project_id == project_id
                    )
                )
            session.flush()
            LOG.info("updated flavor %s (%s)", row.id, row.name)
            return _flavor(session, row)

    def delete(self, ctx: Context, ref: str) -> None:
        self._enforce(ctx, "compute:delete_flavor")
        with self._db.write() as session:
            row = _existing(session, ref)
            session.delete(row)
            LOG.info("deleted flavor %s (%s)", row.id, row.name)

    def _grant(self, session: Session, row: m.Flavor, project: str) -> None:
        if row.is_public:
            raise ValidationError("flavor %s is public: project access is for private flavors" % row.name)
        project_id = lookup.project_row(session, project).id
        if session.get(m.FlavorProject, (row.id, project_id)) is None:
            session.add(m.FlavorProject(flavor_id=row.id, project_id=project_id))


def _row(session: Session, ref: str) -> m.Flavor | None:
    return session.get(m.Flavor, ref) or session.scalars(select(m.Flavor).where(m.Flavor.name == ref)).first()


def _existing(session: Session, ref: str) -> m.Flavor:
    row = _row(session, ref)
    if row is None:
        raise NotFound("flavor", ref)
    return row


def _flavor(session: Session, row: m.Flavor) -> Flavor:
    specs = session.execute(
        select(m.FlavorExtraSpec.key, m.FlavorExtraSpec.value).where(m.FlavorExtraSpec.flavor_id == row.id)
    )
    projects = session.scalars(
        select(m.FlavorProject.project_id)
        .where(m.FlavorProject.flavor_id == row.id)
        .order_by(m.FlavorProject.project_id)
    )
    return Flavor(
        id=row.id, name=row.name, vcpus=row.vcpus, ram_mb=row.ram_mb, disk_gb=row.disk_gb,
        ephemeral_gb=row.ephemeral_gb, swap_mb=row.swap_mb, is_public=row.is_public, description=row.description,
        extra_specs=dict(specs.all()), projects=tuple(projects),
    )  # fmt: skip
