"""Exports for evaluators: citizens and long answers in exactly the import formats, a wide table
(CSV or XLSX) with scores, the codebook, and all of them as one package. Every export is audited
without a value, shows only the citizens `citizen_filter` lets through, and is pseudonymised
unless told otherwise. No text people wrote can become a spreadsheet formula: CSV cells are
guarded with a ' (which the import removes again), XLSX texts are text cells.

Order (so two exports of the same data are the same file): citizens by the reference as written
(the pseudonym or the real one), then point, then form id, then the form version's item order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Literal, cast

from openpyxl import Workbook
from sqlalchemy import ColumnElement, select, true
from sqlmodel import Session, col

from survey import answers as answer_rows
from survey import audit
from survey.instruments import InstrumentRegistry
from survey.instruments.asking import visible
from survey.instruments.schema import InstrumentVersion, ItemType
from survey.instruments.scoring import compute_all
from survey.interop import codebook, fhir
from survey.interop.csvio import (
    CITIZEN_COLUMNS,
    RESPONSE_COLUMNS,
    guard,
    spreadsheet_row,
    writer,
)
from survey.interop.pseudonyms import Pseudonyms
from survey.interop.values import cell
from survey.models import Citizen, Response, ResponseStatus, Team, User

CHUNK = 500  # citizens per query: bounded memory, few round trips


@dataclass
class ExportResult:
    """What went into the file (the counts also go to the audit trail)."""

    format: str
    rows: int = 0
    citizens: int = 0
    responses: int = 0


@dataclass(frozen=True)
class _Citizen:
    id: int
    name: str
    enrolled_on: date
    team: str
    consultant: str
    status: str
    status_reason: str
    ended_on: str


@dataclass(frozen=True)
class _Response:
    point: int
    form: str
    definition: InstrumentVersion
    administered_on: date
    mode: str
    texts: dict[str, list[str]]


def _citizens(
    session: Session, citizen_filter: ColumnElement[bool] | None, pseudonyms: Pseudonyms
) -> list[_Citizen]:
    """The citizens in scope, sorted by the name the file gives them (one row each in memory:
    the pseudonyms of one export must be consistent anyway)."""
    statement = (
        select(Citizen, col(Team.name), col(User.username))
        .join(Team, col(Team.id) == Citizen.team_id)
        .outerjoin(User, col(User.id) == Citizen.consultant_id)
        .where(citizen_filter if citizen_filter is not None else true())
    )
    found = [
        _Citizen(
            citizen.id,
            pseudonyms(citizen.reference),
            citizen.enrolled_on,
            team,
            pseudonyms.consultant(username or ""),
            str(getattr(citizen.status, "value", citizen.status)),
            citizen.status_reason or "",
            citizen.ended_on.isoformat() if citizen.ended_on else "",
        )
        for citizen, team, username in session.execute(statement)
    ]
    return sorted(found, key=lambda c: c.name)


def _responses(
    session: Session, registry: InstrumentRegistry, citizens: Sequence[_Citizen]
) -> Iterator[tuple[_Citizen, list[_Response]]]:
    """Each citizen with their submitted responses by point and form, CHUNK citizens a query."""
    for start in range(0, len(citizens), CHUNK):
        chunk = citizens[start : start + CHUNK]
        ids = [c.id for c in chunk]
        texts = answer_rows.texts_where(
            session,
            col(Response.citizen_id).in_(ids) & (col(Response.status) == ResponseStatus.SUBMITTED),
        )
        by_citizen: dict[int, list[_Response]] = {}
        for row in session.execute(
            select(
                col(Response.id),
                col(Response.citizen_id),
                col(Response.point),
                col(Response.form_id),
                col(Response.form_version),
                col(Response.administered_on),
                col(Response.mode),
            ).where(
                col(Response.citizen_id).in_(ids), col(Response.status) == ResponseStatus.SUBMITTED
            )
        ):
            response_id, citizen_id, point, form, version, day, mode = row
            by_citizen.setdefault(citizen_id, []).append(
                _Response(
                    point,
                    form,
                    registry.get(form, version),
                    day,
                    str(getattr(mode, "value", mode)),
                    texts.get(response_id, {}),
                )
            )
        for citizen in chunk:
            yield citizen, sorted(by_citizen.get(citizen.id, []), key=lambda r: (r.point, r.form))


def _record(
    session: Session,
    actor: User | None,
    result: ExportResult,
    pseudonyms: Pseudonyms | None,
    **extra: object,
) -> ExportResult:
    details: dict[str, object] = {
        "format": result.format,
        "rows": result.rows,
        "citizens": result.citizens,
        "responses": result.responses,
        **extra,
    }
    if pseudonyms is not None:
        details["pseudonymised"] = not pseudonyms.real
    audit.record("data.export", user=actor, session=session, details=details)
    return result


def export_citizens(
    session: Session,
    out: IO[str],
    *,
    citizen_filter: ColumnElement[bool] | None = None,
    pseudonyms: Pseudonyms | None = None,
    actor: User | None = None,
    delimiter: str = ",",
) -> ExportResult:
    """The citizens file, as `survey import citizens` reads it; pseudonymised, the consultants'
    user names are replaced too."""
    pseudonyms = pseudonyms or Pseudonyms()
    result = _write_citizens(session, out, citizen_filter, pseudonyms, delimiter)
    return _record(session, actor, result, pseudonyms)


def _write_citizens(
    session: Session,
    out: IO[str],
    citizen_filter: ColumnElement[bool] | None,
    pseudonyms: Pseudonyms,
    delimiter: str,
) -> ExportResult:
    result = ExportResult("citizens")
    csv_out = writer(out, delimiter)
    csv_out.writerow(CITIZEN_COLUMNS)
    for c in _citizens(session, citizen_filter, pseudonyms):
        csv_out.writerow(
            [
                guard(c.name),
                c.enrolled_on.isoformat(),
                guard(c.team),
                guard(c.consultant),
                c.status,
                c.status_reason,
                c.ended_on,
            ]
        )
        result.rows += 1
        result.citizens += 1
    return result


def long_rows(point: int, response: _Response) -> Iterator[tuple[str, str]]:
    """(item, value) for each item the respondent was asked (shown at this point, given the
    answers) or answered, in the version's order; the value is empty when unanswered."""
    definition = response.definition
    answers = answer_rows.decode(definition, response.texts)
    shown = visible(definition, answers, point)
    for item in definition.items:
        if item.code in shown or item.code in answers:
            yield item.code, cell(item, response.texts.get(item.code, []))


