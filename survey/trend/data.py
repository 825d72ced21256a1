"""A citizen's answers over time, as plain data for the trend page's charts and table.

`load` reads the submitted responses once; everything else here is a pure function from those
measurements (and the instrument definitions) to series, so the charts' content is tested without
a browser: bands, relevant changes, gaps, pairs of BIP questions, version boundaries.

Which items the page draws, and how, is the `Layout` at the bottom: item codes are stable across
versions, so a chart keeps working when a form gets a new version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import select
from sqlmodel import Session, col

from survey import answers as answer_rows
from survey.instruments import InstrumentRegistry, InstrumentVersion, Item, ItemType
from survey.instruments.asking import describe
from survey.instruments.schema import AnswerValue, Band, ScoreRule
from survey.instruments.scoring import compute, relevant_direction
from survey.models import CitizenEvent, CitizenEventKind, Response, ResponseStatus


@dataclass(frozen=True)
class Measurement:
    """One submitted response: a form filled at one measurement point."""

    response_id: int
    form_id: str
    form_version: int
    point: int
    administered_on: date
    mode: str
    answers: Mapping[str, AnswerValue]


def load(db: Session, registry: InstrumentRegistry, citizen_id: int) -> list[Measurement]:
    """The citizen's submitted responses with their answers, by point then form (two queries)."""
    responses = db.execute(
        select(
            col(Response.id),
            col(Response.form_id),
            col(Response.form_version),
            col(Response.point),
            col(Response.administered_on),
            col(Response.mode),
        )
        .where(
            col(Response.citizen_id) == citizen_id, col(Response.status) == ResponseStatus.SUBMITTED
        )
        .order_by(col(Response.point), col(Response.form_id))
    ).all()
    if not responses:
        return []
    texts = answer_rows.texts_of(db, [r.id for r in responses])
    found = []
    for r in responses:
        definition = registry.get(r.form_id, r.form_version)
        answers = answer_rows.decode(definition, texts.get(r.id, {}), r.id)
        found.append(
            Measurement(
                r.id, r.form_id, r.form_version, r.point, r.administered_on, r.mode, answers
            )
        )
    return found


def load_events(db: Session, citizen_id: int) -> list[CitizenEvent]:
    return list(
        db.scalars(
            select(CitizenEvent)
            .where(col(CitizenEvent.citizen_id) == citizen_id)
            .order_by(col(CitizenEvent.occurred_on), col(CitizenEvent.id))
        )
    )


# --- scores -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    point: int
    on: date
    value: float | None  # None: the form was filled but the score cannot be computed (a gap)
    band: Band | None
    change: float | None  # from the previous point that has a score
    relevant: bool  # the change is at least the rule's relevant change
    since: int | None = None  # the point `change` is measured from


@dataclass(frozen=True)
class ScoreSeries:
    rule: ScoreRule
    points: tuple[ScorePoint, ...]

    @property
    def scored(self) -> tuple[ScorePoint, ...]:
        return tuple(p for p in self.points if p.value is not None)

    @property
    def gaps(self) -> tuple[ScorePoint, ...]:
        return tuple(p for p in self.points if p.value is None)

    @property
    def overall_change(self) -> float | None:
        """Latest minus first score, when there are two."""
        values = [p.value for p in self.scored if p.value is not None]
        return values[-1] - values[0] if len(values) >= 2 else None

    @property
    def overall_relevant(self) -> bool:
        change = self.overall_change
        return change is not None and relevant_direction(self.rule, change) != 0


def score_series(
    measurements: Sequence[Measurement], registry: InstrumentRegistry, code: str
) -> ScoreSeries | None:
    """The score at every point whose form carries the rule, None where it cannot be computed
    (an item unanswered or answered "Ved ikke"): never a zero."""
    points: list[ScorePoint] = []
    rule_found: ScoreRule | None = None
    previous: float | None = None
    previous_point: int | None = None
    for m in measurements:
        definition = registry.get(m.form_id, m.form_version)
        rule = next((r for r in definition.scores if r.code == code), None)
        if rule is None:
            continue
        rule_found = rule
        score = compute(rule, definition, m.answers)
        if score is None:
            points.append(ScorePoint(m.point, m.administered_on, None, None, None, False))
            continue
        change = score.value - previous if previous is not None else None
        relevant = change is not None and relevant_direction(rule, change) != 0
        points.append(
            ScorePoint(
                m.point,
                m.administered_on,
                score.value,
                score.band,
                change,
                relevant,
                previous_point if change is not None else None,
            )
        )
        previous, previous_point = score.value, m.point
    if rule_found is None:
        return None
    return ScoreSeries(rule_found, tuple(points))


