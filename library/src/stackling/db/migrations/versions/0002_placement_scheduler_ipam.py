"""Placement, scheduling and IPAM: resource providers, inventories, consumers, allocations,
traits, aggregates (+ metadata), compute hosts, storage backends, server groups; networks,
subnets, allocation pools, DNS servers, host routes, ports, IP allocations, floating IPs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aggregates",
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name="pk_aggregates"),
        sa.UniqueConstraint("name", name="uq_aggregates_name"),
    )
    op.create_table(
        "consumers",
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("consumer_type", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name="pk_consumers"),
    )
    op.create_index("ix_consumers_project_id", "consumers", ["project_id"], unique=False)
    op.create_table(
        "networks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("network_type", sa.String(length=16), nullable=False),
        sa.Column("physical_network", sa.String(length=255), nullable=False),
        sa.Column("segmentation_id", sa.Integer(), nullable=True),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("network_type IN ('vxlan', 'vlan', 'flat', 'local')", name="ck_networks_network_type"),
        sa.PrimaryKeyConstraint("id", name="pk_networks"),
        sa.UniqueConstraint(
            "network_type",
            "physical_network",
            "segmentation_id",
            name="uq_networks_network_type_physical_network_segmentation_id",
        ),
    )
    op.create_index("ix_networks_project_id", "networks", ["project_id"], unique=False)
    op.create_table(
        "resource_providers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_resource_providers"),
        sa.UniqueConstraint("name", name="uq_resource_providers_name"),
        sa.UniqueConstraint("uuid", name="uq_resource_providers_uuid"),
    )
    op.create_table(
        "server_groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("max_server_per_host", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "policy IN ('affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity')",
            name="ck_server_groups_policy",
        ),
        sa.CheckConstraint("max_server_per_host >= 1", name="ck_server_groups_max_server_per_host"),
        sa.PrimaryKeyConstraint("id", name="pk_server_groups"),
    )
    op.create_index("ix_server_groups_project_id", "server_groups", ["project_id"], unique=False)
    op.create_table(
        "aggregate_metadata",
        sa.Column("aggregate_uuid", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["aggregate_uuid"], ["aggregates.uuid"], name="fk_aggregate_metadata_aggregate_uuid", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("aggregate_uuid", "key", name="pk_aggregate_metadata"),
    )
    op.create_index("ix_aggregate_metadata_key", "aggregate_metadata", ["key"], unique=False)
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consumer_uuid", sa.String(length=64), nullable=False),
        sa.Column("resource_provider_id", sa.Integer(), nullable=False),
        sa.Column("resource_class", sa.String(length=255), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 1", name="ck_allocations_used"),
        sa.ForeignKeyConstraint(
            ["consumer_uuid"], ["consumers.uuid"], name="fk_allocations_consumer_uuid", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_provider_id"],
            ["resource_providers.id"],
            name="fk_allocations_resource_provider_id",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_allocations"),
        sa.UniqueConstraint(
            "consumer_uuid", "resource_provider_id", "resource_class", name="uq_allocations_consumer_provider_class"
        ),
    )
    op.create_index(
        "ix_allocations_resource_provider_id_resource_class",
        "allocations",
        ["resource_provider_id", "resource_class"],
        unique=False,
    )
    op.create_table(
        "compute_hosts",
        sa.Column("resource_provider_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=False),
        sa.Column("hypervisor_type", sa.String(length=255), nullable=False),
        sa.Column("hypervisor_version", sa.Integer(), nullable=False),
        sa.Column("architecture", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_provider_id"],
            ["resource_providers.id"],
            name="fk_compute_hosts_resource_provider_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_provider_id", name="pk_compute_hosts"),
    )
    op.create_table(
        "inventories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource_provider_id", sa.Integer(), nullable=False),
        sa.Column("resource_class", sa.String(length=255), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("min_unit", sa.Integer(), nullable=False),
        sa.Column("max_unit", sa.Integer(), nullable=False),
        sa.Column("step_size", sa.Integer(), nullable=False),
        sa.Column("allocation_ratio", sa.Float(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("allocation_ratio > 0", name="ck_inventories_ratio"),
        sa.CheckConstraint("min_unit >= 1 AND max_unit >= min_unit AND step_size >= 1", name="ck_inventories_units"),
        sa.CheckConstraint("total >= 0 AND reserved >= 0 AND used >= 0", name="ck_inventories_amounts"),
        sa.ForeignKeyConstraint(
            ["resource_provider_id"],
            ["resource_providers.id"],
            name="fk_inventories_resource_provider_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inventories"),
        sa.UniqueConstraint(
            "resource_provider_id", "resource_class", name="uq_inventories_resource_provider_id_resource_class"
        ),
    )
    op.create_index("ix_inventories_resource_class", "inventories", ["resource_class"], unique=False)
    op.create_table(
        "ports",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mac_address", sa.String(length=17), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("device_owner", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name="fk_ports_network_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_ports"),
        sa.UniqueConstraint("mac_address", name="uq_ports_mac_address"),
    )
    op.create_index("ix_ports_network_id", "ports", ["network_id"], unique=False)
    op.create_index("ix_ports_project_id", "ports", ["project_id"], unique=False)
    op.create_table(
        "provider_aggregates",
        sa.Column("resource_provider_id", sa.Integer(), nullable=False),
        sa.Column("aggregate_uuid", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["aggregate_uuid"], ["aggregates.uuid"], name="fk_provider_aggregates_aggregate_uuid", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_provider_id"],
            ["resource_providers.id"],
            name="fk_provider_aggregates_resource_provider_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_provider_id", "aggregate_uuid", name="pk_provider_aggregates"),
    )
    op.create_index("ix_provider_aggregates_aggregate_uuid", "provider_aggregates", ["aggregate_uuid"], unique=False)
    op.create_table(
        "provider_traits",
        sa.Column("resource_provider_id", sa.Integer(), nullable=False),
        sa.Column("trait", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_provider_id"],
            ["resource_providers.id"],
            name="fk_provider_traits_resource_provider_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_provider_id", "trait", name="pk_provider_traits"),
    )
    op.create_index("ix_provider_traits_trait", "provider_traits", ["trait"], unique=False)
    op.create_table(
        "server_group_members",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("consumer_uuid", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["server_groups.id"], name="fk_server_group_members_group_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "consumer_uuid", name="pk_server_group_members"),
    )
    op.create_index("ix_server_group_members_consumer_uuid", "server_group_members", ["consumer_uuid"], unique=False)
    op.create_table(
        "storage_backends",
        sa.Column("resource_provider_id", sa.Integer(), nullable=False),
        sa.Column("driver", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("thin_provisioning_support", sa.Boolean(), nullable=False),
        sa.Column("thick_provisioning_support", sa.Boolean(), nullable=False),
        sa.Column("max_over_subscription_ratio", sa.Float(), nullable=False),
        sa.Column("reserved_percentage", sa.Integer(), nullable=False),
        sa.Column("total_capacity_gb", sa.Float(), nullable=False),
        sa.Column("free_capacity_gb", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("max_over_subscription_ratio >= 1", name="ck_storage_backends_ratio"),
        sa.CheckConstraint(
            "reserved_percentage >= 0 AND reserved_percentage <= 100", name="ck_storage_backends_reserved_percentage"
        ),
        sa.ForeignKeyConstraint(
            ["resource_provider_id"],
            ["resource_providers.id"],
            name="fk_storage_backends_resource_provider_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_provider_id", name="pk_storage_backends"),
    )
    op.create_table(
        "subnets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("gateway_ip", sa.String(length=64), nullable=True),
        sa.Column("enable_dhcp", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ip_version IN (4, 6)", name="ck_subnets_ip_version"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name="fk_subnets_network_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_subnets"),
    )
    op.create_index("ix_subnets_network_id", "subnets", ["network_id"], unique=False)
    op.create_index("ix_subnets_project_id", "subnets", ["project_id"], unique=False)
    op.create_table(
        "floating_ips",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("port_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("fixed_port_id", sa.String(length=64), nullable=True),
        sa.Column("fixed_ip_address", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fixed_port_id"], ["ports.id"], name="fk_floating_ips_fixed_port_id", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name="fk_floating_ips_network_id", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], name="fk_floating_ips_port_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_floating_ips"),
        sa.UniqueConstraint("port_id", name="uq_floating_ips_port_id"),
    )
    op.create_index("ix_floating_ips_fixed_port_id", "floating_ips", ["fixed_port_id"], unique=False)
    op.create_index("ix_floating_ips_project_id", "floating_ips", ["project_id"], unique=False)
    op.create_table(
        "ip_allocations",
        sa.Column("subnet_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("port_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], name="fk_ip_allocations_port_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subnet_id"], ["subnets.id"], name="fk_ip_allocations_subnet_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("subnet_id", "address", name="pk_ip_allocations"),
    )
    op.create_index("ix_ip_allocations_port_id", "ip_allocations", ["port_id"], unique=False)
    op.create_table(
        "subnet_allocation_pools",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subnet_id", sa.String(length=64), nullable=False),
        sa.Column("first_ip", sa.String(length=64), nullable=False),
        sa.Column("last_ip", sa.String(length=64), nullable=False),
        sa.Column("next_ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["subnet_id"], ["subnets.id"], name="fk_subnet_allocation_pools_subnet_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subnet_allocation_pools"),
    )
    op.create_index("ix_subnet_allocation_pools_subnet_id", "subnet_allocation_pools", ["subnet_id"], unique=False)
    op.create_table(
        "subnet_dns_nameservers",
        sa.Column("subnet_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subnet_id"], ["subnets.id"], name="fk_subnet_dns_nameservers_subnet_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subnet_id", "address", name="pk_subnet_dns_nameservers"),
    )
    op.create_table(
        "subnet_host_routes",
        sa.Column("subnet_id", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=64), nullable=False),
        sa.Column("nexthop", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["subnet_id"], ["subnets.id"], name="fk_subnet_host_routes_subnet_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("subnet_id", "destination", "nexthop", name="pk_subnet_host_routes"),
    )


def downgrade() -> None:
    op.drop_table("subnet_host_routes")
    op.drop_table("subnet_dns_nameservers")
    op.drop_index("ix_subnet_allocation_pools_subnet_id", table_name="subnet_allocation_pools")
    op.drop_table("subnet_allocation_pools")
    op.drop_index("ix_ip_allocations_port_id", table_name="ip_allocations")
    op.drop_table("ip_allocations")
    op.drop_index("ix_floating_ips_project_id", table_name="floating_ips")
    op.drop_index("ix_floating_ips_fixed_port_id", table_name="floating_ips")
    op.drop_table("floating_ips")
    op.drop_index("ix_subnets_project_id", table_name="subnets")
    op.drop_index("ix_subnets_network_id", table_name="subnets")
    op.drop_table("subnets")
    op.drop_table("storage_backends")
    op.drop_index("ix_server_group_members_consumer_uuid", table_name="server_group_members")
    op.drop_table("server_group_members")
    op.drop_index("ix_provider_traits_trait", table_name="provider_traits")
    op.drop_table("provider_traits")
    op.drop_index("ix_provider_aggregates_aggregate_uuid", table_name="provider_aggregates")
    op.drop_table("provider_aggregates")
    op.drop_index("ix_ports_project_id", table_name="ports")
    op.drop_index("ix_ports_network_id", table_name="ports")
    op.drop_table("ports")
    op.drop_index("ix_inventories_resource_class", table_name="inventories")
    op.drop_table("inventories")
    op.drop_table("compute_hosts")
    op.drop_index("ix_allocations_resource_provider_id_resource_class", table_name="allocations")
    op.drop_table("allocations")
    op.drop_index("ix_aggregate_metadata_key", table_name="aggregate_metadata")
    op.drop_table("aggregate_metadata")
    op.drop_index("ix_server_groups_project_id", table_name="server_groups")
    op.drop_table("server_groups")
    op.drop_table("resource_providers")
    op.drop_index("ix_networks_project_id", table_name="networks")
    op.drop_table("networks")
    op.drop_index("ix_consumers_project_id", table_name="consumers")
    op.drop_table("consumers")
    op.drop_table("aggregates")