def export_long(
    session: Session,
    registry: InstrumentRegistry,
    out: IO[str],
    *,
    citizen_filter: ColumnElement[bool] | None = None,
    pseudonyms: Pseudonyms | None = None,
    actor: User | None = None,
    delimiter: str = ",",
) -> ExportResult:
    """Every submitted answer, one row each, as `survey import responses` reads it."""
    pseudonyms = pseudonyms or Pseudonyms()
    result = _write_long(session, registry, out, citizen_filter, pseudonyms, delimiter)
    return _record(session, actor, result, pseudonyms)


def _write_long(
    session: Session,
    registry: InstrumentRegistry,
    out: IO[str],
    citizen_filter: ColumnElement[bool] | None,
    pseudonyms: Pseudonyms,
    delimiter: str,
) -> ExportResult:
    result = ExportResult("long")
    csv_out = writer(out, delimiter)
    csv_out.writerow(RESPONSE_COLUMNS)
    for citizen, responses in _responses(
        session, registry, _citizens(session, citizen_filter, pseudonyms)
    ):
        result.citizens += bool(responses)
        for r in responses:
            result.responses += 1
            for code, value in long_rows(r.point, r):
                csv_out.writerow(
                    [
                        guard(citizen.name),
                        r.point,
                        r.administered_on.isoformat(),
                        r.form,
                        r.definition.version,
                        r.mode,
                        code,
                        value,
                    ]
                )
                result.rows += 1
    return result


