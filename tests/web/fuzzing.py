"""What the fuzz tests share: a small world to post into (the demo, cut down to five citizens,
with the import tests' hand form beside the shipped forms so that every item type is asked),
logged in once as every kind of user and restored before every example; the strategies of
hostile values; and the invariants every example must keep.

The world is a SQLite file per kind of user (its login, its CSRF token and its tablet already
in it), copied over the app's database before each example (a few milliseconds); on
PostgreSQL the same rows, held in memory, refill every table before each example (some 50 ms;
cloning a template database took 300). The examples themselves are fixed: `budget()` is
derandomised, so CI tries the same inputs every run. On a developer's machine
SURVEY_FUZZ_SCALE=10 tries ten times as many, and SURVEY_FUZZ_RANDOM=1 other ones each run (a
finding is printed with its falsifying example, shrunk, to turn into a regression test)."""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Engine,
    Integer,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
)
from sqlmodel import Session, SQLModel, col
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse, encode_multipart

from survey import answers as answer_rows
from survey import migrate
from survey.app import create_app
from survey.db import get_engine
from survey.extensions import INSTRUMENTS
from survey.forms import field_name
from survey.instruments import InstrumentRegistry, UnknownInstrument, publish
from survey.instruments import values as answer_values
from survey.instruments.asking import pages, visible
from survey.instruments.schema import InstrumentVersion, Item, ItemType
from survey.instruments.types import ITEM_TYPES
from survey.models import (
    STATUS_REASONS,
    Answer,
    AuditEvent,
    Citizen,
    CitizenEvent,
    CourseStatus,
    InvalidReference,
    KioskSession,
    Mode,
    Response,
    ResponseChange,
    ResponseStatus,
    User,
    check_reference,
)
from survey.responses import services as responses
from survey.schedule import MAX_POINT
from tests.conftest import DEMO_TODAY, login
from tests.interop.conftest import HAND_FORM
from tests.web.test_access_matrix import ROLES, USERS, client_for, make_targets
from tests.web.test_hostile_input import parameter_names

SHIPPED_INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"
TODAY = date.fromisoformat(DEMO_TODAY)
SECRET_KEY = "fuzz-secret"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Where each kind of user finds a form with a CSRF token of its session.
TOKEN_PAGE = {"anonymous": "/login", "kiosk": "/kiosk/page/1"}
COOKIES = ("session", "survey_device")

# --- the budget -----------------------------------------------------------------------------

SCALE = max(1, int(os.environ.get("SURVEY_FUZZ_SCALE", "1")))
RANDOM = os.environ.get("SURVEY_FUZZ_RANDOM") == "1"


def budget(examples: int) -> settings:
    """Settings for one fuzz test: `examples` inputs (times SURVEY_FUZZ_SCALE), the same ones
    every run (derandomize, unless SURVEY_FUZZ_RANDOM; no example database), no deadline (a
    busy CI machine is slow, not wrong), and no health checks about slow or large data: the
    inputs are large on purpose."""
    return settings(
        max_examples=examples * SCALE,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
        report_multiple_bugs=False,
    )


# --- hostile values ---------------------------------------------------------------------------

# Every character but surrogates (which no browser can send): NUL and the other control
# characters included.
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
NUMBERS = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775808",
            "99999999999999999999",
            "1e400",
            "nan",
            "inf",
            "-0",
            "+1",
            "01",
            " 1 ",
            "0x10",
            "1.5",
            "1,5",
            "²",
            "٣",
            "１２",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
DATES = st.one_of(
    st.sampled_from(
        ["9999-12-31", "0001-01-01", "2026-02-30", "10000-01-01", "2026-1-1", "23-11-2026"]
    ),
    st.dates().map(date.isoformat),
)
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "anne\x00",
        "a\x01b",
        "\x7f",
        "\ufeff",
        "\u202e",
        "\r\n",
        "\t",
        "=1+1",
        "@SUM(A1)",
        "'",
        '"',
        "<script>alert(1)</script>",
        "../../etc",
        "%00",
        "[]",
        "{}",
    ]
)
HUGE = st.sampled_from(["x" * 5000, "9" * 3000, "å" * 70_000])
VALUES = st.one_of(ODD, NUMBERS, DATES, ANY_TEXT, HUGE)
# A path segment: ids that are no row, past the database's integer, encoded NUL and dots.
SEGMENTS = st.one_of(
    st.sampled_from(
        ["0", "-1", "2147483647", "2147483648", "99999999999999999999", "%00", "x%00y", "²"]
    ),
    st.integers(min_value=0, max_value=2**31 - 1).map(str),
    ANY_TEXT.map(partial(quote, safe="")),
)


