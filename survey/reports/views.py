"""The cohort report page for project leaders: a table with its chart, and downloads.

Project leaders see only their own teams. Counts of 1–4 citizens are shown as "<5" on the
page and in every download unless every team in the filter has small-cell suppression turned
off by an admin. Every download is audited (which table and format; never any figures).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlmodel import col

from survey.access import leader_required
from survey.audit import services as audit
from survey.db import get_session
from survey.inputs import whole_number
from survey.instruments.schema import CHOICE_TYPES, ItemType
from survey.labels import STATUS_LABELS
from survey.models import CourseStatus, Role, Team, TeamMembership, User
from survey.reports import render, web, writers
from survey.reports.about import about
from survey.reports.filters import Filters, ReportError, parse_form_versions
from survey.reports.services import TABLES, ReportRequest, build, parse_points
from survey.reports.sets import REPORT_SETS, Entry, ReportSet, build_entry, build_set

bp = Blueprint("reports", __name__, url_prefix="/reports")


APPLIES = {
    "waves": (),
    "status": (),
    "outcomes": (),
    "distribution": ("item", "points", "paired"),
    "crosstab": ("item", "by", "points"),
    "by": ("item", "by", "points"),
    "who5": ("points", "paired"),
    "numeric": ("item", "points", "paired"),
    "attrition": ("item", "points"),
}
"""Which of the page's options each table takes; the others are ignored for it."""

EVALUATION = "evaluation"
"""The report set the page offers first and the workbook link downloads."""


def _lang() -> str:
    locale = str(get_locale() or "da")
    return locale if locale in ("da", "en") else "da"


def _registry() -> Any:
    return current_app.extensions["survey.instruments"]


def _my_teams() -> list[Team]:
    ids = sorted(current_user.leader_team_ids)  # reports are the project leader's
    if not ids:
        return []
    return list(
        get_session().scalars(select(Team).where(col(Team.id).in_(ids)).order_by(col(Team.name)))
    )