def _wide_rows(
    session: Session,
    registry: InstrumentRegistry,
    citizens: Sequence[_Citizen],
    variables: Sequence[codebook.Variable],
    result: ExportResult,
    *,
    typed: bool,
) -> Iterator[list[object]]:
    """One list per citizen and point with a submitted response, in `variables` order; `typed`
    gives numbers and dates (XLSX), else text with people's texts guarded (CSV). Counts citizens
    and responses in `result`."""
    names = [v.name for v in variables]
    index = {name: i for i, name in enumerate(names)}
    for citizen, responses in _responses(session, registry, citizens):
        result.citizens += bool(responses)
        result.responses += len(responses)
        for point in sorted({r.point for r in responses}):
            row: list[object] = [None] * len(names)
            row[: len(codebook.CITIZEN_VARIABLES)] = [
                citizen.name if typed else guard(citizen.name),
                point,
                citizen.enrolled_on if typed else citizen.enrolled_on.isoformat(),
                citizen.team if typed else guard(citizen.team),
                citizen.status,
                citizen.status_reason,
                (
                    date.fromisoformat(citizen.ended_on)
                    if typed and citizen.ended_on
                    else citizen.ended_on
                ),
            ]
            for r in (r for r in responses if r.point == point):
                definition = r.definition
                row[index[f"{r.form}.version"]] = definition.version
                row[index[f"{r.form}.mode"]] = r.mode
                row[index[f"{r.form}.administered_on"]] = (
                    r.administered_on if typed else r.administered_on.isoformat()
                )
                answers = answer_rows.decode(definition, r.texts)
                for code, value in answers.items():
                    column = index.get(code, index.get(f"{r.form}:{code}"))
                    if column is None:
                        continue
                    item = definition.item(code)
                    if typed and item.type is not ItemType.MULTIPLE_CHOICE:
                        row[column] = value
                    else:
                        row[column] = cell(item, r.texts[code])
                for code, score in compute_all(definition, answers).items():
                    if code in index:
                        row[index[code]] = score.value if typed else f"{score.value:g}"
            yield ["" if value is None else value for value in row]


def export_wide(
    session: Session,
    registry: InstrumentRegistry,
    out: IO[str] | IO[bytes],
    *,
    fmt: Literal["csv", "xlsx"] = "csv",
    citizen_filter: ColumnElement[bool] | None = None,
    pseudonyms: Pseudonyms | None = None,
    actor: User | None = None,
    delimiter: str = ",",
) -> ExportResult:
    """One row per citizen and measurement point: status, per form its version, mode and date,
    one column per item code, and the scores (empty when not computable). The codebook names
    every column. CSV goes to a text stream, XLSX to a binary one."""
    pseudonyms = pseudonyms or Pseudonyms()
    result = _write_wide(session, registry, out, fmt, citizen_filter, pseudonyms, delimiter)
    return _record(session, actor, result, pseudonyms)


def _write_wide(
    session: Session,
    registry: InstrumentRegistry,
    out: IO[str] | IO[bytes],
    fmt: Literal["csv", "xlsx"],
    citizen_filter: ColumnElement[bool] | None,
    pseudonyms: Pseudonyms,
    delimiter: str,
) -> ExportResult:
    result = ExportResult(f"wide.{fmt}")
    variables = codebook.wide_variables(registry)
    citizens = _citizens(session, citizen_filter, pseudonyms)
    header = [v.name for v in variables]
    rows = _wide_rows(session, registry, citizens, variables, result, typed=fmt == "xlsx")
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(header)
        for row in rows:
            sheet.append(spreadsheet_row(sheet, row))
            result.rows += 1
        book.save(cast(IO[bytes], out))  # xlsx: `fmt` says `out` is a byte stream
    else:
        csv_out = writer(cast(IO[str], out), delimiter)  # csv: a text stream
        csv_out.writerow(header)
        for row in rows:
            csv_out.writerow(row)
            result.rows += 1
    return result


