"""Outcome targets per team: the shares in employment and in education a team aims at (the
programme's 20 % and 15 % where none is set).

Revision ID: 20261202_0006
Revises: 20261201_0005
Create Date: 2026-12-02 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0006"
down_revision: str | None = "20261201_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_employment", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("target_education", sa.Float(), nullable=True))
        batch_op.create_check_constraint(
            "target_employment_share",
            "target_employment IS NULL OR (target_employment >= 0 AND target_employment <= 1)",
        )
        batch_op.create_check_constraint(
            "target_education_share",
            "target_education IS NULL OR (target_education >= 0 AND target_education <= 1)",
        )


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_constraint("target_education_share", type_="check")
        batch_op.drop_constraint("target_employment_share", type_="check")
        batch_op.drop_column("target_education")
        batch_op.drop_column("target_employment")