@dataclass(frozen=True)
class Upload:
    """A file field's content; made into a stream as each request is sent."""

    content: bytes
    filename: str = "upload.csv"


Pair = tuple[str, "str | Upload"]


class Kit:
    """The strategies a world's bodies are drawn from, made once: field names (every one a
    view reads, or none at all) and, per field, its other valid values and hostile ones."""

    def __init__(self, names: Sequence[str], alternatives: dict[str, list[str]]) -> None:
        self.keys = st.one_of(st.sampled_from(sorted(names)), ANY_TEXT)
        self.extra = st.lists(st.tuples(self.keys, VALUES), max_size=2)
        self._change = {
            key: st.one_of(st.sampled_from(values), VALUES)
            for key, values in alternatives.items()
            if values
        }

    def change(self, key: str) -> st.SearchStrategy[str]:
        return self._change.get(key, VALUES)


MUTATIONS = st.sampled_from(("change", "spiced", "drop", "twice"))


@st.composite
def tampered(draw: st.DrawFn, seed: Sequence[Pair], kit: Kit) -> list[Pair]:
    """A body made from a valid one: up to three of its fields dropped, changed to another
    valid value or a hostile one, spiced (NUL, a control character or a formula put into the
    good value) or sent twice with a hostile value beside; then perhaps a field more, known
    or not. One change at a time, mostly, so that most examples get past the first check to
    the next; the simplest example is the valid body itself."""
    pairs: list[Pair] = list(seed)
    for _ in range(draw(st.integers(0, 3))):
        if not pairs:
            break
        at = draw(st.integers(0, len(pairs) - 1))
        key, value = pairs[at]
        how = draw(MUTATIONS)
        if how == "drop":
            del pairs[at]
        elif how == "change":
            pairs[at] = (key, draw(kit.change(key)))
        elif how == "spiced" and isinstance(value, str):
            cut = draw(st.integers(0, len(value)))
            pairs[at] = (key, value[:cut] + draw(ODD) + value[cut:])
        elif how == "twice":
            pairs.insert(at + 1, (key, draw(VALUES)))
    return pairs + draw(kit.extra)


# --- the world ------------------------------------------------------------------------------


class Store(Protocol):
    """Puts the app's database back to a kind of user's baseline."""

    def restore(self, role: str) -> None: ...


class SqliteStore:
    """One file per kind of user beside the app's database, copied over it to restore."""

    def __init__(self, app: Flask, live: Path, folder: Path) -> None:
        self.app, self.live, self.folder = app, live, folder

    def baseline(self, role: str) -> Path:
        return self.folder / f"{role}.db"

    def save(self, role: str) -> None:
        get_engine(self.app).dispose()
        shutil.copyfile(self.live, self.baseline(role))

    def restore(self, role: str) -> None:
        get_engine(self.app).dispose()
        shutil.copyfile(self.baseline(role), self.live)