def export_codebook(
    session: Session,
    registry: InstrumentRegistry,
    out: IO[str] | IO[bytes],
    *,
    fmt: Literal["csv", "xlsx", "md"] = "csv",
    actor: User | None = None,
    delimiter: str = ",",
) -> ExportResult:
    """The codebook of the wide export (and of the long one's item codes and values)."""
    return _record(session, actor, _write_codebook(registry, out, fmt, delimiter), None)


def _write_codebook(
    registry: InstrumentRegistry,
    out: IO[str] | IO[bytes],
    fmt: Literal["csv", "xlsx", "md"],
    delimiter: str,
) -> ExportResult:
    result = ExportResult(f"codebook.{fmt}")
    if fmt == "xlsx":
        result.rows = codebook.write_xlsx(registry, cast(IO[bytes], out))  # `fmt` says which
    elif fmt == "md":
        result.rows = codebook.write_markdown(registry, cast(IO[str], out))
    else:
        result.rows = codebook.write_csv(registry, cast(IO[str], out), delimiter)
    return result


PACKAGE_FILES = (
    "citizens.csv",
    "answers-long.csv",
    "answers-wide.csv",
    "answers-wide.xlsx",
    "codebook.csv",
    "codebook.md",
    "codebook.xlsx",
)


def export_package(
    session: Session,
    registry: InstrumentRegistry,
    directory: Path,
    *,
    citizen_filter: ColumnElement[bool] | None = None,
    pseudonyms: Pseudonyms | None = None,
    actor: User | None = None,
    delimiter: str = ",",
) -> list[Path]:
    """Everything an evaluator needs, as the files of PACKAGE_FILES in `directory`, written with
    one set of pseudonyms so they join on the citizen id. Audited once, as format "package",
    with the long export's counts and the file names."""
    pseudonyms = pseudonyms or Pseudonyms()
    directory.mkdir(parents=True, exist_ok=True)
    names = iter(PACKAGE_FILES)
    written: list[Path] = []

    def target() -> Path:
        written.append(directory / next(names))
        return written[-1]

    with target().open("w", encoding="utf-8", newline="") as text:
        _write_citizens(session, text, citizen_filter, pseudonyms, delimiter)
    with target().open("w", encoding="utf-8", newline="") as text:
        result = _write_long(session, registry, text, citizen_filter, pseudonyms, delimiter)
    with target().open("w", encoding="utf-8", newline="") as text:
        _write_wide(session, registry, text, "csv", citizen_filter, pseudonyms, delimiter)
    with target().open("wb") as binary:
        _write_wide(session, registry, binary, "xlsx", citizen_filter, pseudonyms, delimiter)
    with target().open("w", encoding="utf-8", newline="") as text:
        _write_codebook(registry, text, "csv", delimiter)
    with target().open("w", encoding="utf-8", newline="") as text:
        _write_codebook(registry, text, "md", delimiter)
    with target().open("wb") as binary:
        _write_codebook(registry, binary, "xlsx", delimiter)
    result.format = "package"
    _record(session, actor, result, pseudonyms, files=[path.name for path in written])
    return written


def export_fhir(
    session: Session,
    registry: InstrumentRegistry,
    directory: Path,
    *,
    citizen_filter: ColumnElement[bool] | None = None,
    pseudonyms: Pseudonyms | None = None,
    actor: User | None = None,
) -> list[Path]:
    """The FHIR Bundles (one file per form version, see survey.interop.fhir), audited as every
    other export is."""
    pseudonyms = pseudonyms or Pseudonyms()
    written = fhir.write_bundles(
        session, registry, directory, citizen_filter=citizen_filter, pseudonyms=pseudonyms
    )
    _record(session, actor, ExportResult("fhir", rows=len(written)), pseudonyms)
    return written
