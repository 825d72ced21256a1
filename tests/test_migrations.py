"""Migrations: both directions on SQLite and PostgreSQL, and no drift from the models."""

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from survey import migrate
from survey.config import PROJECT_ROOT
from survey.db import get_engine

VERSIONS = PROJECT_ROOT / "migrations" / "versions"


def tables(app) -> set[str]:
    return set(inspect(get_engine(app)).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(make_app, database_url: str) -> None:
    app = make_app(database_url, migrated=False)
    migrate.upgrade(app)
    assert migrate.current_revision(app) == migrate.head_revision(app)
    assert tables(app) == set(SQLModel.metadata.tables)
    migrate.downgrade(app, "base")
    assert migrate.current_revision(app) is None
    assert tables(app) == set()
    migrate.upgrade(app)
    assert tables(app) == set(SQLModel.metadata.tables)


def test_migrated_schema_matches_the_models(make_app, database_url: str) -> None:
    app = make_app(database_url)
    with get_engine(app).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_revision_files_are_dated_and_go_both_ways() -> None:
    files = sorted(VERSIONS.glob("*.py"))
    assert files, "no migrations"
    for path in files:
        assert re.match(r"^\d{4}_\d{2}_\d{2}_\w+\.py$", path.name), path.name
        source = Path(path).read_text(encoding="utf-8")
        for direction in ("upgrade", "downgrade"):
            body = source.split(f"def {direction}() -> None:", 1)[1].split("\ndef ", 1)[0]
            assert "op." in body, f"{path.name}: {direction}() does nothing"


def test_downgrade_and_upgrade_keep_the_data(make_app, database_url: str) -> None:
    """SQLite's batch mode copies tables; nothing may be lost or cascade-deleted on the way."""
    from datetime import date

    from sqlalchemy import func, select
    from sqlmodel import Session

    from survey.demo import build_demo
    from survey.models import Answer, Response

    app = make_app(database_url)
    with Session(get_engine(app)) as db:
        build_demo(
            db, app.extensions["survey.instruments"], today=date(2026, 11, 23), hash_passwords=False
        )
        db.commit()

    def counts() -> tuple[int, int]:
        with Session(get_engine(app)) as db:
            return (
                db.execute(select(func.count()).select_from(Response)).scalar_one(),
                db.execute(select(func.count()).select_from(Answer)).scalar_one(),
            )

    before = counts()
    assert before[1] > 10_000
    head = migrate.head_revision(app)
    migrate.downgrade(app, "20261123_0002")
    migrate.upgrade(app)
    assert migrate.current_revision(app) == head
    assert counts() == before


def test_roles_per_team_carry_today_s_users_over_unchanged(make_app, database_url: str) -> None:
    """Before 20261202_0008 a user had one role; after it each membership carries that role
    and administrators keep the capability (their memberships, which gave nothing, go)."""
    from sqlalchemy import text

    app = make_app(database_url, migrated=False)
    migrate.upgrade(app, "20261202_0007")
    with get_engine(app).begin() as db:
        db.execute(
            text("INSERT INTO team (id, name, created_at) VALUES (1, 'A', :t), (2, 'B', :t)"),
            {"t": "2026-01-01 00:00:00"},
        )
        for uid, name, role in (
            (1, "ann", "consultant"),
            (2, "lea", "project_leader"),
            (3, "adm", "admin"),
        ):
            db.execute(
                text(
                    "INSERT INTO user_account (id, username, full_name, password_hash, role, "
                    "is_active, created_at) VALUES (:id, :name, :name, '!', :role, true, :t)"
                ),
                {"id": uid, "name": name, "role": role, "t": "2026-01-01 00:00:00"},
            )
        for uid, tid in ((1, 1), (1, 2), (2, 2), (3, 1)):
            db.execute(
                text("INSERT INTO team_membership (user_id, team_id) VALUES (:u, :t)"),
                {"u": uid, "t": tid},
            )
    migrate.upgrade(app)
    with get_engine(app).connect() as db:
        held = set(db.execute(text("SELECT user_id, team_id, role FROM team_membership")).all())
        admins = dict(db.execute(text("SELECT username, is_admin FROM user_account")).all())
    assert held == {(1, 1, "consultant"), (1, 2, "consultant"), (2, 2, "project_leader")}
    assert {name: bool(flag) for name, flag in admins.items()} == {
        "ann": False,
        "lea": False,
        "adm": True,
    }
    migrate.downgrade(app, "20261202_0007")
    with get_engine(app).connect() as db:
        roles = dict(db.execute(text("SELECT username, role FROM user_account")).all())
    assert roles == {"ann": "consultant", "lea": "project_leader", "adm": "admin"}
