"""Interfaces of the volume scheduler's filters and weighers."""

from __future__ import annotations

from abc import ABC, abstractmethod

from stackling.scheduler.volume.backend_state import BackendState, VolumeRequest


class BaseBackendFilter(ABC):
    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def backend_passes(self, backend: BackendState, request: VolumeRequest) -> bool:
        """True if the backend can take the volume."""


class BaseBackendWeigher(ABC):
    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def weigh(self, backend: BackendState, request: VolumeRequest) -> float:
        """The raw weight; the scheduler normalises it over the backends (nova/cinder style)."""
