"""The compute scheduler (nova-style filters and weighers over placement candidates) and
the volume scheduler (cinder-style capacity filtering and weighing)."""

from stackling.scheduler.compute_hosts import ComputeHostInfo, ComputeHosts
from stackling.scheduler.config import (
    SchedulerConfig,
    VolumeSchedulerConfig,
    scheduler_config_from_mapping,
    volume_scheduler_config_from_mapping,
)
from stackling.scheduler.host_state import HostState
from stackling.scheduler.manager import Placed, Scheduler
from stackling.scheduler.request import RequestSpec, Selection, ServerGroupInfo
from stackling.scheduler.server_groups import ServerGroup, ServerGroups

__all__ = [
    "ComputeHostInfo",
    "ComputeHosts",
    "HostState",
    "Placed",
    "RequestSpec",
    "Scheduler",
    "SchedulerConfig",
    "Selection",
    "ServerGroup",
    "ServerGroupInfo",
    "ServerGroups",
    "VolumeSchedulerConfig",
    "scheduler_config_from_mapping",
    "volume_scheduler_config_from_mapping",
]
