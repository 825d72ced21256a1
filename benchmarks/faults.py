"""Faults under load: a gunicorn worker killed, PostgreSQL stopped and started, an import
killed mid-way; and what each left in the database and in front of the users.

Run from the project root:

    python benchmarks/faults.py [--database sqlite|postgresql|both] [--tablets 10] [--think 1]
                                [--workers 3] [--import-rows 300000]

Per database it builds the same stack as benchmarks/load.py (a fresh migrated database,
consultants and citizens seeded through the app's services, Redis, gunicorn in production mode
behind a simulated TLS proxy) and drives `--tablets` simulated tablets, lighter than the load
benchmark, with the same two flows (the citizen on the tablet, the consultant's own form). A
user who gets no reply or the 503 page sends again a moment later, as form.js does for the
form's posts and as a person does with "Prøv igen". Meanwhile, one after the other:

(a) SIGKILL to a gunicorn worker caught in the middle of a request (holding a client's
    connection); gunicorn starts another.
(b) PostgreSQL only: `pg_ctl stop -m fast` (every connection cut), 5 s down, started again.
(c) `survey import responses FILE` of `--import-rows` answer rows for citizens imported just
    before (benchmarks/import_answers.py writes the files), with TMPDIR a folder of its own, and
    SIGKILL once it is writing (PostgreSQL: its connection, `PGAPPNAME=survey-import`, holds a
    transaction id; SQLite: the write lock has been held for half a second) and 1 s more.

Then no more forms are started, the forms in hand are finished, gunicorn stops and it checks:
every acknowledged submission is in the database with every answer sent, none is doubled,
no submitted response lacks a required answer (nothing half-written), the killed import wrote
no response, answer or audit entry and left no file in its temporary folder, and every 5xx
a user got was the calm 503 page ("Vi kan ikke nå databasen lige nu …"), never a bare
"Internal Server Error". Outside the faults' windows no request may fail at all. Exit status 1
when a check fails. The output holds counts and times only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from import_answers import write_files
from load import (
    Record,
    Run,
    Stack,
    Stored,
    check_stored,
    drive,
    machine,
    print_requests,
    print_stored,
    seed,
    words,
)
from sqlalchemy import select, text
from sqlmodel import Session

from survey.auth import services as accounts
from survey.config import PROJECT_ROOT
from survey.models import Role, Team

SETTLE = 15.0  # seconds after a fault that still belong to it
IMPORT_APP_NAME = "survey-import"


@dataclass
class Window:
    name: str
    start: float  # seconds since the run began
    end: float = 0.0
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def holds(self, record: Record) -> bool:
        """A request answered (or cut) during the window: its reply is the state then."""
        return self.start <= record.at + record.ms / 1000 <= self.end


class Faults:
    def __init__(
        self, stack: Stack, run: Run, args: argparse.Namespace, responses: Path, rows: int
    ):
        self.stack, self.run, self.args = stack, run, args
        self.responses_file, self.rows = responses, rows
        self.windows: list[Window] = []

    def now(self) -> float:
        return time.monotonic() - self.run.started

    def kill_worker(self) -> Window:
        """Kill a worker in the middle of a request; again (up to 5 kills, 5 s apart) until a
        user's request was cut by it, so that the fault is one a user meets."""
        window = Window("(a) SIGKILL a gunicorn worker in the middle of a request", self.now())
        kills, cut = 0, 0
        while kills < 5 and not cut:
            killed, _pid = self._kill_a_busy_worker(window)
            kills += 1
            time.sleep(2)
            cut = sum(
                1
                for r in self.run.records
                if r.status == 0 and r.at <= killed + 0.5 and r.at + r.ms / 1000 >= killed - 0.5
            )
            window.notes.append(
                f"worker {kills} killed at {killed:.1f} s; gunicorn had "
                f"{len(self.stack.worker_pids())} workers again soon after; requests it cut: {cut}"
            )
            if not cut:
                time.sleep(3)
        if not cut:
            window.failures.append("no kill of 5 cut a request (a busier load)")
        time.sleep(SETTLE)
        window.end = self.now()
        return window

    def _kill_a_busy_worker(self, window: Window) -> tuple[float, int]:
        port = int(self.stack.base.rsplit(":", 1)[1])
        busiest = None
        held: set[tuple[int, str]] = set()
        looking = time.monotonic()
        while busiest is None and time.monotonic() - looking < 30:
            # A connection held over two looks 5 ms apart is a request being worked on, not one
            # whose reply is out and whose socket is closing.
            now_held = {(pid, c) for pid in self.stack.worker_pids() for c in _clients(pid, port)}
            still = held & now_held
            busiest = next(iter(still))[0] if still else None
            held = now_held
            time.sleep(0.005)
        if busiest is None:  # none was seen handling a request: any one
            busiest = self.stack.worker_pids()[0]
        killed = self.now()
        os.kill(busiest, signal.SIGKILL)
        while True:  # gunicorn notices and boots another worker
            pids = self.stack.worker_pids()
            if busiest not in pids and len(pids) == self.args.workers:
                break
            if self.now() - killed > 60:
                window.failures.append("gunicorn did not replace a killed worker in 60 s")
                break
            time.sleep(0.1)
        return killed, busiest

    def stop_postgres(self) -> Window:
        postgres = self.stack.postgres
        assert postgres is not None
        window = Window("(b) pg_ctl stop -m fast, 5 s down, start", self.now())
        postgres.stop("fast")
        stopped = self.now()
        time.sleep(5)
        postgres.start()
        started = self.now()
        window.notes.append(f"stopped at {stopped:.1f} s, started again at {started:.1f} s")
        time.sleep(SETTLE)
        window.end = self.now()
        after = [r for r in self.run.records if r.at >= started and r.status]
        first_ok = min((r.at for r in after if r.outcome == "ok"), default=None)
        if first_ok is None:
            window.failures.append("no request succeeded after PostgreSQL started again")
        else:
            window.notes.append(f"first success {first_ok - started:.1f} s after the start")
        return window

    def kill_import(self) -> Window:
        window = Window("(c) SIGKILL `survey import responses` while it writes", self.now())
        temp = self.stack.workdir / "import-tmp"
        temp.mkdir()
        before = self._imported()
        env = {**self.stack.environment(), "TMPDIR": str(temp), "PGAPPNAME": IMPORT_APP_NAME}
        started = time.monotonic()
        with (self.stack.workdir / "import.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                survey_command("import", "responses", str(self.responses_file)),
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        writing = None
        while process.poll() is None and time.monotonic() - started < 600:
            if self._import_writes():
                writing = time.monotonic()
                break
            time.sleep(0.1)
        if writing is None:
            ended = process.poll()
            process.kill()
            process.wait()
            told = (self.stack.workdir / "import.log").read_text(errors="replace")
            window.failures.append(
                f"the import ended (exit status {ended}) before it was seen writing: "
                f"{' '.join(told.split()[-30:])}"
                if ended is not None
                else "the import did not start writing within 600 s"
            )
            window.end = self.now()
            return window
        time.sleep(1.0)  # well inside the write, not at its first row
        if process.poll() is not None:
            window.failures.append("the import finished before the kill (a larger --import-rows)")
        process.kill()
        process.wait()
        killed = time.monotonic()
        window.notes.append(
            f"{self.rows:,} answer rows; started at {window.start:.1f} s, writing "
            f"{writing - started:.1f} s later, killed {killed - started:.1f} s after the start"
        )
        time.sleep(SETTLE)
        window.end = self.now()
        after = self._imported()
        wrote = {what: after[what] - before[what] for what in after}
        window.notes.append(
            "written by the killed import: " + ", ".join(f"{n} {what}" for what, n in wrote.items())
        )
        if any(wrote.values()):
            window.failures.append("the killed import left rows in the database")
        left = [path for path in temp.rglob("*") if path.is_file()]
        size = sum(path.stat().st_size for path in left)
        window.notes.append(
            f"files left in its temporary folder: {len(left)} ({size / 2**20:.1f} MiB)"
        )
        if left:
            window.failures.append(
                "the killed import left its spill file (the file's rows) in the temporary folder"
            )
        return window

    def _import_writes(self) -> bool:
        if self.stack.postgres is None:
            # SQLite: the import holds the write lock from its first row to its commit, the
            # load's saves only for milliseconds: held for half a second, it is the import.
            for _probe in range(5):
                if not _sqlite_write_locked(self.stack.workdir / "load.sqlite3"):
                    return False
                time.sleep(0.1)
            return True
        with self.stack.engine.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                        "AND backend_xid IS NOT NULL"
                    ),
                    {"name": IMPORT_APP_NAME},
                ).scalar()
            )

    def _imported(self) -> dict[str, int]:
        """What the responses import wrote for the imported citizens (their references B-…)."""
        with self.stack.engine.connect() as connection:
            one = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM response r JOIN citizen c ON c.id = r.citizen_id"
                    "        WHERE c.reference LIKE 'B-%'),"
                    "       (SELECT count(*) FROM answer a JOIN response r ON r.id = a.response_id"
                    "        JOIN citizen c ON c.id = r.citizen_id WHERE c.reference LIKE 'B-%'),"
                    "       (SELECT count(*) FROM audit_event WHERE action = 'data.import')"
                )
            ).one()
        return {"responses": one[0], "answers": one[1], "import audit entries": one[2]}


