"""The log-grep plugin (tests/log_leaks.py) itself: it keeps every log line of the run, learns
the values tests send, and finds a marker in a line."""

from __future__ import annotations

import logging

from tests import log_leaks
from tests.conftest import login


def test_every_logger_reaches_the_kept_lines() -> None:
    for name in ("werkzeug", "sqlalchemy.engine", "survey.app", "flask_limiter"):
        logging.getLogger(name).warning("kept line from %s", name)
        assert f"{name} WARNING kept line from {name}" in log_leaks.LINES


def test_an_exception_in_a_record_is_kept_with_its_message() -> None:
    try:
        raise ValueError("the message of the exception")
    except ValueError:
        logging.getLogger("probe").exception("failed")
    assert any("the message of the exception" in line for line in log_leaks.LINES)


def test_what_a_test_posts_becomes_a_marker(demo_app) -> None:
    client = demo_app.test_client()
    client.post("/login", data={"username": "nobody-probe", "password": "Zebra kite 7781"})
    client.get("/citizens?q=N-2026-999")
    login(client, "anne")
    client.get("/citizens?q=Probe search 12")
    assert {"nobody-probe", "Zebra kite 7781", "Probe search 12"} <= log_leaks.MARKERS
    assert "demo-anne-2026" in log_leaks.MARKERS  # the demo's, registered by its fixture


def test_a_marker_in_a_line_is_found_but_not_a_route_word_or_a_number() -> None:
    lines = {"GET /citizens?q=N-2026-001 200", "GET /admin/users 200", "took 2026 ms"}
    found = log_leaks.leaks(lines, {"N-2026-001", "2026", "users", "x"}, {"admin", "users"})
    assert found == [("N-2026-001", "GET /citizens?q=N-2026-001 200")]


def test_a_frame_of_a_traceback_is_a_place_not_a_value() -> None:
    # a test logs in as "root"; a traceback's frames live under /root/.pyenv on this machine
    frame = '  File "/root/.pyenv/versions/3.11.7/lib/python3.11/flask/app.py", line 9'
    assert log_leaks.leaks([frame], ["root"], ()) == []
    code = "    trans.commit(_to_root=True)"  # a traceback's line of code: a word, not the value
    assert log_leaks.leaks([code], ["root"], ()) == []
    found = log_leaks.leaks(["login as root refused"], ["root"], ())
    assert found == [("root", "login as root refused")]