# --- single items -------------------------------------------------------------------------------


class CellState(StrEnum):
    ANSWERED = "answered"
    SPECIAL = "special"  # "Ved ikke" / "Vil ikke svare": an answer, but not on the scale
    UNANSWERED = "unanswered"
    NOT_ASKED = "not_asked"  # a baseline item after point 1
    NOT_IN_VERSION = "not_in_version"


@dataclass(frozen=True)
class ItemPoint:
    point: int
    on: date
    code: int | None
    label: str
    state: CellState

    @property
    def value(self) -> int | None:
        """The position on the item's scale; None for "Ved ikke" and unanswered."""
        return self.code if self.state is CellState.ANSWERED else None


@dataclass(frozen=True)
class ItemSeries:
    item: Item
    points: tuple[ItemPoint, ...]

    @property
    def answered(self) -> tuple[ItemPoint, ...]:
        return tuple(p for p in self.points if p.state is CellState.ANSWERED)

    @property
    def special(self) -> tuple[ItemPoint, ...]:
        return tuple(p for p in self.points if p.state is CellState.SPECIAL)


def item_series(
    measurements: Sequence[Measurement], registry: InstrumentRegistry, code: str, lang: str
) -> ItemSeries | None:
    """A single-choice item at every point whose form version has it; None when no version the
    citizen answered has the item."""
    points = []
    newest: Item | None = None
    for m in measurements:
        definition = registry.get(m.form_id, m.form_version)
        if not definition.has_item(code):
            continue
        item = definition.item(code)
        newest = item
        if not item.asked_at(m.point):
            continue
        given = m.answers.get(code)
        option = item.option(given) if isinstance(given, int) else None
        if option is None:
            points.append(ItemPoint(m.point, m.administered_on, None, "", CellState.UNANSWERED))
            continue
        state = CellState.ANSWERED if option.scored else CellState.SPECIAL
        label = option.label.get(lang)
        points.append(ItemPoint(m.point, m.administered_on, option.code, label, state))
    if newest is None:
        return None
    return ItemSeries(newest, tuple(points))


# --- BIP: the citizen's and the consultant's view ---------------------------------------------


@dataclass(frozen=True)
class Panel:
    """One small multiple: a citizen item, with the consultant item that looks at the same thing
    when there is one (or a consultant item on its own)."""

    citizen: ItemSeries | None
    staff: ItemSeries | None

    @property
    def empty(self) -> bool:
        """Nothing answered (on the scale or "Ved ikke") by either side at any point."""
        return not any(
            p.state in (CellState.ANSWERED, CellState.SPECIAL)
            for s in (self.citizen, self.staff)
            if s is not None
            for p in s.points
        )


def panels(
    measurements: Sequence[Measurement],
    registry: InstrumentRegistry,
    lang: str,
    citizen_codes: Sequence[str],
    staff_codes: Sequence[str],
    pairs: Mapping[str, str],
) -> list[Panel]:
    """Citizen items in order, each beside its paired consultant item; then the consultant items
    that pair with nothing."""
    paired = set(pairs.values())

    def series(code: str) -> ItemSeries | None:
        return item_series(measurements, registry, code, lang)

    found = [
        Panel(series(code), series(pairs[code]) if code in pairs else None)
        for code in citizen_codes
    ]
    found += [Panel(None, series(code)) for code in staff_codes if code not in paired]
    return found


@dataclass(frozen=True)
class Profile:
    """The citizen items' values at one point (None: "Ved ikke" or unanswered)."""

    point: int
    on: date
    values: tuple[int | None, ...]


@dataclass(frozen=True)
class Radar:
    items: tuple[Item, ...]
    first: Profile
    latest: Profile | None  # None when only one point has an answer on the scale


