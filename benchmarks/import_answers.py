"""Benchmark of `survey import responses`: time and peak memory for files of growing size, on
SQLite and PostgreSQL, to show that the import streams (memory does not grow with the file).

Run from the project root:

    python benchmarks/import_answers.py [--rows 100000,1000000] [--database sqlite|postgresql|both]
                                        [--database-url URL] [--tracemalloc]

For each size it writes a citizens file and a responses file with answers to every item of the
real forms (valid values, conditions respected, baseline items only at point 1). For each
database and size, a fresh child process builds an empty migrated database, imports the
citizens, then imports the responses through `survey.interop.importing.import_responses` and
commits; it reports the wall time and the process's peak resident memory (ru_maxrss) before and
after that import, so each figure is measured alone. PostgreSQL is a throwaway server started
from the newest /usr/lib/postgresql/*/bin (as the test fixtures do), or the server of
--database-url (a database is created and dropped on it per run). With --tracemalloc the child
also reports the peak of Python allocations during the import (slower: about 2x).
This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgserver import ThrowawayPostgres
from sqlalchemy import create_engine, text
from sqlmodel import Session

from survey import migrate
from survey.app import INSTRUMENTS, create_app
from survey.config import PROJECT_ROOT
from survey.db import get_engine
from survey.instruments import load_registry
from survey.instruments.schema import InstrumentVersion, Item, ItemType
from survey.interop.csvio import CITIZEN_COLUMNS, RESPONSE_COLUMNS
from survey.interop.importing import import_citizens, import_responses
from survey.models import Role, Team, TeamMembership, User

POINTS = 8  # 90 days apart: all fall within the two years since enrolment


# --- the files ------------------------------------------------------------------------------


def _value(rng: random.Random, item: Item) -> object:
    if item.type is ItemType.SINGLE_CHOICE:
        return rng.choice(item.codes)
    if item.type is ItemType.MULTIPLE_CHOICE:
        return tuple(sorted(rng.sample(item.codes, k=rng.randint(1, min(3, len(item.codes))))))
    if item.type is ItemType.INTEGER:
        return rng.randint(item.min or 0, item.max or 0)
    if item.type is ItemType.DATE:
        return date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
    return "tekst"


def _cell(value: object) -> str:
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _response_rows(
    rng: random.Random, form: InstrumentVersion, point: int
) -> Iterator[tuple[str, str]]:
    given: dict[str, object] = {}
    for item in form.items_at(point):
        condition = item.show_when
        if condition and not (condition.item in given and condition.holds(given)):
            continue  # as asking.visible: hidden, also when its condition item is
        given[item.code] = _value(rng, item)
        yield item.code, _cell(given[item.code])


def write_files(folder: Path, rows: int, seed: int = 7) -> tuple[Path, Path, int]:
    """A citizens file and a responses file with at least `rows` answer rows."""
    registry = load_registry(PROJECT_ROOT / "instruments")
    forms = [registry.latest("citizen"), registry.latest("staff")]
    rng = random.Random(seed)
    today = date.today()
    citizens_path = folder / f"citizens-{rows}.csv"
    responses_path = folder / f"responses-{rows}.csv"
    written = citizens = 0
    with (
        citizens_path.open("w", encoding="utf-8", newline="") as citizens_file,
        responses_path.open("w", encoding="utf-8", newline="") as responses_file,
    ):
        citizen_out, response_out = csv.writer(citizens_file), csv.writer(responses_file)
        citizen_out.writerow(CITIZEN_COLUMNS)
        response_out.writerow(RESPONSE_COLUMNS)
        while written < rows:
            citizens += 1
            reference = f"B-{citizens:06d}"
            enrolled = today - timedelta(days=730 + rng.randint(0, 60))
            citizen_out.writerow([reference, enrolled.isoformat(), "", "bench", "", "", ""])
            for point in range(1, POINTS + 1):
                day = (enrolled + timedelta(days=90 * (point - 1) + rng.randint(0, 5))).isoformat()
                for form in forms:
                    mode = form.modes[rng.randrange(len(form.modes))]
                    for code, value in _response_rows(rng, form, point):
                        response_out.writerow(
                            [reference, point, day, form.id, form.version, mode, code, value]
                        )
                        written += 1
    return citizens_path, responses_path, written


# --- one measurement, in a fresh process ----------------------------------------------------


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(url: str, citizens: Path, responses: Path, trace: bool) -> dict[str, object]:
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url},
        environ={},
        instance_path=tempfile.mkdtemp(prefix="survey-bench-"),
    )
    migrate.upgrade(app)
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        team = Team(name="Bench")
        user = User(
            username="bench",
            full_name="Bench",
            password_hash="!",  # noqa: S106 - not a password: "!" never matches, no login
            role=Role.CONSULTANT,
        )
        session.add_all([team, user])
        session.flush()
        session.add(TeamMembership(user_id=user.id, team_id=team.id))
        session.commit()
        enrolled = import_citizens(session, citizens)
        assert enrolled.ok, enrolled.messages()
        session.commit()
        before = _maxrss_mib()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        result = import_responses(session, app.extensions[INSTRUMENTS], responses)
        session.commit()
        seconds = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        tracemalloc.stop()
        assert result.ok, result.messages()
    get_engine(app).dispose()
    return {
        "rows": result.rows,
        "responses": result.created,
        "citizens": enrolled.created,
        "seconds": seconds,
        "rss_before": before,
        "rss_after": _maxrss_mib(),
        "traced": traced,
    }


# --- databases ------------------------------------------------------------------------------


def _fresh_postgres(server: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}", name


def _drop_postgres(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _measure(url: str, files: tuple[Path, Path, int], trace: bool) -> dict[str, object]:
    command = [
        sys.executable,
        __file__,
        "--child",
        url,
        str(files[0]),
        str(files[1]),
        *(["--tracemalloc"] if trace else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _print(database: str, figures: dict[str, object]) -> None:
    traced = f"{figures['traced']:8.1f}" if figures["traced"] is not None else "       -"
    print(
        f"{database:<11} {figures['rows']:>10,} {figures['responses']:>10,} "
        f"{figures['seconds']:>8.1f} {figures['rows'] / figures['seconds']:>10,.0f} "
        f"{figures['rss_before']:>10.1f} {figures['rss_after']:>9.1f} "
        f"{figures['rss_after'] - figures['rss_before']:>7.1f} {traced}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100000,1000000", help="Comma-separated sizes.")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--database-url", help="A PostgreSQL server to use instead of starting one."
    )
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "CITIZENS", "RESPONSES"))
    args = parser.parse_args(argv)
    if args.child:
        url, citizens, responses = args.child
        print(json.dumps(child(url, Path(citizens), Path(responses), args.tracemalloc)))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sizes = [int(size) for size in args.rows.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="survey-import-bench-"))
    try:
        files = {}
        for size in sizes:
            started = time.perf_counter()
            files[size] = write_files(workdir, size)
            megabytes = files[size][1].stat().st_size / 2**20
            print(
                f"wrote {files[size][2]:,} answer rows ({megabytes:.0f} MiB) in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
        print(
            f"\n{'database':<11} {'rows':>10} {'responses':>10} {'seconds':>8} {'rows/s':>10} "
            f"{'MiB before':>10} {'MiB peak':>9} {'growth':>7} {'traced':>8}"
        )
        if args.database in ("sqlite", "both"):
            for size in sizes:
                database = workdir / f"sqlite-{size}.db"
                _print("SQLite", _measure(f"sqlite:///{database}", files[size], args.tracemalloc))
                database.unlink()
        if args.database in ("postgresql", "both"):
            with (
                ThrowawayPostgres(workdir)
                if not args.database_url
                else _Given(args.database_url) as server
            ):
                for size in sizes:
                    url, name = _fresh_postgres(server)
                    try:
                        _print("PostgreSQL", _measure(url, files[size], args.tracemalloc))
                    finally:
                        _drop_postgres(server, name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class _Given:
    """A server given by --database-url: nothing to start or stop."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
