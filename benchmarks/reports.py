"""Benchmark of the report tables against hand-written SQL floors, on SQLite and PostgreSQL.

Run from the project root:

    python benchmarks/reports.py [--citizens 30000] [--points 8] [--database sqlite|postgresql|both]
                                 [--repeat 5]

For each database it builds a throwaway database migrated with `survey.migrate.upgrade`, loads
a synthetic cohort with answers to every item of the real instruments (the demo's answer
profiles), then times `survey.reports.services.build` for each table against a plain SQL query,
written here, that computes the same figures, and checks that both give the same numbers.
This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgserver import ThrowawayPostgres
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from survey.app import INSTRUMENTS, create_app
from survey.db import get_engine
from survey.demo import _course_end, _Generator, _make_person
from survey.instruments import InstrumentRegistry, InstrumentVersion
from survey.instruments import values as answer_values
from survey.migrate import upgrade
from survey.reports import builders
from survey.reports.services import ReportRequest, build, score_rule
from survey.schedule import add_months

TODAY = date(2026, 11, 1)
TEAMS = ("Team Nord", "Team Syd", "Team Øst")
CONSULTANTS_PER_TEAM = 4
CHUNK = 1000
"""citizens generated and loaded at a time"""
DISTRIBUTION_ITEM = "bip_c.1"
"""a single-choice item asked at every point, with a "Ved ikke" (9) answer"""

Row = tuple[Any, ...]


# --- synthetic cohort -------------------------------------------------------------------------


@dataclass
class _CitizenState:
    """What `survey.demo._course_end` reads and sets on a citizen."""

    enrolled_on: date
    status: str = "active"
    status_reason: str | None = None
    ended_on: date | None = None


@dataclass
class Chunk:
    """Rows for the citizen, response and answer tables, in column order."""

    citizens: list[Row]
    responses: list[Row]
    answers: list[Row]


CITIZEN_COLUMNS = (
    "id, reference, enrolled_on, team_id, consultant_id, status, status_reason, ended_on, "
    "created_at"
)
RESPONSE_COLUMNS = (
    "id, citizen_id, point, form_id, form_version, administered_on, mode, entered_by_id, "
    "status, started_at, submitted_at, updated_at"
)
ANSWER_COLUMNS = "id, response_id, item_code, position, value"


class Cohort:
    """Generates citizens in chunks: enrolled so that all `points` are due by TODAY, some
    courses ended (planned and unplanned), some forms missing after point 1 (attrition), a few
    drafts, citizen forms filled by the citizen or assisted, answers from the demo's profiles
    (conditional items only when their condition holds, baseline items only at point 1, a
    few items skipped)."""

    def __init__(self, registry: InstrumentRegistry, citizens: int, points: int, seed: int = 7):
        self.generator = _Generator(registry, seed, TODAY)
        self.rng = self.generator.rng
        self.citizens = citizens
        self.points = points
        self.forms: list[tuple[InstrumentVersion, float]] = [
            (registry.latest("citizen"), 0.08),
            (registry.latest("staff"), 0.05),
        ]
        self.response_id = 0
        self.answer_id = 0

    def teams_and_users(self) -> tuple[list[Row], list[Row]]:
        """(id, name) teams and (id, username, full_name, password_hash, role) consultants."""
        teams = [(i, name) for i, name in enumerate(TEAMS, start=1)]
        users = [
            (
                (t - 1) * CONSULTANTS_PER_TEAM + k,
                f"bench{t}.{k}",
                f"Konsulent {t}.{k}",
                "!bench",
                "consultant",
            )
            for t in range(1, len(TEAMS) + 1)
            for k in range(1, CONSULTANTS_PER_TEAM + 1)
        ]
        return teams, users

    def chunks(self) -> Iterator[Chunk]:
        for start in range(1, self.citizens + 1, CHUNK):
            chunk = Chunk([], [], [])
            for citizen_id in range(start, min(start + CHUNK, self.citizens + 1)):
                self._citizen(citizen_id, chunk)
            yield chunk

    def _citizen(self, citizen_id: int, chunk: Chunk) -> None:
        rng, points = self.rng, self.points
        team = rng.randrange(len(TEAMS))
        consultant = team * CONSULTANTS_PER_TEAM + rng.randint(1, CONSULTANTS_PER_TEAM)
        enrolled = add_months(TODAY, -3 * points) - timedelta(days=rng.randint(0, 365))
        state = _CitizenState(enrolled)
        person = _make_person(rng)
        person = replace(person, wobble=[rng.gauss(0, 0.35) for _ in range(points)])
        due = [add_months(enrolled, 3 * k) for k in range(points)]
        last = _course_end(rng, state, person, due, TODAY)  # type: ignore[arg-type]
        chunk.citizens.append(
            (
                citizen_id,
                f"B-{citizen_id:06d}",
                enrolled,
                team + 1,
                consultant,
                str(state.status),
                state.status_reason,
                state.ended_on,
                datetime.combine(enrolled, datetime.min.time()),
            )
        )
        for point, due_on in enumerate(due, start=1):
            if last is not None and point > last:
                break
            for form, missing in self.forms:
                if point > 1 and rng.random() < missing:
                    continue
                self._response(citizen_id, consultant, person, point, due_on, form, chunk)

    def _response(
        self,
        citizen_id: int,
        consultant: int,
        person: Any,
        point: int,
        due_on: date,
        form: InstrumentVersion,
        chunk: Chunk,
    ) -> None:
        rng = self.rng
        if form.respondent == "staff":
            mode = "staff"
        else:
            mode = "self" if rng.random() < 0.55 else "assisted"
        draft = point > 1 and rng.random() < 0.01
        administered = min(due_on + timedelta(days=rng.randint(-10, 20)), TODAY)
        started = datetime.combine(administered, datetime.min.time()) + timedelta(
            hours=9 + rng.randint(0, 6), minutes=rng.randint(0, 59)
        )
        submitted = None if draft else started + timedelta(minutes=rng.randint(6, 25))
        self.response_id += 1
        chunk.responses.append(
            (
                self.response_id,
                citizen_id,
                point,
                form.id,
                form.version,
                administered,
                mode,
                consultant,
                "draft" if draft else "submitted",
                started,
                submitted,
                submitted or started,
            )
        )
        skip = 0.02 if mode != "staff" else 0.01
        given = self.generator.answers(form, person, point, skip_rate=skip)
        for code, value in given.items():
            texts = answer_values.encode(form.item(code), value)  # checks the value is valid
            for position, value_text in enumerate(texts):
                self.answer_id += 1
                chunk.answers.append((self.answer_id, self.response_id, code, position, value_text))


# --- databases --------------------------------------------------------------------------------


class Database:
    """A throwaway database the app is migrated into, with a fast bulk loader."""

    name = ""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.app: Any = None

    @property
    def url(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        """Create the database and migrate it."""
        self.app = create_app(
            {"DATABASE_URL": self.url, "SECRET_KEY": "benchmark"},
            environ={},
            instance_path=str(self.workdir / f"instance-{self.name}"),
        )
        upgrade(self.app)

    @property
    def engine(self) -> Engine:
        return get_engine(self.app)

    @property
    def registry(self) -> InstrumentRegistry:
        return self.app.extensions[INSTRUMENTS]

    def load_header(self, teams: list[Row], users: list[Row]) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO team (id, name, measurement_interval_months, window_days, created_at)"
                f" VALUES ({self.marks(5)})",
                [(i, name, 3, 21, datetime(2024, 1, 1)) for i, name in teams],
            )
            connection.exec_driver_sql(
                "INSERT INTO user_account (id, username, full_name, password_hash, role, "
                f"is_active, created_at) VALUES ({self.marks(7)})",
                [(*user, True, datetime(2024, 1, 1)) for user in users],
            )

    def marks(self, count: int) -> str:
        return ", ".join(["?"] * count)

    def load(self, chunk: Chunk) -> None:
        raise NotImplementedError

    def finish_load(self) -> None:
        """Refresh the planner's statistics after the load."""

    def size(self) -> int:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        if self.app is not None:
            self.engine.dispose()


