"""Initial schema: teams, users, citizens, responses and answers.

Revision ID: 20261123_0001
Revises:
Create Date: 2026-11-23 01:35:48.118242
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "20261123_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("measurement_interval_months", sa.Integer(), server_default="3", nullable=False),
        sa.Column("window_days", sa.Integer(), server_default="21", nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "measurement_interval_months >= 1", name=op.f("ck_team_interval_positive")
        ),
        sa.CheckConstraint("window_days >= 0", name=op.f("ck_team_window_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'project_leader', 'consultant')",
            name=op.f("ck_user_account_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "citizen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("consultant_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("status_reason", sa.String(length=30), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(status = 'active' AND status_reason IS NULL AND ended_on IS NULL) OR (status <> 'active' AND status_reason IS NOT NULL AND ended_on IS NOT NULL)",
            name=op.f("ck_citizen_ended_has_reason_and_date"),
        ),
        sa.CheckConstraint(
            "status = 'active' OR (status = 'ended_planned' AND status_reason IN ('employment', 'education', 'other')) OR (status = 'ended_unplanned' AND status_reason IN ('too_complex', 'not_motivated', 'moved', 'parental_leave', 'not_target_group', 'other'))",
            name=op.f("ck_citizen_reason_fits_status"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'ended_planned', 'ended_unplanned')",
            name=op.f("ck_citizen_status_known"),
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= enrolled_on", name=op.f("ck_citizen_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["consultant_id"],
            ["user_account.id"],
            name=op.f("fk_citizen_consultant_id_user_account"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_citizen_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen")),
        sa.UniqueConstraint("reference", name=op.f("uq_citizen_reference")),
    )
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_consultant_id"), ["consultant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_citizen_team_id"), ["team_id"], unique=False)

    op.create_table(
        "team_membership",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_team_membership_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_team_membership_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "team_id", name=op.f("pk_team_membership")),
    )
    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=40), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("administered_on", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(status = 'draft' AND submitted_at IS NULL) OR (status = 'submitted' AND submitted_at IS NOT NULL)",
            name=op.f("ck_response_submitted_has_time"),
        ),
        sa.CheckConstraint(
            "mode IN ('self', 'assisted', 'staff')", name=op.f("ck_response_mode_known")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted')", name=op.f("ck_response_status_known")
        ),
        sa.CheckConstraint("form_version >= 1", name=op.f("ck_response_form_version_positive")),
        sa.CheckConstraint("point >= 1", name=op.f("ck_response_point_positive")),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizen.id"], name=op.f("fk_response_citizen_id_citizen")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_response_entered_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index("ix_response_citizen_point", ["citizen_id", "point"], unique=False)
        batch_op.create_index(
            "ix_response_form_point_status", ["form_id", "point", "status"], unique=False
        )
        batch_op.create_index(
            "uq_response_one_submitted",
            ["citizen_id", "point", "form_id"],
            unique=True,
            sqlite_where=sa.text("status = 'submitted'"),
            postgresql_where=sa.text("status = 'submitted'"),
        )

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_answer_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_answer_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index("ix_answer_item_response", ["item_code", "response_id"], unique=False)
        batch_op.create_index(
            "uq_answer_response_item_position",
            ["response_id", "item_code", "position"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("uq_answer_response_item_position")
        batch_op.drop_index("ix_answer_item_response")

    op.drop_table("answer")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_response_one_submitted",
            sqlite_where=sa.text("status = 'submitted'"),
            postgresql_where=sa.text("status = 'submitted'"),
        )
        batch_op.drop_index("ix_response_form_point_status")
        batch_op.drop_index("ix_response_citizen_point")

    op.drop_table("response")
    op.drop_table("team_membership")
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_team_id"))
        batch_op.drop_index(batch_op.f("ix_citizen_consultant_id"))

    op.drop_table("citizen")
    op.drop_table("user_account")
    op.drop_table("team")