class PostgresStore:
    """Each kind of user's baseline rows, held in memory; to restore, every table of the app's
    database is emptied and refilled in one transaction, with triggers off (the audit trail's
    append-only trigger would refuse; cloning a database instead takes a third of a second)."""

    def __init__(self, app: Flask, server: str, live: str) -> None:
        self.app, self.server, self.live = app, server, live
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        self.writer = create_engine(f"{server.rsplit('/', 1)[0]}/{live}")
        self.rows: dict[str, list[tuple[Table, list[dict[str, Any]]]]] = {}

    def load(self, role: str, sqlite_file: Path) -> None:
        reader = create_engine(f"sqlite:///{sqlite_file}")
        with reader.connect() as rows:
            self.rows[role] = [
                (table, [dict(row._mapping) for row in rows.execute(select(table))])
                for table in SQLModel.metadata.sorted_tables
            ]
        reader.dispose()

    def restore(self, role: str) -> None:
        with self.writer.begin() as out:
            out.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(SQLModel.metadata.sorted_tables):
                out.execute(delete(table))
            for table, found in self.rows[role]:
                if found:
                    out.execute(insert(table), found)
            for table, _found in self.rows[role]:
                if "id" in table.c and isinstance(table.c.id.type, Integer):
                    out.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f'COALESCE(MAX(id), 0) + 1, false) FROM "{table.name}"'
                        )
                    )

    def drop_all(self) -> None:
        get_engine(self.app).dispose()
        self.writer.dispose()
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.live}" WITH (FORCE)'))
        self.admin.dispose()


