"""Roles per team: a membership carries the role (consultant or project leader) in its team;
administrator becomes a capability of the user that combines with team roles. Single sign-on:
who the identity provider says a user is, how each login was made, and the AuthnRequests not
yet answered.

Today's users carry over unchanged: a consultant or project leader gets that role in each of
their teams; an administrator keeps the capability and — as before — no team role (an
administrator's memberships gave nothing and are dropped).

Revision ID: 20261202_0008
Revises: 20261202_0007
Create Date: 2026-12-02 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "20261202_0008"
down_revision: str | None = "20261202_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
    op.execute(
        "DELETE FROM team_membership WHERE user_id IN "
        "(SELECT id FROM user_account WHERE role = 'admin')"
    )
    op.execute(
        "UPDATE team_membership SET role = "
        "(SELECT role FROM user_account WHERE user_account.id = team_membership.user_id)"
    )
    with op.batch_alter_table("team_membership", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_check_constraint("role_known", "role IN ('project_leader', 'consultant')")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("sso_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
    op.execute("UPDATE user_account SET is_admin = (role = 'admin')")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.drop_column("role")
        batch_op.create_unique_constraint(
            op.f("uq_user_account_sso_issuer_sso_subject"), ["sso_issuer", "sso_subject"]
        )

    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=10), server_default="password", nullable=False)
        )
        batch_op.add_column(sa.Column("sso_name_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sso_session_index", sa.String(length=255), nullable=True))
        batch_op.create_check_constraint(
            "method_known", "method IN ('password', 'saml', 'oidc', 'kiosk')"
        )

    op.create_table(
        "sso_request",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_request")),
    )


def downgrade() -> None:
    op.drop_table("sso_request")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_constraint("method_known", type_="check")
        batch_op.drop_column("sso_session_index")
        batch_op.drop_column("sso_name_id")
        batch_op.drop_column("method")

    # One role per user again: project leader where a user led any team, else consultant;
    # administrators are administrators only (their memberships gave nothing then).
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE user_account SET role = CASE "
        "WHEN is_admin THEN 'admin' "
        "WHEN EXISTS (SELECT 1 FROM team_membership m WHERE m.user_id = user_account.id "
        "AND m.role = 'project_leader') THEN 'project_leader' "
        "ELSE 'consultant' END"
    )
    op.execute(
        "DELETE FROM team_membership WHERE user_id IN "
        "(SELECT id FROM user_account WHERE role = 'admin')"
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_user_account_sso_issuer_sso_subject"), type_="unique")
        batch_op.alter_column("role", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_check_constraint(
            "role_known", "role IN ('admin', 'project_leader', 'consultant')"
        )
        batch_op.drop_column("sso_subject")
        batch_op.drop_column("sso_issuer")
        batch_op.drop_column("is_admin")

    with op.batch_alter_table("team_membership", schema=None) as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.drop_column("role")
