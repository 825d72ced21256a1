"""Hostile values in every route, as every kind of user, on SQLite and PostgreSQL: never a 500.

The routes come from Flask's URL map and the parameter names from the views' own source and
forms, so a new route or parameter is probed without anyone adding it here."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlmodel import Session, select
from werkzeug.routing import IntegerConverter, Rule
from wtforms.fields.core import UnboundField

from survey import migrate
from survey.app import create_app
from survey.db import get_engine
from survey.demo import build_demo
from survey.forms.base import Form
from survey.models import Answer
from tests.conftest import DEMO_TODAY
from tests.web import test_access_matrix as matrix
from tests.web.test_access_matrix import EXPECTED, client_for

# The matrix's rows to try every route on (a fixture), here on both databases.
targets = matrix.targets

SOURCE = Path(__file__).resolve().parents[2] / "survey"
# Past PostgreSQL's integer, and past SQLite's (and a C long's) by far.
HUGE = ("2147483648", "99999999999999999999")
# A value of each hostile kind for every parameter: NUL (PostgreSQL refuses it in text), another
# control character, huge numbers, a date at the end of the calendar, a digit int() refuses.
HOSTILE = ("anne\x00", "a\x01b", *HUGE, "9999-12-31", "²")
# Who reaches which views: the other teams' roles reach the same code as their own.
WALKERS = ("anonymous", "consultant", "project_leader", "admin", "kiosk")
# A value for each path argument that is not a row's id, so the rule's own view is reached.
SAMPLES = {
    "instrument_id": "who5",
    "form_id": "staff",
    "code": "staff.diagnosis",
    "set_id": "evaluation",
    "filename": "survey.css",
}
# What the role gets where its access is refused before the view reads anything.
REFUSED = (401, 403, 404)
ROW_ARGUMENTS = {
    "citizen_id": "citizen",
    "response_id": "draft",
    "user_id": "user",
    "team_id": "team",
}


def parameter_names() -> list[str]:
    """Every query or form parameter a view reads by name, and every field of every form."""
    names: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        names.update(re.findall(r"request\.(?:args|form|values)\.get\(\s*\"(\w+)\"", source))
        names.update(re.findall(r"\b_date\(\"(\w+)\"\)", source))

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for form in subclasses(Form):
        names.update(n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField))
    names.update({"health__mental", "staff__diagnosis"})  # item fields, made per instrument
    return sorted(names)


@pytest.fixture(scope="module")
def postgres_demo(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database with the demo, made once: each test gets a copy (its template)."""
    name = f"demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    folder = tmp_path_factory.mktemp("pgdemo")
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "t",
            "DATABASE_URL": postgres_server.rsplit("/", 1)[0] + f"/{name}",
        },
        environ={},
        instance_path=str(folder / "instance"),
    )
    migrate.upgrade(app)
    with Session(get_engine(app)) as session:
        build_demo(
            session, app.extensions["survey.instruments"], today=date.fromisoformat(DEMO_TODAY)
        )
        session.commit()
    get_engine(app).dispose()
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def demo_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """The demo on each database: the SQLite file copied, the PostgreSQL database cloned."""
    if request.param == "sqlite":
        yield request.getfixturevalue("demo_app")
        return
    server: str = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_demo")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_app(
            server.rsplit("/", 1)[0] + f"/{name}", migrated=False, FIXED_TODAY=DEMO_TODAY
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def url_with(rule: Rule, rows: dict[str, int], name: str, value: str) -> str:
    """The rule's path with `value` in `name`'s place (url_for would check the range)."""
    path = rule.rule
    for arg in rule.arguments:
        if arg == name:
            part = value
        elif arg in ROW_ARGUMENTS:
            part = str(rows[ROW_ARGUMENTS[arg]])
        else:
            part = str(SAMPLES.get(arg, 1))
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{arg}>", part, path)
    return path


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def problem(client: FlaskClient, url: str, method: str, data: dict[str, str] | None) -> str:
    """'' when the answer is not a server error; else what went wrong (the test app raises what
    the production app would turn into a 500)."""
    try:
        response = client.open(url, method=method, data=data, buffered=True)
    except Exception as exc:  # every error is a finding, listed with the others
        return type(exc).__name__
    response.close()
    return str(response.status_code) if response.status_code >= 500 else ""


def test_the_probe_knows_the_parameters_of_the_findings() -> None:
    names = parameter_names()
    for name in ("q", "next", "points", "date_to", "username", "reason", "page", "team"):
        assert name in names


@pytest.mark.parametrize("role", WALKERS)
def test_huge_integers_in_paths_never_give_a_500(demo_app: Flask, targets, role: str) -> None:
    client = client_for(demo_app, role, targets)
    failures = []
    for rule in demo_app.url_map.iter_rules():
        ints = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        for method in methods(rule):
            for name in ints:
                for huge in HUGE:
                    url = url_with(rule, targets, name, huge)
                    if found := problem(client, url, method, {"page": huge}):
                        failures.append(f"{method} {url}: {found}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", WALKERS)
def test_hostile_parameters_never_give_a_500(demo_app: Flask, targets, role: str) -> None:
    """Every parameter any view reads, each hostile kind at once in the query and (for a POST)
    the form, on every route the role may use; what the access matrix's URL sets itself (the
    report's table) is kept."""
    client = client_for(demo_app, role, targets)
    names = parameter_names()
    failures = []
    for value in HOSTILE:
        for (endpoint, method), (template, expected, *data) in EXPECTED.items():
            if endpoint == "auth.logout" or expected[role] in REFUSED:
                continue
            url = template.format(**targets)
            given = set(re.findall(r"[?&](\w+)=", url))
            url += ("&" if "?" in url else "?") + urlencode(
                {n: value for n in names if n not in given}
            )
            form = {**(data[0] if data else {}), **dict.fromkeys(names, value)}
            if found := problem(client, url, method, form if method == "POST" else None):
                failures.append(f"{method} {url.split('?')[0]} with {value!r}: {found}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", WALKERS)
