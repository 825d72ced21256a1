"""The tablet holds no login: one active kiosk per draft, its page, lock reason, unlock attempts.

PINs set under the old rule (4 digits, trivial ones allowed) are cleared: consultants set a new
one of at least 6 digits.

Revision ID: 20261201_0005
Revises: 20261123_0004
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261201_0005"
down_revision: str | None = "20261123_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An older tablet left open is ended: its cookie shared the consultant's login.
    op.execute("UPDATE kiosk_session SET ended_at = CURRENT_TIMESTAMP WHERE ended_at IS NULL")
    op.execute("UPDATE user_account SET kiosk_pin_hash = NULL")
    with op.batch_alter_table("kiosk_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("page", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(sa.Column("consultant_locale", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("locked_reason", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("unlock_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("ended_reason", sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            "locked_reason_known", "locked_reason IN ('pause', 'idle', 'done')"
        )
        batch_op.create_check_constraint(
            "ended_reason_known", "ended_reason IN ('unlocked', 'replaced', 'unlock_failures')"
        )
        batch_op.create_check_constraint("page_positive", "page >= 1")
        batch_op.create_check_constraint("unlock_attempts_positive", "unlock_attempts >= 0")
        batch_op.create_index(
            "uq_kiosk_session_one_active",
            ["response_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index("ix_kiosk_session_consultant", ["consultant_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("kiosk_session", schema=None) as batch_op:
        batch_op.drop_index("ix_kiosk_session_consultant")
        batch_op.drop_index("uq_kiosk_session_one_active")
        batch_op.drop_constraint("unlock_attempts_positive", type_="check")
        batch_op.drop_constraint("page_positive", type_="check")
        batch_op.drop_constraint("ended_reason_known", type_="check")
        batch_op.drop_constraint("locked_reason_known", type_="check")
        batch_op.drop_column("ended_reason")
        batch_op.drop_column("unlock_attempts")
        batch_op.drop_column("locked_reason")
        batch_op.drop_column("consultant_locale")
        batch_op.drop_column("page")
