"""Images through the policy (glance's rules): a project member uploads and manages the images
of their project; private images are seen by the owner project, shared ones also by their
member projects, public ones by everyone; only cloud admins make an image public
(``image:publicize_image``) and see every image. Images are immutable, as in glance: the file,
its format and checksum never change (``replace=True`` swaps in a new image under the name).

    image = cloud.images.create(ctx, "cirros", disk_format="qcow2", filename="/srv/cirros.qcow2",
                                checksum="2f5b...", properties={"architecture": "x86_64"})
    cloud.images.update(ctx, "cirros", visibility="shared", add_projects=["web"])
    path = cloud.images.file_path(ctx, "cirros")     # what the conductor copies to a host
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.compute._base import PolicyService
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.identity import lookup
from stackling.images.inspect import DiskInfo, check_disk_format, inspect_image
from stackling.images.store import ImageStore, StagedFile
from stackling.images.types import VISIBILITIES, Image
from stackling.policy import Enforcer

LOG = logging.getLogger(__name__)
MAX_TEXT = 255
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ARCHITECTURES = ("aarch64", "armv7l", "i686", "ppc64le", "riscv64", "s390x", "x86_64")
HYPERVISOR_TYPES = ("kvm", "qemu")
# Glance's core attributes: never free-form properties.
RESERVED_PROPERTIES = frozenset(
    "id name owner project_id visibility status disk_format container_format size virtual_size checksum md5 "
    "os_hash_algo os_hash_value min_disk min_ram protected created_at updated_at members projects file "
    "location locations".split()
)


@dataclass(frozen=True)
class ImageSpec:
    """What a new image is besides its file (validated by ``check_spec``)."""

    visibility: str = "private"
    properties: Mapping[str, str] | None = None
    min_disk_gb: int = 0
    min_ram_mb: int = 0
    protected: bool = False
    projects: Iterable[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "projects", tuple(self.projects))  # an iterator would be read twice


def check_properties(properties: Mapping[str, str | None]) -> dict[str, str | None]:
    """Keys 1-255 characters and not a core attribute; values strings (None: delete the key);
    ``architecture`` and ``hypervisor_type`` from the known lists."""
    out: dict[str, str | None] = {}
    for key, value in properties.items():
        field = "properties.%s" % key
        if not isinstance(key, str) or not 0 < len(key) <= MAX_TEXT:
            raise ValidationError("property key %r: expected 1 to 255 characters" % (key,), field="properties")
        if key in RESERVED_PROPERTIES:
            raise ValidationError("%s is an image attribute, not a property" % key, field=field)
        if value is not None and (not isinstance(value, str) or len(value) > 65535):
            raise ValidationError("expected a string, got %r" % (value,), field=field)
        for name, known in (("architecture", ARCHITECTURES), ("hypervisor_type", HYPERVISOR_TYPES)):
            if key == name and value is not None and value not in known:
                raise ValidationError("expected one of %s, got %r" % (", ".join(known), value), field=field)
        out[key] = value
    return out


def check_minimum(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("expected an integer >= 0, got %r" % (value,), field=field)
    return value


def check_visibility(value: str) -> str:
    if value not in VISIBILITIES:
        raise ValidationError("expected one of %s, got %r" % (", ".join(VISIBILITIES), value), field="visibility")
    return value


def check_name(name: str) -> str:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_TEXT:
        raise ValidationError("an image name must have 1 to 255 characters", field="name")
    return name


def check_checksum(checksum: str | None) -> str | None:
    if checksum is not None and not SHA256.match(checksum.lower()):
        raise ValidationError("expected a sha256 digest (64 hex digits), got %r" % checksum, field="checksum")
    return None if checksum is None else checksum.lower()


class ImageService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, clock: Clock, store: ImageStore) -> None:
        super().__init__(db, enforcer)
        self._clock = clock
        self.store = store

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str, *, own: bool = False) -> Image | None:
        """The image with id or name ``ref`` the caller may see, else None. Among several visible
        images of that name, the caller's project's own wins; otherwise the name is ambiguous.
        ``own``: a name only matches an image of the caller's project (an id any visible image)."""
        self._enforce(ctx, "image:list_images")
        with self._db.read() as session:
            rows = session.scalars(select(m.Image).where(or_(m.Image.id == ref, m.Image.name == ref)))
            images = [image for image in (_image(session, row) for row in rows) if self._may_see(ctx, image)]
        by_id = [image for image in images if image.id == ref]
        if by_id:
            return by_id[0]
        own_images = [image for image in images if image.project_id == ctx.project_id]
        if own:
            return own_images[0] if own_images else None
        if len(own_images) == 1 or len(images) == 1:
            return (own_images or images)[0]
        if images:
            raise Conflict("%d images named %r are visible to you; use the image id" % (len(images), ref))
        return None

    def get(self, ctx: Context, ref: str) -> Image:
        found = self.find(ctx, ref)
        if found is None:
            raise NotFound("image", ref)
        return found

    def list(self, ctx: Context) -> list[Image]:
        """The images the caller may see, by name then id."""
        self._enforce(ctx, "image:list_images")
        with self._db.read() as session:
            rows = session.scalars(select(m.Image).order_by(m.Image.name, m.Image.id))
            images = [_image(session, row) for row in rows]
        return [image for image in images if self._may_see(ctx, image)]

    def file_path(self, ctx: Context, ref: str) -> Path:
        """Where the file of an image the caller may see is (for the conductor to copy)."""
        return self.store.path_of(self.get(ctx, ref).id)

    def _may_see(self, ctx: Context, image: Image) -> bool:
        target = {"project_id": image.project_id, "visibility": image.visibility}
        if not self._enforcer.check("image:get_image", target, ctx):
            return False
        if image.visibility == "public" or image.project_id == ctx.project_id:
            return True
        if image.visibility == "shared" and ctx.project_id in image.projects:
            return True
        return self._enforcer.check("image:get_any_image", target, ctx)

    # --- creating ------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        name: str,
        *,
        disk_format: str,
        filename: str | Path | None = None,
        url: str | None = None,
        checksum: str | None = None,
        spec: ImageSpec = ImageSpec(),
        replace: bool = False,
    ) -> Image:
        """Upload a new image of the caller's project from a local ``filename`` or a ``url``
        (http, https, file). ``checksum`` (sha256) must match when given. The file is checked
        with qemu-img before the image exists; a failed upload leaves nothing behind.
        ``replace``: an image of that name in the project is swapped for the new one (new id)."""
        owner = self._check_create(ctx, name, disk_format, spec)
        expected = check_checksum(checksum)
        if (filename is None) == (url is None):
            raise ValidationError("give exactly one of filename and url", field="filename")
        if not replace:
            self._refuse_taken(owner, name)
        staged = self.store.stage_file(filename) if filename is not None else self.store.stage_url(str(url))
        try:
            if expected is not None and staged.checksum != expected:
                raise ValidationError("the file's sha256 is %s, not %s" % (staged.checksum, expected), field="checksum")
            info = inspect_image(staged.path, disk_format)
            image, replaced = self._insert(ctx, owner, name, staged, info, spec, replace)
        finally:
            self.store.discard(staged)
        if replaced is not None:
            self.store.remove(replaced)
        return image

    def create_from_file(self, ctx: Context, name: str, path: str | Path, *, disk_format: str,
                         spec: ImageSpec = ImageSpec()) -> Image:  # fmt: skip
        """An image from a file on the controller (a server snapshot the conductor brought back)."""
        return self.create(ctx, name, disk_format=disk_format, filename=path, spec=spec)

    def _check_create(self, ctx: Context, name: str, disk_format: str, spec: ImageSpec) -> str:
        if ctx.project_id is None:
            raise ValidationError("images belong to a project: use a project-scoped token")
        self._enforce(ctx, "image:create_image", {"project_id": ctx.project_id})
        check_visibility(spec.visibility)
        if spec.visibility == "public":
            self._enforce(ctx, "image:publicize_image", {"project_id": ctx.project_id})
        check_name(name)
        check_disk_format(disk_format)
        check_properties(spec.properties or {})
        check_minimum("min_disk", spec.min_disk_gb)
        check_minimum("min_ram", spec.min_ram_mb)
        if list(spec.projects) and spec.visibility != "shared":
            raise ValidationError("member projects are for shared images (visibility: shared)", field="projects")
        return ctx.project_id

    def _refuse_taken(self, owner: str, name: str) -> None:
        with self._db.read() as session:
            if _named(session, owner, name) is not None:
                raise Conflict("your project has an image named %r (images are immutable: delete it, or replace it)"
                               % name)  # fmt: skip

    def _insert(self, ctx: Context, owner: str, name: str, staged: StagedFile, info: DiskInfo, spec: ImageSpec,
                replace: bool) -> tuple[Image, str | None]:  # fmt: skip
        """The row written and the file moved in one step; the id of a replaced image (file still to remove)."""
        final: Path | None = None
        try:
            with self._db.write() as session:
                replaced = self._drop_replaced(session, ctx, owner, name, replace)
                now = self._clock()
                row = m.Image(
                    id=m.new_id(), name=name, project_id=owner, visibility=spec.visibility, status="active",
                    disk_format=info.disk_format, size_bytes=staged.size_bytes,
                    virtual_size_bytes=info.virtual_size_bytes, checksum=staged.checksum, md5=staged.md5,
                    min_disk_gb=spec.min_disk_gb, min_ram_mb=spec.min_ram_mb, protected=spec.protected,
                    created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(row)
                session.flush()
                _set_properties(session, row, spec.properties or {})
                for project in sorted(set(spec.projects)):
                    self._add_member(session, row, project)
                session.flush()
                image = _image(session, row)
                final = self.store.commit(staged, row.id)
                LOG.info("created image %s (%s) of project %s, sha256 %s", row.id, name, owner, row.checksum)
            return image, replaced
        except IntegrityError:
            raise Conflict("your project has an image named %r" % name) from None
        except BaseException:
            if final is not None:
                final.unlink(missing_ok=True)
            raise

    def _drop_replaced(self, session: Session, ctx: Context, owner: str, name: str, replace: bool) -> str | None:
        old = _named(session, owner, name)
        if old is None:
            return None
        if not replace:
            raise Conflict("your project has an image named %r" % name)
        self._enforce(ctx, "image:delete_image", {"project_id": owner, "visibility": old.visibility})
        if old.protected:
            raise ValidationError("image %s is protected: unprotect it before replacing it" % name, field="protected")
        session.delete(old)
        session.flush()
        LOG.info("replacing image %s (%s)", old.id, name)
        return old.id

    # --- updating and deleting -----------------------------------------------------------------------
    def update(
        self,
        ctx: Context,
        ref: str,
        *,
        name: str | None = None,
        visibility: str | None = None,
        properties: Mapping[str, str | None] | None = None,
        min_disk_gb: int | None = None,
        min_ram_mb: int | None = None,
        protected: bool | None = None,
        add_projects: Iterable[str] = (),
        remove_projects: Iterable[str] = (),
    ) -> Image:
        """Change what may change (never the file): name, visibility, properties (merged; None
        deletes a key), minimums, protection and member projects. One transaction."""
        current = self.get(ctx, ref)
        target = {"project_id": current.project_id, "visibility": current.visibility}
        self._enforce(ctx, "image:update_image", target)
        if visibility is not None and check_visibility(visibility) == "public" and current.visibility != "public":
            self._enforce(ctx, "image:publicize_image", target)
        props = check_properties(properties or {})
        adding, removing = sorted(set(add_projects)), sorted(set(remove_projects))
        if adding and (visibility or current.visibility) != "shared":
            raise ValidationError("member projects are for shared images (visibility: shared)", field="projects")
        try:
            with self._db.write() as session:
                row = _existing(session, current.id)
                _set_columns(row, name, visibility, min_disk_gb, min_ram_mb, protected)
                _set_properties(session, row, props)
                for project in adding:
                    self._add_member(session, row, project)
                for project in removing:
                    project_id = lookup.project_row(session, project).id
                    session.execute(
                        delete(m.ImageMember).where(m.ImageMember.image_id == row.id,
                                                    m.ImageMember.project_id == project_id)
                    )  # fmt: skip
                row.updated_at = self._clock()
                session.flush()
                LOG.info("updated image %s (%s)", row.id, row.name)
                return _image(session, row)
        except IntegrityError:
            raise Conflict("your project has an image named %r" % name) from None

    def delete(self, ctx: Context, ref: str) -> None:
        """Delete the image and its file; a protected image is refused."""
        current = self.get(ctx, ref)
        self._enforce(ctx, "image:delete_image", {"project_id": current.project_id, "visibility": current.visibility})
        with self._db.write() as session:
            row = _existing(session, current.id)
            if row.protected:
                raise ValidationError("image %s is protected: set protected to false before deleting it" % row.name,
                                      field="protected")  # fmt: skip
            session.delete(row)
            LOG.info("deleted image %s (%s)", row.id, row.name)
        self.store.remove(current.id)

    def _add_member(self, session: Session, row: m.Image, project: str) -> None:
        project_id = lookup.project_row(session, project).id
        if project_id == row.project_id:
            raise ValidationError("project %s owns image %s: it is not a member" % (project, row.name), field="projects")
        if session.get(m.ImageMember, (row.id, project_id)) is None:
            session.add(m.ImageMember(image_id=row.id, project_id=project_id, created_at=self._clock()))


def _set_columns(row: m.Image, name: str | None, visibility: str | None, min_disk_gb: int | None,
                 min_ram_mb: int | None, protected: bool | None) -> None:  # fmt: skip
    if name is not None:
        row.name = check_name(name)
    if visibility is not None:
        row.visibility = visibility
    if min_disk_gb is not None:
        row.min_disk_gb = check_minimum("min_disk", min_disk_gb)
    if min_ram_mb is not None:
        row.min_ram_mb = check_minimum("min_ram", min_ram_mb)
    if protected is not None:
        row.protected = protected


def _set_properties(session: Session, row: m.Image, properties: Mapping[str, str | None]) -> None:
    for key, value in properties.items():
        session.execute(delete(m.ImageProperty).where(m.ImageProperty.image_id == row.id, m.ImageProperty.key == key))
        if value is not None:
            session.add(m.ImageProperty(image_id=row.id, key=key, value=value))


def _named(session: Session, owner: str, name: str) -> m.Image | None:
    return session.scalars(select(m.Image).where(m.Image.project_id == owner, m.Image.name == name)).first()


def _existing(session: Session, image_id: str) -> m.Image:
    row = session.get(m.Image, image_id)
    if row is None:
        raise NotFound("image", image_id)
    return row


def _image(session: Session, row: m.Image) -> Image:
    properties = session.execute(
        select(m.ImageProperty.key, m.ImageProperty.value).where(m.ImageProperty.image_id == row.id)
    )
    members = session.scalars(
        select(m.ImageMember.project_id).where(m.ImageMember.image_id == row.id).order_by(m.ImageMember.project_id)
    )
    return Image(
        id=row.id, name=row.name, project_id=row.project_id, visibility=row.visibility, status=row.status,
        disk_format=row.disk_format, size_bytes=row.size_bytes, virtual_size_bytes=row.virtual_size_bytes,
        checksum=row.checksum, md5=row.md5, min_disk_gb=row.min_disk_gb, min_ram_mb=row.min_ram_mb,
        protected=row.protected, properties=dict(properties.all()), projects=tuple(members),
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip
