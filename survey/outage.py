"""While the database cannot be reached: a calm page in the user's language, 503 with a
Retry-After, made without the database (no login lookup, no menu, no flashed messages), so it
shows when every other page would fail. What was saved before is safe; the form pages keep
what was typed in the browser to send again (survey/static/form.js)."""

from __future__ import annotations

import json

import psycopg
from flask import Flask, current_app, g, jsonify, request
from flask import Response as FlaskResponse
from sqlalchemy import exc as sa

# The errors that mean "the database is not there now", not "this request is wrong": a refused
# or dropped connection, a connection pool with none left, a session still holding a failed
# transaction from one of those, and SQLite's lock timeout.
DATABASE_DOWN: tuple[type[Exception], ...] = (
    sa.OperationalError,
    sa.InterfaceError,
    sa.DisconnectionError,
    sa.PendingRollbackError,
    sa.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
RETRY_AFTER_SECONDS = 30
FETCH_HEADER = "X-Survey-Fetch"
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def is_database_down(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is a database outage."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, DATABASE_DOWN):
            return True
        seen.add(id(error))
        error = getattr(error, "original_exception", None) or error.__cause__ or error.__context__
    return False


def unavailable(error: BaseException | None = None) -> FlaskResponse:
    """The 503 page (JSON for the pages' scripts), made without touching the database."""
    current_app.logger.warning(
        "database unavailable (%s) for %s %s",
        type(error).__name__ if error else "unknown",
        request.method,
        request.path,  # never the query string or the form: they may hold answers
    )
    _discard_session()
    if request.accept_mimetypes.best == "application/json":
        reply = jsonify(saved=False, reason="database")
    else:
        # Not render_template: its context processors ask the database who is logged in.
        page = current_app.jinja_env.get_template("errors/unavailable.html").render()
        reply = current_app.make_response(page)
    reply.status_code = 503
    reply.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _discard_session() -> None:
    """Drop the request's session: its connection is broken, and rolling it back may fail too."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except DATABASE_DOWN:  # the pool throws the broken connection away
        current_app.logger.debug("closing the session after the outage failed too")


def redirect_for_the_form_script(response: FlaskResponse) -> FlaskResponse:
    """A page the form script posted (header X-Survey-Fetch) gets its redirect as JSON: the
    script then goes there itself, and the browser does not fetch the next page twice (which
    would eat its flashed message)."""
    if request.headers.get(FETCH_HEADER) == "1" and response.status_code in REDIRECTS:
        location = response.headers.pop("Location")
        response.status_code = 200
        response.set_data(json.dumps({"location": location}))
        response.mimetype = "application/json"
    return response


def init_app(app: Flask) -> None:
    for error in DATABASE_DOWN:
        app.register_error_handler(error, unavailable)
    app.after_request(redirect_for_the_form_script)
