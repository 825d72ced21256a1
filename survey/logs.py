"""What the app writes to its log never carries a value someone typed: no answer, citizen
reference, search term, user name or password. A failed request is logged by its request id,
method, path and the exception's type and frames, never its message (a database's message
quotes the row: "Key (reference)=(N-2026-001) already exists"); the development server logs
paths without their query (`?q=` is a citizen's reference)."""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from types import TracebackType
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import WSGIRequestHandler

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is taken when it looks like one; anything else could be a value in disguise.
_GIVEN_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

log = logging.getLogger("survey.requests")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when it is a plain token, else a new one."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _GIVEN_ID.fullmatch(given) else secrets.token_hex(8)
    return str(g.request_id)


def describe(error: BaseException) -> str:
    """The exception and those it came from, by type and frames only; for a database error its
    SQLSTATE and constraint, which name the rule that failed and not the values."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for exc in reversed(chain):
        frames = "".join(traceback.format_tb(exc.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{_name(exc)}{_database(exc)}")
    return "\nThe above led to:\n".join(parts)


def _name(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__} (its message is not logged)"


def _database(exc: BaseException) -> str:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    diag = getattr(original, "diag", None)  # psycopg's diagnostics
    sqlstate = getattr(original, "sqlstate", None) or getattr(diag, "sqlstate", None)
    constraint = getattr(diag, "constraint_name", None)
    found = [f"sqlstate {sqlstate}"] if sqlstate else []
    found += [f"constraint {constraint}"] if constraint else []
    return f" [{', '.join(found)}]" if found else ""


def log_exception(exc_info: ExcInfo) -> None:
    """Flask's log_exception, without the message of the exception."""
    error = exc_info[1]
    where = f"{request.method} {request.path}" if has_request_context() else "outside a request"
    ident = request_id() if has_request_context() else "-"
    log.error(
        "request %s failed: %s\n%s", ident, where, describe(error) if error else "no exception"
    )


class PathOnlyRequestHandler(WSGIRequestHandler):
    """`survey serve`'s access log: the path without its query, and a refused request line by
    its status only (the line itself is what the browser sent)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = str(getattr(self, "path", "-")).split("?", 1)[0]
        path = path.translate(dict.fromkeys(range(32), "?"))
        command = getattr(self, "command", None) or "-"
        version = getattr(self, "request_version", None) or "-"
        self.log("info", '"%s %s %s" %s %s', command, path, version, code, size)

    def log_error(self, format: str, *args: Any) -> None:
        self.log("error", "request refused (%s)", args[0] if args else "-")


def init_app(app: Flask) -> None:
    @app.after_request
    def tag(response: Response) -> Response:
        response.headers.setdefault(REQUEST_ID_HEADER, request_id())
        return response
