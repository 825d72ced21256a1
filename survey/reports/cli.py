"""`survey report TABLE ...`: a cohort table on stdout as JSON, CSV or text, unsuppressed
(for administrators and evaluators with data access). Attach with `cli.add_command(report)`."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlmodel import col

from survey.audit import services as audit
from survey.db import session_scope
from survey.models import CourseStatus, Team, User
from survey.reports import render
from survey.reports.about import about
from survey.reports.filters import Filters, ReportError, parse_form_versions
from survey.reports.services import (
    PAIRED_MODES,
    TABLES,
    ReportRequest,
    build,
    parse_points,
)
from survey.reports.sets import REPORT_SETS, ReportSet, build_set

EXIT_BAD_INPUT = 2


def _bad_input(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.command("report")
@click.argument("table", type=click.Choice([*TABLES, "set"]))
@click.argument("set_name", metavar="[NAME]", required=False)
@click.option(
    "--item",
    "items",
    multiple=True,
    metavar="CODE",
    help="The item tabulated (rows); attrition takes several (repeatable).",
)
@click.option(
    "--by",
    "by",
    metavar="CODE|status",
    help="crosstab: the column item; by: status, employment, education, internship, mode, "
    "team, consultant, gender, age or a single-choice item code.",
)
@click.option("--points", metavar="1,3", help="Measurement points, comma-separated.")
@click.option(
    "--paired",
    type=click.Choice(PAIRED_MODES),
    is_flag=False,
    flag_value="form",
    default=None,
    help="The same citizens at every chosen point: alone or 'form', those with the item's form "
    "at every point; 'item', those who answered the item at every point.",
)
@click.option("--mode", type=click.Choice(["self", "assisted"]), help="Citizen forms filled so.")
@click.option("--team", "teams", multiple=True, metavar="NAME", help="A team (repeatable).")
@click.option(
    "--from", "enrolled_from", type=click.DateTime(["%Y-%m-%d"]), help="Enrolled on or after."
)
@click.option(
    "--to", "enrolled_to", type=click.DateTime(["%Y-%m-%d"]), help="Enrolled on or before."
)
@click.option(
    "--consultant",
    "consultants",
    multiple=True,
    metavar="USERNAME",
    help="Citizens of this consultant (repeatable).",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in CourseStatus]),
    help="Citizens with this course status (repeatable).",
)
@click.option(
    "--form-version",
    "form_versions",
    multiple=True,
    metavar="FORM:N",
    help="Only version N of a form, e.g. citizen:1 (repeatable).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Count as on that day: forms submitted, citizens enrolled and courses ended by then.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "text", "xlsx"]),
    required=True,
    help="Output (xlsx: with --output, or redirected).",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of printing.",
)
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True)
@with_appcontext
def report(
    table: str,
    set_name: str | None,
    items: tuple[str, ...],
    by: str | None,
    points: str | None,
    paired: str | None,
    mode: str | None,
    teams: tuple[str, ...],
    enrolled_from,
    enrolled_to,
    consultants: tuple[str, ...],
    statuses: tuple[str, ...],
    form_versions: tuple[str, ...],
    as_of,
    fmt: str,
    output_path: str | None,
    lang: str,
) -> None:
    """Print a cohort table: waves, status, distribution, crosstab, by, outcomes, who5 or
    numeric; or with `set NAME` every table of a report set (e.g. `set evaluation`)."""
    registry = current_app.extensions["survey.instruments"]
    if fmt == "xlsx" and not output_path and sys.stdout.isatty():
        _bad_input("--format xlsx writes a workbook: give --output FILE.xlsx, or redirect it")
    report_set = None
    if table == "set":
        report_set = _report_set(set_name)
        if items or by or points or paired:
            _bad_input(
                "a report set fixes each table's items, points and pairing; give filters only"
            )
    elif set_name:
        _bad_input(f"unexpected argument {set_name!r} (a NAME is only for: survey report set NAME)")
    try:
        if len(items) > 1 and table != "attrition":
            raise ReportError(
                f"the {table} table takes one --item, not several", "one_item", table=table
            )
        with session_scope() as session:
            team_ids = None
            if teams:
                found = dict(
                    session.execute(
                        select(col(Team.name), col(Team.id)).where(col(Team.name).in_(teams))
                    ).all()
                )
                missing = [name for name in teams if name not in found]
                if missing:
                    raise ReportError(f"unknown team {', '.join(map(repr, missing))}")
                team_ids = frozenset(found.values())
            consultant_ids = None
            if consultants:
                users = dict(
                    session.execute(
                        select(col(User.username), col(User.id)).where(
                            col(User.username).in_(consultants)
                        )
                    ).all()
                )
                missing = [name for name in consultants if name not in users]
                if missing:
                    raise ReportError(f"unknown consultant {', '.join(map(repr, missing))}")
                consultant_ids = frozenset(users.values())
            filters = Filters(
                team_ids=team_ids,
                consultant_ids=consultant_ids,
                statuses=frozenset(statuses) or None,
                form_versions=parse_form_versions(registry, form_versions) or None,
                enrolled_from=enrolled_from.date() if enrolled_from else None,
                enrolled_to=enrolled_to.date() if enrolled_to else None,
                mode=mode,
                as_of=as_of.date() if as_of else None,
            )
            if report_set is not None:
                output = _write_set(session, registry, report_set, filters, fmt, lang)
                audit.record(
                    "export",
                    session=session,
                    details={"table": f"set:{report_set.id}", "format": fmt, "command": True},
                )
                _emit(output, output_path, fmt)
                return
            request = ReportRequest(
                table=table,
                item=items[0] if len(items) == 1 else None,
                items=items if len(items) > 1 else (),
                by=by,
                points=parse_points(points) if points is not None else None,
                paired=paired or False,
                filters=filters,
                lang=lang,
            )
            result = build(session, registry, request)
            block = about(session, registry, request, made_by=None, suppressed=False)
            # audited like the page's downloads: which table and format, never a figure
            audit.record(
                "export", session=session, details={"table": table, "format": fmt, "command": True}
            )
    except ReportError as exc:
        _bad_input(str(exc))
        return
    _emit(render.write(result.to_dict(), fmt, lang, about=block), output_path, fmt)


def _emit(output: str | bytes, path: str | None, fmt: str) -> None:
    """To the file, or printed; a workbook goes to standard output as its bytes
    (`survey report set evaluation --format xlsx > evaluation.xlsx`)."""
    if path:
        data = output.encode("utf-8") if isinstance(output, str) else output
        with open(path, "wb") as f:
            f.write(data)
        return
    if isinstance(output, bytes):
        stream = click.get_binary_stream("stdout")
        stream.write(output)
        stream.flush()
        return
    click.echo(output, nl=fmt == "json")


def _report_set(name: str | None) -> ReportSet:
    sets = current_app.extensions[REPORT_SETS]
    if not name or name not in sets:
        known = ", ".join(sorted(sets)) or "none"
        _bad_input(
            f"unknown report set {name!r} (known: {known})"
            if name
            else f"give a report set: {known}"
        )
    return sets[name]


def _write_set(
    session: Any,
    registry: Any,
    report_set: ReportSet,
    filters: Filters,
    fmt: str,
    lang: str,
) -> str | bytes:
    tables = build_set(session, registry, report_set, filters, lang)
    request = ReportRequest(f"set:{report_set.id}", filters=filters, lang=lang)
    block = about(
        session,
        registry,
        request,
        made_by=None,
        suppressed=False,
        titles=[entry.id for entry, _ in tables],
    )
    return render.write_set(report_set, tables, fmt, lang, about=block)
