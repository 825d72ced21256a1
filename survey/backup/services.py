"""Backing the whole database up to one file and restoring it: SQLite through its online backup
API, PostgreSQL through pg_dump's custom format, both from one consistent snapshot while the app
goes on writing. The file is a tar archive of a manifest (schema revision, row counts, the
database's checksum) and the database; a restore checks all three before it writes anything,
then writes all or nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL

from survey import audit, migrate
from survey.db import check_connection, get_engine, session_scope
from survey.models import utcnow
from survey.refusals import Refusal

FORMAT = "survey-backup"
FORMAT_VERSION = 1
MANIFEST = "survey-backup.json"
PAYLOADS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
COUNTED = ("citizen", "user_account", "response", "answer", "audit_event")
# A database with rows in any of these holds someone's data: a restore replaces it only if told.
HOLDING = ("citizen", "user_account", "response")
# A restore into a PostgreSQL database the app still uses fails (and changes nothing) instead
# of waiting for the app's locks forever.
LOCK_TIMEOUT = "30s"


class BackupError(Refusal):
    """A backup or restore refused, with a code from survey.refusals' catalogue."""


@dataclass(frozen=True)
class Manifest:
    """What a backup file says about itself; counts are of its own snapshot."""

    backend: str
    revision: str
    created_at: str
    counts: dict[str, int]
    sha256: str
    format: str = FORMAT
    version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, file: Path) -> Manifest:
        try:
            raw = json.loads(data)
            manifest = cls(**raw)
        except (ValueError, TypeError) as exc:
            raise BackupError("backup.not_a_backup", file=str(file)) from exc
        if (
            manifest.format != FORMAT
            or manifest.version != FORMAT_VERSION
            or manifest.backend not in PAYLOADS
        ):
            raise BackupError("backup.not_a_backup", file=str(file))
        return manifest


# --- backing up -------------------------------------------------------------------------------


def backup(app: Flask, file: Path) -> Manifest:
    """Write the app's database to `file` (a new file, readable by its owner only) and audit it.
    The app may go on writing meanwhile: the file holds one consistent moment."""
    engine = get_engine(app)
    backend = engine.url.get_backend_name()
    if file.exists():
        raise BackupError("backup.exists", file=str(file))
    check_connection(engine)
    folder = file.resolve().parent
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".survey-backup-") as work:
            payload = Path(work) / PAYLOADS[backend]
            if backend == "sqlite":
                revision, counts = _backup_sqlite(_sqlite_file(engine), payload)
            else:
                revision, counts = _backup_postgresql(engine, payload)
            manifest = Manifest(
                backend=backend,
                revision=revision,
                created_at=utcnow().isoformat(timespec="seconds"),
                counts=counts,
                sha256=_sha256(payload),
            )
            _write_archive(Path(work) / "archive.tar", manifest, payload)
            os.replace(Path(work) / "archive.tar", file)
    except OSError as exc:
        raise BackupError("backup.io", file=str(file), reason=exc.strerror or str(exc)) from exc
    with session_scope(app) as session:
        audit.record(
            "backup.create",
            details={"revision": revision, "counts": counts},
            session=session,
        )
    return manifest


def _backup_sqlite(database: Path, payload: Path) -> tuple[str, dict[str, int]]:
    """One step of the online backup API: a read lock for the copy, so writers wait (they have
    a busy timeout) and the copy is one moment of the database."""
    with (
        closing(sqlite3.connect(database, timeout=30)) as source,
        closing(sqlite3.connect(payload)) as copy,
    ):
        source.backup(copy)
        return _sqlite_revision(copy), _sqlite_counts(copy)


def _sqlite_revision(connection: sqlite3.Connection) -> str:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise BackupError("backup.no_schema")
    return str(row[0])


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {
        table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608  # names from COUNTED
        for table in COUNTED
        if table in tables
    }


def _backup_postgresql(engine: Engine, payload: Path) -> tuple[str, dict[str, int]]:
    """pg_dump from a snapshot this transaction exports, so the revision and counts in the
    manifest are those of the dump itself."""
    pg_dump = _tool("pg_dump")
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = _revision(connection)
            counts = _counts(connection)
            _run(
                "pg_dump",
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={payload}",
                    f"--dbname={_database_name(engine.url)}",
                ],
                engine.url,
                code="backup.tool_failed",
            )
    return revision, counts


def _write_archive(archive: Path, manifest: Manifest, payload: Path) -> None:
    descriptor = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
        data = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, int(utcnow().timestamp())
        tar.addfile(info, io.BytesIO(data))
        tar.add(payload, arcname=payload.name, filter=_private)


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Extracted by hand (tar xf), the database is readable by its owner only."""
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


# --- restoring --------------------------------------------------------------------------------


def read_manifest(file: Path) -> Manifest:
    """The manifest of a backup file; BackupError if the file is not one."""
    with _archive(file) as tar:
        return _manifest_of(tar, file)


def restore(app: Flask, file: Path, *, force: bool = False) -> Manifest:
    """Replace the app's database with the backup in `file`, all or nothing, and audit it.
    Refused (nothing written) for a file that is not a whole backup, a backup of another
    database kind or schema revision, and a database holding data unless `force`."""
    engine = get_engine(app)
    backend = engine.url.get_backend_name()
    target = _sqlite_file(engine) if backend == "sqlite" else None
    folder = target.parent if target else None
    manifest = read_manifest(file)
    if manifest.backend != backend:
        raise BackupError("backup.backend", found=manifest.backend, expected=backend)
    expected = migrate.head_revision(app)
    if manifest.revision != expected:
        raise BackupError("backup.revision", found=manifest.revision, expected=expected)
    held = holdings(engine)
    if held and not force:
        raise BackupError(
            "backup.not_empty", counts=", ".join(f"{t}: {n}" for t, n in held.items())
        )
    with tempfile.TemporaryDirectory(dir=folder, prefix=".survey-restore-") as work:
        manifest, payload = _unpack(file, Path(work))
        engine.dispose()  # none of the app's own connections holds the old database
        if target is not None:
            _restore_sqlite(payload, target, manifest, file)
        else:
            _restore_postgresql(payload, engine)
        engine.dispose()
    with session_scope(app) as session:
        audit.record(
            "backup.restore",
            details={
                "revision": manifest.revision,
                "created_at": manifest.created_at,
                "counts": manifest.counts,
                "replaced": held,
            },
            session=session,
        )
    return manifest


def holdings(engine: Engine) -> dict[str, int]:
    """The tables that make a database worth keeping, with their rows, where they have any."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        counts = {
            table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608  # names from HOLDING
            for table in HOLDING
            if table in present
        }
    return {table: n for table, n in counts.items() if n}