def radar(citizen_panels: Sequence[Panel]) -> Radar | None:
    """The first against the latest point at which the citizen answered any item on the scale."""
    series = [p.citizen for p in citizen_panels if p.citizen is not None]
    if not series:
        return None
    by_point: dict[int, dict[str, ItemPoint]] = defaultdict(dict)
    for s in series:
        for ip in s.answered:
            by_point[ip.point][s.item.code] = ip
    if not by_point:
        return None

    def profile(point: int) -> Profile:
        found = by_point[point]
        on = min(ip.on for ip in found.values())
        values = tuple(found[s.item.code].value if s.item.code in found else None for s in series)
        return Profile(point, on, values)

    first, last = min(by_point), max(by_point)
    return Radar(
        tuple(s.item for s in series), profile(first), profile(last) if last != first else None
    )


# --- events on the time axis -------------------------------------------------------------------


class EventKind(StrEnum):
    ENROLLED = "enrolled"
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    INTERNSHIP = "internship"
    NETWORK_MEETING = "network_meeting"
    GROUP_COURSE = "group_course"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Event:
    on: date
    kind: EventKind
    point: int | None = None
    hours: int | None = None
    status: str | None = None  # course end: status and reason codes
    reason: str | None = None
    consultant_id: int | None = None  # transfer: to whom, from whom
    previous_consultant_id: int | None = None


_HISTORY = {
    CitizenEventKind.ENROLLED: EventKind.ENROLLED,
    CitizenEventKind.TRANSFERRED: EventKind.TRANSFERRED,
    CitizenEventKind.ENDED: EventKind.ENDED,
    CitizenEventKind.REOPENED: EventKind.REOPENED,
}


def events(
    measurements: Sequence[Measurement],
    history: Iterable[CitizenEvent],
    layout: Layout,
) -> list[Event]:
    """What happened, in date order: the course history, and what the consultant reported at each
    point (in employment, and how many hours; education; internship; network meeting)."""
    found = [
        Event(
            e.occurred_on,
            _HISTORY[CitizenEventKind(e.kind)],
            status=e.status,
            reason=e.reason,
            consultant_id=e.consultant_id,
            previous_consultant_id=e.previous_consultant_id,
        )
        for e in history
    ]
    for m in measurements:
        for code, (kind, yes) in layout.activities.items():
            if m.answers.get(code) == yes:
                hours = m.answers.get(layout.hours_item) if kind is EventKind.EMPLOYMENT else None
                found.append(
                    Event(
                        m.administered_on,
                        kind,
                        point=m.point,
                        hours=hours if isinstance(hours, int) else None,
                    )
                )
    return sorted(found, key=lambda e: (e.on, list(EventKind).index(e.kind)))


# --- version changes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionChange:
    """A form answered on a new version from this point on."""

    form_id: str
    point: int
    on: date
    before: int
    after: int


def version_changes(measurements: Sequence[Measurement]) -> list[VersionChange]:
    """Where each form's version differs from the one before it, in date order."""
    last: dict[str, int] = {}
    found = []
    for m in sorted(measurements, key=lambda m: (m.point, m.form_id)):
        before = last.get(m.form_id)
        if before is not None and before != m.form_version:
            found.append(
                VersionChange(m.form_id, m.point, m.administered_on, before, m.form_version)
            )
        last[m.form_id] = m.form_version
    return sorted(found, key=lambda c: (c.on, c.form_id))


# --- the item × point table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    point: int
    on: date
    version: int
    mode: str
    boundary: bool  # this column's form version differs from the previous column's


@dataclass(frozen=True)
class Cell:
    text: str
    state: CellState


@dataclass(frozen=True)
class Row:
    code: str
    text: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Block:
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class FormTable:
    form_id: str
    title: str
    columns: tuple[Column, ...]
    blocks: tuple[Block, ...]

    @property
    def boundaries(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.boundary)


