"""One engine per app; a session per request (or per command) that is always closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, CursorResult, Result
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from survey.config import ConfigError

EXTENSION = "survey.db"
SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: URL, echo: bool = False) -> Engine:
    # A failed statement's parameters (answers, references) never reach an error message or log.
    options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        if url.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        in_file = url.database not in (None, "", ":memory:") and not str(url.database).startswith(
            "file::memory:"
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # A writer waits up to 5 s for another (then the 503 page, never a 500).
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if in_file:
                # WAL: readers never wait for a writer, nor a writer for readers; the mode is
                # kept in the file. NORMAL syncs at checkpoints, which WAL keeps safe from an
                # app crash (a power cut may lose the last commits, never corrupt the file).
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def check_connection(engine: Engine) -> None:
    """Connect once, turning a refused connection into a message that names the setting."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe = engine.url.render_as_string(hide_password=True)
        raise ConfigError(
            f"cannot connect to the database in SURVEY_DATABASE_URL ({safe}): {reason}"
        ) from None


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["DATABASE_ECHO"])
    app.extensions[EXTENSION] = engine
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions[EXTENSION]


def get_session() -> Session:
    """The session of this request or command, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE changed: its result is a CursorResult, which says so."""
    assert isinstance(result, CursorResult)
    return result.rowcount
