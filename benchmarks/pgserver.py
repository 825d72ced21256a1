"""A throwaway PostgreSQL server for the benchmarks: Debian's newest server binaries, a fresh
cluster in a folder of the caller's, a free port on 127.0.0.1, stopped (and its files left for
the caller to remove) at the end, also on an error or Ctrl-C.

As root the server runs as the `postgres` user through `runuser`, as the test fixtures do. The
settings are the caller's: the bulk loaders turn fsync off; the load and fault scripts keep
PostgreSQL's durable defaults.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path
from types import TracebackType

BULK_LOAD = "-c fsync=off -c synchronous_commit=off -c max_wal_size=4GB"
"""For loading millions of rows once: nothing here has to survive a crash of the machine."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path:
    """The newest /usr/lib/postgresql/*/bin; stops the script with a hint when there is none."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise SystemExit("PostgreSQL is not installed: apt-get install -y postgresql")
    return found[-1].parent


class ThrowawayPostgres:
    """`with ThrowawayPostgres(workdir) as url:` a server of its own; `stop()` and `start()` may
    be called in between (the cluster is kept), as the fault script does."""

    def __init__(self, workdir: Path, settings: str = BULK_LOAD):
        self.bin = postgres_bin()
        self.base = workdir / "pg"
        self.data = self.base / "data"
        self.port = free_port()
        self.settings = settings
        self.running = False
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def version(self) -> str:
        done = subprocess.run(  # noqa: S603 - our own binary
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=False
        )
        return done.stdout.strip().rsplit(" ", 1)[-1] or "?"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr or done.stdout}")

    def start(self) -> str:
        """Create the cluster the first time, then start the server; its URL."""
        if not self.data.exists():
            self.base.mkdir(parents=True)
            if os.geteuid() == 0:
                self.base.parent.chmod(0o755)  # mkdtemp's 0700 would keep the postgres user out
                shutil.chown(self.base, "postgres", "postgres")
            self._run(
                f"{self.bin}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
        self._run(
            f"{self.bin}/pg_ctl", "-D", str(self.data), "-l", str(self.base / "pg.log"), "-w",
            "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} {self.settings}",
            "start",
        )  # fmt: skip
        self.running = True
        return self.url

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m fast`: every connection is cut and the server shuts down cleanly."""
        if self.running:
            self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
