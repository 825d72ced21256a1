"""One entry point for the web page, the exports and the CLI: check a request, run its
queries, build its table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from survey import clock
from survey.inputs import whole_number
from survey.instruments.registry import InstrumentRegistry
from survey.instruments.schema import Item, ItemType, Kind, ScoreRule
from survey.reports import builders, queries
from survey.reports.filters import Filters, ReportError

TABLES = (
    "waves",
    "status",
    "distribution",
    "crosstab",
    "by",
    "outcomes",
    "who5",
    "numeric",
    "attrition",
)
"""The tables every writer lays out (the page, CSV, XLSX, text, JSON)."""
ATTRITION_POINT = 3
OUTCOMES = dict(queries.OUTCOME_ITEMS)
WHO5_SCORE = "who5.score"
PAIRED_MODES = ("form", "item")
"""`paired="form"`: the citizens with a submitted response of the item's form at every point;
`"item"`: those who answered the item itself at every point."""
BY_GROUPINGS = ("mode", "team", "consultant")
BY_ALIASES = {"gender": "person.gender", "age": "person.age"}
"""Names for the items a table is most often split by (in the staff form, asked at the start)."""


@dataclass(frozen=True)
class ReportRequest:
    table: str
    item: str | None = None
    by: str | None = None
    points: tuple[int, ...] | None = None
    paired: bool | str = False
    """False, "form" or "item" (True means "form")"""
    filters: Filters = field(default_factory=Filters)
    lang: str = "da"
    targets: Mapping[str, float] | None = field(default=None, hash=False)
    items: tuple[str, ...] = ()
    """attrition: the baseline items compared (`item` alone does for one)"""


PAIRED_MESSAGE = "--paired needs at least two measurement points, e.g. --points 1,3"


def paired_mode(paired: bool | str | None) -> str | None:
    """The pairing a request asks for: "form", "item" or None (not paired); True is "form"."""
    if paired is True:
        return "form"
    if paired is False or paired is None or paired == "":
        return None
    if paired in PAIRED_MODES:
        return str(paired)
    raise ReportError(f"--paired is form or item, not {paired!r}", "bad_paired", paired=str(paired))


def parse_points(text: str) -> tuple[int, ...]:
    """ "1,3" -> (1, 3); every point a positive whole number the database can hold, none
    twice."""
    points = []
    for part in text.split(","):
        part = part.strip()
        number = whole_number(part)
        if number is None or number < 1:
            raise ReportError(
                f"a measurement point must be a positive whole number, not {part!r} "
                f"(write points like 1,3)",
                "bad_point",
                point=part,
            )
        points.append(number)
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
        "--paired": paired_mode(request.paired) is not None,
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
    if table not in TABLES:
        raise ReportError(
            f"unknown table {table!r} (known: {', '.join(TABLES)})",
            "unknown_table",
            table=table,
        )
    if request.items and table != "attrition":
        raise ReportError(
            f"the {table} table takes one --item, not several", "one_item", table=table
        )
    paired = paired_mode(request.paired)
    for point in request.points or ():
        if isinstance(point, bool) or not isinstance(point, int) or point < 1:
            raise ReportError(
                f"a measurement point must be a positive whole number, not {point!r}",
                "bad_point",
                point=str(point),
            )
    if paired and request.points is not None and len(request.points) < 2:
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
        if paired and len(points) < 2:
            raise ReportError(PAIRED_MESSAGE, "paired_one_point")
        return _distribution(session, registry, filters, item, points, paired, lang)

    if table == "numeric":
        _refuse(request, "--by")
        item = _numeric(_item(registry, request.item))
        points = request.points or (1,)
        if paired and len(points) < 2:
            raise ReportError(PAIRED_MESSAGE, "paired_one_point")
        group = _group(registry, filters, item, points, paired)
        counts = queries.answer_counts(
            session,
            filters,
            item.code,
            points,
            paired=paired == "item",
            multiple=False,
            among=group if paired == "form" else None,
        )
        numeric = builders.build_numeric(
            item, counts.counts, points, paired=paired or False, lang=lang
        )
        numeric.paired_n = queries.count_citizens(session, group) if group is not None else None
        return numeric

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
        if by in BY_GROUPINGS or by in BY_ALIASES or _is_split_item(registry, by):
            return _by_grouping(session, registry, filters, item, by or "", point, lang)
        if by == "status":
            by_status = queries.status_split_counts(
                session, filters, item.code, point, _groups(item)
            )
            return builders.build_by_status(item, by_status, point, lang)
        outcome = next((k for k, code in OUTCOMES.items() if by in (k, code)), None)
        if outcome is None:
            raise ReportError(
                "--by must be status or an outcome ("
                + ", ".join(f"{k} ({code})" for k, code in OUTCOMES.items())
                + "), or mode, team, consultant, gender, age or a single-choice item code"
                + (f", not {by!r}" if by else ""),
                "bad_by",
                by=by or "",
            )
        cells = queries.outcome_split_counts(
            session, filters, item.code, point, outcome, _groups(item)
        )
        return builders.build_by_outcome(
            item, outcome, registry.find_item(OUTCOMES[outcome]), cells, point, lang
        )

    # who5
    _refuse(request, "--item", "--by")
    rule = score_rule(registry)
    points = request.points or _points_with_forms(session, filters)
    if paired and len(points) < 2:
        raise ReportError(PAIRED_MESSAGE, "paired_one_point")
    scored = sorted(
        {
            option.code
            for code in rule.items
            for option in (_item(registry, code).answers)
            if option.scored
        }
    )
    band_maxima = [builders.band_limit(rule, code) for code in builders.WHO5_BANDS]
    if paired == "form":
        group = queries.form_citizens(filters, _forms_of(registry, rule.items[0]), points)
        summaries, pairs = queries.score_summaries_among(
            session,
            filters,
            rule.items,
            scored,
            points,
            among=group,
            multiply=rule.multiply,
            band_maxima=band_maxima,
        )
        who5 = builders.build_who5(rule, summaries, pairs, points, paired="form", lang=lang)
        who5.paired_n = queries.count_citizens(session, group)
        return who5
    summaries, pairs = queries.score_summaries(
        session,
        filters,
        rule.items,
        scored,
        points,
        multiply=rule.multiply,
        band_maxima=band_maxima,
        paired=paired == "item",
    )
    who5 = builders.build_who5(rule, summaries, pairs, points, paired=paired or False, lang=lang)
    if paired == "item":  # a score at every point: n is the group at every point
        who5.paired_n = who5.n[0]
    return who5


# --- paired by form, numeric items, `by` any grouping ------------------------------------------


def _forms_of(registry: InstrumentRegistry, code: str) -> list[str]:
    """The forms (citizen, staff) that hold an item, in any version."""
    return sorted({v.id for v in registry.forms() if v.has_item(code)})


def _group(
    registry: InstrumentRegistry,
    filters: Filters,
    item: Item,
    points: tuple[int, ...],
    paired: str | None,
) -> Any:
    """The SELECT of the paired group's citizen ids, or None when not paired."""
    if paired == "form":
        return queries.form_citizens(filters, _forms_of(registry, item.code), points)
    if paired == "item":
        return queries.paired_citizens(filters, item.code, points)
    return None