def _cell(definition: InstrumentVersion, m: Measurement, code: str, lang: str) -> Cell:
    if not definition.has_item(code):
        return Cell("", CellState.NOT_IN_VERSION)
    item = definition.item(code)
    if not item.asked_at(m.point):
        return Cell("", CellState.NOT_ASKED)
    given = m.answers.get(code)
    if given is None:
        return Cell("", CellState.UNANSWERED)
    single = item.type is ItemType.SINGLE_CHOICE
    option = item.option(given) if single and isinstance(given, int) else None
    state = CellState.SPECIAL if option is not None and not option.scored else CellState.ANSWERED
    return Cell(describe(item, given, lang) or "", state)


def form_tables(
    measurements: Sequence[Measurement], registry: InstrumentRegistry, lang: str
) -> list[FormTable]:
    """One table per form: a column per point (with date, version and mode), a row per item of
    any version the citizen answered. Rows follow the newest of those versions; items that a
    newer version dropped come after their section."""
    by_form: dict[str, list[Measurement]] = defaultdict(list)
    for m in measurements:
        by_form[m.form_id].append(m)
    tables = []
    for form_id in sorted(by_form, key=lambda f: (f != "citizen", f)):
        taken = by_form[form_id]
        definitions = {m.form_version: registry.get(form_id, m.form_version) for m in taken}
        newest = definitions[max(definitions)]
        columns = []
        for i, m in enumerate(taken):
            boundary = i > 0 and m.form_version != taken[i - 1].form_version
            columns.append(Column(m.point, m.administered_on, m.form_version, m.mode, boundary))
        # Sections by id, newest version first; an item a newer version dropped joins its old
        # section (after that section's current items), or a section of its own.
        sections: dict[str, tuple[str, list[tuple[str, InstrumentVersion]]]] = {}
        seen: set[str] = set()
        for definition in sorted(definitions.values(), key=lambda d: -d.version):
            for section in definition.sections:
                codes = [i.code for i in section.items if i.code not in seen]
                if not codes:
                    continue
                seen.update(codes)
                _title, rows = sections.setdefault(section.id, (section.title.get(lang), []))
                rows.extend((code, definition) for code in codes)
        blocks = [
            Block(
                title,
                tuple(
                    Row(
                        code,
                        definition.item(code).text.get(lang),
                        tuple(_cell(definitions[m.form_version], m, code, lang) for m in taken),
                    )
                    for code, definition in rows
                ),
            )
            for title, rows in sections.values()
        ]
        tables.append(FormTable(form_id, newest.title.get(lang), tuple(columns), tuple(blocks)))
    return tables


# --- what the page draws ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Which item codes the charts use. Codes are stable across versions; a version that drops an
    item simply leaves a gap."""

    score: str = "who5.score"
    bip_instrument: str = "bip"
    bip_citizen_section: str = "citizen"
    bip_staff_section: str = "staff"
    # Consultant questions that look at the same thing as a citizen question.
    pairs: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"bip_c.1": "bip_s.1", "bip_c.2": "bip_s.4"})
    )
    self_rated: tuple[str, ...] = ("health.mental", "health.physical")
    assessed: tuple[str, ...] = ("staff.mental_limits", "staff.physical_limits")
    # Items whose best answer is the lowest code (SF-36 item-1 order): drawn with the axis turned.
    best_low: frozenset[str] = frozenset({"health.mental", "health.physical"})
    # Activity items → (event, the answer code that means yes)
    activities: Mapping[str, tuple[EventKind, int]] = field(
        default_factory=lambda: MappingProxyType(
            {
                "staff.employment": (EventKind.EMPLOYMENT, 1),
                "staff.education": (EventKind.EDUCATION, 1),
                "staff.internship": (EventKind.INTERNSHIP, 1),
                "staff.network_meeting": (EventKind.NETWORK_MEETING, 1),
                "staff.group_course": (EventKind.GROUP_COURSE, 1),
            }
        )
    )
    hours_item: str = "staff.employment_hours"

    def bip_codes(self, registry: InstrumentRegistry) -> tuple[list[str], list[str]]:
        """The citizen's and the consultant's BIP item codes, from the newest BIP version."""
        bip = registry.latest(self.bip_instrument, published_only=False)
        sections = {s.id: [i.code for i in s.items] for s in bip.sections}
        return sections.get(self.bip_citizen_section, []), sections.get(self.bip_staff_section, [])


LAYOUT = Layout()