def survey_command(*args: str) -> list[str]:
    """The `survey` command of this tree (PYTHONPATH), whichever one is installed."""
    return [sys.executable, "-c", "from survey.cli import main; main()", *args]


def _sqlite_write_locked(path: Path) -> bool:
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as probe:
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
        return False


def _clients(pid: int, port: int) -> set[str]:
    """The client connections to gunicorn's port a worker holds now (their socket inodes): a
    sync worker holds one while it works on a request."""
    try:
        inodes = {
            link.readlink().name[len("socket:[") : -1]
            for link in Path(f"/proc/{pid}/fd").iterdir()
            if link.readlink().name.startswith("socket:[")
        }
        table = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return set()
    found = set()
    for line in table:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port and inode in inodes:
            found.add(inode)
    return found


def import_citizens(stack: Stack, citizens_file: Path) -> None:
    """The import's citizens, imported whole with `survey import citizens` first."""
    done = subprocess.run(  # noqa: S603
        survey_command("import", "citizens", str(citizens_file)),
        cwd=PROJECT_ROOT,
        env=stack.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"survey import citizens failed:\n{done.stdout[-2000:]}")


def benchmark(kind: str, args: argparse.Namespace) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix=f"survey-faults-{kind}-"))
    try:
        with Stack(kind, workdir) as stack:
            assert stack.app is not None
            accounts_ = seed(stack, args.tablets, args.citizens)
            with stack.app.app_context(), Session(stack.engine) as db:  # the import's consultant
                team_id = db.execute(select(Team.id)).scalar_one()
                accounts.create_user(
                    db,
                    username="bench",
                    full_name="Import",
                    role=Role.CONSULTANT,
                    team_ids=[team_id],
                )
                db.commit()
            citizens_file, responses_file, rows = write_files(workdir, args.import_rows)
            import_citizens(stack, citizens_file)
            stack.serve(args.workers, args.worker_class, args.threads)
            print(
                f"\n== {stack.version()}; {stack.server_text}; {args.tablets} tablets, think "
                f"0–{2 * args.think:.1f} s",
                flush=True,
            )
            run = Run(stack.base, words(stack.app), 24 * 3600, args.think, args.seed, 300)
            load = threading.Thread(target=drive, args=(run, accounts_), daemon=True)
            load.start()
            faults = Faults(stack, run, args, responses_file, rows)
            time.sleep(args.warm_up)
            windows = []
            if "a" in args.faults:
                windows.append(faults.kill_worker())
            if "b" in args.faults and stack.postgres is not None:
                windows.append(faults.stop_postgres())
            if "c" in args.faults:
                windows.append(faults.kill_import())
            run.deadline = time.monotonic()  # no more forms; the forms in hand are finished
            run.last = run.deadline + 300
            load.join()
            elapsed = time.monotonic() - run.started
            stack.stop_server()
            stored = check_stored(stack, run.acks, run.told_twice)
            return report(stack, run, windows, stored, elapsed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(
    stack: Stack, run: Run, windows: Sequence[Window], stored: object, elapsed: float
) -> bool:

    assert isinstance(stored, Stored)
    ok = True
    for window in windows:
        inside = [r for r in run.records if window.holds(r)]
        statuses = Counter(r.status for r in inside)
        calm = sum(1 for r in inside if r.calm)
        bare = sum(1 for r in inside if r.bare)
        print(f"  {window.name}")
        for note in window.notes:
            print(f"    {note}")
        print(
            f"    replies from the fault to {SETTLE:.0f} s after it: {len(inside):,}; "
            + ", ".join(f"{s or 'no reply'}: {n}" for s, n in sorted(statuses.items()))
            + f"; 5xx: {calm} the calm page, {bare} anything else"
        )
        if bare:
            window.failures.append(f"{bare} replies were a 5xx other than the calm page")
        for failure in window.failures:
            print(f"    FAILED: {failure}")
        ok = ok and not window.failures
    outside = [r for r in run.records if not any(w.holds(r) for w in windows)]
    failed_outside = Counter((r.kind, r.status) for r in outside if r.outcome == "error")
    print("  the whole run:")
    print_requests(run.records, elapsed)
    print_stored(run, stored)
    if failed_outside:
        ok = False
        print(
            "    FAILED: requests failed outside the faults' windows: "
            + ", ".join(f"{k} {s or 'no reply'} × {n}" for (k, s), n in failed_outside.items())
        )
    if stored.lost_total or stored.doubled_total or stored.incomplete:
        ok = False
        print("    FAILED: a submission was lost, doubled or half-written")
    logged = stack.server_log()
    print("  server log: " + ", ".join(f"{what} {n}" for what, n in sorted(logged.items())))
    if logged["failed requests (500)"]:
        ok = False
        print("    FAILED: the app logged failed requests (500)")
    return ok


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tablets", type=int, default=10)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--citizens", type=int, default=20, help="per tablet")
    parser.add_argument("--import-rows", type=int, default=300_000)
    parser.add_argument("--warm-up", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--faults", default="a,b,c", help="which of them, e.g. a,c")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(machine(), flush=True)
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results = [benchmark(kind, args) for kind in kinds]
    if not all(results):
        print("\nFAILED: see the checks above")
        sys.exit(1)
    print("\nOK: every fault left nothing half-written, and users saw the calm page")


if __name__ == "__main__":
    main()