@contextmanager
def _archive(file: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(file, mode="r:") as tar:
            yield tar
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError("backup.not_a_backup", file=str(file)) from exc
    except OSError as exc:
        raise BackupError("backup.unreadable", file=str(file), reason=exc.strerror) from exc


def _manifest_of(tar: tarfile.TarFile, file: Path) -> Manifest:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("backup.not_a_backup", file=str(file))
    return Manifest.from_json(member.read(), file)


def _unpack(file: Path, work: Path) -> tuple[Manifest, Path]:
    """The manifest and the database, copied to `work` and checked against its checksum."""
    with _archive(file) as tar:
        manifest = _manifest_of(tar, file)
        name = PAYLOADS[manifest.backend]
        try:
            member = tar.extractfile(name)
        except KeyError:
            member = None
        if member is None:
            raise BackupError("backup.damaged", file=str(file))
        payload = work / name
        digest = hashlib.sha256()
        with payload.open("wb") as out:
            for chunk in iter(lambda: member.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
    if digest.hexdigest() != manifest.sha256:
        raise BackupError("backup.damaged", file=str(file))
    return manifest, payload


def _restore_sqlite(payload: Path, target: Path, manifest: Manifest, source: Path) -> None:
    """Check the copy, make sure nothing uses the old file, then swap the files in one rename."""
    try:
        with closing(sqlite3.connect(payload)) as copy:
            whole = copy.execute("PRAGMA quick_check").fetchone() == ("ok",)
            whole = whole and _sqlite_revision(copy) == manifest.revision
    except (sqlite3.DatabaseError, BackupError):
        whole = False
    if not whole:
        raise BackupError("backup.damaged", file=str(source))
    if target.exists():
        try:
            with closing(sqlite3.connect(target, timeout=5, isolation_level=None)) as old:
                old.execute("BEGIN EXCLUSIVE")
                old.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise BackupError("backup.in_use") from exc
        # A journal left beside the old file would be played into the new one.
        if any(Path(f"{target}{suffix}").exists() for suffix in ("-journal", "-wal")):
            raise BackupError("backup.in_use")
    os.replace(payload, target)


def _restore_postgresql(payload: Path, engine: Engine) -> None:
    _run(
        "pg_restore",
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--dbname={_database_name(engine.url)}",
            str(payload),
        ],
        engine.url,
        code="backup.restore_failed",
    )


# --- helpers ----------------------------------------------------------------------------------


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("backup.memory")
    return Path(database).resolve()


def _revision(connection: Connection) -> str:
    if "alembic_version" not in inspect(connection).get_table_names():
        raise BackupError("backup.no_schema")
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision is None:
        raise BackupError("backup.no_schema")
    return str(revision)


def _counts(connection: Connection) -> dict[str, int]:
    present = set(inspect(connection).get_table_names())
    return {
        table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608  # names from COUNTED
        for table in COUNTED
        if table in present
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tool(name: str) -> str:
    """The newest PostgreSQL's own program (pg_dump must be as new as the server), else PATH's."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    found = str(versions[-1]) if versions else shutil.which(name)
    if found is None:
        raise BackupError("backup.no_tool", tool=name)
    return found


# Connection settings a URL's query may carry, as libpq's environment names them.
_LIBPQ_QUERY = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def libpq_environment(url: URL, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The connection for pg_dump and pg_restore, password included, as environment variables:
    never on a command line, where every user of the machine can read it."""
    env = dict(os.environ if base is None else base)
    given = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
    }
    for key, variable in _LIBPQ_QUERY.items():
        value = url.query.get(key)
        if value:
            given[variable] = value if isinstance(value, str) else value[0]
    env.update({k: v for k, v in given.items() if v})
    env["PGOPTIONS"] = f"-c lock_timeout={LOCK_TIMEOUT}"
    return env


def _database_name(url: URL) -> str:
    # A name alone is taken as a name by libpq only when it holds no "=": refuse the odd one.
    if not url.database or "=" in url.database:
        raise BackupError("backup.database_name")
    return url.database


def _run(tool: str, args: list[str], url: URL, *, code: str) -> None:
    result = subprocess.run(  # noqa: S603  # our own program and arguments, no shell
        args, env=libpq_environment(url), capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(code, tool=tool, reason=_first_error(result.stderr))


def _first_error(stderr: str) -> str:
    """The tool's first error line, its quoted values left out: a failed COPY quotes the row."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    chosen = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "")
    head, marker, rest = chosen.partition("ERROR:")
    return head + marker + re.sub(r'"[^"]*"', '"…"', rest) if marker else chosen[:300]


def describe(counts: Mapping[str, Any]) -> str:
    """Row counts for a command's one line: 'citizen 150, response 900, ...'."""
    return ", ".join(f"{table} {counts[table]}" for table in COUNTED if table in counts)