class SQLiteDatabase(Database):
    name = "sqlite"

    @property
    def path(self) -> Path:
        return self.workdir / "bench.sqlite3"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def load(self, chunk: Chunk) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB while loading
            for table, columns, rows in _tables(chunk):
                marks = ", ".join(["?"] * (columns.count(",") + 1))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})", _sqlite_rows(rows)
                )
            raw.commit()
        finally:
            raw.close()

    def finish_load(self) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        self.engine.dispose()  # the reports run on fresh connections with default pragmas

    def size(self) -> int:
        return self.path.stat().st_size

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


def _sqlite_rows(rows: list[Row]) -> Iterator[Row]:
    """Dates and times as SQLAlchemy stores them in SQLite (ISO text)."""
    for row in rows:
        yield tuple(value.isoformat(" ") if isinstance(value, datetime) else value for value in row)


def _tables(chunk: Chunk) -> list[tuple[str, str, list[Row]]]:
    return [
        ("citizen", CITIZEN_COLUMNS, chunk.citizens),
        ("response", RESPONSE_COLUMNS, chunk.responses),
        ("answer", ANSWER_COLUMNS, chunk.answers),
    ]


class PostgresDatabase(Database):
    """A throwaway PostgreSQL server (benchmarks/pgserver.py), tuned for one bulk load."""

    name = "postgresql"

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.server = ThrowawayPostgres(
            workdir, "-c fsync=off -c shared_buffers=512MB -c work_mem=32MB -c max_wal_size=4GB"
        )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()
        super().start()

    def marks(self, count: int) -> str:
        return ", ".join(["%s"] * count)

    def load(self, chunk: Chunk) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table, columns, rows in _tables(chunk):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            raw.commit()
        finally:
            raw.close()

    def finish_load(self) -> None:
        with self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("team", "user_account", "citizen", "response", "answer"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            connection.exec_driver_sql("VACUUM ANALYZE")

    def size(self) -> int:
        with self.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT pg_database_size(current_database())"
            ).scalar_one()

    def version(self) -> str:
        with self.engine.connect() as connection:
            return "PostgreSQL " + connection.exec_driver_sql("SHOW server_version").scalar_one()

    def stop(self) -> None:
        super().stop()
        self.server.stop()


