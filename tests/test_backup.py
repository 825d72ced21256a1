"""survey backup and survey restore: a round trip while the app writes, on SQLite and
PostgreSQL, and every refusal as a message and an exit code, never a traceback."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlmodel import Session

from survey.backup import services
from survey.cli import cli
from survey.db import get_engine
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    Mode,
    Response,
    ResponseStatus,
    Team,
    User,
)

ITEMS = 12  # answers per response the writer stores


@pytest.fixture
def second_database_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path):
    """An empty database of the same kind as `database_url`, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(app) -> int:
    """A team, a consultant and a citizen; the citizen's id."""
    with Session(get_engine(app)) as db:
        team = Team(name="Team Backup")
        db.add(team)
        db.flush()
        user = User(username="bo", full_name="Bo", password_hash="!")
        citizen = Citizen(reference="B-0001", team_id=team.id, enrolled_on=date(2026, 1, 5))
        db.add_all([user, citizen])
        db.commit()
        assert citizen.id is not None
        return citizen.id


class Writer(threading.Thread):
    """The app at work: submitted responses with their answers, one transaction each, as fast
    as the database takes them. `committed` lists the responses whose commit returned."""

    def __init__(self, app, citizen_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = get_engine(app)
        self.citizen_id = citizen_id
        self.committed: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        point = 0
        try:
            while not self.stop.is_set():
                point += 1
                with Session(self.engine) as db:
                    response = Response(
                        citizen_id=self.citizen_id,
                        point=point,
                        form_id="staff",
                        form_version=1,
                        administered_on=date(2026, 2, 1),
                        mode=Mode.STAFF,
                        status=ResponseStatus.SUBMITTED,
                        submitted_at=datetime(2026, 2, 1, tzinfo=UTC),
                    )
                    db.add(response)
                    db.flush()
                    for n in range(ITEMS):  # row by row: a torn copy would miss some
                        db.add(
                            Answer(response_id=response.id, item_code=f"i{n}", value=f"{point}:{n}")
                        )
                        db.flush()
                    db.commit()
                    self.committed.append(response.id)
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.committed) < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer does not get on"
            time.sleep(0.01)


def answer_rows(app, response_ids: set[int] | None = None) -> list[tuple]:
    with Session(get_engine(app)) as db:
        statement = select(Answer.response_id, Answer.item_code, Answer.position, Answer.value)
        rows = [tuple(r) for r in db.execute(statement).all()]
    return sorted(r for r in rows if response_ids is None or r[0] in response_ids)


def checksum(rows: list[tuple]) -> str:
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def counts(app) -> dict[str, int]:
    with Session(get_engine(app)) as db:
        return {
            table: db.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in services.COUNTED
        }


def test_a_backup_taken_while_the_app_writes_restores_one_consistent_moment(
    make_app, database_url: str, second_database_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url)
    citizen_id = seed(app)
    writer = Writer(app, citizen_id)
    writer.start()
    try:
        writer.wait_for(5)
        before = set(writer.committed)
        file = tmp_path / "survey.backup"
        result = app.test_cli_runner().invoke(cli, ["backup", str(file)])
        after = set(writer.committed)
        writer.wait_for(len(after) + 3)  # and the app goes on writing afterwards
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output
    assert file.stat().st_mode & 0o077 == 0  # only its owner may read it
    manifest = services.read_manifest(file)

    fresh = make_app(second_database_url, migrated=False)
    restored = fresh.test_cli_runner().invoke(cli, ["restore", str(file)])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output

    # The restored responses are a moment between the backup's start and its end ...
    with Session(get_engine(fresh)) as db:
        kept = set(db.execute(select(Response.id)).scalars())
    assert before <= kept <= after
    # ... each with every one of its answers, as stored: the answer table's checksum is that of
    # the source's answers for those responses (the writer never changes a stored answer).
    rows = answer_rows(fresh)
    assert len(rows) == ITEMS * len(kept)
    assert checksum(rows) == checksum(answer_rows(app, kept))
    # The manifest counted the same moment; the restore adds its own audit entry.
    now = counts(fresh)
    assert now == {**manifest.counts, "audit_event": manifest.counts["audit_event"] + 1}
    assert now["response"] == len(kept)
    with Session(get_engine(fresh)) as db:
        entry = db.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert entry is not None
    assert entry.action == "backup.restore"
    assert entry.details["revision"] == manifest.revision
    with Session(get_engine(app)) as db:
        actions = db.execute(select(AuditEvent.action)).scalars().all()
    assert actions.count("backup.create") == 1


def backup_of(app, tmp_path: Path, name: str = "survey.backup") -> Path:
    file = tmp_path / name
    result = app.test_cli_runner().invoke(cli, ["backup", str(file)])
    assert result.exit_code == 0, result.output
    return file


def refused(app, *args: str, code: int = 2) -> str:
    result = app.test_cli_runner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return " ".join(result.output.split())


def rewrite(file: Path, out: Path, *, manifest: dict | None = None, payload: bytes | None = None):
    """A copy of a backup with its manifest or its database changed."""
    with tarfile.open(file) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    current = json.loads(members[services.MANIFEST])
    name = next(n for n in members if n != services.MANIFEST)
    if payload is not None:
        members[name] = payload
        current["sha256"] = hashlib.sha256(payload).hexdigest()
    members[services.MANIFEST] = json.dumps({**current, **(manifest or {})}).encode()
    with tarfile.open(out, "w") as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture
def filled(make_app, database_url: str):
    app = make_app(database_url)
    seed(app)
    return app


