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