# --- the cases: a report table and its hand-written SQL floor ---------------------------------


SUBMITTED = "r.status = 'submitted'"


@dataclass(frozen=True)
class Case:
    """One report table: the request, the floor's SQL, and how to read both as the same
    figures (a dict) so they can be compared."""

    name: str
    request: ReportRequest
    floor: Callable[[Connection], Any]
    ours: Callable[[Any], Any]


def _rows(connection: Connection, sql: str, **params: Any) -> list[Row]:
    return [tuple(row) for row in connection.execute(text(sql), params)]


def _cells(rows: Sequence[Row]) -> dict[tuple[Any, ...], int]:
    """{(keys...): count} from (key, ..., count) rows, keys made ints where they are codes."""
    cells: dict[tuple[Any, ...], int] = {}
    for *keys, count in rows:
        key = tuple(int(k) if isinstance(k, str) and k.isdigit() else k for k in keys)
        cells[key] = cells.get(key, 0) + int(count)
    return cells


def _matrix_cells(matrix: builders.Matrix) -> dict[tuple[Any, ...], int]:
    return {
        (row.key, column.key): count
        for row, counts in zip(matrix.rows.categories, matrix.counts, strict=True)
        for column, count in zip(matrix.columns.categories, counts, strict=True)
        if count
    }


def floor_waves(connection: Connection) -> Any:
    rows = _rows(
        connection,
        f"SELECT r.form_id, r.point, count(*) FROM response r WHERE {SUBMITTED} "
        "GROUP BY r.form_id, r.point",
    )
    return _cells(rows)


def ours_waves(table: builders.WavesTable) -> Any:
    return {
        (form, point): count
        for form, counts in table.forms.items()
        for point, count in zip(table.points, counts, strict=True)
        if count
    }


def floor_status(connection: Connection) -> Any:
    rows = _rows(
        connection,
        "SELECT c.status, c.status_reason, count(*) FROM citizen c WHERE EXISTS ("
        f"SELECT 1 FROM response r WHERE r.citizen_id = c.id AND r.point = 1 AND {SUBMITTED}) "
        "GROUP BY c.status, c.status_reason",
    )
    return _cells(rows)


