"""Traits: qualitative provider properties; standard (os-traits) names or ``CUSTOM_*``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from stackling.errors import ValidationError
from stackling.placement.resource_classes import MAX_LENGTH

COMPUTE_NODE = "COMPUTE_NODE"  # marks the providers the compute scheduler considers
COMPUTE_STATUS_DISABLED = "COMPUTE_STATUS_DISABLED"

# A subset of os-traits: what libvirt/QEMU hosts, disks and NICs of a small cloud report.
STANDARD = frozenset(
    {
        COMPUTE_NODE,
        COMPUTE_STATUS_DISABLED,
        "COMPUTE_ACCELERATORS",
        "COMPUTE_DEVICE_TAGGING",
        "COMPUTE_IMAGE_TYPE_QCOW2",
        "COMPUTE_IMAGE_TYPE_RAW",
        "COMPUTE_IMAGE_TYPE_ISO",
        "COMPUTE_NET_ATTACH_INTERFACE",
        "COMPUTE_NET_VIF_MODEL_VIRTIO",
        "COMPUTE_NET_VIF_MODEL_E1000",
        "COMPUTE_TRUSTED_CERTS",
        "COMPUTE_VOLUME_ATTACH_WITH_TAG",
        "COMPUTE_VOLUME_EXTEND",
        "COMPUTE_VOLUME_MULTI_ATTACH",
        "COMPUTE_GRAPHICS_MODEL_VGA",
        "COMPUTE_GRAPHICS_MODEL_VIRTIO",
        "COMPUTE_SECURITY_UEFI_SECURE_BOOT",
        "COMPUTE_SECURITY_TPM_2_0",
        "COMPUTE_STORAGE_BUS_VIRTIO",
        "COMPUTE_STORAGE_BUS_SCSI",
        "COMPUTE_STORAGE_BUS_SATA",
        "COMPUTE_STORAGE_BUS_IDE",
        "COMPUTE_RESCUE_BFV",
        "COMPUTE_ADDRESS_SPACE_PASSTHROUGH",
        "COMPUTE_ADDRESS_SPACE_EMULATED",
        "HW_CPU_X86_AVX",
        "HW_CPU_X86_AVX2",
        "HW_CPU_X86_AVX512F",
        "HW_CPU_X86_AESNI",
        "HW_CPU_X86_SSE",
        "HW_CPU_X86_SSE2",
        "HW_CPU_X86_SSE41",
        "HW_CPU_X86_SSE42",
        "HW_CPU_X86_SVM",
        "HW_CPU_X86_VMX",
        "HW_CPU_HYPERTHREADING",
        "HW_CPU_AARCH64_SVE",
        "HW_GPU_API_VULKAN",
        "HW_NIC_SRIOV",
        "HW_NIC_OFFLOAD_TSO",
        "HW_NUMA_ROOT",
        "STORAGE_DISK_HDD",
        "STORAGE_DISK_SSD",
        "MISC_SHARES_VIA_AGGREGATE",
    }
)
_CUSTOM = re.compile(r"^CUSTOM_[A-Z0-9_]+$")


def validate_trait(name: object) -> str:
    if isinstance(name, str) and len(name) <= MAX_LENGTH and (name in STANDARD or _CUSTOM.match(name)):
        return name
    raise ValidationError("trait %r is neither a known standard trait nor CUSTOM_ followed by A-Z, 0-9 and _" % (name,))


def validate_traits(names: Iterable[object]) -> frozenset[str]:
    return frozenset(validate_trait(name) for name in names)
