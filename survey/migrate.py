"""Alembic driven from the app's settings, for `survey db ...`, the demo and the tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from survey.db import check_connection, get_engine

# Alembic is imported where it is used: it costs half a second, and every `survey` command and
# app start imports this module (the health check reads the revision).
if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(app: Flask) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", app.config["MIGRATIONS_DIR"])
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s",
    )
    config.attributes["engine"] = get_engine(app)
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    from alembic import command

    check_connection(get_engine(app))
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    from alembic import command

    check_connection(get_engine(app))
    command.downgrade(alembic_config(app), revision)


def head_revision(app: Flask) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(app)).get_current_head()


def current_revision(app: Flask) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = get_engine(app)
    check_connection(engine)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(app: Flask) -> bool:
    return current_revision(app) == head_revision(app)