def ours_status(table: builders.StatusTable) -> Any:
    cells = {}
    for status, count in table.counts.items():
        reasons = table.reasons.get(status)
        if not reasons:
            if count:
                cells[(status, None)] = count
            continue
        cells.update({(status, r): c for r, c in reasons.items() if c})
    return cells


def floor_distribution(item: str, points: tuple[int, ...], paired: bool) -> Callable:
    in_points = ", ".join(str(p) for p in points)
    answers = (
        "SELECT r.citizen_id, r.point, a.value FROM answer a "
        "JOIN response r ON r.id = a.response_id "
        f"WHERE a.item_code = :item AND r.point IN ({in_points}) AND {SUBMITTED}"
    )
    if paired:
        sql = (
            f"WITH x AS ({answers}) SELECT point, value, count(*) FROM x WHERE citizen_id IN ("
            "SELECT citizen_id FROM x GROUP BY citizen_id "
            f"HAVING count(DISTINCT point) = {len(points)}) GROUP BY point, value"
        )
    else:
        sql = f"SELECT point, value, count(*) FROM ({answers}) x GROUP BY point, value"

    def run(connection: Connection) -> Any:
        cells = _cells(_rows(connection, sql, item=item))
        n = {p: sum(c for (point, _), c in cells.items() if point == p) for p in points}
        return {"cells": cells, "n": n}  # one answer per response: n is the sum of counts

    return run


def ours_distribution(table: builders.DistributionTable) -> Any:
    cells = {
        (point, row.code): count
        for row in table.rows
        for point, count in zip(table.points, row.counts, strict=True)
        if count
    }
    return {"cells": cells, "n": dict(zip(table.points, table.n, strict=True))}


def floor_crosstab(connection: Connection) -> Any:
    rows = _rows(
        connection,
        "SELECT a1.value, a2.value, count(*) FROM response r "
        "JOIN answer a1 ON a1.response_id = r.id AND a1.item_code = 'health.mental' "
        "JOIN answer a2 ON a2.response_id = r.id AND a2.item_code = 'health.physical' "
        f"WHERE r.point = 1 AND {SUBMITTED} GROUP BY a1.value, a2.value",
    )
    return _cells(rows)


def floor_by_status(connection: Connection) -> Any:
    rows = _rows(
        connection,
        "SELECT a.value, c.status, count(*) FROM answer a "
        "JOIN response r ON r.id = a.response_id JOIN citizen c ON c.id = r.citizen_id "
        f"WHERE a.item_code = 'health.mental' AND r.point = 1 AND {SUBMITTED} "
        "GROUP BY a.value, c.status",
    )
    return _cells(rows)


def floor_by_employment(connection: Connection) -> Any:
    rows = _rows(
        connection,
        "WITH flag AS (SELECT r.citizen_id, max(CASE WHEN a.value = '1' THEN 1 ELSE 0 END) AS f "
        "FROM answer a JOIN response r ON r.id = a.response_id "
        f"WHERE a.item_code = 'staff.employment' AND {SUBMITTED} GROUP BY r.citizen_id) "
        "SELECT a.value, flag.f, count(*) FROM answer a "
        "JOIN response r ON r.id = a.response_id JOIN flag ON flag.citizen_id = r.citizen_id "
        f"WHERE a.item_code = 'health.mental' AND r.point = 1 AND {SUBMITTED} "
        "GROUP BY a.value, flag.f",
    )
    return _cells(rows)


def ours_matrix(table: Any) -> Any:
    return _matrix_cells(table.matrix)