def _distribution(
    session: Session,
    registry: InstrumentRegistry,
    filters: Filters,
    item: Item,
    points: tuple[int, ...],
    paired: str | None,
    lang: str,
) -> builders.DistributionTable:
    group = _group(registry, filters, item, points, paired)
    multiple = item.type is ItemType.MULTIPLE_CHOICE
    counts = queries.answer_counts(
        session,
        filters,
        item.code,
        points,
        paired=paired == "item",
        groups=_groups(item),
        multiple=multiple,
        among=group if paired == "form" else None,
    )
    table = builders.build_distribution(item, counts, points, paired=paired or False, lang=lang)
    if group is not None:
        table.paired_n = queries.count_citizens(session, group)
    if paired and len(points) == 2 and not multiple:
        # answered at both points implies in either group, so the pairs need no restriction
        pairs = queries.answer_pairs(session, filters, item.code, *points, groups=_groups(item))
        table.test, table.warnings = builders.paired_category_test(item, pairs, lang)
    return table


def _numeric(item: Item) -> Item:
    if item.type is not ItemType.INTEGER:
        raise ReportError(
            f"{item.code} is a {item.type.value} item; the numeric table is for whole-number "
            f"items (such as staff.employment_hours or person.age)",
            "not_numeric",
            code=item.code,
        )
    return item


def _is_split_item(registry: InstrumentRegistry, by: str | None) -> bool:
    """Whether `by` is an item code that is not an outcome (those count "ever Ja")."""
    return bool(by) and by not in OUTCOMES.values() and registry.find_item(by or "") is not None


def _by_grouping(
    session: Session,
    registry: InstrumentRegistry,
    filters: Filters,
    item: Item,
    by: str,
    point: int,
    lang: str,
) -> builders.ByTable:
    """`by` the form's mode, the team, the consultant, or an item (gender and age by name)."""
    groups = _groups(item)
    if by == "mode":
        cells: list[tuple[Any, Any, int]] = list(
            queries.mode_split_counts(session, filters, item.code, point, groups)
        )
        return builders.build_by_columns(item, by, builders.mode_columns(lang), cells, point, lang)
    if by in ("team", "consultant"):
        found = queries.citizen_split_counts(session, filters, item.code, point, by, groups)
        chosen = filters.team_ids if by == "team" else filters.consultant_ids
        ids = {c for _, c, _ in found if c is not None} | set(chosen or ())
        names = queries.grouping_names(session, by, sorted(ids))
        cells = [(code, "none" if c is None else c, n) for code, c, n in found]
        with_none = any(c is None for _, c, _ in found)
        columns = builders.grouping_columns(by, names, with_none, lang)
        return builders.build_by_columns(item, by, columns, cells, point, lang)
    by_item = _tabulable(_item(registry, BY_ALIASES.get(by, by), "--by"), single=True)
    if by_item.baseline:  # asked once: taken from the citizen's earliest answer
        cells = list(
            queries.baseline_split_counts(
                session,
                filters,
                item.code,
                point,
                by_item.code,
                groups=groups,
                by_groups=_groups(by_item),
            )
        )
    else:  # the citizen's answer at the same point (from either form)
        cells = list(
            queries.crosstab_counts(
                session,
                filters,
                item.code,
                by_item.code,
                point,
                row_groups=groups,
                column_groups=_groups(by_item),
            )
        )
    columns = builders.item_columns(by_item, cells, lang)
    return builders.build_by_columns(item, by, columns, cells, point, lang)


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
