"""ImagePropertiesFilter: the image's architecture, hypervisor type, VM mode and requested
hypervisor version must suit the host (nova's image properties of the same names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stackling.scheduler.extra_specs_ops import match
from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec

_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "x86": "i686"}
PROPERTIES = (
    "hw_architecture",
    "architecture",
    "img_hv_type",
    "hypervisor_type",
    "hw_vm_mode",
    "img_hv_requested_version",
)


def canonical_arch(name: str) -> str:
    name = name.strip().lower()
    return _ARCH_ALIASES.get(name, name)


@dataclass(frozen=True)
class Wanted:
    architecture: str | None
    hypervisor_type: str | None
    vm_mode: str | None
    version: str | None

    @classmethod
    def of(cls, props: Mapping[str, str]) -> Wanted:
        arch = props.get("hw_architecture") or props.get("architecture")
        hv_type = props.get("img_hv_type") or props.get("hypervisor_type")
        vm_mode = props.get("hw_vm_mode")
        return cls(
            canonical_arch(arch) if arch else None,
            hv_type.strip().lower() if hv_type else None,
            vm_mode.strip().lower() if vm_mode else None,
            props.get("img_hv_requested_version") or None,
        )

    def suits(self, architecture: str, hypervisor_type: str, hypervisor_version: int) -> bool:
        if self.architecture and self.architecture != canonical_arch(architecture):
            return False
        if self.hypervisor_type and self.hypervisor_type != hypervisor_type.lower():
            return False
        if self.vm_mode and self.vm_mode != "hvm":  # libvirt/QEMU hosts run HVM guests only
            return False
        return not self.version or match(str(hypervisor_version), self.version)


class ImagePropertiesFilter(BaseHostFilter):
    def applies(self, request: RequestSpec) -> bool:
        return any(request.image_properties.get(key) for key in PROPERTIES)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        return Wanted.of(request.image_properties).suits(
            host.architecture, host.hypervisor_type, host.hypervisor_version
        )

    def filter_all(self, hosts: Sequence[HostState], request: RequestSpec) -> list[bool]:
        wanted = Wanted.of(request.image_properties)
        memo: dict[str, dict[str, dict[int, bool]]] = {}  # hosts share a handful of (arch, type, version)
        verdicts = []
        for host in hosts:
            by_version = memo.setdefault(host.architecture, {}).setdefault(host.hypervisor_type, {})
            verdict = by_version.get(host.hypervisor_version)
            if verdict is None:
                verdict = by_version[host.hypervisor_version] = wanted.suits(
                    host.architecture, host.hypervisor_type, host.hypervisor_version
                )
            verdicts.append(verdict)
        return verdicts