@dataclass
class World:
    """The app, its rows by name, and every kind of user's login, token and cookies."""

    app: Flask
    store: Store
    ids: dict[str, int]
    draft_keys: dict[int, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    # response id -> (form, point): what the seeds fill in
    forms: dict[int, tuple[InstrumentVersion, int]] = field(default_factory=dict)
    folder: Path = Path()

    @property
    def registry(self) -> InstrumentRegistry:
        return self.app.extensions[INSTRUMENTS]

    def reset(self, role: str) -> None:
        self.store.restore(role)

    def client(self, role: str) -> FlaskClient:
        """A fresh browser holding `role`'s cookies: its login (or tablet) and its CSRF token."""
        client = self.app.test_client()
        for name, value in self.cookies[role].items():
            client.set_cookie(name, value)
        return client

    def password(self, role: str) -> str:
        return f"demo-{USERS.get(role, 'anne')}-2026"

    def engine(self) -> Engine:
        return get_engine(self.app)

    def __repr__(self) -> str:  # hypothesis names the world in a failing example
        return f"World({get_engine(self.app).url.get_backend_name()})"


def settings_for(database_url: str, folder: Path) -> dict[str, object]:
    return {
        "ENV": "testing",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "INSTRUMENTS_DIR": str(folder / "instruments"),
        "FIXED_TODAY": DEMO_TODAY,
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": True,
    }


def _instruments(folder: Path) -> None:
    """The shipped instruments and the hand form (every item type, a baseline item, a chain of
    two conditions), published."""
    target = folder / "instruments"
    shutil.copytree(SHIPPED_INSTRUMENTS, target)
    (target / "hand").mkdir()
    (target / "hand" / "1.yaml").write_text(HAND_FORM, encoding="utf-8")
    publish(target, "hand", 1)


def build_world(demo_database: Path, folder: Path) -> World:
    """The SQLite world: the demo cut down, the rows the routes are tried on, every kind of
    user logged in, one baseline file each."""
    _instruments(folder)
    live = folder / "live.db"
    shutil.copyfile(demo_database, live)
    app = create_app(
        settings_for(f"sqlite:///{live}", folder),
        environ={},
        instance_path=str(folder / "instance"),
    )
    # No fsync at every commit: the examples need no durability, and it halves their time.
    event.listen(get_engine(app), "connect", _no_sync)
    store = SqliteStore(app, live, folder)
    with Session(get_engine(app), expire_on_commit=False) as db:
        _cut_down(db)
        db.commit()
    with get_engine(app).connect() as connection:
        connection.exec_driver_sql("VACUUM")  # a small file is quick to copy
    ids = make_targets(app)  # the access matrix's draft and submitted staff forms
    with Session(get_engine(app), expire_on_commit=False) as db:
        ids.update(_add_rows(db, app.extensions[INSTRUMENTS], ids))
        db.commit()
    world = World(app, store, ids, folder=folder)
    with app.test_request_context(), Session(get_engine(app)) as db:
        for response in db.execute(select(Response)).scalars():
            assert response.id is not None
            world.draft_keys[response.id] = responses.draft_key(response)
            definition = world.registry.get(response.form_id, response.form_version)
            world.forms[response.id] = (definition, response.point)
    assert not answer_problems(app), "the world itself holds answers its items do not allow"
    store.save("clean")
    for role in ROLES:
        store.restore("clean")
        _log_in(world, role)
        store.save(role)
    return world


def _no_sync(connection: Any, _record: object) -> None:
    connection.execute("PRAGMA synchronous=OFF")


def _cut_down(db: Session) -> None:
    """Keep five of the demo's citizens (two active and one ended of anne's in Team Nord, one of
    each of jonas's in Team Syd) and their first point: the invariants read every answer after
    every example, so the world is small."""
    keep: list[int] = []
    for username, active in (("anne", 2), ("jonas", 1)):
        user = db.execute(select(User).where(col(User.username) == username)).scalar_one()
        citizens = list(
            db.execute(
                select(Citizen)
                .where(col(Citizen.consultant_id) == user.id)
                .order_by(col(Citizen.id))
            ).scalars()
        )
        keep += [c.id for c in citizens if c.status == CourseStatus.ACTIVE][:active]  # type: ignore[misc]
        keep += [c.id for c in citizens if c.status != CourseStatus.ACTIVE][:1]  # type: ignore[misc]
    dropped = select(col(Response.id)).where(
        ~col(Response.citizen_id).in_(keep) | (col(Response.point) > 1)
    )
    for model in (Answer, ResponseChange, KioskSession):
        db.execute(delete(model).where(col(model.response_id).in_(dropped)))
    db.execute(delete(Response).where(col(Response.id).in_(dropped)))
    db.execute(delete(CitizenEvent).where(~col(CitizenEvent.citizen_id).in_(keep)))
    db.execute(delete(Citizen).where(~col(Citizen.id).in_(keep)))


def _add_rows(db: Session, registry: InstrumentRegistry, ids: dict[str, int]) -> dict[str, int]:
    """The hand form's drafts (one the citizen answers alone, for the tablet) and a submitted
    one whose condition holds, a draft in the other team, and the ids of rows that are not."""
    anne = db.execute(select(User).where(col(User.username) == "anne")).scalar_one()
    jonas = db.execute(select(User).where(col(User.username) == "jonas")).scalar_one()
    mine = list(
        db.execute(
            select(Citizen).where(col(Citizen.consultant_id) == anne.id).order_by(col(Citizen.id))
        ).scalars()
    )
    theirs = list(
        db.execute(
            select(Citizen).where(col(Citizen.consultant_id) == jonas.id).order_by(col(Citizen.id))
        ).scalars()
    )
    hand = registry.get("hand", 1)
    citizen = next(c for c in mine if c.id == ids["citizen"])
    second = next(c for c in mine if c.id != ids["citizen"] and c.status == CourseStatus.ACTIVE)
    other = next(c for c in theirs if c.status == CourseStatus.ACTIVE)
    other_ended = next(c for c in theirs if c.status != CourseStatus.ACTIVE)

    def response(who: Citizen, form: str, point: int, mode: Mode, by: User, **fields) -> Response:
        row = Response(
            citizen_id=who.id,  # type: ignore[arg-type]
            point=point,
            form_id=form,
            form_version=1,
            administered_on=date(2026, 11, 20),
            mode=mode,
            entered_by_id=by.id,
            **fields,
        )
        db.add(row)
        return row

    hand_self = response(citizen, "hand", 1, Mode.SELF, anne)
    hand_draft = response(citizen, "hand", 3, Mode.ASSISTED, anne)
    hand_submitted = response(
        citizen,
        "hand",
        2,
        Mode.ASSISTED,
        anne,
        status=ResponseStatus.SUBMITTED,
        submitted_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    given = {
        "hand.single": 2,
        "hand.multi": (1, 3),
        "hand.count": 7,
        "hand.when": date(2026, 10, 1),
        "hand.note": "Et svar",
        "hand.gate": 1,
        "hand.follow": 1,
        "hand.deeper": 3,
    }
    hand_submitted.answers = [
        Answer(item_code=code, position=position, value=stored)
        for code, value in given.items()
        for position, stored in enumerate(answer_values.encode(hand.item(code), value))
    ]
    other_draft = response(other, "staff", 31, Mode.STAFF, jonas)
    db.flush()
    submitted = {
        form: db.execute(
            select(col(Response.id))
            .where(
                col(Response.citizen_id) == who.id,
                col(Response.form_id) == form,
                col(Response.status) == ResponseStatus.SUBMITTED,
            )
            .order_by(col(Response.id))
        )
        .scalars()
        .first()
        for form, who in (("citizen", citizen), ("staff", other))
    }
    top = db.execute(select(func.max(Citizen.id))).scalar_one()
    top_response = db.execute(select(func.max(Response.id))).scalar_one()
    users = {
        name: db.execute(select(col(User.id)).where(col(User.username) == name)).scalar_one()
        for name in ("anne", "jonas", "mads", "peter", "admin", "leder.nord")
    }
    found = {
        "citizen2": second.id,
        "other_citizen": other.id,
        "other_ended": other_ended.id,
        "hand_self": hand_self.id,
        "hand_draft": hand_draft.id,
        "hand_submitted": hand_submitted.id,
        "other_draft": other_draft.id,
        "citizen_submitted": submitted["citizen"],
        "other_submitted": submitted["staff"],
        "gone_citizen": top + 1,
        "gone_response": top_response + 1,
        "syd": other.team_id,
        **{f"user_{name}": user_id for name, user_id in users.items()},
    }
    assert all(value is not None for value in found.values()), found
    return found  # type: ignore[return-value]


def _log_in(world: World, role: str) -> None:
    """Log `role` in (without CSRF, as the matrix's helpers post), then read a real CSRF token
    of its session from a page, and keep its cookies."""
    app = world.app
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        if role == "kiosk":
            client = app.test_client()
            login(client, "anne")
            handed = client.post(f"/responses/{world.ids['hand_self']}/tablet")
            assert handed.headers["Location"] == "/kiosk", "the hand form did not go to a tablet"
        else:
            client = client_for(app, role, world.ids)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(TOKEN_PAGE.get(role, "/"))
    found = CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {role}'s page"
    world.tokens[role] = found.group(1)
    world.cookies[role] = {
        name: cookie.value for name in COOKIES if (cookie := client.get_cookie(name)) is not None
    }


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_world(world: World, server: str) -> tuple[World, PostgresStore]:
    """The same world on PostgreSQL, with an app of its own: each kind of user's baseline rows
    copied from the SQLite world, so its cookies and CSRF tokens hold here too."""
    live = f"fz_{uuid.uuid4().hex[:12]}"
    app = create_app(
        settings_for(f"{server.rsplit('/', 1)[0]}/{live}", world.folder),
        environ={},
        instance_path=str(world.folder / "instance"),
    )
    store = PostgresStore(app, server, live)
    with store.admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{live}"'))
    migrate.upgrade(app)
    assert isinstance(world.store, SqliteStore)
    for role in ROLES:
        store.load(role, world.store.baseline(role))
    twin = World(
        app,
        store,
        world.ids,
        world.draft_keys,
        world.tokens,
        world.cookies,
        world.forms,
        world.folder,
    )
    twin.reset("admin")  # a database to read from before the first example
    return twin, store


# --- the request, and the invariants --------------------------------------------------------


def request(
    client: FlaskClient,
    method: str,
    url: str,
    pairs: Sequence[Pair] | None = None,
    *,
    multipart: bool = False,
    **options: Any,
) -> TestResponse:
    """Send `pairs` as a form (urlencoded, or multipart when asked or when a file is in it).
    A multipart body is encoded here, in memory: the test client's own encoder spills a large
    body to a temporary file it never closes."""
    if pairs is not None:
        fields = MultiDict(
            [
                (key, (io.BytesIO(value.content), value.filename))
                if isinstance(value, Upload)
                else (key, value)
                for key, value in pairs
            ]
        )
        if multipart or any(isinstance(value, Upload) for _key, value in pairs):
            boundary, body = encode_multipart(fields)
            options["data"] = body
            options["content_type"] = f"multipart/form-data; boundary={boundary}"
        else:
            options["data"] = fields
    response = client.open(url, method=method, buffered=True, **options)
    response.close()
    return response


def send(
    client: FlaskClient,
    method: str,
    url: str,
    pairs: Sequence[Pair] | None = None,
    *,
    multipart: bool = False,
    **options: Any,
) -> str:
    """'' when the app answered below 500; else the status or the exception's type (the app
    under test raises what production would turn into a 500). Never the values sent."""
    try:
        response = request(client, method, url, pairs, multipart=multipart, **options)
    except Exception as exc:  # every error is a finding
        if os.environ.get("SURVEY_FUZZ_RAISE"):
            raise
        return type(exc).__name__
    return str(response.status_code) if response.status_code >= 500 else ""


def answer_problems(app: Flask) -> list[str]:
    """Every stored answer its item does not allow, by response and item (never the value): an
    answer to no item of its form version, to an item not asked at its point or whose condition
    does not hold, or a text its item type does not read back as it writes it. Checked with the
    instruments' own rules (decode, check, encode, visible) over every response, drafts and
    submitted alike; a response's verdict is remembered by its content, so only what an example
    changed is worked out again."""
    registry: InstrumentRegistry = app.extensions[INSTRUMENTS]
    problems: list[str] = []
    with Session(get_engine(app)) as db:
        rows = db.execute(
            select(
                col(Response.id),
                col(Response.form_id),
                col(Response.form_version),
                col(Response.point),
                col(Response.mode),
            )
        ).all()
        texts = answer_rows.texts_of(db, [row[0] for row in rows])
    for response_id, form_id, version, point, mode in rows:
        stored = tuple(sorted((code, tuple(t)) for code, t in texts.get(response_id, {}).items()))
        key = (id(registry), form_id, version, point, mode, stored)
        if key not in _VERDICTS:
            _VERDICTS[key] = _response_problems(registry, form_id, version, point, mode, stored)
        problems += [f"response {response_id}{problem}" for problem in _VERDICTS[key]]
    return problems


_VERDICTS: dict[tuple, list[str]] = {}


def _response_problems(
    registry: InstrumentRegistry,
    form_id: str,
    version: int,
    point: int,
    mode: str,
    stored: tuple[tuple[str, tuple[str, ...]], ...],
) -> list[str]:
    try:
        definition = registry.get(form_id, version)
    except UnknownInstrument:
        return [f": no form version {form_id} {version}"]
    problems = []
    if not 1 <= point <= MAX_POINT or mode not in definition.modes:
        problems.append(": a point or mode its form does not allow")
    decoded = {}
    for code, texts in stored:
        where = f", item {code}"
        if not definition.has_item(code):
            problems.append(f"{where}: not an item of {definition.key}")
            continue
        item = definition.item(code)
        if not item.asked_at(point):
            problems.append(f"{where}: not asked at point {point}")
        try:
            value = answer_values.decode(item, texts)
            written = answer_values.encode(item, answer_values.check(item, value))
        except Exception as exc:  # what the item's type cannot read is the finding
            problems.append(f"{where}: stored texts its type refuses ({type(exc).__name__})")
            continue
        if written != list(texts):
            problems.append(f"{where}: not stored as its type writes it")
        decoded[code] = value
    shown = visible(definition, decoded, point)
    problems += [
        f", item {code}: answered, but its condition does not hold"
        for code in decoded
        if code not in shown and definition.item(code).asked_at(point)
    ]
    return problems


def citizen_problems(app: Flask) -> list[str]:
    """Every stored citizen the enrolment would refuse: its reference, or a status, reason and
    end date that do not go together (by id, never the reference)."""
    problems: list[str] = []
    with Session(get_engine(app)) as db:
        for citizen in db.execute(select(Citizen)).scalars():
            where = f"citizen {citizen.id}"
            try:
                if check_reference(citizen.reference) != citizen.reference:
                    problems.append(f"{where}: a reference with spaces around it")
            except InvalidReference as exc:
                problems.append(f"{where}: a reference the app refuses ({exc.kind})")
            status = CourseStatus(citizen.status)
            if status is CourseStatus.ACTIVE:
                if citizen.status_reason or citizen.ended_on:
                    problems.append(f"{where}: active with an end")
            elif citizen.status_reason not in STATUS_REASONS[status] or citizen.ended_on is None:
                problems.append(f"{where}: ended without its reason or date")
            elif citizen.ended_on < citizen.enrolled_on or citizen.ended_on > TODAY:
                problems.append(f"{where}: ended outside its course")
            if citizen.enrolled_on > TODAY:
                problems.append(f"{where}: enrolled in the future")
    return problems


def row_counts(app: Flask) -> dict[str, int]:
    """Rows per table, the audit trail aside (a refused import records that it was tried)."""
    with Session(get_engine(app)) as db:
        return {
            table.name: db.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
            if table.name != AuditEvent.__tablename__
        }


# --- valid bodies, made from the instruments ------------------------------------------------


def sample(item: Item) -> list[str]:
    """A valid answer to `item` as a form posts it (one field per chosen code)."""
    if item.type is ItemType.TEXT:
        return ["Et fuzz-svar"]
    value = ITEM_TYPES[item.type].sample(item, random.Random(item.code), TODAY)
    assert value is not None
    if isinstance(value, tuple):
        return [str(code) for code in value]
    return [value.isoformat() if isinstance(value, date) else str(value)]


def page_answers(world: World, response_id: int, number: int) -> list[Pair]:
    """A valid answer to every question of a draft's page, as its form posts them."""
    if response_id not in world.forms:
        return []
    definition, point = world.forms[response_id]
    every = pages(definition, point)
    if not 1 <= number <= len(every):
        return []
    return [
        (field_name(item.code), value) for item in every[number - 1].items for value in sample(item)
    ]


def item_fields(registry: InstrumentRegistry) -> list[str]:
    return sorted({field_name(item.code) for form in registry.forms() for item in form.items})


def all_names(registry: InstrumentRegistry) -> list[str]:
    """Every field any view reads, every item's field, and the hidden ones of the pages."""
    return sorted({*parameter_names(), *item_fields(registry), "csrf_token", "draft_key", "page"})


def near_values(item: Item) -> list[str]:
    """What a field of `item` may be sent, right and nearly right: every answer code and the
    codes around them, the ends of a range and one past each, a date and a day that is none,
    a text at its limit and one past it."""
    if item.is_choice:
        codes = [str(code) for code in item.codes]
        return [*codes, "0", "-1", str(max(item.codes) + 1), "99", f"{codes[0]}.0"]
    if item.type is ItemType.INTEGER:
        low, high = item.min or 0, item.max or 0
        return [str(low), str(high), str(low - 1), str(high + 1), f"{low}.5", f" {high} "]
    if item.type is ItemType.DATE:
        return ["2026-11-01", "2026-02-29", "2026-13-01", "0001-01-01", "9999-12-31"]
    return ["Et svar", "x" * item.text_limit, "x" * (item.text_limit + 1), "   "]


def item_alternatives(registry: InstrumentRegistry) -> dict[str, list[str]]:
    """The near values (`near_values`) of every item's field."""
    found: dict[str, list[str]] = {}
    for form in registry.forms():
        for item in form.items:
            found.setdefault(field_name(item.code), []).extend(near_values(item))
    return found


def with_token(world: World, role: str, pairs: list[Pair], how: str) -> list[Pair]:
    """The body with its CSRF token: the session's own, none, another session's, made up, or
    the own one and a made-up one."""
    own = world.tokens[role]
    other = world.tokens["consultant_other_team" if role != "consultant_other_team" else "admin"]
    tokens = {
        "valid": [own],
        "missing": [],
        "other": [other],
        "garbage": [own[::-1]],
        "twice": [own, "x" + own[1:]],
    }[how]
    return [("csrf_token", token) for token in tokens] + pairs


# The session's own token three times in four, so that most examples reach the view.
TOKEN_KINDS = st.sampled_from(("valid",) * 12 + ("missing", "other", "garbage", "twice"))


def iter_post_rules(app: Flask) -> Iterator[tuple[str, str]]:
    """(endpoint, rule) of every rule that takes a POST, in the URL map's order."""
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()):
            yield rule.endpoint, rule.rule
