"""Block storage through the policy: storage backends (cloud admin), volume types, volumes,
snapshots and attachments (docs/volumes.md)."""

from stackling.storage._volume_base import Snapshot, Volume, VolumeAttachmentView, VolumeEngines
from stackling.storage.attachments import AttachmentService
from stackling.storage.backends import StorageBackend, StorageBackendService
from stackling.storage.snapshots import SnapshotService
from stackling.storage.volume_jobs import VolumeJobs
from stackling.storage.volume_types import VolumeType, VolumeTypeService
from stackling.storage.volumes import VolumeRequest, VolumeService

__all__ = [
    "AttachmentService",
    "Snapshot",
    "SnapshotService",
    "StorageBackend",
    "StorageBackendService",
    "Volume",
    "VolumeAttachmentView",
    "VolumeEngines",
    "VolumeJobs",
    "VolumeRequest",
    "VolumeService",
    "VolumeType",
    "VolumeTypeService",
]
