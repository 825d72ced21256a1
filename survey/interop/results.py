"""What an import reports: counts and the problems by line, and the messages shared by both
file kinds about citizen references (never repeating a CPR-like text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlmodel import Session

from survey import audit
from survey.interop.csvio import (
    MAX_SHOWN_PROBLEMS,
    Problem,
)
from survey.models import (
    CPR_PATTERN,
    InvalidReference,
    User,
    check_reference,
)
from survey.refusals import say as _

Source = IO[str] | str | Path


@dataclass
class ImportResult:
    """What an import did or why it refused: counts, and the first problems by line."""

    kind: str
    rows: int = 0
    created: int = 0
    present: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def changed(self) -> bool:
        return self.ok and not self.dry_run and self.created > 0

    def messages(self) -> list[str]:
        """The problems, one per line, then "and N more" when there were more than shown."""
        lines = [str(problem) for problem in self.problems]
        hidden = self.problem_count - len(self.problems)
        if hidden > 0:
            lines.append(_("and %(count)s more.", count=hidden))
        return lines

    def summary(self) -> str:
        if self.dry_run:
            return _(
                "Checked %(rows)s rows: %(created)s would be created, %(present)s already "
                "present. Nothing was written.",
                rows=self.rows,
                created=self.created,
                present=self.present,
            )
        if not self.created:
            return _("Nothing changed: all %(present)s were already present.", present=self.present)
        return _(
            "Imported %(rows)s rows: %(created)s created, %(present)s already present.",
            rows=self.rows,
            created=self.created,
            present=self.present,
        )


def audit_import(session: Session, actor: User | None, result: ImportResult) -> ImportResult:
    """The import's one `data.import` audit entry, counts only. A refused import or a dry run
    first rolls back whatever it wrote, so its caller can always commit: the entry is then the
    only thing committed, and the trail shows attempts as well as imports."""
    details: dict[str, object] = {
        "kind": result.kind,
        "rows": result.rows,
        "created": result.created,
        "present": result.present,
    }
    if not result.ok or result.dry_run:
        session.rollback()
        details["problems"] = result.problem_count
        if not result.ok:
            details["refused"] = True
        if result.dry_run:
            details["dry_run"] = True
    audit.record("data.import", user=actor, session=session, details=details)
    return result


def refuse_whole_file(session: Session, result: ImportResult, message: str) -> None:
    """The write failed on a row someone else added after the check: roll back and refuse the
    file with one problem, so that nothing of it is half written."""
    session.rollback()
    result.created = 0
    result.problem_count = 1
    result.problems = [Problem(1, message)]


class ProblemList:
    """The first problems in line order and the count of all; memory stays small because the
    callers report in line order (citizens) or through the spill (responses)."""

    def __init__(self) -> None:
        self.shown: list[Problem] = []
        self.count = 0

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.shown) < MAX_SHOWN_PROBLEMS:
            self.shown.append(Problem(line, message))


def reference_problem(raw: str) -> str | None:
    """Why a reference cannot be a citizen's, without ever repeating a CPR-like text."""
    try:
        check_reference(raw)
    except InvalidReference as exc:
        if exc.kind == "cpr":
            return _("the citizen reference looks like a CPR number; CPR numbers are never stored.")
        if exc.kind == "empty":
            return _("the citizen reference is empty.")
        return _("the citizen reference may have at most 40 letters, digits, spaces and - _ . /")
    return None


def shown_reference(raw: str) -> str:
    return "(CPR?)" if CPR_PATTERN.search(raw) else raw.strip()
