"""The engine the app makes: SQLite files run in WAL mode, so a save never waits on a reader."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from survey.db import get_engine


def test_a_sqlite_file_made_by_the_app_runs_in_wal_mode(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    path = tmp_path / "wal.db"
    app = make_app(f"sqlite:///{path}")
    with get_engine(app).connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    get_engine(app).dispose()
    # WAL is kept in the file itself: any other program opening it sees the same mode.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    plain.close()


def test_an_in_memory_database_keeps_its_own_journal(make_app: Callable[..., Flask]) -> None:
    app = make_app("sqlite://", migrated=False)
    with get_engine(app).connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "memory"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
