"""The log-grep test: every log record written while the suite runs is kept (a handler on the
root logger, so werkzeug's, SQLAlchemy's, Flask's and ours alike), and at the end the run fails
if one of them holds a citizen reference, a password, a search term, a reason or a free-text
answer that the suite used.

The markers collect themselves: the demo's references and passwords (registered by the demo
fixtures), and every such value any test sends to the app (a `request_started` receiver reads
the sensitive fields of each form and query as the app receives them). So a new test is
covered without naming its values here. Cheap: records are kept once per distinct text, and
they are searched once, with one pattern, at the end."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pytest
from flask import Flask, request, request_started

# Fields whose values must never be logged: user names, passwords and PINs, citizen references
# and search terms, the reasons for a correction; an item's field (free text) has "__" in its
# name.
SENSITIVE_FIELDS = frozenset(
    {
        "username",
        "password",
        "current",
        "new",
        "repeat",
        "secret",
        "q",
        "reference",
        "citizen",
        "reason",
    }
)
# Shorter values (a choice's code, "1") say nothing about anyone and would match by chance.
SHORTEST = 4
# A number, a date or a time is no marker: every log line has some.
_NOT_A_MARKER = re.compile(r"[\d\s.,:/+-]*")

# A traceback's frame names a file of the code (/root/.pyenv/...): a place, never a value; a test
# user called "root" must not make it a leak.
_FRAME_PATH = re.compile(r'File "[^"\n]*"')

MARKERS: set[str] = set()
LINES: set[str] = set()
# Words of our own URLs: a marker that is one of them (a user named "admin") cannot be told
# from a path in a log line.
_ROUTE_WORDS: set[str] = set()


def sensitive(*values: str | None) -> None:
    """Mark values that no log line may hold."""
    MARKERS.update(text for value in values if (text := (value or "").strip()))


def leaks(
    lines: Iterable[str], markers: Iterable[str], route_words: Iterable[str] = _ROUTE_WORDS
) -> list[tuple[str, str]]:
    """(marker, line) for every line that holds a marker; a value too short, a number or a
    word of our URLs is no marker."""
    ignored = set(route_words)
    ordered = sorted(
        {
            m
            for m in markers
            if len(m) >= SHORTEST and not _NOT_A_MARKER.fullmatch(m) and m not in ignored
        },
        key=len,
        reverse=True,
    )
    if not ordered:
        return []
    # whole words only: "root" (a test's user) is no leak in SQLAlchemy's `_to_root=True`
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(?:" + "|".join(re.escape(m) for m in ordered) + r")(?![A-Za-z0-9_])"
    )
    return [
        (found.group(0), line)
        for line in sorted(lines)
        if (found := pattern.search(_FRAME_PATH.sub('File ""', line)))
    ]


class KeepRecords(logging.Handler):
    """Keeps each record's full text: message, exception and stack, as any formatter shows."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            LINES.add(self.format(record))
        except Exception:  # a record that cannot be formatted: keep what it has, never fail
            LINES.add(f"{record.name} {record.msg!r} {record.args!r}")


def _read_request(app: Flask, **_extra: object) -> None:
    """What a test sends is known here as the app receives it (the test client, a live server)."""
    if not _ROUTE_WORDS:
        for rule in app.url_map.iter_rules():
            _ROUTE_WORDS.update(w for w in re.split(r"[^A-Za-z0-9_.-]+", rule.rule) if w)
    for name, value in request.args.items(multi=True):
        if name in SENSITIVE_FIELDS:
            sensitive(value)
    # Only small urlencoded bodies: reading an upload here would change what the view sees.
    if request.mimetype == "application/x-www-form-urlencoded" and (request.content_length or 0) < (
        1 << 20
    ):
        for name, value in request.form.items(multi=True):
            if name in SENSITIVE_FIELDS or "__" in name:
                sensitive(value)


_handler = KeepRecords()


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(_handler)
    # INFO and above from everyone, as a production server would log them; SQLAlchemy's
    # statement log is its echo setting, off unless a test turns it on.
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    sqlalchemy = logging.getLogger("sqlalchemy")
    if sqlalchemy.level == logging.NOTSET:
        sqlalchemy.setLevel(logging.WARNING)
    request_started.connect(_read_request)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    found = leaks(LINES, MARKERS)
    session.config.stash[_FOUND] = found
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    found = config.stash.get(_FOUND, [])
    if not found:
        return
    terminalreporter.section("log lines with a citizen's data or a password", red=True)
    for marker, line in found[:50]:
        terminalreporter.line(f"{marker!r} in: {line[:500]}")
    terminalreporter.line(f"{len(found)} log lines hold values that must never be logged.")


_FOUND = pytest.StashKey[list[tuple[str, str]]]()
