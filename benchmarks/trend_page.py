"""Benchmark of the citizen trend page against a bare Flask page that reads the same responses.

Run from the project root:

    python benchmarks/trend_page.py [--points 12] [--repeat 50] [--database sqlite|postgresql|both]

It loads the demo into a throwaway SQLite database and/or a throwaway PostgreSQL server
(benchmarks/pgserver.py, from Debian's postgresql), adds a citizen with both forms answered at
`--points` measurement points (answers from the demo's profiles), and times, in one process
through Flask's test client:

- ours: GET /citizens/<id>/trend as the citizen's consultant: login check, access, the audit row
  (written and committed), two queries, the chart data, five Plotly figures as JSON, summaries,
  the item × point tables and the template;
- floor: a bare Flask app (no login, no audit, no templates) whose one route reads the same
  submitted responses and answers with two plain SQL queries and returns them as JSON.

Server time is the median of `--repeat` requests after a warm-up; the target for ours is under
100 ms. This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, jsonify
from sqlalchemy import create_engine, insert, select, text
from sqlmodel import Session

from survey.app import INSTRUMENTS, create_app
from survey.citizens import services as citizens
from survey.db import get_engine
from survey.demo import _Generator, _make_person, build_demo
from survey.instruments import values as answer_values
from survey.migrate import upgrade
from survey.models import (
    Answer,
    Citizen,
    Mode,
    Response,
    ResponseStatus,
    User,
)
from survey.schedule import add_months

TODAY = date(2026, 11, 23)


def add_long_citizen(app: Flask, points: int) -> tuple[int, str]:
    """A citizen of anne's with both forms at every one of `points` points; (id, username)."""
    registry = app.extensions[INSTRUMENTS]
    generator = _Generator(registry, 12, TODAY)
    person = replace(
        _make_person(generator.rng), wobble=[generator.rng.gauss(0, 0.35) for _ in range(points)]
    )
    enrolled = add_months(TODAY, -3 * points)
    with Session(get_engine(app)) as db:
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        team_id = db.execute(
            text("SELECT team_id FROM team_membership WHERE user_id = :u"), {"u": anne.id}
        ).scalar_one()
        citizen = Citizen(
            reference="BENCH-12", enrolled_on=enrolled, team_id=team_id, consultant_id=anne.id
        )
        citizens.write_enrolment(db, citizen, recorded_by_id=None, audited=False)
        rows = []
        for point in range(1, points + 1):
            on = add_months(enrolled, 3 * (point - 1)) + timedelta(days=3)
            for form_id in ("citizen", "staff"):
                form = registry.latest(form_id)
                response = Response(
                    citizen_id=citizen.id,
                    point=point,
                    form_id=form.id,
                    form_version=form.version,
                    administered_on=on,
                    mode=Mode.STAFF if form_id == "staff" else Mode.SELF,
                    entered_by_id=anne.id,
                    status=ResponseStatus.SUBMITTED,
                    submitted_at=datetime.now(UTC),
                )
                db.add(response)
                db.flush()
                for code, value in generator.answers(form, person, point, 0.03).items():
                    stored = answer_values.encode(form.item(code), value)
                    rows += [
                        {"response_id": response.id, "item_code": code, "position": i, "value": v}
                        for i, v in enumerate(stored)
                    ]
        db.execute(insert(Answer), rows)
        db.commit()
        return citizen.id, "anne"


def bare_app(database_url: str) -> Flask:
    """The floor: Flask and two SQL queries, nothing else."""
    floor = Flask("floor")
    engine = floor.extensions["engine"] = create_engine(database_url)

    @floor.get("/citizens/<int:citizen_id>/trend")
    def trend(citizen_id: int):  # type: ignore[no-untyped-def]
        with engine.connect() as connection:
            responses = connection.execute(
                text(
                    "SELECT id, form_id, form_version, point, administered_on, mode FROM response "
                    "WHERE citizen_id = :c AND status = 'submitted' ORDER BY point, form_id"
                ),
                {"c": citizen_id},
            ).all()
            answers = connection.execute(
                text(
                    "SELECT a.response_id, a.item_code, a.value FROM answer a "
                    "JOIN response r ON r.id = a.response_id "
                    "WHERE r.citizen_id = :c AND r.status = 'submitted' "
                    "ORDER BY a.response_id, a.item_code, a.position"
                ),
                {"c": citizen_id},
            ).all()
        return jsonify(
            responses=[[r[0], r[1], r[2], r[3], str(r[4]), r[5]] for r in responses],
            answers=[list(a) for a in answers],
        )

    return floor


def median_ms(client, url: str, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times), len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            measure(f"sqlite:///{folder}/bench.db", folder, args)
    if args.database in ("postgresql", "both"):
        from pgserver import ThrowawayPostgres

        with tempfile.TemporaryDirectory() as folder, ThrowawayPostgres(Path(folder)) as url:
            measure(url, folder, args)


def measure(url: str, folder: str, args: argparse.Namespace) -> None:
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "FIXED_TODAY": TODAY.isoformat(),
        },
        environ={},
        instance_path=f"{folder}/instance",
    )
    upgrade(app)
    with Session(get_engine(app)) as db:
        build_demo(db, app.extensions[INSTRUMENTS], today=TODAY)
        db.commit()
    citizen_id, username = add_long_citizen(app, args.points)
    with Session(get_engine(app)) as db:
        forms, answers = db.execute(
            text(
                "SELECT COUNT(DISTINCT r.id), COUNT(*) FROM answer a "
                "JOIN response r ON r.id = a.response_id WHERE r.citizen_id = :c"
            ),
            {"c": citizen_id},
        ).one()

    client = app.test_client()
    client.post("/login", data={"username": username, "password": f"demo-{username}-2026"})
    ours, size = median_ms(client, f"/citizens/{citizen_id}/trend", args.repeat)
    printed, _ = median_ms(client, f"/citizens/{citizen_id}/trend/print", args.repeat)
    floor_app = bare_app(url)
    floor, floor_size = median_ms(
        floor_app.test_client(), f"/citizens/{citizen_id}/trend", args.repeat
    )
    floor_app.extensions["engine"].dispose()
    get_engine(app).dispose()

    database = url.split(":", 1)[0]
    print(f"# Trend page, {args.points} points ({forms} forms, {answers} answers), {database}")
    print(f"# Python {platform.python_version()}, {platform.machine()}, median of {args.repeat}")
    print(f"{'page':<28}{'ms':>9}{'KB':>8}{'× floor':>10}")
    print(f"{'floor: bare Flask + SQL':<28}{floor:>9.1f}{floor_size / 1024:>8.0f}{1:>10.2f}")
    print(f"{'trend page':<28}{ours:>9.1f}{size / 1024:>8.0f}{ours / floor:>10.2f}")
    print(f"{'print view':<28}{printed:>9.1f}{'':>8}{printed / floor:>10.2f}")
    print(f"target: trend page under 100 ms: {'met' if ours < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
