"""Storage backends through the policy (cloud admin)."""

from stackling.storage.backends import StorageBackend, StorageBackendService

__all__ = ["StorageBackend", "StorageBackendService"]
