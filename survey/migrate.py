"""Alembic driven from the app's settings, for `survey db ...`, the demo and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from survey.db import check_connection, get_engine


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", app.config["MIGRATIONS_DIR"])
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s",
    )
    config.attributes["engine"] = get_engine(app)
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    check_connection(get_engine(app))
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    check_connection(get_engine(app))
    command.downgrade(alembic_config(app), revision)


def head_revision(app: Flask) -> str | None:
    return ScriptDirectory.from_config(alembic_config(app)).get_current_head()


def current_revision(app: Flask) -> str | None:
    engine = get_engine(app)
    check_connection(engine)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(app: Flask) -> bool:
    return current_revision(app) == head_revision(app)
