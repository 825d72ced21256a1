"""The import's spill file: it holds the uploaded file's rows, so a killed import must leave
none of it behind in the temporary folder (a finding of the attacker's probe)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from survey.interop.spill import Spill

FIELDS = {
    "citizen": "C-1",
    "point": "1",
    "form": "citizen",
    "form_version": "1",
    "administered_on": "2026-01-05",
    "mode": "self",
    "item": "health.general",
    "value": "2",
}


def _open_files() -> set[str]:
    found = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            found.add(os.readlink(fd))
        except OSError:
            continue
    return found


def test_the_spill_has_no_name_in_any_folder_while_it_holds_rows() -> None:
    before = _open_files()
    with Spill() as spill:
        for line in range(2, 100_000):
            spill.row(line, FIELDS)
        spill.rows_done()
        opened = _open_files() - before
        assert opened, "the spill holds its rows in a file, not in memory"
        named = [path for path in opened if path.startswith("/") and not path.endswith("(deleted)")]
        assert named == [], f"the spill can be read (or left behind) by its name: {named}"


_KILLED = """
import os, sys
from survey.interop.spill import Spill
fields = {fields!r}
with Spill() as spill:
    for line in range(2, 200_000):
        spill.row(line, fields)
    spill.rows_done()
    print("spilled", flush=True)
    sys.stdin.read()  # wait to be killed
"""


def test_a_killed_import_leaves_nothing_in_the_temporary_folder(tmp_path: Path) -> None:
    folder = tmp_path / "tmp"
    folder.mkdir()
    env = {**os.environ, "TMPDIR": str(folder), "SQLITE_TMPDIR": str(folder)}
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED.format(fields=FIELDS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "spilled"
            assert list(folder.rglob("*")) == [], "the spill has a name while it holds rows"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
    time.sleep(0.1)
    assert list(folder.rglob("*")) == []
