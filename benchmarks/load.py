"""Load: N simulated tablets for S seconds against gunicorn, on SQLite and PostgreSQL, and what
was stored against what the server acknowledged.

Run from the project root:

    python benchmarks/load.py [--tablets 50] [--seconds 60] [--database sqlite|postgresql|both]
                              [--workers 5] [--worker-class sync|gthread] [--threads 4]
                              [--think 0.5] [--grace 300]

For each database it builds a fresh migrated database (SQLite: a file; PostgreSQL: a throwaway
server with its durable defaults, benchmarks/pgserver.py), seeds one consultant per tablet with
a caseload of synthetic citizens through the app's own services (argon2 password and PIN hashes
as in production), starts Redis for the shared sign-in counts when redis-server is installed,
and serves `wsgi:app` with gunicorn on a free port, in production mode, behind a simulated TLS
proxy (`SURVEY_TRUSTED_PROXIES=1`: each tablet sends `X-Forwarded-Proto: https` and an
`X-Forwarded-For` address of its own, as nginx would, so no tablet shares another's throttling
budget and the app's Secure cookies and CSRF referrer check run as in production).

Each tablet is a thread that behaves as the browser and survey/static/form.js do: it logs in
through the real login form (CSRF token, Referer as the page's Referrer-Policy allows; all 50
at once), then starts forms for `--seconds` seconds and finishes the form in hand when the time
is up (a form takes 30-60 requests, so a strict stop would leave most of them half-done). Per
citizen of its caseload (half the tablets begin with the consultant's form):

- the tablet: the consultant opens the citizen's page and the citizen form's start page, hands
  the form to the tablet ("the citizen answers alone"), the citizen taps an answer to each
  question (each tap saved by `/kiosk/autosave`), posts each page as form.js does (fetch,
  `X-Survey-Fetch`), reads the summary and sends; sometimes a double tap on "send" and a late
  autosave (refused: 409); the tablet is locked and the consultant unlocks it with the PIN;
- the consultant: opens the staff form, answers and autosaves every question, saves each page,
  reviews and submits; sometimes a double submit from two devices at once (one told
  "indsendt", the other "allerede indsendt") and a late autosave (409).

A 503 or a dropped connection is sent again after a pause (form.js does so for its posts, a
person with "Prøv igen"), and counts as an error. Every request is recorded: its kind, status
and latency. At the end every acknowledged submission is compared with the database: the
response must be submitted with exactly the answers the client sent (every value); two
submitted responses for one citizen, point and form, two submit audit entries for one response,
or two devices both told "indsendt" count as doubled. The output holds counts and times only,
never an answer or a reference. Exit status 1 when there was an error (any status that is
neither success nor a deliberate refusal), a lost, doubled or half-written submission.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis
import requests
from flask import Flask
from flask_babel import force_locale, gettext
from markupsafe import escape
from pgserver import ThrowawayPostgres, free_port
from sqlalchemy import text
from sqlmodel import Session

from survey import migrate
from survey.admin.services import TeamSettings, create_team
from survey.answers import decode, texts_of
from survey.app import create_app
from survey.auth import services as accounts
from survey.auth.pins import pin_problems
from survey.citizens import services as citizens
from survey.clock import today
from survey.config import PROJECT_ROOT
from survey.db import get_engine
from survey.extensions import INSTRUMENTS
from survey.hashing import hash_password
from survey.models import Citizen, Role
from survey.responses.services import missing_required

# The access log as docs/SECURITY.md asks: the path without its query.
ACCESS_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s'
POINT = 1


# --- the server side: database, Redis, gunicorn -------------------------------------------------


@dataclass
class Account:
    username: str
    password: str
    pin: str
    address: str  # the X-Forwarded-For of this tablet
    citizens: list[int]


class Stack:
    """One database with the app migrated into it, Redis and gunicorn, all removed at the end
    (also on an error, Ctrl-C or SIGTERM)."""

    def __init__(self, kind: str, workdir: Path, *, postgres_settings: str = ""):
        self.kind = kind
        self.workdir = workdir
        self.postgres = (
            ThrowawayPostgres(workdir, postgres_settings) if kind == "postgresql" else None
        )
        self.secret = secrets.token_hex(32)
        self.redis: subprocess.Popen[bytes] | None = None
        self.redis_url = "memory://"
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.log = workdir / "gunicorn.log"
        self.app: Flask | None = None
        self.server_text = ""

    @property
    def url(self) -> str:
        if self.postgres is not None:
            return self.postgres.url
        return f"sqlite:///{self.workdir / 'load.sqlite3'}"

    def __enter__(self) -> Stack:
        if self.postgres is not None:
            self.postgres.start()
        self._start_redis()
        self.app = create_app(
            {
                "ENV": "production",
                "SECRET_KEY": self.secret,
                "DATABASE_URL": self.url,
                "RATELIMIT_STORAGE_URI": self.redis_url,
            },
            environ={},
            instance_path=str(self.workdir / "instance"),
        )
        migrate.upgrade(self.app)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_server()
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
        if self.app is not None:
            get_engine(self.app).dispose()
        if self.postgres is not None:
            self.postgres.stop()

    @property
    def engine(self) -> Any:
        assert self.app is not None
        return get_engine(self.app)

    def version(self) -> str:
        if self.postgres is not None:
            with self.engine.connect() as connection:
                return "PostgreSQL " + connection.exec_driver_sql("SHOW server_version").scalar()
        return f"SQLite {sqlite3.sqlite_version}"

    def _start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            return  # each worker counts sign-ins alone (the app logs a warning)
        port = free_port()
        self.redis = subprocess.Popen(  # noqa: S603 - Debian's redis-server
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis.from_url(self.redis_url, socket_timeout=0.5) as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.05)

    def environment(self) -> dict[str, str]:
        """The app's settings as production has them, for gunicorn and the `survey` command."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
        env.update(
            PYTHONPATH=str(PROJECT_ROOT),
            SURVEY_ENV="production",
            SURVEY_SECRET_KEY=self.secret,
            SURVEY_DATABASE_URL=self.url,
            SURVEY_TRUSTED_PROXIES="1",
            SURVEY_RATELIMIT_STORAGE_URI=self.redis_url,
        )
        return env

    def serve(self, workers: int, worker_class: str, threads: int) -> str:
        """Start gunicorn on a free port and wait until /healthz says ok; the base URL."""
        port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--worker-class", worker_class, "--bind", f"127.0.0.1:{port}", "--timeout", "60",
            "--graceful-timeout", "10", "--error-logfile", "-", "--access-logfile",
            str(self.workdir / "access.log"), "--access-logformat", ACCESS_FORMAT,
        ]  # fmt: skip
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        with self.log.open("ab") as log:
            self.gunicorn = subprocess.Popen(  # noqa: S603 - our own interpreter
                [*command, "wsgi:app"],
                cwd=PROJECT_ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if self.gunicorn.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet, or a worker still loading the app
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        version = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True
        ).stdout.strip()
        described = f"{workers} {worker_class} workers"
        if worker_class == "gthread":
            described += f" × {threads} threads"
        self.server_text = f"{version or 'gunicorn'}, {described}"
        return self.base

    def cpu_seconds(self) -> float:
        """User and system CPU of gunicorn's master and its workers now."""
        assert self.gunicorn is not None
        total = 0.0
        for pid in [self.gunicorn.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def worker_pids(self) -> list[int]:
        assert self.gunicorn is not None
        children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop_server(self) -> None:
        if self.gunicorn is not None and self.gunicorn.poll() is None:
            self.gunicorn.terminate()
            try:
                self.gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.gunicorn.kill()
                self.gunicorn.wait()
        self.gunicorn = None

    def server_log(self) -> Counter[str]:
        """What the app and gunicorn logged: failed requests, outages, worker deaths."""
        found: Counter[str] = Counter()
        if not self.log.exists():
            return found
        for line in self.log.read_text(errors="replace").splitlines():
            if re.search(r"request \S+ failed:", line):
                found["failed requests (500)"] += 1
            elif "database unavailable" in line:
                why = re.search(r"database unavailable \((\w+)\) for (\w+) (\S+)", line)
                if why:
                    error, method, path = why.groups()
                    found[f"503 {error} on {kind_of(method, path)}"] += 1
                else:
                    found["503"] += 1
            elif "WORKER TIMEOUT" in line:
                found["worker timeouts"] += 1
            elif re.search(r"Worker \(pid:\d+\) was sent SIGKILL", line):
                found["workers killed"] += 1
            elif "Booting worker" in line:
                found["workers booted"] += 1
        return found


def seed(stack: Stack, tablets: int, citizens_each: int, team: str = "Team Load") -> list[Account]:
    """One consultant per tablet with a generated password and PIN, and their citizens, all
    enrolled a week ago (point 1 is due), through the app's services."""
    assert stack.app is not None
    found = []
    enrolled = today() - timedelta(days=7)
    with stack.app.app_context(), Session(stack.engine, expire_on_commit=False) as db:
        created = create_team(db, TeamSettings(name=team))
        assert created.id is not None
        for number in range(1, tablets + 1):
            user, password = accounts.create_user(
                db,
                username=f"load.{number:03d}",
                full_name=f"Konsulent {number}",
                role=Role.CONSULTANT,
                team_ids=[created.id],
            )
            pin = _pin()
            user.kiosk_pin_hash = hash_password(pin)  # as accounts.set_kiosk_pin stores it
            db.add(user)
            ids = []
            for index in range(1, citizens_each + 1):
                citizen = Citizen(
                    reference=f"LOAD-{number:03d}-{index:03d}",
                    enrolled_on=enrolled,
                    team_id=created.id,
                    consultant_id=user.id,
                )
                citizens.write_enrolment(db, citizen, recorded_by_id=None, audited=False)
                assert citizen.id is not None
                ids.append(citizen.id)
            address = f"10.20.{number // 250}.{number % 250 + 1}"
            found.append(Account(user.username, password, pin, address, ids))
        db.commit()
    return found


def _pin() -> str:
    while True:
        pin = f"{secrets.randbelow(10**6):06d}"
        if not pin_problems(pin):
            return pin


# --- the app's words the client reads -------------------------------------------------------


@dataclass(frozen=True)
class Words:
    submitted: str
    already: str
    calm: str  # the first sentence of the 503 page


def words(app: Flask) -> Words:
    """The Danish texts, from the app's own catalogue (the pages are in Danish)."""
    with app.test_request_context(), force_locale("da"):
        calm = gettext(
            "We cannot reach the database right now. What you have saved is saved — try again "
            "in a moment."
        )
        return Words(
            submitted=gettext("The form is submitted."),
            already=gettext("The form was already submitted; it is kept as it was submitted."),
            calm=str(escape(calm.split(".")[0])),
        )


# --- reading pages as a browser does ----------------------------------------------------------


@dataclass
class Input:
    name: str
    type: str
    value: str
    checked: bool = False
    low: int | None = None
    high: int | None = None


@dataclass
class Block:
    """One question: its inputs and the condition that shows it (data-show-when)."""

    when: str | None
    values: tuple[str, ...]
    inputs: list[Input] = field(default_factory=list)

    def shown(self, pairs: Sequence[tuple[str, str]]) -> bool:
        if self.when is None:
            return True
        return any(name == self.when and value in self.values for name, value in pairs)


@dataclass
class Form:
    action: str
    attrs: dict[str, str]
    inputs: list[Input] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def hidden(self) -> list[tuple[str, str]]:
        return [(i.name, i.value) for i in self.inputs if i.type == "hidden" and i.name]

    def has(self, name: str) -> bool:
        return any(i.name == name for i in self.inputs)


class Doc(HTMLParser):
    """The parts of a page the simulated users act on: forms (with their question blocks),
    links, flashed messages and an error page's detail."""

    def __init__(self, path: str, status: int, body: str):
        super().__init__(convert_charrefs=True)
        self.path, self.status, self.body = path, status, body
        self.forms: list[Form] = []
        self.links: set[str] = set()
        self.flashes: list[str] = []
        self.detail = ""
        self._form: Form | None = None
        self._block: Block | None = None
        self._divs = 0
        self._block_depth = 0
        self._flash_depth = 0
        self._text: list[str] | None = None
        self._text_kind = ""
        self.feed(body)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "div":
            self._divs += 1
            if "question-block" in classes and self._form is not None:
                when = a.get("data-show-when") or None
                values = tuple(a.get("data-show-values", "").split(","))
                self._block = Block(when, values)
                self._form.blocks.append(self._block)
                self._block_depth = self._divs
            if "flashes" in classes:
                self._flash_depth = self._divs
        elif tag == "form":
            self._form = Form(a.get("action", self.path) or self.path, a)
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            found = Input(
                a.get("name", ""),
                a.get("type", "text"),
                a.get("value", ""),
                "checked" in a,
                int(a["min"]) if a.get("min", "").lstrip("-").isdigit() else None,
                int(a["max"]) if a.get("max", "").lstrip("-").isdigit() else None,
            )
            self._form.inputs.append(found)
            if self._block is not None:
                self._block.inputs.append(found)
        elif tag == "a" and a.get("href"):
            self.links.add(a["href"])
        elif tag == "p" and (
            (self._flash_depth and "flash" in classes) or "error-detail" in classes
        ):
            self._text, self._text_kind = [], "flash" if self._flash_depth else "detail"

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            if self._block is not None and self._divs == self._block_depth:
                self._block = None
            if self._divs == self._flash_depth:
                self._flash_depth = 0
            self._divs -= 1
        elif tag == "form":
            self._form = None
        elif tag == "p" and self._text is not None:
            said = " ".join("".join(self._text).split())
            if self._text_kind == "flash":
                self.flashes.append(said)
            else:
                self.detail = said
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def form(self, *, action: str | None = None, has: str | None = None) -> Form | None:
        for found in self.forms:
            if action is not None and found.action != action:
                continue
            if has is not None and not (found.has(has) or found.attrs.get("id") == has):
                continue
            return found
        return None


# --- recording -----------------------------------------------------------------------------


KINDS = [
    ("GET", r"/login", "login.view"),
    ("POST", r"/login", "login.post"),
    ("GET", r"/", "home"),
    ("GET", r"/citizens/\d+", "citizen"),
    ("GET", r"/citizens/\d+/points/\d+/\w+", "start.view"),
    ("POST", r"/citizens/\d+/points/\d+/\w+", "start.post"),
    ("GET", r"/responses/\d+/page/\d+", "page.view"),
    ("POST", r"/responses/\d+/page/\d+", "page.post"),
    ("POST", r"/responses/\d+/autosave", "autosave"),
    ("GET", r"/responses/\d+/review", "review"),
    ("POST", r"/responses/\d+/submit", "submit"),
    ("GET", r"/responses/\d+", "response"),
    ("GET", r"/kiosk", "kiosk.index"),
    ("GET", r"/kiosk/page/\d+", "kiosk.page.view"),
    ("POST", r"/kiosk/page/\d+", "kiosk.page.post"),
    ("POST", r"/kiosk/autosave", "kiosk.autosave"),
    ("GET", r"/kiosk/summary", "kiosk.summary"),
    ("POST", r"/kiosk/submit", "kiosk.submit"),
    ("GET", r"/kiosk/thanks", "kiosk.thanks"),
    ("POST", r"/kiosk/lock", "kiosk.lock"),
    ("GET", r"/kiosk/locked", "kiosk.locked"),
    ("POST", r"/kiosk/unlock", "kiosk.unlock"),
]


def kind_of(method: str, path: str) -> str:
    bare = path.split("?", 1)[0]
    for wanted, pattern, kind in KINDS:
        if method == wanted and re.fullmatch(pattern, bare):
            return kind
    return f"{method} other"


@dataclass(frozen=True)
class Record:
    at: float  # seconds since the run began
    kind: str
    status: int  # 0: no reply (connection refused or cut)
    ms: float
    outcome: str  # "ok", "refused" (a deliberate refusal) or "error"
    calm: bool  # the body is the app's 503 page
    bare: bool  # a 5xx that is not the calm page
    detail: str = ""


@dataclass
class Ack:
    """A submission the server acknowledged, and every answer the client sent for it."""

    response_id: int
    citizen_id: int
    form_id: str
    answers: dict[str, list[str]]
    told: str  # "submitted" or "already" (a retry after a lost reply)


class Run:
    """What every tablet of one run shares: the server, the words, the clock, the records."""

    def __init__(
        self, base: str, said: Words, seconds: float, think: float, seed: int, grace: float
    ):
        self.base, self.words, self.think = base, said, think
        self.started = time.monotonic()
        self.deadline = self.started + seconds  # no form is started after it
        self.last = self.deadline + grace  # a form still in hand then is left as it is
        self.finished_at = self.deadline
        self.records: list[Record] = []
        self.acks: dict[int, Ack] = {}
        self.told_twice: list[int] = []  # responses two devices were both told "indsendt"
        self.refusals: Counter[str] = Counter()
        self.abandoned: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.hard_stop = threading.Event()

    def record(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)

    def refused(self, what: str) -> None:
        with self.lock:
            self.refusals[what] += 1

    def acknowledge(self, ack: Ack) -> None:
        with self.lock:
            self.acks.setdefault(ack.response_id, ack)


# --- one simulated browser ------------------------------------------------------------------


class Stop(Exception):
    """The run's time is up."""


class Abandon(Exception):
    """The user gives up on this form (a page they did not expect): a new browser, a new login."""


RETRY_STATUSES = {0, 502, 503, 504}


class Browser:
    def __init__(self, run: Run, address: str, rng: random.Random, retry_for: float):
        self.run, self.rng, self.retry_for = run, rng, retry_for
        self.http = requests.Session()
        self.http.headers.update(
            {
                "X-Forwarded-For": address,
                "X-Forwarded-Proto": "https",
                "Accept-Language": "da",
                "User-Agent": "survey-load/1 (benchmarks/load.py)",
            }
        )
        self.document = ""  # the page the next form post or fetch comes from
        self.policy = ""  # that page's Referrer-Policy

    def clone(self) -> Browser:
        """The same login on a second device (a double tap, two devices at once)."""
        other = Browser(self.run, self.http.headers["X-Forwarded-For"], self.rng, self.retry_for)
        other.http.cookies.update(self.http.cookies.copy())
        other.document, other.policy = self.document, self.policy
        return other

    @property
    def origin(self) -> str:
        return "https://" + self.run.base.split("://", 1)[1]

    def _referer(self) -> str | None:
        """What a browser sends to its own site under the page's Referrer-Policy."""
        if not self.document:
            return None
        policy = self.policy.split(",")[-1].strip().lower()
        if policy == "no-referrer":
            return None
        if policy in ("origin", "strict-origin"):
            return self.origin + "/"
        return self.origin + self.document

    def send(
        self,
        method: str,
        path: str,
        data: Sequence[tuple[str, str]] | None = None,
        *,
        headers: dict[str, str] | None = None,
        ok: Iterable[int] = (200, 302, 303),
        refused: Iterable[int] = (),
    ) -> requests.Response:
        """One request, recorded; a 503 or no reply is tried again as a user (or form.js)
        would, for up to `retry_for` seconds."""
        ok, refused = set(ok), set(refused)
        sent = {**(headers or {})}
        if method == "POST":
            sent["Origin"] = self.origin
            referer = self._referer()
            if referer:
                sent["Referer"] = referer
        first = time.monotonic()
        pause = 0.5
        while True:
            if self.run.hard_stop.is_set():
                raise Stop
            began = time.monotonic()
            reply: requests.Response | None = None
            try:
                reply = self.http.request(
                    method,
                    self.run.base + path,
                    data=data,
                    headers=sent,
                    allow_redirects=False,
                    timeout=(10, 120),
                )
                status = reply.status_code
                _behind_tls(self.http.cookies)
            except requests.RequestException:
                status = 0
            ms = (time.monotonic() - began) * 1000
            body = reply.text if reply is not None else ""
            calm = status == 503 and self.run.words.calm in body
            bare = status >= 500 and not calm
            if status in ok:
                outcome = "ok"
            elif status in refused:
                outcome = "refused"
            else:
                outcome = "error"
            detail = ""
            if (
                outcome == "error"
                and 400 <= status < 500
                and "text/html"
                in (reply.headers.get("Content-Type", "") if reply is not None else "")
            ):
                detail = Doc(path, status, body).detail[:120]
            self.run.record(
                Record(
                    began - self.run.started,
                    kind_of(method, path),
                    status,
                    ms,
                    outcome,
                    calm,
                    bare,
                    detail,
                )
            )
            if status not in RETRY_STATUSES or time.monotonic() - first > self.retry_for:
                break
            time.sleep(pause)
            pause = min(pause * 2, 4.0)
        if reply is None or outcome == "error":
            raise Abandon(f"{kind_of(method, path)} {status}")
        return reply

    def go(
        self,
        method: str,
        path: str,
        data: Sequence[tuple[str, str]] | None = None,
        **options: Any,
    ) -> Doc:
        """A navigation: the request, then each redirect as the browser follows it."""
        reply = self.send(method, path, data, **options)
        while reply.status_code in (301, 302, 303):
            path = _local(reply.headers["Location"])
            reply = self.send("GET", path)
        return self._read(path, reply)

    def _read(self, path: str, reply: requests.Response) -> Doc:
        self.document = path
        self.policy = reply.headers.get("Referrer-Policy", "")
        return Doc(path, reply.status_code, reply.text)

    def fetch_page(self, form: Form, pairs: list[tuple[str, str]]) -> Doc:
        """A page posted by form.js: the redirect comes back as JSON and the script goes there."""
        reply = self.send(
            "POST", form.action, [*pairs, ("action", "next")], headers={"X-Survey-Fetch": "1"}
        )
        if not reply.headers.get("Content-Type", "").startswith("application/json"):
            raise Abandon("page post without a JSON redirect")
        return self.go("GET", _local(reply.json()["location"]))

    def autosave(
        self, form: Form, pairs: list[tuple[str, str]], *, late: bool = False
    ) -> requests.Response:
        """form.js's save of the page's answers after a tap (the form's data, no action)."""
        token = dict(form.hidden()).get("csrf_token", "")
        reply = self.send(
            "POST",
            form.attrs["data-autosave-url"],
            pairs,
            headers={"X-CSRFToken": token},
            ok=() if late else (200,),
            refused=(409,) if late else (),
        )
        if not late and not reply.json().get("saved"):
            raise Abandon("autosave not saved")
        return reply

    def think(self) -> None:
        if self.run.think:
            time.sleep(self.rng.uniform(0, 2 * self.run.think))
        if time.monotonic() > self.run.last:
            raise Stop


def _behind_tls(jar: requests.cookies.RequestsCookieJar) -> None:
    """The client stands in for the TLS proxy too: the app's Secure cookies are sent over the
    plain connection to 127.0.0.1, as nginx would after ending TLS."""
    for cookie in jar:
        cookie.secure = False


def _local(location: str) -> str:
    """A Location as the path the browser goes to (the app sends paths or its own URLs)."""
    return re.sub(r"^https?://[^/]+", "", location) or "/"


# --- one simulated user ---------------------------------------------------------------------


class Tablet:
    """A consultant with a tablet: logs in, then per citizen the citizen form on the tablet and
    the staff form (or the other way round), until the time is up. A form that goes somewhere
    unexpected is given up: a new browser logs in again and goes on with the next."""

    def __init__(self, run: Run, account: Account, number: int, *, retry_for: float = 60.0):
        self.run, self.account, self.number = run, account, number
        self.rng = random.Random(run.rng.random() + number)
        self.retry_for = retry_for
        self.browser = Browser(run, account.address, self.rng, retry_for)

    def __call__(self) -> None:
        try:
            self.log_in()
            flows = [self.tablet_form, self.consultant_form]
            if self.number % 2:  # half the tablets begin with the consultant's own form
                flows.reverse()
            for citizen in self.account.citizens:
                for flow in flows:
                    if time.monotonic() > self.run.deadline:
                        return
                    try:
                        flow(citizen)
                    except Abandon as exc:  # fixed words and a status: nothing of the user's
                        with self.run.lock:
                            self.run.abandoned[str(exc)] += 1
                        self.browser = Browser(
                            self.run, self.account.address, self.rng, self.retry_for
                        )
                        self.log_in()
            with self.run.lock:
                self.run.abandoned["caseload done (seed more citizens)"] += 1
        except Stop:
            with self.run.lock:
                self.run.abandoned["still in hand when the time was up"] += 1
        except Abandon:
            return
        finally:
            with self.run.lock:
                self.run.finished_at = max(self.run.finished_at, time.monotonic())

    def log_in(self) -> None:
        while True:
            try:
                page = self.browser.go("GET", "/login")
                form = page.form(has="username")
                if form is None:
                    raise Abandon("login.view without a form")
                data = [
                    *[(n, v) for n, v in form.hidden()],
                    ("username", self.account.username),
                    ("password", self.account.password),
                ]
                home = self.browser.go("POST", form.action, data)
                if home.path != "/":
                    raise Abandon("login.post not home")
                return
            except Abandon:
                if time.monotonic() > self.run.last:
                    raise Stop from None
                self.browser = Browser(self.run, self.account.address, self.rng, self.retry_for)
                time.sleep(1)

    def _start(self, citizen: int, form_id: str, how: str) -> Doc:
        """The citizen's page, the form's start page, and Start."""
        page = self.browser.go("GET", f"/citizens/{citizen}")
        link = f"/citizens/{citizen}/points/{POINT}/{form_id}"
        if link not in page.links:
            raise Abandon("citizen page without the form")
        self.browser.think()
        start = self.browser.go("GET", link)
        form = start.form(has="how")
        if form is None:
            raise Abandon("start.view without a form")  # a draft left by an abandoned try
        data = [(i.name, i.value) for i in form.inputs if i.type in ("hidden", "date")]
        self.browser.think()
        return self.browser.go("POST", link, [*data, ("how", how)])

    def _fill(
        self, page: Doc, last: str
    ) -> tuple[dict[str, list[str]], Form, list[tuple[str, str]], Doc]:
        """Answer every question shown, page by page, each tap saved, until `last`."""
        answers: dict[str, list[str]] = {}
        while True:
            form = page.form(has="questionnaire")
            if form is None:
                raise Abandon("page without the questionnaire")
            pairs = form.hidden()
            for block in form.blocks:
                if not block.shown(pairs):
                    continue
                chosen = self._choose(block)
                if not chosen:
                    continue
                self.browser.think()
                pairs = [*pairs, *chosen]
                answers[chosen[0][0].replace("__", ".")] = sorted(v for _, v in chosen)
                self.browser.autosave(form, pairs)
            self.browser.think()
            page = self.browser.fetch_page(form, pairs)
            if page.path == last:
                return answers, form, pairs, page
            if not re.fullmatch(r"/(responses/\d+|kiosk)/page/\d+", page.path):
                raise Abandon(f"page.post landed elsewhere {page.status}")

    def _choose(self, block: Block) -> list[tuple[str, str]]:
        radios = [i for i in block.inputs if i.type == "radio"]
        boxes = [i for i in block.inputs if i.type == "checkbox"]
        numbers = [i for i in block.inputs if i.type == "number"]
        if radios:
            picked = self.rng.choice(radios)
            return [(picked.name, picked.value)]
        if boxes:
            picked_boxes = self.rng.sample(boxes, k=self.rng.randint(1, min(3, len(boxes))))
            return [(box.name, box.value) for box in picked_boxes]
        if numbers:
            number = numbers[0]
            return [(number.name, str(self.rng.randint(number.low or 0, number.high or 9)))]
        texts = [i for i in block.inputs if i.type == "text"]
        return [(texts[0].name, f"tekst {self.rng.randint(1, 999)}")] if texts else []

    def tablet_form(self, citizen: int) -> None:
        page = self._start(citizen, "citizen", "self")  # the hand-over: /kiosk → the page
        if not page.path.startswith("/kiosk/page/"):
            raise Abandon(f"start.post not on the tablet {page.status}")
        form = page.form(has="questionnaire")
        assert form is not None
        response_id = int(form.attrs["data-draft"])
        answers, last_form, pairs, summary = self._fill(page, "/kiosk/summary")
        send = self._form_on(summary, "/kiosk/submit")
        self.browser.think()
        landed = self._post_maybe_twice(send)
        if all(doc.path == "/kiosk/thanks" for doc in landed):
            self.run.acknowledge(Ack(response_id, citizen, "citizen", answers, "submitted"))
        else:
            raise Abandon("kiosk.submit not thanked")
        if self.rng.random() < 0.1:  # a tap's save that arrives after sending
            self.browser.autosave(last_form, pairs, late=True)
            self.run.refused("tablet autosave after sending (409)")
        thanks = landed[0]
        lock = thanks.form(action="/kiosk/lock")
        if lock is None:
            raise Abandon("thanks without lock")
        self.browser.think()
        locked = self.browser.go("POST", lock.action, lock.hidden())
        unlock = locked.form(action="/kiosk/unlock")
        if unlock is None:
            raise Abandon("kiosk.lock not locked")
        self.browser.think()
        back = self.browser.go(
            "POST", unlock.action, [*unlock.hidden(), ("secret", self.account.pin)]
        )
        if back.path != f"/responses/{response_id}":
            raise Abandon("kiosk.unlock not the consultant's")

    def consultant_form(self, citizen: int) -> None:
        page = self._start(citizen, "staff", "staff")
        found = re.fullmatch(r"/responses/(\d+)/page/1", page.path)
        if not found:
            raise Abandon(f"start.post not the form {page.status}")
        response_id = int(found.group(1))
        review = f"/responses/{response_id}/review"
        answers, last_form, pairs, reviewed = self._fill(page, review)
        send = self._form_on(reviewed, f"/responses/{response_id}/submit")
        self.browser.think()
        landed = self._post_maybe_twice(send)
        told = []
        for doc in landed:
            if self.run.words.submitted in doc.flashes:
                told.append("submitted")
            elif self.run.words.already in doc.flashes:
                told.append("already")
        if not told:
            raise Abandon("submit not acknowledged")
        if told.count("submitted") > 1:
            with self.run.lock:
                self.run.told_twice.append(response_id)
        if len(landed) > 1 and "already" in told:
            self.run.refused('second device told "allerede indsendt"')
        verdict = "submitted" if "submitted" in told else "already"
        self.run.acknowledge(Ack(response_id, citizen, "staff", answers, verdict))
        if self.rng.random() < 0.1:  # an autosave still on its way when the form was submitted
            self.browser.autosave(last_form, pairs, late=True)
            self.run.refused("autosave after submitting (409)")

    @staticmethod
    def _form_on(page: Doc, action: str) -> Form:
        form = page.form(action=action)
        if form is None:
            raise Abandon(f"no {action} on {kind_of('GET', page.path)}")
        return form

    def _post_maybe_twice(self, form: Form) -> list[Doc]:
        """Post the form; one time in ten a second device (or a double tap) posts it at the
        same moment. Each device follows its own redirect."""
        if self.rng.random() >= 0.1:
            return [self.browser.go("POST", form.action, form.hidden())]
        other = self.browser.clone()
        results: list[Doc | BaseException] = [RuntimeError(), RuntimeError()]

        def post(index: int, browser: Browser) -> None:
            try:
                results[index] = browser.go("POST", form.action, form.hidden())
            except (Abandon, Stop) as exc:
                results[index] = exc

        threads = [
            threading.Thread(target=post, args=(0, self.browser)),
            threading.Thread(target=post, args=(1, other)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        docs = [r for r in results if isinstance(r, Doc)]
        if not docs:
            raise Abandon("double post without a reply")
        return docs


# --- what was stored -------------------------------------------------------------------------


@dataclass
class Stored:
    """The database against the acknowledgements."""

    acknowledged: int = 0
    submitted: int = 0
    compared: int = 0  # answer values compared
    lost: Counter[str] = field(default_factory=Counter)
    doubled: Counter[str] = field(default_factory=Counter)
    unacknowledged: int = 0  # submitted, but no client was told (a reply lost in a fault)
    incomplete: int = 0  # submitted with a required answer missing: half-written

    @property
    def lost_total(self) -> int:
        return sum(self.lost.values())

    @property
    def doubled_total(self) -> int:
        return sum(self.doubled.values())


def check_stored(stack: Stack, acks: dict[int, Ack], told_twice: Sequence[int]) -> Stored:
    assert stack.app is not None
    registry = stack.app.extensions[INSTRUMENTS]
    found = Stored(acknowledged=len(acks))
    with stack.app.app_context(), Session(stack.engine) as db:
        rows = db.execute(
            text(
                "SELECT r.id, r.citizen_id, r.point, r.form_id, r.form_version, c.reference "
                "FROM response r JOIN citizen c ON c.id = r.citizen_id WHERE r.status = 'submitted'"
            )
        ).all()
        ours = [row for row in rows if row.reference.startswith("LOAD-")]
        found.submitted = len(ours)
        by_id = {row.id: row for row in ours}
        stored = texts_of(db, [row.id for row in ours])
        for ack in acks.values():
            row = by_id.get(ack.response_id)
            if row is None:
                found.lost["not submitted in the database"] += 1
                continue
            if (row.citizen_id, row.point, row.form_id) != (ack.citizen_id, POINT, ack.form_id):
                found.lost["another citizen, point or form"] += 1
                continue
            texts = {code: sorted(values) for code, values in stored.get(row.id, {}).items()}
            found.compared += sum(len(values) for values in ack.answers.values())
            if texts != ack.answers:
                found.lost["answers differ from those sent"] += 1
        found.unacknowledged = len(set(by_id) - set(acks))
        keys = Counter((row.citizen_id, row.point, row.form_id) for row in ours)
        found.doubled["two submitted responses for one citizen, point and form"] = sum(
            1 for n in keys.values() if n > 1
        )
        audits = db.execute(
            text(
                "SELECT response_id, count(*) FROM audit_event WHERE action = 'response.submit' "
                "GROUP BY response_id HAVING count(*) > 1"
            )
        ).all()
        found.doubled["two submit audit entries for one response"] = len(audits)
        found.doubled['two devices both told "indsendt"'] = len(set(told_twice))
        for row in ours:
            definition = registry.get(row.form_id, row.form_version)
            answers = decode(definition, stored.get(row.id, {}), row.id)
            if missing_required(definition, answers, row.point):
                found.incomplete += 1
    return found


# --- the report -------------------------------------------------------------------------------


def percentile(sorted_ms: Sequence[float], share: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(share * len(sorted_ms)))]


def print_requests(records: Sequence[Record], seconds: float) -> None:
    outcomes = Counter(r.outcome for r in records)
    print(
        f"  requests: {len(records):,} in {seconds:.0f} s ({len(records) / seconds:,.0f}/s): "
        f"{outcomes['ok']:,} ok, {outcomes['refused']:,} deliberate refusals, "
        f"{outcomes['error']:,} errors"
    )
    statuses = Counter(r.status for r in records)
    print(
        "  statuses: " + ", ".join(f"{s or 'no reply'}: {n:,}" for s, n in sorted(statuses.items()))
    )
    errors = Counter((r.status, r.kind) for r in records if r.outcome == "error")
    if errors:
        print("  errors by status:")
        by_status: dict[int, list[str]] = defaultdict(list)
        for (status, kind), n in sorted(errors.items()):
            by_status[status].append(f"{kind} {n}")
        for status, kinds in by_status.items():
            print(f"    {status or 'no reply'}: {', '.join(kinds)}")
        details = Counter(r.detail for r in records if r.outcome == "error" and r.detail)
        for detail, n in details.most_common(5):
            print(f"      {n} × “{detail}”")
    else:
        print("  errors by status: none")
    calm = sum(1 for r in records if r.calm)
    bare = sum(1 for r in records if r.bare)
    print(f"  5xx: {calm:,} the calm 503 page, {bare:,} anything else")


def print_latencies(records: Sequence[Record]) -> None:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.status:
            by_kind[r.kind].append(r.ms)
    print(
        f"  {'request kind':<18} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    order = [kind for _m, _p, kind in KINDS]
    for kind in sorted(by_kind, key=lambda k: order.index(k) if k in order else len(order)):
        times = sorted(by_kind[kind])
        print(
            f"  {kind:<18} {len(times):>7,} {percentile(times, 0.5):>8.0f} "
            f"{percentile(times, 0.95):>8.0f} {percentile(times, 0.99):>8.0f} {times[-1]:>8.0f}"
        )


def print_stored(run: Run, stored: Stored) -> None:
    forms = Counter(ack.form_id for ack in run.acks.values())
    print(
        f"  acknowledged submissions: {stored.acknowledged:,} (tablet {forms['citizen']:,}, "
        f"consultant {forms['staff']:,}); submitted in the database: {stored.submitted:,}; "
        f"{stored.compared:,} answer values compared"
    )
    print(
        f"  lost: {stored.lost_total}"
        + "".join(f"; {why}: {n}" for why, n in stored.lost.items() if n)
    )
    print(
        f"  doubled: {stored.doubled_total}"
        + "".join(f"; {why}: {n}" for why, n in stored.doubled.items() if n)
    )
    print(
        f"  half-written (submitted with a required answer missing): {stored.incomplete}; "
        f"submitted but never acknowledged: {stored.unacknowledged}"
    )
    if run.refusals:
        print(
            "  deliberate refusals: "
            + "; ".join(f"{what}: {n}" for what, n in sorted(run.refusals.items()))
        )
    if run.abandoned:
        print(
            "  forms given up by the simulated users: "
            + "; ".join(f"{what}: {n}" for what, n in sorted(run.abandoned.items()))
        )


def drive(run: Run, accounts_: Sequence[Account], *, retry_for: float = 60.0) -> None:
    """Every tablet in its own thread until the time is up (a form in progress is left)."""
    threads = [
        threading.Thread(
            target=Tablet(run, account, number, retry_for=retry_for),
            name=account.username,
            daemon=True,
        )
        for number, account in enumerate(accounts_)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, run.last - time.monotonic() + 60))
    run.hard_stop.set()
    for thread in threads:
        thread.join(timeout=30)


def benchmark(kind: str, args: argparse.Namespace) -> bool:
    """One database: build, seed, serve, drive, check, print. True when nothing failed."""
    workdir = Path(tempfile.mkdtemp(prefix=f"survey-load-{kind}-"))
    try:
        with Stack(kind, workdir) as stack:
            started = time.perf_counter()
            citizens_each = args.citizens or max(4, int(args.seconds) // 5 + 2)
            accounts_ = seed(stack, args.tablets, citizens_each)
            seeded = time.perf_counter() - started
            stack.serve(args.workers, args.worker_class, args.threads)
            assert stack.app is not None
            print(
                f"\n== {stack.version()}; {stack.server_text}; sign-in counts in "
                f"{'Redis' if stack.redis else 'each worker'}",
                flush=True,
            )
            print(
                f"  {args.tablets} tablets × {args.seconds:.0f} s, think 0–{2 * args.think:.1f} s "
                f"between taps; seeded {args.tablets} consultants and "
                f"{args.tablets * citizens_each:,} citizens in {seeded:.0f} s",
                flush=True,
            )
            run = Run(stack.base, words(stack.app), args.seconds, args.think, args.seed, args.grace)
            client_before, server_before = time.process_time(), stack.cpu_seconds()
            drive(run, accounts_)
            elapsed = time.monotonic() - run.started
            client_cpu = time.process_time() - client_before
            server_cpu = stack.cpu_seconds() - server_before
            print(
                f"  forms started for {args.seconds:.0f} s; those in hand then were finished "
                f"{run.finished_at - run.deadline:.0f} s later",
                flush=True,
            )
            stack.stop_server()
            stored = check_stored(stack, run.acks, run.told_twice)
            print(
                f"  CPU: gunicorn {server_cpu:.0f} s, the simulated tablets {client_cpu:.0f} s, "
                f"in {elapsed:.0f} s on {os.cpu_count()} CPUs (load average "
                f"{os.getloadavg()[0]:.1f} at the end)"
            )
            print_requests(run.records, elapsed)
            print_latencies(run.records)
            print_stored(run, stored)
            logged = stack.server_log()
            print(
                "  server log: "
                + (", ".join(f"{what} {n}" for what, n in sorted(logged.items())) or "nothing")
            )
            errors = sum(1 for r in run.records if r.outcome == "error")
            return not (errors or stored.lost_total or stored.doubled_total or stored.incomplete)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def machine() -> str:
    load = os.getloadavg()
    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs, load average {load[0]:.1f} at start "
        f"({platform.platform()})"
    )


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    found.add_argument("--tablets", type=int, default=50)
    found.add_argument("--seconds", type=float, default=60)
    found.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    found.add_argument("--workers", type=int, default=5)
    found.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    found.add_argument("--threads", type=int, default=4, help="per worker, with gthread")
    found.add_argument(
        "--think", type=float, default=0.5, help="mean seconds between a user's taps"
    )
    found.add_argument("--citizens", type=int, default=0, help="per tablet (default: enough)")
    found.add_argument(
        "--grace", type=float, default=300, help="seconds to finish the forms in hand"
    )
    found.add_argument("--seed", type=int, default=7)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    # A kill should still stop gunicorn, Redis and PostgreSQL and remove the temporary files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(machine(), flush=True)
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results = [benchmark(kind, args) for kind in kinds]
    if not all(results):
        print("\nFAILED: errors, lost, doubled or half-written submissions (see above)")
        sys.exit(1)
    print("\nOK: no errors, nothing lost, nothing doubled")


if __name__ == "__main__":
    main()