def floor_outcomes(connection: Connection) -> Any:
    """Over every citizen with a baseline: a staff form's "Ja" or the course's end reason."""
    (row,) = _rows(
        connection,
        "WITH f AS (SELECT r.citizen_id, "
        "max(CASE WHEN a.item_code = 'staff.employment' AND a.value = '1' THEN 1 ELSE 0 END) e, "
        "max(CASE WHEN a.item_code = 'staff.education' AND a.value = '1' THEN 1 ELSE 0 END) d, "
        "max(CASE WHEN a.item_code = 'staff.internship' AND a.value = '1' THEN 1 ELSE 0 END) i "
        "FROM answer a JOIN response r ON r.id = a.response_id "
        "WHERE a.item_code IN ('staff.employment', 'staff.education', 'staff.internship') "
        f"AND {SUBMITTED} GROUP BY r.citizen_id), "
        "o AS (SELECT CASE WHEN f.e = 1 OR c.status_reason = 'employment' THEN 1 ELSE 0 END e, "
        "CASE WHEN f.d = 1 OR c.status_reason = 'education' THEN 1 ELSE 0 END d, "
        "coalesce(f.i, 0) i FROM citizen c LEFT JOIN f ON f.citizen_id = c.id "
        "WHERE c.id IN (SELECT r.citizen_id FROM response r WHERE r.point = 1 "
        f"AND {SUBMITTED})) "
        "SELECT count(*), sum(e), sum(d), sum(i), sum(CASE WHEN d = 1 OR i = 1 THEN 1 ELSE 0 END) "
        "FROM o",
    )
    return tuple(int(v) for v in row)


def ours_outcomes(table: builders.OutcomesTable) -> Any:
    t = table.totals
    return (t.n, t.employment, t.education, t.internship, t.education_or_internship)


WHO5_SCORES = (
    "SELECT r.citizen_id, r.point, sum(CAST(a.value AS INTEGER)) AS raw FROM answer a "
    "JOIN response r ON r.id = a.response_id "
    "WHERE a.item_code IN ('who5.1', 'who5.2', 'who5.3', 'who5.4', 'who5.5') "
    f"AND r.point IN (1, 3) AND {SUBMITTED} "
    "GROUP BY r.id, r.citizen_id, r.point HAVING count(*) = 5"
)


def floor_who5(connection: Connection) -> Any:
    """One row over the citizens with a score at both points: per point n, sum, sum of squares
    and band counts, and the mean change and how many improved or worsened by the relevant
    change (10 points = raw 2.5 × 4)."""
    (row,) = _rows(
        connection,
        f"WITH s AS ({WHO5_SCORES}), c AS (SELECT citizen_id, "
        "sum(CASE WHEN point = 1 THEN raw END) AS a, sum(CASE WHEN point = 3 THEN raw END) AS b "
        "FROM s GROUP BY citizen_id HAVING count(*) = 2) "
        "SELECT count(*), sum(a), sum(a * a), sum(CASE WHEN a * 4 <= 50 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a * 4 <= 28 THEN 1 ELSE 0 END), "
        "sum(b), sum(b * b), sum(CASE WHEN b * 4 <= 50 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN b * 4 <= 28 THEN 1 ELSE 0 END), "
        "sum(b - a), sum(CASE WHEN 4 * (b - a) >= 10 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN 4 * (b - a) <= -10 THEN 1 ELSE 0 END) FROM c",
    )
    n, *values = (int(v) for v in row)
    figures: dict[str, Any] = {"n": [], "mean": [], "sd": [], "poor": [], "depression": []}
    for total, squares, poor, depression in (values[0:4], values[4:8]):
        figures["n"].append(n)
        figures["mean"].append(round(4 * total / n, 2))
        variance = (n * squares - total**2) / (n * (n - 1))
        figures["sd"].append(round(4 * variance**0.5, 2))
        figures["poor"].append(poor)
        figures["depression"].append(depression)
    diff, improved, worsened = values[8:]
    figures["change"] = round(4 * diff / n, 2)
    figures["improved"], figures["worsened"] = improved, worsened
    return figures


def ours_who5(table: builders.ScoreTable) -> Any:
    data = table.to_dict()
    return {
        "n": data["n"],
        "mean": data["mean"],
        "sd": data["sd"],
        "poor": data["poor"],
        "depression": data["likely_depression"],
        "change": data["change"],
        "improved": data["improved"],
        "worsened": data["worsened"],
    }


