"""Small-cell suppression per team: report cells with 1–4 citizens shown as "<5" to leaders.

Revision ID: 20261123_0004
Revises: 20261123_0003
Create Date: 2026-11-23 02:59:35.577653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_0004"
down_revision: str | None = "20261123_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "suppress_small_cells",
                sa.Boolean(),
                server_default=sa.text("(true)"),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("suppress_small_cells")
