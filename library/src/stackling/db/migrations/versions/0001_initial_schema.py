"""Initial schema: identity, application credentials, revocation events and quotas.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domains",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_domains"),
        sa.UniqueConstraint("name", name="uq_domains_name"),
    )
    op.create_table(
        "revocation_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("project_id", sa.String(length=64), nullable=True),
        sa.Column("domain_id", sa.String(length=64), nullable=True),
        sa.Column("audit_id", sa.String(length=64), nullable=True),
        sa.Column("application_credential_id", sa.String(length=64), nullable=True),
        sa.Column("issued_before", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_revocation_events"),
    )
    op.create_index("ix_revocation_events_audit_id", "revocation_events", ["audit_id"])
    op.create_index("ix_revocation_events_issued_before", "revocation_events", ["issued_before"])
    op.create_index("ix_revocation_events_project_id", "revocation_events", ["project_id"])
    op.create_index("ix_revocation_events_user_id", "revocation_events", ["user_id"])
    op.create_table(
        "roles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("name", name="uq_roles_name"),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name="fk_groups_domain_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_groups"),
        sa.UniqueConstraint("domain_id", "name", name="uq_groups_domain_id_name"),
    )
    op.create_index("ix_groups_domain_id", "groups", ["domain_id"])
    op.create_table(
        "implied_roles",
        sa.Column("prior_role_id", sa.String(length=64), nullable=False),
        sa.Column("implied_role_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["implied_role_id"], ["roles.id"], name="fk_implied_roles_implied_role_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["prior_role_id"], ["roles.id"], name="fk_implied_roles_prior_role_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("prior_role_id", "implied_role_id", name="pk_implied_roles"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name="fk_projects_domain_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("domain_id", "name", name="uq_projects_domain_id_name"),
    )
    op.create_index("ix_projects_domain_id", "projects", ["domain_id"])
    op.create_table(
        "role_assignments",
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "type IN ('UserProject', 'GroupProject', 'UserDomain', 'GroupDomain')", name="ck_role_assignments_type"
        ),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name="fk_role_assignments_role_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("type", "actor_id", "target_id", "role_id", name="pk_role_assignments"),
    )
    op.create_index("ix_role_assignments_actor_id", "role_assignments", ["actor_id"])
    op.create_index("ix_role_assignments_target_id", "role_assignments", ["target_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name="fk_users_domain_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("domain_id", "name", name="uq_users_domain_id_name"),
    )
    op.create_index("ix_users_domain_id", "users", ["domain_id"])
    op.create_table(
        "application_credentials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_application_credentials_project_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_application_credentials_user_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_application_credentials"),
        sa.UniqueConstraint("user_id", "name", name="uq_application_credentials_user_id_name"),
    )
    op.create_index("ix_application_credentials_project_id", "application_credentials", ["project_id"])
    op.create_index("ix_application_credentials_user_id", "application_credentials", ["user_id"])
    op.create_table(
        "group_memberships",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name="fk_group_memberships_group_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_group_memberships_user_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_memberships"),
    )
    op.create_index("ix_group_memberships_user_id", "group_memberships", ["user_id"])
    op.create_table(
        "quota_limits",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name="fk_quota_limits_project_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "resource", name="pk_quota_limits"),
    )
    op.create_table(
        "quota_usages",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("in_use", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name="fk_quota_usages_project_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "resource", name="pk_quota_usages"),
    )
    op.create_table(
        "application_credential_roles",
        sa.Column("application_credential_id", sa.String(length=64), nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_credential_id"],
            ["application_credentials.id"],
            name="fk_application_credential_roles_application_credential_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name="fk_application_credential_roles_role_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("application_credential_id", "role_id", name="pk_application_credential_roles"),
    )


def downgrade() -> None:
    op.drop_table("application_credential_roles")
    op.drop_table("quota_usages")
    op.drop_table("quota_limits")
    op.drop_index("ix_group_memberships_user_id", table_name="group_memberships")
    op.drop_table("group_memberships")
    op.drop_index("ix_application_credentials_user_id", table_name="application_credentials")
    op.drop_index("ix_application_credentials_project_id", table_name="application_credentials")
    op.drop_table("application_credentials")
    op.drop_index("ix_users_domain_id", table_name="users")
    op.drop_table("users")
    op.drop_index("ix_role_assignments_target_id", table_name="role_assignments")
    op.drop_index("ix_role_assignments_actor_id", table_name="role_assignments")
    op.drop_table("role_assignments")
    op.drop_index("ix_projects_domain_id", table_name="projects")
    op.drop_table("projects")
    op.drop_table("implied_roles")
    op.drop_index("ix_groups_domain_id", table_name="groups")
    op.drop_table("groups")
    op.drop_table("roles")
    op.drop_index("ix_revocation_events_user_id", table_name="revocation_events")
    op.drop_index("ix_revocation_events_project_id", table_name="revocation_events")
    op.drop_index("ix_revocation_events_issued_before", table_name="revocation_events")
    op.drop_index("ix_revocation_events_audit_id", table_name="revocation_events")
    op.drop_table("revocation_events")
    op.drop_table("domains")
