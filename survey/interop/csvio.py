"""Reading and writing the interchange CSV files: UTF-8 (with or without a BOM), comma or
semicolon (as Danish Excel writes it), the header checked by name, each record with the file
line it starts on, so every message can name the line a person sees in an editor."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from openpyxl.cell import WriteOnlyCell

# The cell format answer values share with the item types (FORMULA_STARTS, guard, unguard)
# lives with them; the rest of interop imports it from here.
from survey.instruments.cells import FORMULA_STARTS as FORMULA_STARTS
from survey.instruments.cells import guard as guard
from survey.instruments.cells import unguard as unguard
from survey.models import CPR_PATTERN
from survey.refusals import say as _

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CITIZEN_COLUMNS = (
    "citizen",
    "enrolled_on",
    "team",
    "consultant",
    "status",
    "status_reason",
    "ended_on",
)
RESPONSE_COLUMNS = (
    "citizen",
    "point",
    "administered_on",
    "form",
    "form_version",
    "mode",
    "item",
    "value",
)
DELIMITERS = (",", ";")
MAX_SHOWN_PROBLEMS = 50


SHOWN_CHARS = 40  # of one cell a message repeats
SHOWN_NAMES = 10  # of a header's unknown columns
HEADER_CHARS = 10_000  # the header of our files is under 100 characters


def shown(raw: str) -> str:
    """A cell's text as a message may repeat it: trimmed, with every CPR-like number masked,
    and cut after SHOWN_CHARS characters, so a message never echoes a whole hostile cell."""
    text = CPR_PATTERN.sub("(CPR?)", raw.strip())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _names(names: Sequence[str]) -> str:
    listed = ",".join(shown(name) for name in names[:SHOWN_NAMES])
    if len(names) <= SHOWN_NAMES:
        return listed
    return _("%(names)s and %(more)s more", names=listed, more=len(names) - SHOWN_NAMES)


def _header_problem(header: Sequence[str], columns: Sequence[str]) -> Problem | None:
    """What is wrong with a header, by name: the columns it lacks, the ones it should not have,
    a column named twice. None when it names exactly `columns`, in any order."""
    counts = Counter(header)
    missing = [name for name in columns if name not in counts]
    extra = [name for name in counts if name not in columns]
    twice = [name for name, count in counts.items() if count > 1]
    if not (missing or extra or twice):
        return None
    said = [_("the header must name %(expected)s, in any order.", expected=",".join(columns))]
    if missing:
        said.append(_("It lacks %(missing)s.", missing=",".join(missing)))
    if extra:
        said.append(_("It has other columns: %(extra)s.", extra=_names(extra)))
    if twice:
        said.append(_("It names %(columns)s more than once.", columns=_names(twice)))
    return Problem(1, " ".join(said))


def spreadsheet_row(sheet: WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    """An XLSX row whose texts are always text cells: openpyxl would store a text starting with
    "=" as a live formula."""
    row: list[object] = []
    for value in values:
        if isinstance(value, str):
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            row.append(text)
        else:
            row.append(value)
    return row


def _not_utf8() -> str:
    return _(
        'the file is not UTF-8 text (in Excel: save as "CSV UTF-8"); the problem is on this '
        "line or shortly after it."
    )


@dataclass(frozen=True, order=True)
class Problem:
    """One reason a file is refused, at the physical line (header = 1) where its record starts."""

    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)s: %(message)s", line=self.line, message=self.message)


class FileRefused(Exception):
    """The file cannot be read at all (wrong header, not UTF-8, empty)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Record:
    line: int
    fields: dict[str, str]


@contextmanager
def open_text(source: IO[str] | str | Path) -> Iterator[IO[str]]:
    """A text stream over a path (opened as UTF-8 with the BOM dropped) or the caller's stream
    (a web upload wrapped in io.TextIOWrapper), which is left open."""
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", newline="") as stream:
            yield stream
    else:
        yield source


def read_records(stream: IO[str], columns: Sequence[str]) -> Iterator[Record]:
    """The file's data records, one at a time (nothing is held but the current record).

    The delimiter is whichever of , and ; the header line holds more of; the header must name
    exactly `columns`, in any order. Blank lines are skipped. A record with the wrong number of
    fields still comes out, with None for the missing fields and the extra ones under "".
    """
    try:
        first = stream.readline(HEADER_CHARS + 1)
    except UnicodeDecodeError:
        raise FileRefused(Problem(1, _not_utf8())) from None
    header_line = first.lstrip("\ufeff")
    if not header_line.strip():
        raise FileRefused(Problem(1, _("the file is empty; the first line must be the header.")))
    if len(first) > HEADER_CHARS:
        raise FileRefused(
            Problem(
                1,
                _(
                    "the first line is longer than %(limit)s characters, so it is not our "
                    "header; it must name %(expected)s.",
                    limit=HEADER_CHARS,
                    expected=",".join(columns),
                ),
            )
        )
    delimiter = max(DELIMITERS, key=header_line.count)
    header = [name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter))]
    wrong = _header_problem(header, columns)
    if wrong is not None:
        raise FileRefused(wrong)
    reader = csv.reader(stream, delimiter=delimiter)
    previous_end = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise FileRefused(Problem(previous_end + 1, _not_utf8())) from None
        except csv.Error as exc:
            raise FileRefused(
                Problem(
                    previous_end + 1,
                    _("the line cannot be read as CSV (%(reason)s).", reason=str(exc)),
                )
            ) from None
        start, previous_end = previous_end + 1, reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        fields: dict[str, str] = dict(zip(header, row, strict=False))
        if len(row) != len(header):
            fields[""] = str(len(row))
        yield Record(start, fields)


def wrong_field_count(record: Record, columns: Sequence[str]) -> Problem | None:
    if "" not in record.fields:
        return None
    return Problem(
        record.line,
        _(
            "expected %(expected)s fields, found %(found)s.",
            expected=len(columns),
            found=record.fields[""],
        ),
    )


class RowWriter(Protocol):
    def writerow(self, row: Iterable[object], /) -> object: ...

    def writerows(self, rows: Iterable[Iterable[object]], /) -> None: ...


def writer(out: IO[str], delimiter: str = ",") -> RowWriter:
    """A CSV writer as the import reads it: minimal quoting, \\r\\n line ends (RFC 4180)."""
    if delimiter not in DELIMITERS:
        raise ValueError(f"the delimiter must be one of {DELIMITERS}")
    return csv.writer(out, delimiter=delimiter, lineterminator="\r\n")


def to_text(rows: Sequence[Sequence[object]], delimiter: str = ",") -> str:
    """Rows as CSV text; for tests and small files."""
    out = io.StringIO()
    writer(out, delimiter).writerows(rows)
    return out.getvalue()