def test_restore_refuses_a_database_that_holds_data_unless_forced(filled, tmp_path: Path) -> None:
    file = backup_of(filled, tmp_path)
    with Session(get_engine(filled)) as db:
        db.add(Citizen(reference="B-0002", team_id=1, enrolled_on=date(2026, 1, 6)))
        db.commit()
    message = refused(filled, "restore", str(file))
    assert "The database already holds data (citizen: 2, user_account: 1)" in message
    assert "Nothing was restored" in message
    assert "--force" in message
    assert counts(filled)["citizen"] == 2
    forced = filled.test_cli_runner().invoke(cli, ["restore", "--force", str(file)])
    assert forced.exit_code == 0, forced.output
    with Session(get_engine(filled)) as db:
        assert db.execute(select(Citizen.reference)).scalars().all() == ["B-0001"]


def test_restore_refuses_another_schema_revision(filled, tmp_path: Path) -> None:
    file = rewrite(
        backup_of(filled, tmp_path), tmp_path / "old.backup", manifest={"revision": "0001"}
    )
    message = refused(filled, "restore", "--force", str(file))
    assert "The backup has schema revision 0001, but this version of survey has" in message
    assert "Nothing was restored" in message
    assert counts(filled)["citizen"] == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"citizen,point\nB-1,1\n", "is not a survey backup"),
        (b"", "is not a survey backup"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_backup(
    filled, tmp_path: Path, content: bytes, expected: str
) -> None:
    file = tmp_path / "answers.csv"
    file.write_bytes(content)
    assert expected in refused(filled, "restore", "--force", str(file))
    assert counts(filled)["citizen"] == 1


def test_restore_refuses_a_tar_without_a_manifest_and_a_damaged_backup(
    filled, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    assert "is not a survey backup" in refused(filled, "restore", "--force", str(plain))
    good = backup_of(filled, tmp_path)
    cut = tmp_path / "cut.backup"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    message = refused(filled, "restore", "--force", str(cut))
    assert "is damaged" in message or "is not a survey backup" in message
    assert counts(filled)["citizen"] == 1


def test_a_backup_whose_database_is_broken_restores_nothing(filled, tmp_path: Path) -> None:
    """The checksum fits, but the database in it is torn: the old database stays as it was."""
    good = backup_of(filled, tmp_path)
    with tarfile.open(good) as tar:
        name = next(m for m in tar.getnames() if m != services.MANIFEST)
        data = tar.extractfile(name).read()
    torn = rewrite(good, tmp_path / "torn.backup", payload=data[: len(data) // 2])
    with Session(get_engine(filled)) as db:
        db.add(Citizen(reference="B-0002", team_id=1, enrolled_on=date(2026, 1, 6)))
        db.commit()
    message = refused(filled, "restore", "--force", str(torn))
    assert "is damaged" in message or "nothing in the database was changed" in message
    with Session(get_engine(filled)) as db:
        assert db.execute(select(func.count()).select_from(Citizen)).scalar_one() == 2


def test_backup_refuses_to_overwrite_a_file(app, tmp_path: Path) -> None:
    file = tmp_path / "exists.backup"
    file.write_text("the only good backup")
    assert "already exists" in refused(app, "backup", str(file))
    assert file.read_text() == "the only good backup"


def test_restore_refuses_a_backup_of_another_kind_of_database(filled, tmp_path: Path) -> None:
    file = backup_of(filled, tmp_path)
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[services.read_manifest(file).backend]
    changed = rewrite(file, tmp_path / "other.backup", manifest={"backend": other})
    assert f"The backup holds a {other} database" in refused(filled, "restore", str(changed))


def test_a_refusal_reads_in_danish_with_lang_da(app, tmp_path: Path) -> None:
    file = tmp_path / "x.txt"
    file.write_text("x")
    assert "er ikke en sikkerhedskopi" in refused(app, "--lang", "da", "restore", str(file))


def test_the_password_goes_to_the_tools_in_the_environment_only() -> None:
    from sqlalchemy.engine import make_url

    url = make_url("postgresql+psycopg://survey:s3cret@db.example:5433/survey?sslmode=require")
    env = services.libpq_environment(url, base={})
    assert env["PGPASSWORD"] == "s3cret"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.example", "5433", "survey")
    assert env["PGSSLMODE"] == "require"
    assert services._database_name(url) == "survey"


def test_a_tool_error_never_repeats_a_row() -> None:
    stderr = (
        'pg_restore: error: COPY failed for table "answer": ERROR:  invalid input syntax '
        'for type integer: "HEMMELIGT"\nCONTEXT:  COPY answer, line 1: "1\tHEMMELIGT"\n'
    )
    reason = services._first_error(stderr)
    assert "HEMMELIGT" not in reason
    assert reason.startswith('pg_restore: error: COPY failed for table "answer": ERROR:')


def test_a_backup_to_standard_output_restores(filled, tmp_path: Path, make_app) -> None:
    """survey backup - | age ...: the archive on standard output, the summary on stderr."""
    result = filled.test_cli_runner().invoke(cli, ["backup", "-"])
    assert result.exit_code == 0, result.output
    assert "Backed up to standard output" in result.stderr
    file = tmp_path / "piped.backup"
    file.write_bytes(result.stdout_bytes)
    assert services.read_manifest(file).counts["citizen"] == 1
    fresh = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", migrated=False)
    if services.read_manifest(file).backend == "sqlite":
        restored = fresh.test_cli_runner().invoke(cli, ["restore", str(file)])
        assert restored.exit_code == 0, restored.output
        assert counts(fresh)["citizen"] == 1