def test_nul_in_text_path_arguments_never_gives_a_500(demo_app: Flask, targets, role: str) -> None:
    client = client_for(demo_app, role, targets)
    failures = []
    for rule in demo_app.url_map.iter_rules():
        for method in methods(rule):
            for name in (n for n in rule.arguments if n in SAMPLES):
                url = url_with(rule, targets, name, "x%00y")
                if found := problem(client, url, method, {}):
                    failures.append(f"{method} {url}: {found}")
    assert not failures, "\n".join(failures)


# --- the findings of the probe, each as it was made ------------------------------------------


def test_a_citizen_id_past_the_databases_integer_is_not_found(demo_app: Flask, targets) -> None:
    client = client_for(demo_app, "consultant", targets)
    for huge in ("99999999999999999999", "2147483648"):
        assert client.get(f"/citizens/{huge}").status_code == 404
    assert client.get(f"/citizens/{targets['citizen']}").status_code == 200


def test_a_huge_point_in_a_report_is_refused_with_its_reason(demo_app: Flask, targets) -> None:
    client = client_for(demo_app, "project_leader", targets)
    for huge in ("99999999999999999999", "2147483648"):
        page = client.get(f"/reports?table=who5&points=1,{huge}")
        assert page.status_code == 422
        assert f"Et målepunkt skal være et helt tal på 1 eller derover, ikke {huge}." in page.text


@pytest.mark.parametrize("team", ["²", "99999999999999999999"])
def test_a_team_that_is_no_number_is_no_team_of_the_leader(demo_app, targets, team: str) -> None:
    client = client_for(demo_app, "project_leader", targets)
    assert client.get(f"/reports?table=status&team={team}").status_code == 403
    assert client.get(f"/reports?table=status&consultant={team}").status_code == 403


def test_the_audit_trail_to_the_last_day_of_the_calendar(demo_app: Flask, targets) -> None:
    client = client_for(demo_app, "admin", targets)
    for url in ("/admin/audit", "/admin/audit.csv"):
        assert client.get(f"{url}?date_to=9999-12-31").status_code == 200
        assert client.get(f"{url}?date_from=0001-01-01&date_to=9999-12-31").status_code == 200


def test_an_audit_period_that_ends_before_it_starts_says_so(demo_app: Flask, targets) -> None:
    client = client_for(demo_app, "admin", targets)
    page = client.get("/admin/audit?date_from=2026-05-02&date_to=2026-05-01")
    assert page.status_code == 200
    assert "Perioden starter (2026-05-02) efter, at den slutter (2026-05-01)." in page.text


def test_nul_in_the_user_name_before_login_is_refused_in_danish(demo_app: Flask) -> None:
    client = demo_app.test_client()
    page = client.post("/login", data={"username": "anne\x00", "password": "demo-anne-2026"})
    assert page.status_code == 400
    assert 'Feltet "username" indeholder et tegn, der ikke kan gemmes' in unescape(page.text)
    assert client.get("/").status_code == 302  # not logged in


def test_nul_in_a_caseload_search_is_refused(demo_app: Flask, targets) -> None:
    client = client_for(demo_app, "consultant", targets)
    page = client.get("/citizens?q=N-%00")
    assert page.status_code == 400
    assert 'Feltet "q" indeholder et tegn, der ikke kan gemmes' in unescape(page.text)


def test_nul_in_an_amendment_reason_is_refused_and_nothing_changes(demo_app, targets) -> None:
    client = client_for(demo_app, "consultant", targets)
    url = f"/responses/{targets['submitted']}/amend/staff.diagnosis"
    refused = client.post(url, data={"staff__diagnosis": "1", "reason": "typo\x00"})
    assert refused.status_code == 400
    assert "reason" in refused.text
    with Session(get_engine(demo_app)) as db:
        stored = db.exec(select(Answer.value).where(Answer.response_id == targets["submitted"]))
        assert list(stored) == ["2"]
    amended = client.post(url, data={"staff__diagnosis": "1", "reason": "typo\tfixed\r\nthere"})
    assert amended.status_code == 302  # tab and line breaks are ordinary text


def test_a_draft_key_with_other_letters_is_a_wrong_key(demo_app: Flask, targets) -> None:
    client = demo_app.test_client()  # the login ran out: the page comes with its draft key
    saved = client.post(
        f"/responses/{targets['draft']}/page/1",
        data={"draft_key": "nøgle", "health__mental": "2", "action": "next"},
    )
    assert saved.status_code == 302
    assert "/login" in saved.headers["Location"]


def test_a_form_field_without_a_name_is_refused_not_a_500(demo_app: Flask, targets) -> None:
    """A multipart part without a name (Werkzeug keys it None) failed the door's own check with
    TypeError, and past it the page's reader (found by tests/web/test_fuzz_routes.py)."""
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n"
        b'--b\r\nContent-Disposition: form-data; name="health__mental"\r\n\r\n2\r\n--b--\r\n'
    )
    kind = "multipart/form-data; boundary=b"
    anonymous = demo_app.test_client().post("/login", data=body, content_type=kind)
    assert anonymous.status_code == 400
    assert "Formularen blev sendt med et felt uden navn." in anonymous.text
    client = client_for(demo_app, "consultant", targets)
    page = client.post(f"/responses/{targets['draft']}/page/1", data=body, content_type=kind)
    assert page.status_code == 400
