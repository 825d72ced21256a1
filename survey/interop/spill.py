"""A throwaway SQLite file that holds an import's rows, problems and queue on disk, so an
import's memory does not grow with the size of the file: SQLite sorts the rows by response
(they need not be adjacent in the file) and the problems by line."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType

from survey.interop.csvio import Problem, unguard
from survey.interop.values import parse_int

BUFFER = 5000  # rows per executemany

_SCHEMA = """
CREATE TABLE row (line INTEGER, citizen TEXT, point TEXT, form TEXT, form_version TEXT,
                  administered_on TEXT, mode TEXT, item TEXT, value TEXT);
CREATE TABLE problem (line INTEGER, message TEXT);
CREATE TABLE ready_response (seq INTEGER PRIMARY KEY, citizen_id INTEGER, point INTEGER,
                             form TEXT, form_version INTEGER, administered_on TEXT, mode TEXT,
                             line INTEGER, UNIQUE (citizen_id, point, form));
CREATE TABLE ready_answer (seq INTEGER, item TEXT, position INTEGER, value TEXT);
"""


def _point(raw: str) -> str:
    """ "01", "+1" and "1" are the same point, so their rows make one response: normalised by
    the parser that reads the point later, so the two can never disagree."""
    number = parse_int(raw)
    return raw.strip() if number is None else str(number)


class Spill:
    """Use as a context manager.

    The file is SQLite's private temporary database (the empty name): SQLite removes its name
    as soon as it is opened, so no other process can read the uploaded rows by name and a
    killed import leaves nothing behind; the space goes back when the connection closes."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;" + _SCHEMA
        )
        self._db.execute("BEGIN")  # one transaction: nothing here needs to survive a crash
        self._rows: list[tuple] = []
        self._answers: list[tuple] = []
        self._seq = 0
        self.problem_count = 0

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._db.close()

    # pass 1: the file's rows

    def row(self, line: int, fields: Mapping[str, str]) -> None:
        self._rows.append(
            (
                line,
                unguard(fields["citizen"].strip()),
                _point(fields["point"]),
                fields["form"].strip(),
                fields["form_version"],
                fields["administered_on"],
                fields["mode"],
                fields["item"],
                fields["value"],
            )
        )
        if len(self._rows) >= BUFFER:
            self._flush_rows()

    def _flush_rows(self) -> None:
        self._db.executemany("INSERT INTO row VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows)
        self._rows.clear()

    def rows_done(self) -> None:
        self._flush_rows()
        self._db.execute("CREATE INDEX row_by_response ON row (citizen, point, form, line)")

    def citizens(self) -> int:
        """How many citizens the rows name (the checking pass goes one citizen at a time)."""
        return int(self._db.execute("SELECT COUNT(DISTINCT citizen) FROM row").fetchone()[0])

    def sorted_rows(self) -> Iterator[tuple]:
        """(line, citizen, point, form, form_version, administered_on, mode, item, value),
        by citizen, point, form and line."""
        yield from self._db.execute(
            "SELECT line, citizen, point, form, form_version, administered_on, mode, item, value"
            " FROM row ORDER BY citizen, point, form, line"
        )

    # problems, in any order; read back by line

    def problem(self, line: int, message: str) -> None:
        self.problem_count += 1
        self._db.execute("INSERT INTO problem VALUES (?, ?)", (line, message))

    def problems(self, limit: int) -> tuple[list[Problem], int]:
        shown = [
            Problem(line, message)
            for line, message in self._db.execute(
                "SELECT line, message FROM problem ORDER BY line, rowid LIMIT ?", (limit,)
            )
        ]
        return shown, self.problem_count

    # pass 2: what to write

    def queue(
        self, line: int, response: Sequence[object], texts: Mapping[str, Sequence[str]]
    ) -> int | None:
        """Queue (citizen_id, point, form, form_version, administered_on, mode) with its answers;
        when a response with the same citizen, point and form is already queued, queue nothing
        and return the first line of that one: the insert would fail on it."""
        try:
            self._db.execute(
                "INSERT INTO ready_response VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self._seq + 1, *response, line),
            )
        except sqlite3.IntegrityError:
            (other,) = self._db.execute(
                "SELECT line FROM ready_response WHERE citizen_id = ? AND point = ? AND form = ?",
                tuple(response[:3]),
            ).fetchone()
            return other
        self._seq += 1
        self._answers.extend(
            (self._seq, code, position, text)
            for code, stored in texts.items()
            for position, text in enumerate(stored)
        )
        if len(self._answers) >= BUFFER:
            self._flush_answers()
        return None

    def _flush_answers(self) -> None:
        self._db.executemany("INSERT INTO ready_answer VALUES (?, ?, ?, ?)", self._answers)
        self._answers.clear()

    def queued(self) -> int:
        return self._seq

    def queued_batches(self, size: int) -> Iterator[list[tuple]]:
        """(seq, citizen_id, point, form, form_version, administered_on, mode), `size` at a time."""
        self._flush_answers()
        self._db.execute("CREATE INDEX IF NOT EXISTS answer_by_seq ON ready_answer (seq)")
        for start in range(1, self._seq + 1, size):
            yield self._db.execute(
                "SELECT seq, citizen_id, point, form, form_version, administered_on, mode"
                " FROM ready_response WHERE seq BETWEEN ? AND ? ORDER BY seq",
                (start, start + size - 1),
            ).fetchall()

    def queued_answers(self, first: int, last: int) -> Iterator[tuple]:
        """(seq, item, position, value) of the responses `first` to `last`, in queued order."""
        yield from self._db.execute(
            "SELECT seq, item, position, value FROM ready_answer WHERE seq BETWEEN ? AND ?"
            " ORDER BY seq, rowid",
            (first, last),
        )
