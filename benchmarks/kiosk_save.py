"""Benchmark of one tap on the citizen's tablet: the save that each answer now sends.

Run from the project root:

    python benchmarks/kiosk_save.py [--repeat 300]

It builds a throwaway SQLite database with one consultant, one citizen and a tablet handed over
for the citizen form, and times, in one process through Flask's test client:

- ours: POST /kiosk/autosave with page 1's answers, as form.js sends it after a tap: the kiosk
  guard (the token's kiosk row), the lock and idle checks, the activity touch, the page's form
  built from the instrument and validated, the answers merged with the stored ones under the
  form's conditions, the changed answers rewritten, their audit row, one commit;
- floor: a bare Flask app (no guard, no forms, no audit) whose one route reads the two posted
  values and rewrites them for the same response with plain SQL, one commit.

Each request changes an answer (the two values alternate), so both write every time. Server time
is the median of `--repeat` requests after a warm-up, and the ratio ours/floor is what to quote.
This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text
from sqlmodel import Session

from survey.app import create_app
from survey.db import get_engine
from survey.hashing import hash_password
from survey.migrate import upgrade
from survey.models import Citizen, Role, Team, TeamMembership, User

PASSWORD = "a benchmark passphrase 42"  # noqa: S105 - a throwaway account in a temp database
VALUES = ("2", "4")


def build(folder: Path) -> tuple[Flask, str]:
    """Our app on a fresh SQLite file, with a tablet handed over; the database URL."""
    url = f"sqlite:///{folder / 'kiosk.db'}"
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "FIXED_TODAY": "2026-11-23",
        },
        environ={},
        instance_path=str(folder / "instance"),
    )
    upgrade(app)
    with Session(get_engine(app)) as db:
        team = Team(name="Team Bench")
        db.add(team)
        db.flush()
        user = User(
            username="bench",
            full_name="Bench Mark",
            role=Role.CONSULTANT,
            password_hash=hash_password(PASSWORD),
        )
        db.add(user)
        db.flush()
        db.add(TeamMembership(user_id=user.id, team_id=team.id))
        db.add(
            Citizen(
                reference="B-0001",
                team_id=team.id,
                consultant_id=user.id,
                enrolled_on=date(2026, 1, 15),
            )
        )
        db.commit()
    return app, url


def tablet(app: Flask):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    with Session(get_engine(app)) as db:
        citizen_id = db.execute(text("SELECT id FROM citizen")).scalar_one()
    handed = client.post(
        f"/citizens/{citizen_id}/points/2/citizen",
        data={"administered_on": "2026-02-01", "how": "self"},
    )
    assert handed.headers["Location"] == "/kiosk", handed.status_code
    return client


def floor_app(url: str) -> Flask:
    """The same rewrite done the simplest way: two values in, plain SQL, one commit."""
    engine = create_engine(url)
    with engine.connect() as connection:
        response_id = connection.execute(text("SELECT id FROM response")).scalar_one()
    app = Flask("floor")

    @app.post("/save")
    def save():  # type: ignore[no-untyped-def]
        given = {
            "health.mental": request.form["health__mental"],
            "health.physical": request.form["health__physical"],
        }
        with engine.begin() as connection:
            connection.execute(
                text(
                    "DELETE FROM answer WHERE response_id = :r "
                    "AND item_code IN ('health.mental', 'health.physical')"
                ),
                {"r": response_id},
            )
            connection.execute(
                text(
                    "INSERT INTO answer (response_id, item_code, position, value) "
                    "VALUES (:r, :c, 0, :v)"
                ),
                [{"r": response_id, "c": code, "v": value} for code, value in given.items()],
            )
            connection.execute(
                text("UPDATE response SET updated_at = CURRENT_TIMESTAMP WHERE id = :r"),
                {"r": response_id},
            )
        return jsonify(saved=True)

    return app


def time_posts(client, url: str, repeat: int, page: bool) -> float:  # type: ignore[no-untyped-def]
    """Median server time in ms of `repeat` posts that each change the answers."""
    timings = []
    for n in range(repeat + 10):
        value = VALUES[n % 2]
        data = {"health__mental": value, "health__physical": value}
        if page:
            data["page"] = "1"
        start = time.perf_counter()
        reply = client.post(url, data=data)
        elapsed = time.perf_counter() - start
        assert reply.status_code == 200, (url, reply.status_code, reply.get_data(as_text=True))
        if n >= 10:  # the first ten warm up
            timings.append(elapsed * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="survey-kiosk-bench-") as name:
        folder = Path(name)
        app, url = build(folder)
        client = tablet(app)
        # Long enough that the idle lock never comes during the run.
        app.config["KIOSK_IDLE_SECONDS"] = 3600
        ours = time_posts(client, "/kiosk/autosave", args.repeat, page=True)
        floor = time_posts(floor_app(url).test_client(), "/save", args.repeat, page=False)
        get_engine(app).dispose()
    print(f"python {platform.python_version()}, SQLite, {args.repeat} saves after 10 warm-up")
    print(f"{'':28}{'median ms':>10}")
    print(f"{'ours: /kiosk/autosave':28}{ours:10.2f}")
    print(f"{'floor: bare Flask + SQL':28}{floor:10.2f}")
    print(f"{'ratio ours/floor':28}{ours / floor:10.2f}")


if __name__ == "__main__":
    main()