CASES = (
    Case("waves", ReportRequest("waves"), floor_waves, ours_waves),
    Case("status", ReportRequest("status"), floor_status, ours_status),
    Case(
        f"distribution {DISTRIBUTION_ITEM} 1,3",
        ReportRequest("distribution", item=DISTRIBUTION_ITEM, points=(1, 3)),
        floor_distribution(DISTRIBUTION_ITEM, (1, 3), paired=False),
        ours_distribution,
    ),
    Case(
        f"distribution {DISTRIBUTION_ITEM} 1,3 paired",
        ReportRequest("distribution", item=DISTRIBUTION_ITEM, points=(1, 3), paired=True),
        floor_distribution(DISTRIBUTION_ITEM, (1, 3), paired=True),
        ours_distribution,
    ),
    Case(
        "crosstab mental × physical 1",
        ReportRequest("crosstab", item="health.mental", by="health.physical", points=(1,)),
        floor_crosstab,
        ours_matrix,
    ),
    Case(
        "by mental × status 1",
        ReportRequest("by", item="health.mental", by="status", points=(1,)),
        floor_by_status,
        ours_matrix,
    ),
    Case(
        "by mental × employment 1",
        ReportRequest("by", item="health.mental", by="employment", points=(1,)),
        floor_by_employment,
        ours_matrix,
    ),
    Case("outcomes", ReportRequest("outcomes"), floor_outcomes, ours_outcomes),
    Case(
        "who5 1,3 paired",
        ReportRequest("who5", points=(1, 3), paired=True),
        floor_who5,
        ours_who5,
    ),
)


# --- running ----------------------------------------------------------------------------------


def _median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in ms of `repeat` runs after one warm-up, and the warm-up's result."""
    result = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def run_cases(database: Database, repeat: int) -> None:
    """Time, check and print every case, a line as each finishes."""
    registry = database.registry
    rule = score_rule(registry)
    if (rule.multiply, rule.relevant_change) != (4, 10):
        raise SystemExit(f"the who5 floor assumes a score of raw × 4 and a change of 10: {rule}")
    print(f"  {'table':<34} {'ours ms':>9} {'SQL ms':>9} {'ratio':>7}", flush=True)
    for case in CASES:

        def ours(case: Case = case) -> Any:
            with Session(database.engine) as session:
                return build(session, registry, case.request)

        def floor(case: Case = case) -> Any:
            with database.engine.connect() as connection:
                return case.floor(connection)

        ours_ms, table = _median_ms(ours, repeat)
        floor_ms, expected = _median_ms(floor, repeat)
        got = case.ours(table)
        if got != expected:
            raise AssertionError(f"{case.name}: the table says {got}, the SQL floor {expected}")
        print(
            f"  {case.name:<34} {ours_ms:9.1f} {floor_ms:9.1f} {ours_ms / floor_ms:6.2f}x",
            flush=True,
        )


def count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def benchmark(kind: str, citizens: int, points: int, repeat: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"survey-bench-{kind}-"))
    database: Database = SQLiteDatabase(workdir) if kind == "sqlite" else PostgresDatabase(workdir)
    try:
        database.start()
        print(f"\n== {database.version()}: {citizens:,} citizens × {points} points", flush=True)
        cohort = Cohort(database.registry, citizens, points)
        database.load_header(*cohort.teams_and_users())
        generating = loading = 0.0
        chunks = cohort.chunks()
        while True:
            start = time.perf_counter()
            chunk = next(chunks, None)
            generating += time.perf_counter() - start
            if chunk is None:
                break
            start = time.perf_counter()
            database.load(chunk)
            loading += time.perf_counter() - start
        start = time.perf_counter()
        database.finish_load()
        analysing = time.perf_counter() - start
        print(
            f"  generated in {generating:.1f} s, loaded in {loading:.1f} s "
            f"(+ {analysing:.1f} s ANALYZE): {count(database, 'citizen'):,} citizens, "
            f"{count(database, 'response'):,} responses, {count(database, 'answer'):,} answers; "
            f"database {database.size() / 2**20:,.0f} MB",
            flush=True,
        )
        run_cases(database, repeat)
    finally:
        database.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=30_000)
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    # A kill should still stop the PostgreSQL server and remove the temporary files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.points < 3:
        parser.error("--points must be at least 3 (the tables compare points 1 and 3)")
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs ({platform.platform()})"
    )
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        benchmark(kind, args.citizens, args.points, args.repeat)


if __name__ == "__main__":
    main()
