"""The composition root: one configuration in, every library component wired together.

    controller = Controller.from_config(load_config("/etc/stackling/controller.yaml"))
    token = controller.auth.password("alice", secret, ScopeRequest(project="web", project_domain="Default"))
    ctx = controller.tokens.validate(token.token)
    controller.identity.list_projects(ctx)

No module-level state: two controllers (two configurations) can live in one process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from stackling.clock import Clock, utcnow
from stackling.compute import (
    AggregateService,
    AllocationService,
    ComputeHostService,
    FlavorService,
    KeypairService,
    ServerGroupService,
)
from stackling.compute.servers import ServerService
from stackling.conductor import ConductorSettings, PlaybookRunner
from stackling.config import ControllerConfig
from stackling.context import Context
from stackling.db import Database
from stackling.identity.auth import Authenticator
from stackling.identity.bootstrap import Bootstrapper, BootstrapRequest, BootstrapResult
from stackling.identity.passwords import SecretHasher
from stackling.identity.revocation import RevocationLog
from stackling.identity.service import IdentityService
from stackling.identity.tokens import TokenManager
from stackling.images import ImageService, ImageStore
from stackling.ipam import Ipam
from stackling.networking import Networking, RouterPlumbing
from stackling.placement import PlacementEngine
from stackling.policy import Enforcer
from stackling.quota import QuotaEngine, QuotaService
from stackling.scheduler import ComputeHosts, Scheduler, ServerGroups
from stackling.scheduler.volume.backends import StorageBackends
from stackling.scheduler.volume.scheduler import VolumeScheduler
from stackling.storage import (
    AttachmentService,
    SnapshotService,
    StorageBackendService,
    VolumeEngines,
    VolumeJobs,
    VolumeService,
    VolumeTypeService,
)
from stackling.tokens import FernetTokenProvider, KeyRepository


@dataclass
class Engines:
    """The engines under the services: no policy, every method in the caller's transaction
    (the conductor and the tenant services to come call them with their own checks made)."""

    placement: PlacementEngine
    compute_hosts: ComputeHosts
    storage_backends: StorageBackends
    server_groups: ServerGroups
    scheduler: Scheduler
    volume_scheduler: VolumeScheduler
    ipam: Ipam

    @classmethod
    def from_config(cls, config: ControllerConfig, clock: Clock) -> Engines:
        placement = PlacementEngine(clock, config.scheduler.claim_retries)
        backends = StorageBackends(placement, clock, config.volume_scheduler.default_availability_zone)
        return cls(
            placement=placement,
            compute_hosts=ComputeHosts(placement, clock),
            storage_backends=backends,
            server_groups=ServerGroups(clock),
            scheduler=Scheduler(config.scheduler, placement, random.Random()),
            volume_scheduler=VolumeScheduler(config.volume_scheduler, backends),
            ipam=Ipam(config.ipam, clock),
        )


@dataclass
class Controller:
    config: ControllerConfig
    db: Database
    policy: Enforcer
    keys: KeyRepository
    tokens: TokenManager
    auth: Authenticator
    identity: IdentityService
    quotas: QuotaService
    bootstrapper: Bootstrapper
    engines: Engines
    compute_hosts: ComputeHostService
    aggregates: AggregateService
    flavors: FlavorService
    server_groups: ServerGroupService
    allocations: AllocationService
    storage_backends: StorageBackendService
    images: ImageService
    keypairs: KeypairService
    networking: Networking
    servers: ServerService
    volume_types: VolumeTypeService
    volumes: VolumeService
    volume_snapshots: SnapshotService
    volume_attachments: AttachmentService
    owns_db: bool = True

    @classmethod
    def from_config(cls, config: ControllerConfig, clock: Clock = utcnow, db: Database | None = None) -> Controller:
        """Wire every component from ``config``; ``db`` shares an already open store (then close() leaves it open)."""
        owns_db = db is None
        if db is None:
            db = Database(config.database.url)
        policy = Enforcer(config.policy.file)
        hasher = SecretHasher(config.password_hashing)
        lifetime = timedelta(seconds=config.token.expiration)
        revocations = RevocationLog(clock, lifetime)
        keys = KeyRepository(config.fernet_tokens.key_repository, config.fernet_tokens.max_active_keys)
        tokens = TokenManager(db, FernetTokenProvider(keys), revocations, clock, lifetime, config.identity, policy)
        engines = Engines.from_config(config, clock)
        zone = config.scheduler.default_availability_zone
        quota_engine = QuotaEngine(config.quota.defaults, clock)
        image_store = ImageStore(config.images.store_dir, config.images.max_size_gb)
        flavors = FlavorService(db, policy, clock)
        server_groups = ServerGroupService(db, policy, engines.server_groups)
        images = ImageService(db, policy, clock, image_store)
        keypairs = KeypairService(db, policy, clock, quota_engine)
        conductor = config.conductor
        runner = PlaybookRunner(ConductorSettings(
            inventory=conductor.inventory, playbook_dir=conductor.playbook_dir, private_key=conductor.private_key,
            known_hosts=conductor.known_hosts, collections_path=conductor.collections_path, work_dir=conductor.work_dir,
            default_timeout=conductor.job_timeout,
        ))  # fmt: skip
        networking = Networking.build(db, policy, engines.ipam, quota_engine,
                                      RouterPlumbing(db, engines.ipam, conductor, runner))  # fmt: skip
        volume_engines = VolumeEngines(clock, runner, VolumeJobs(conductor), quota_engine, engines.placement)
        attachments = AttachmentService(db, policy, volume_engines)
        servers = ServerService(
            db, policy, clock, conductor=conductor, default_zone=zone, runner=runner,
            release_volumes=attachments.release_server,
            placement=engines.placement, scheduler=engines.scheduler, group_engine=engines.server_groups,
            ipam=engines.ipam, quotas=quota_engine, flavors=flavors, images=images, keypairs=keypairs,
            server_groups=server_groups, networks=networking.networks, security_groups=networking.security_groups,
        )  # fmt: skip
        networking.security_groups.on_change = servers.refresh_security_groups
        return cls(
            config=config,
            db=db,
            policy=policy,
            keys=keys,
            tokens=tokens,
            auth=Authenticator(db, hasher, tokens, clock),
            identity=IdentityService(db, policy, hasher, revocations, clock),
            quotas=QuotaService(db, policy, quota_engine),
            bootstrapper=Bootstrapper(db, hasher, revocations, clock),
            engines=engines,
            compute_hosts=ComputeHostService(db, policy, engines.compute_hosts, zone),
            aggregates=AggregateService(db, policy, engines.placement),
            flavors=flavors,
            server_groups=server_groups,
            allocations=AllocationService(db, policy),
            storage_backends=StorageBackendService(db, policy, engines.storage_backends),
            networking=networking,
            images=images,
            keypairs=keypairs,
            servers=servers,
            volume_types=VolumeTypeService(db, policy, clock),
            volumes=VolumeService(db, policy, volume_engines, scheduler=engines.volume_scheduler, images=images),
            volume_snapshots=SnapshotService(db, policy, volume_engines),
            volume_attachments=attachments,
            owns_db=owns_db,
        )

    def bootstrap(self, admin_password: str, admin_username: str = "admin") -> BootstrapResult:
        request = BootstrapRequest(
            admin_password=admin_password,
            admin_username=admin_username,
            project_name=self.config.identity.admin_project_name,
            domain_name=self.config.identity.admin_project_domain_name,
        )
        return self.bootstrapper.run(request)

    def operator_context(self) -> Context:
        """The local operator (stackling-manage): the cloud admin, scoped to the admin project."""
        with self.db.read() as session:
            return Context.local_operator(self.tokens.admin_project_id(session))

    def close(self) -> None:
        if self.owns_db:
            self.db.dispose()