def _date(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{text!r} is not a date", "bad_date", date=text) from None


def _my_consultants(teams: list[Team]) -> list[User]:
    """The consultants of the leader's teams, by name."""
    ids = sorted(t.id for t in teams if t.id is not None)  # every team read has an id
    if not ids:
        return []
    stmt = (
        select(User)
        .join(TeamMembership, col(TeamMembership.user_id) == User.id)
        .where(
            col(TeamMembership.team_id).in_(ids),
            col(TeamMembership.role) == Role.CONSULTANT,
        )
        .distinct()
        .order_by(col(User.full_name), col(User.username))
    )
    return list(get_session().scalars(stmt))


def _form_versions() -> list[tuple[str, str]]:
    """The versions of the forms in the registry: ("citizen:1", "Title, version 1")."""
    lang = _lang()
    return [
        (
            f"{v.id}:{v.version}",
            _("%(form)s, version %(version)s", form=v.title.get(lang), version=v.version),
        )
        for v in sorted(_registry().forms(), key=lambda v: (v.id, v.version))
    ]


def error_message(exc: ReportError) -> str:
    """What is wrong with the request, in the user's language and without command-line flags."""
    return exc.message()


def _filters(teams: list[Team]) -> tuple[Filters, list[Team]]:
    """The filters of the query string, limited to the leader's teams (another team or a
    consultant outside them: 403)."""
    chosen = request.args.get("team", "").strip()
    if chosen:
        team_id = whole_number(chosen)
        if team_id is None or team_id not in {t.id for t in teams}:
            abort(403)
        scope = [t for t in teams if t.id == team_id]
    else:
        scope = teams
    mode = request.args.get("mode", "").strip() or None
    consultant_ids = None
    consultant = request.args.get("consultant", "").strip()
    if consultant:
        mine = {u.id for u in _my_consultants(teams)}
        consultant_id = whole_number(consultant)
        if consultant_id is None or consultant_id not in mine:
            abort(403)
        consultant_ids = frozenset({consultant_id})
    status = request.args.get("status", "").strip()
    version = request.args.get("form_version", "").strip()
    filters = Filters(
        team_ids=frozenset(t.id for t in scope if t.id is not None) or frozenset({-1}),
        consultant_ids=consultant_ids,
        statuses=frozenset({status}) if status else None,
        form_versions=parse_form_versions(_registry(), [version]) if version else None,
        enrolled_from=_date("from"),
        enrolled_to=_date("to"),
        mode=mode,
        as_of=_date("as_of"),
    )
    return filters, scope


def _sets() -> dict[str, ReportSet]:
    return current_app.extensions[REPORT_SETS]


def _set_entry(table: str) -> tuple[ReportSet, Entry] | None:
    """ "evaluation:4.6" -> that set and its table; None for a table kind."""
    set_id, colon, entry_id = table.partition(":")
    if not colon:
        return None
    report_set = _sets().get(set_id)
    if report_set is None:
        raise ReportError(f"unknown report set {set_id!r}", "unknown_table", table=table)
    return report_set, report_set.entry(entry_id)


def _set_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each report set's id, title and tables: ("evaluation:4.6", "4.6 Omfanget ...")."""
    lang = _lang()
    return [
        (
            rs.id,
            rs.title.get(lang, rs.id),
            [(f"{rs.id}:{e.id}", e.name(lang)) for e in rs.entries],
        )
        for rs in _sets().values()
    ]


def _build(filters: Filters) -> tuple[dict[str, Any], ReportRequest, str]:
    """The requested table's dict, the request (for the about block) and its title."""
    table = request.args.get("table", "waves").strip()
    found = _set_entry(table)
    if found is not None:
        _set, entry = found
        data = build_entry(get_session(), _registry(), entry, filters, _lang())
        return data, ReportRequest(table, filters=filters, lang=_lang()), entry.name(_lang())
    report = _request(filters)
    return build(get_session(), _registry(), report).to_dict(), report, ""


def _request(filters: Filters) -> ReportRequest:
    table = request.args.get("table", "waves").strip()
    if table not in TABLES:
        raise ReportError(f"unknown table {table!r}", "unknown_table", table=table)
    applies = APPLIES[table]
    item = request.args.get("item", "").strip() or None
    by = request.args.get("by", "").strip() or None
    points_text = request.args.get("points", "").strip()
    return ReportRequest(
        table=table,
        item=item if "item" in applies else None,
        by=by if "by" in applies else None,
        points=parse_points(points_text) if points_text and "points" in applies else None,
        paired="paired" in applies and request.args.get("paired") in ("1", "on", "true"),
        filters=filters,
        lang=_lang(),
    )


def suppressing(scope: list[Team]) -> bool:
    """Small cells are hidden unless every team in the filter has suppression turned off."""
    return not scope or any(t.suppress_small_cells for t in scope)


def _items() -> list[tuple[str, str]]:
    """Items that can be tabulated or described: (code, text), in form order, each code once
    (a number without report groups can only be described: the numeric table)."""
    lang = _lang()
    seen: dict[str, str] = {}
    for version in _registry().forms():
        for item in version.items:
            if item.code in seen:
                continue
            if item.type in CHOICE_TYPES or item.type is ItemType.INTEGER:
                seen[item.code] = item.text.get(lang)
    return list(seen.items())


@bp.get("")
@leader_required
def index() -> ResponseReturnValue:
    """Pick a table and filters; see the table and its chart."""
    teams = _my_teams()
    data = layout = chart = error = None
    scope: list[Team] = teams
    title = ""
    try:
        filters, scope = _filters(teams)
        data, _report, title = _build(filters)
    except ReportError as exc:
        error = error_message(exc)
    else:
        grid = render.grid(data, _lang(), protect=suppressing(scope))
        layout = writers.page(grid)
        chart = json.dumps(web.chart(grid), ensure_ascii=False)
    return render_template(
        "reports/index.html",
        teams=teams,
        consultants=_my_consultants(teams),
        statuses=[(s.value, STATUS_LABELS[s.value]) for s in CourseStatus],
        form_versions=_form_versions(),
        tables=TABLES,
        sets=_set_choices(),
        title=title,
        items=_items(),
        args=request.args,
        data=data,
        layout=layout,
        chart=chart,
        error=error,
        suppressed=suppressing(scope),
        query=request.query_string.decode(),
    ), (422 if error else 200)


def _about(report: ReportRequest, scope: list[Team], titles: tuple[str, ...] = ()) -> Any:
    return about(
        get_session(),
        _registry(),
        report,
        made_by=current_user.user.username,
        suppressed=suppressing(scope),
        titles=titles,
    )


def _one_table(fmt: str) -> tuple[str | bytes, str]:
    """The requested table written as `fmt`, as the leader may see it, and its name."""
    teams = _my_teams()
    try:
        filters, scope = _filters(teams)
        data, report, title = _build(filters)
    except ReportError as exc:
        abort(422, description=error_message(exc))
    body = render.write(
        data,
        fmt,
        _lang(),
        about=_about(report, scope, (title,) if title else ()),
        protect=suppressing(scope),
    )
    return body, report.table.replace(":", "-")


def _download(body: bytes | str, mimetype: str, name: str, table: str, fmt: str) -> Response:
    audit.record("export", details={"table": table, "format": fmt})
    get_session().commit()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/table.csv")
@leader_required
def table_csv() -> ResponseReturnValue:
    body, table = _one_table("csv")
    return _download(body, "text/csv; charset=utf-8", f"{table}.csv", table, "csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/table.xlsx")
@leader_required
def table_xlsx() -> ResponseReturnValue:
    body, table = _one_table("xlsx")
    return _download(body, XLSX, f"{table}.xlsx", table, "xlsx")


@bp.get("/set/<set_id>.xlsx")
@leader_required
def set_xlsx(set_id: str) -> ResponseReturnValue:
    """Every table of a report set (the evaluation report's 19): one sheet per table."""
    report_set = _sets().get(set_id)
    if report_set is None:
        abort(404)
    teams = _my_teams()
    try:
        filters, scope = _filters(teams)
        tables = build_set(get_session(), _registry(), report_set, filters, _lang())
    except ReportError as exc:
        abort(422, description=error_message(exc))
    block = _about(
        ReportRequest(f"set:{report_set.id}", filters=filters, lang=_lang()),
        scope,
        tuple(entry.id for entry, _ in tables),
    )
    body = render.write_set(
        report_set, tables, "xlsx", _lang(), about=block, protect=suppressing(scope)
    )
    return _download(body, XLSX, f"{report_set.id}.xlsx", f"set:{report_set.id}", "xlsx")
