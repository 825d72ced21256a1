"""One entry point for the web page, the exports and the CLI: check a request, run its
queries, build its table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from survey import clock
from survey.instruments.registry import InstrumentRegistry
from survey.instruments.schema import Item, ItemType, Kind, ScoreRule
from survey.reports import builders, queries
from survey.reports.filters import Filters, ReportError

TABLES = ("waves", "status", "distribution", "crosstab", "by", "outcomes", "who5")
COMMAND_TABLES = (*TABLES, "attrition")
"""The tables `build` makes; attrition has no layout yet (only its JSON), so the page and its
downloads offer TABLES alone."""
ATTRITION_POINT = 3
OUTCOMES = dict(queries.OUTCOME_ITEMS)
WHO5_SCORE = "who5.score"


@dataclass(frozen=True)
class ReportRequest:
    table: str
    item: str | None = None
    by: str | None = None
    points: tuple[int, ...] | None = None
    paired: bool = False
    filters: Filters = field(default_factory=Filters)
    lang: str = "da"
    targets: Mapping[str, float] | None = field(default=None, hash=False)
    items: tuple[str, ...] = ()
    """attrition: the baseline items compared (`item` alone does for one)"""


PAIRED_MESSAGE = "--paired needs at least two measurement points, e.g. --points 1,3"


def parse_points(text: str) -> tuple[int, ...]:
    """ "1,3" -> (1, 3); every point a positive whole number, none twice."""
    points = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ReportError(
                f"a measurement point must be a positive whole number, not {part!r} "
                f"(write points like 1,3)",
                "bad_point",
                point=part,
            )
        points.append(int(part))
    if len(set(points)) != len(points):
        raise ReportError(
            f"a measurement point is given twice in {text!r}", "repeated_point", points=text
        )
    return tuple(points)


def _item(registry: InstrumentRegistry, code: str | None, option: str = "--item") -> Item:
    if not code:
        raise ReportError(
            f"this table needs an item: give {option} CODE",
            "needs_item" if option == "--item" else "needs_by",
        )
    item = registry.find_item(code)
    if item is None:
        raise ReportError(f"unknown item code {code!r}", "unknown_item", code=code)
    return item


def _tabulable(item: Item, *, single: bool) -> Item:
    if item.type in (ItemType.TEXT, ItemType.DATE):
        raise ReportError(
            f"{item.code} is a {item.type.value} item; only choice items (and numbers with "
            f"report groups) can be tabulated",
            "not_tabulable",
            code=item.code,
        )
    if item.type is ItemType.INTEGER and not item.groups:
        raise ReportError(
            f"{item.code} is a number without report groups; only choice items and numbers "
            f"with groups (such as person.age) can be tabulated",
            "not_tabulable",
            code=item.code,
        )
    if single and item.type is ItemType.MULTIPLE_CHOICE:
        raise ReportError(
            f"{item.code} allows several answers; a cross-tabulation needs one answer per citizen",
            "several_answers",
            code=item.code,
        )
    return item


def _groups(item: Item) -> list[tuple[int, int | None]] | None:
    return [(g.min, g.max) for g in item.groups] if item.groups else None


def _single_point(request: ReportRequest) -> int:
    if request.points is None:
        return 1
    if len(request.points) != 1:
        raise ReportError(
            f"the {request.table} table is for one measurement point; give one", "one_point"
        )
    return request.points[0]


def _refuse(request: ReportRequest, *options: str) -> None:
    given = {
        "--item": request.item is not None,
        "--by": request.by is not None,
        "--points": request.points is not None,
        "--paired": request.paired,
    }
    for option in options:
        if given[option]:
            raise ReportError(f"{option} does not apply to the {request.table} table")


def score_rule(registry: InstrumentRegistry, code: str = WHO5_SCORE) -> ScoreRule:
    rule = registry.score_rule(code)
    if rule is not None:
        return rule
    raise ReportError(f"no instrument defines the score {code!r}")


def _points_with_forms(session: Session, filters: Filters) -> tuple[int, ...]:
    found = sorted({point for _, point, _ in queries.form_counts(session, filters)})
    return tuple(found) or (1,)


def build(session: Session, registry: InstrumentRegistry, request: ReportRequest) -> Any:
    """The table `request` asks for, as of `request.filters.as_of` (its dict says which); a
    ReportError says what is wrong with the request."""
    as_of = request.filters.as_of
    if as_of is not None and as_of > clock.today():
        raise ReportError(
            f"--as-of {as_of} is in the future; give today or an earlier day",
            "as_of_future",
            as_of=as_of.isoformat(),
        )
    return builders.Dated(_table(session, registry, request), as_of)


def _table(session: Session, registry: InstrumentRegistry, request: ReportRequest) -> Any:
    lang = builders.check_language(request.lang)
    table, filters = request.table, request.filters
    if table not in COMMAND_TABLES:
        raise ReportError(
            f"unknown table {table!r} (known: {', '.join(COMMAND_TABLES)})",
            "unknown_table",
            table=table,
        )
    if request.items and table != "attrition":
        raise ReportError(
            f"the {table} table takes one --item, not several", "one_item", table=table
        )
    for point in request.points or ():
        if isinstance(point, bool) or not isinstance(point, int) or point < 1:
            raise ReportError(
                f"a measurement point must be a positive whole number, not {point!r}",
                "bad_point",
                point=str(point),
            )
    if request.paired and request.points is not None and len(request.points) < 2:
        raise ReportError(PAIRED_MESSAGE, "paired_one_point")

    if table == "waves":
        _refuse(request, "--item", "--by", "--points", "--paired")
        labels = {f.id: f.title.get(lang) for f in registry.forms() if f.kind is Kind.FORM}
        waves = builders.build_waves(queries.form_counts(session, filters), labels)
        waves.enrolled, waves.without_baseline = queries.enrolment_counts(session, filters)
        return waves

    if table == "status":
        _refuse(request, "--item", "--by", "--points", "--paired")
        return builders.build_status(queries.status_counts(session, filters), lang)

    if table == "outcomes":
        _refuse(request, "--item", "--by", "--points", "--paired")
        totals, sources = queries.programme_outcomes(session, filters)
        if request.targets is not None:
            targets, targets_from = dict(request.targets), "request"
        else:
            targets, targets_from = builders.team_targets(queries.team_targets(session, filters))
        return builders.build_outcomes(totals, targets, sources=sources, targets_from=targets_from)

    if table == "attrition":
        return _attrition(session, registry, request)

    if table == "distribution":
        _refuse(request, "--by")
        item = _tabulable(_item(registry, request.item), single=False)
        points = request.points or (1,)
        if request.paired and len(points) < 2:
            raise ReportError(PAIRED_MESSAGE, "paired_one_point")
        counts = queries.answer_counts(
            session,
            filters,
            item.code,
            points,
            paired=request.paired,
            groups=_groups(item),
            multiple=item.type is ItemType.MULTIPLE_CHOICE,
        )
        return builders.build_distribution(item, counts, points, paired=request.paired, lang=lang)

    if table == "crosstab":
        _refuse(request, "--paired")
        row_item = _tabulable(_item(registry, request.item), single=True)
        column_item = _tabulable(_item(registry, request.by, "--by"), single=True)
        point = _single_point(request)
        cells = queries.crosstab_counts(
            session,
            filters,
            row_item.code,
            column_item.code,
            point,
            row_groups=_groups(row_item),
            column_groups=_groups(column_item),
        )
        return builders.build_crosstab(row_item, column_item, cells, point, lang)

    if table == "by":
        _refuse(request, "--paired")
        item = _tabulable(_item(registry, request.item), single=True)
        point = _single_point(request)
        by = request.by
        if by == "status":
            by_status = queries.status_split_counts(
                session, filters, item.code, point, _groups(item)
            )
            return builders.build_by_status(item, by_status, point, lang)
        outcome = next((k for k, code in OUTCOMES.items() if by in (k, code)), None)
        if outcome is None:
            raise ReportError(
                "--by must be status or an outcome: "
                + ", ".join(f"{k} ({code})" for k, code in OUTCOMES.items())
                + (f", not {by!r}" if by else ""),
                "bad_by",
                by=by or "",
            )
        cells = queries.outcome_split_counts(
            session, filters, item.code, point, OUTCOMES[outcome], _groups(item)
        )
        return builders.build_by_outcome(
            item, outcome, registry.find_item(OUTCOMES[outcome]), cells, point, lang
        )

    # who5
    _refuse(request, "--item", "--by")
    rule = score_rule(registry)
    points = request.points or _points_with_forms(session, filters)
    if request.paired and len(points) < 2:
        raise ReportError(PAIRED_MESSAGE, "paired_one_point")
    scored = sorted(
        {
            option.code
            for code in rule.items
            for option in (_item(registry, code).answers)
            if option.scored
        }
    )
    summaries, pairs = queries.score_summaries(
        session,
        filters,
        rule.items,
        scored,
        points,
        multiply=rule.multiply,
        band_maxima=[builders.band_limit(rule, code) for code in builders.WHO5_BANDS],
        paired=request.paired,
    )
    return builders.build_who5(rule, summaries, pairs, points, paired=request.paired, lang=lang)


def _attrition(session: Session, registry: InstrumentRegistry, request: ReportRequest) -> Any:
    """Citizens due for a later point with and without a form there, compared on their
    baseline answers."""
    _refuse(request, "--by", "--paired")
    point = _single_point(request) if request.points is not None else ATTRITION_POINT
    if point < 2:
        raise ReportError(
            "attrition compares a later point with the baseline: give --points 2 or later",
            "attrition_baseline",
        )
    codes = request.items or ((request.item,) if request.item else ())
    if not codes:
        raise ReportError("this table needs an item: give --item CODE", "needs_item")
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ReportError(
            f"the item {repeated[0]} is given twice", "repeated_item", code=repeated[0]
        )
    items = [_tabulable(_item(registry, code), single=True) for code in codes]
    due_by = request.filters.as_of or clock.today()
    counts = queries.attrition_counts(
        session,
        request.filters,
        point,
        due_by,
        [(item.code, _groups(item)) for item in items],
    )
    return builders.build_attrition(
        items, counts, point, due_by, builders.check_language(request.lang)
    )
