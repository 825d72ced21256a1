"""A deterministic, realistic demo: two teams, six consultants, 150 citizens over 18 months.

Answers come from one latent well-being per citizen that improves (for most) over time, so
trends and cohort tables look like the evaluation report's. The item profiles below are demo
data: how each item's answers lean, and how often "Ved ikke" is given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import NormalDist

from sqlalchemy import func, insert, select
from sqlmodel import Session

from survey.citizens import services as citizens
from survey.hashing import hash_password
from survey.instruments import InstrumentRegistry, InstrumentVersion, Item
from survey.instruments import values as answer_values
from survey.instruments.schema import AnswerValue
from survey.instruments.types import ITEM_TYPES
from survey.models import (
    STATUS_REASONS,
    Answer,
    Citizen,
    CitizenEvent,
    CitizenEventKind,
    CourseStatus,
    Mode,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from survey.schedule import add_months

CITIZENS = 150
MONTHS = 18
MAX_POINTS = 6
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Ordered:
    """An item whose answers run from worse to better: `better` is +1 when higher codes are
    better, -1 when lower codes are; `offset` moves the whole cohort (negative: worse)."""

    better: int
    offset: float = 0.0
    dont_know: float = 0.0
    dont_know_later: float | None = None


@dataclass(frozen=True)
class Categorical:
    """Fixed answer weights at point 1 and at later points."""

    first: dict[int, float]
    later: dict[int, float] | None = None


ORDERED: dict[str, Ordered] = {
    **{f"who5.{i}": Ordered(+1, -0.7) for i in range(1, 6)},
    "health.mental": Ordered(-1, -0.9),
    "health.physical": Ordered(-1, -0.2),
    **{f"bip_c.{i}": Ordered(+1, -0.2, 0.02) for i in range(1, 7)},
    **{f"bip_s.{i}": Ordered(+1, 0.0, 0.35, 0.06) for i in range(1, 5)},
    "use.alcohol": Ordered(+1, 0.1, 0.03),
    "use.cannabis": Ordered(+1, 1.1, 0.03),
    "use.other": Ordered(+1, 1.8, 0.03),
    "network.talk": Ordered(-1, 0.2),
    "network.family": Ordered(-1, 0.4),
    "staff.mental_limits": Ordered(+1, -0.9, 0.02),
    "staff.physical_limits": Ordered(+1, 0.3, 0.03),
    "staff.abuse_alcohol": Ordered(+1, 1.5, 0.04),
    "staff.abuse_cannabis": Ordered(+1, 1.9, 0.04),
    "staff.abuse_hard": Ordered(+1, 2.3, 0.02),
    "staff.daily_living": Ordered(-1, 0.0, 0.13, 0.05),
    "staff.economy": Ordered(-1, 0.3, 0.44, 0.15),
    "staff.support_system": Ordered(-1, 0.2, 0.37, 0.12),
}

CATEGORICAL: dict[str, Categorical] = {
    "person.gender": Categorical({1: 0.53, 2: 0.46, 3: 0.01}),
    "person.nationality": Categorical({1: 0.91, 2: 0.02, 3: 0.07}),
    "staff.talk_frequency": Categorical(
        {3: 0.32, 4: 0.47, 5: 0.15, 6: 0.06}, {2: 0.02, 3: 0.06, 4: 0.64, 5: 0.23, 6: 0.05}
    ),
    "staff.network_meeting": Categorical({1: 0.18, 2: 0.82}, {1: 0.85, 2: 0.15}),
    "staff.group_course": Categorical({1: 0.15, 2: 0.85}, {1: 0.35, 2: 0.65}),
    "staff.job_search": Categorical({1: 0.45, 2: 0.45, 3: 0.10}),
}

DIAGNOSIS_KINDS = {
    1: 0.45,
    2: 0.4,
    7: 0.12,
    10: 0.1,
    5: 0.06,
    4: 0.05,
    3: 0.03,
    8: 0.04,
    11: 0.03,
    6: 0.03,
    12: 0.05,
}
AGES = [
    (18, 24, 0.08),
    (25, 29, 0.27),
    (30, 39, 0.37),
    (40, 49, 0.17),
    (50, 59, 0.10),
    (60, 64, 0.01),
]

TEAMS = [("Team Nord", "NORD"), ("Team Syd", "SYD")]
CONSULTANTS = [
    ("anne", "Anne Holm", 0),
    ("mads", "Mads Kjær", 0),
    ("sofie", "Sofie Berg", 0),
    ("jonas", "Jonas Lund", 1),
    ("maria", "Maria Friis", 1),
    ("peter", "Peter Dahl", 1),
]
LEADERS = [("leder.nord", "Lene Nørgaard", 0), ("leder.syd", "Søren Vestergaard", 1)]
ADMIN = ("admin", "Administrator")


class DemoRefused(Exception):
    """The database already holds data and --reset was not given."""


@dataclass
class DemoAccount:
    username: str
    full_name: str
    role: Role | None
    """The role in each of `teams`; None for the administrator (a capability, no team)."""
    teams: list[str]
    password: str

    @property
    def access(self) -> str:
        return "admin" if self.role is None else self.role.value


@dataclass
class DemoSummary:
    accounts: list[DemoAccount]
    teams: int = 0
    citizens: int = 0
    submitted: int = 0
    drafts: int = 0
    answers: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def database_has_data(session: Session) -> bool:
    return any(
        session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in (User, Team, Citizen)
    )


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


class _Generator:
    def __init__(self, registry: InstrumentRegistry, seed: int, today: date):
        self.rng = random.Random(seed)
        self.registry = registry
        self.today = today
        self.citizen_form = registry.latest("citizen")
        self.staff_form = registry.latest("staff")

    def choice(self, weights: dict[int, float]) -> int:
        codes = list(weights)
        return self.rng.choices(codes, weights=[weights[c] for c in codes])[0]

    def ordered(self, item: Item, profile: Ordered, state: float, point: int) -> int:
        specials = [o.code for o in item.answers if not o.scored]
        dont_know = profile.dont_know
        if point > 1 and profile.dont_know_later is not None:
            dont_know = max(profile.dont_know_later, dont_know - 0.15 * (point - 1))
        if specials and self.rng.random() < dont_know:
            return specials[0]
        scored = sorted((o.code for o in item.answers if o.scored), reverse=profile.better < 0)
        p = _NORMAL.cdf(state + profile.offset + self.rng.gauss(0, 0.6))
        return scored[min(int(p * len(scored)), len(scored) - 1)]

    def value(self, item: Item, citizen: _Person, point: int, answers: dict) -> AnswerValue | None:
        state = citizen.state(point)
        if item.code in ORDERED:
            return self.ordered(item, ORDERED[item.code], state, point)
        if item.code in CATEGORICAL:
            profile = CATEGORICAL[item.code]
            return self.choice(profile.later if point > 1 and profile.later else profile.first)
        if item.code == "person.age":
            low, high, _ = self.rng.choices(AGES, weights=[w for *_, w in AGES])[0]
            return self.rng.randint(low, high)
        if item.code == "staff.diagnosis":
            return citizen.diagnosis
        if item.code == "staff.diagnosis_kinds":
            return citizen.diagnosis_kinds
        if item.code == "staff.medication":
            return citizen.medication
        if item.code == "staff.employment":
            return 1 if citizen.job_from is not None and point >= citizen.job_from else 2
        if item.code == "staff.employment_hours":
            return citizen.hours
        if item.code == "staff.education":
            return (
                1 if citizen.education_from is not None and point >= citizen.education_from else 2
            )
        if item.code == "staff.internship":
            return 1 if point in citizen.internship_points else 2
        return self.generic(item)

    def generic(self, item: Item) -> AnswerValue | None:
        """Items the profiles do not know (a later version's new items): any valid answer, as
        the item's type picks it (free text stays empty: it is where personal details go)."""
        return ITEM_TYPES[item.type].sample(item, self.rng, self.today)

    def answers(
        self, form: InstrumentVersion, citizen: _Person, point: int, skip_rate: float
    ) -> dict[str, AnswerValue]:
        given: dict[str, AnswerValue] = {}
        for item in form.items_at(point):
            if item.show_when and not item.show_when.holds(given):
                continue
            if self.rng.random() < skip_rate and item.code not in citizen.always_answered:
                continue
            value = self.value(item, citizen, point, given)
            if value is not None:
                given[item.code] = value
        return given


@dataclass
class _Person:
    base: float
    slope: float
    wobble: list[float]
    diagnosis: int
    diagnosis_kinds: tuple[int, ...]
    medication: int
    job_from: int | None
    education_from: int | None
    internship_points: set[int]
    hours: int
    always_answered: frozenset[str] = frozenset()

    def state(self, point: int) -> float:
        return self.base + self.slope * (point - 1) + self.wobble[point - 1]


def build_demo(
    session: Session,
    registry: InstrumentRegistry,
    *,
    seed: int = 2026,
    today: date | None = None,
    hash_passwords: bool = True,
) -> DemoSummary:
    """Fill an empty database with the demo; refuses one that holds data."""
    if database_has_data(session):
        raise DemoRefused(
            "the database already holds data; run `survey demo --reset` to delete "
            "everything in it and load the demo"
        )
    today = today or date.today()
    gen = _Generator(registry, seed, today)
    rng = gen.rng
    summary = DemoSummary(accounts=[])
    # Answers go in with one bulk insert at the end: thousands of ORM objects are slow.
    pending: list[tuple[Response, list[dict]]] = []

    teams = []
    for name, _prefix in TEAMS:
        team = Team(name=name, measurement_interval_months=3, window_days=21)
        session.add(team)
        teams.append(team)
    session.flush()

    def account(username: str, full_name: str, role: Role | None, team_indexes: list[int]) -> User:
        password = demo_password(username)
        user = User(
            username=username,
            full_name=full_name,
            is_admin=role is None,
            password_hash=hash_password(password) if hash_passwords else "!demo",
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        for index in team_indexes:
            team_id = teams[index].id
            assert team_id is not None
            assert role is not None
            session.add(TeamMembership(user_id=user.id, team_id=team_id, role=role))
        summary.accounts.append(
            DemoAccount(username, full_name, role, [teams[i].name for i in team_indexes], password)
        )
        return user

    account(ADMIN[0], ADMIN[1], None, [])
    for username, full_name, team_index in LEADERS:
        account(username, full_name, Role.PROJECT_LEADER, [team_index])
    consultants = [(account(u, n, Role.CONSULTANT, [t]), t) for u, n, t in CONSULTANTS]

    first_day = add_months(today, -MONTHS)
    span = (today - first_day).days
    enrolments = sorted(first_day + timedelta(days=rng.randint(0, span)) for _ in range(CITIZENS))
    numbers = {prefix: 0 for _name, prefix in TEAMS}
    for enrolled in enrolments:
        consultant, team_index = consultants[rng.randrange(len(consultants))]
        prefix = TEAMS[team_index][1]
        numbers[prefix] += 1
        team_id = teams[team_index].id
        assert team_id is not None
        citizen = Citizen(
            reference=f"{prefix}-{enrolled.year}-{numbers[prefix]:03d}",
            enrolled_on=enrolled,
            team_id=team_id,
            consultant_id=consultant.id,
        )
        person = _make_person(rng)
        due = [add_months(enrolled, 3 * k) for k in range(MAX_POINTS)]
        end_point = _course_end(rng, citizen, person, due, today)
        citizens.write_enrolment(session, citizen, recorded_by_id=consultant.id, audited=False)
        assert citizen.id is not None
        reached = sum(d <= today for d in due)
        handover = rng.randint(2, reached) if reached >= 3 and rng.random() < 0.1 else None
        for point, due_on in enumerate(due, start=1):
            if due_on > today or (end_point is not None and point > end_point):
                break
            if point == handover:  # a consultant leaves or caseloads are evened out
                successor = rng.choice(
                    [u for u, t in consultants if t == team_index and u.id != consultant.id]
                )
                session.add(
                    CitizenEvent(
                        citizen_id=citizen.id,
                        kind=CitizenEventKind.TRANSFERRED,
                        occurred_on=due_on - timedelta(days=rng.randint(5, 30)),
                        consultant_id=successor.id,
                        previous_consultant_id=consultant.id,
                        recorded_by_id=consultant.id,
                    )
                )
                consultant = successor
                citizen.consultant_id = successor.id
            recent = (today - due_on).days < 21
            if point > 1 and recent and rng.random() < 0.5:
                if rng.random() < 0.3:  # a citizen form started on the tablet, not finished
                    _add_response(
                        session,
                        gen,
                        citizen,
                        consultant,
                        person,
                        point,
                        due_on,
                        gen.citizen_form,
                        draft=True,
                        summary=summary,
                        pending=pending,
                    )
                continue
            for form, missing in ((gen.citizen_form, 0.08), (gen.staff_form, 0.05)):
                if point > 1 and rng.random() < missing:
                    continue
                _add_response(
                    session,
                    gen,
                    citizen,
                    consultant,
                    person,
                    point,
                    due_on,
                    form,
                    draft=False,
                    summary=summary,
                    pending=pending,
                )
        if citizen.ended_on:
            citizens.write_end(session, citizen, recorded_by_id=consultant.id, audited=False)
        summary.statuses[citizen.status.value] = summary.statuses.get(citizen.status.value, 0) + 1
    session.flush()
    session.execute(
        insert(Answer),
        [{"response_id": response.id, **row} for response, rows in pending for row in rows],
    )
    summary.teams = len(teams)
    summary.citizens = CITIZENS
    return summary


def _make_person(rng: random.Random) -> _Person:
    diagnosis = rng.choices([1, 2, 9], weights=[0.51, 0.21, 0.28])[0]
    kinds: tuple[int, ...] = ()
    if diagnosis == 1:
        codes = list(DIAGNOSIS_KINDS)
        count = rng.choices([1, 2, 3], weights=[0.6, 0.3, 0.1])[0]
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.add(rng.choices(codes, weights=list(DIAGNOSIS_KINDS.values()))[0])
        kinds = tuple(sorted(chosen))
    job_from = rng.choice([2, 3, 3, 4, 4, 5, 6]) if rng.random() < 0.16 else None
    education_from = rng.choice([2, 3, 4, 5]) if rng.random() < 0.07 else None
    internship_points: set[int] = set()
    if rng.random() < 0.35:
        start = rng.randint(2, 5)
        internship_points = set(range(start, start + rng.randint(1, 3)))
    return _Person(
        base=rng.gauss(0, 0.9),
        slope=rng.gauss(0.18, 0.22),
        wobble=[rng.gauss(0, 0.35) for _ in range(MAX_POINTS)],
        diagnosis=diagnosis,
        diagnosis_kinds=kinds,
        medication=rng.choices([1, 2, 9], weights=[0.34, 0.42, 0.24])[0],
        job_from=job_from,
        education_from=education_from,
        internship_points=internship_points,
        hours=rng.choice([8, 10, 12, 15, 15, 20, 25, 30, 37]),
        always_answered=frozenset(f"who5.{i}" for i in range(1, 6))
        if rng.random() < 0.9
        else frozenset(),
    )


def _course_end(
    rng: random.Random, citizen: Citizen, person: _Person, due: list[date], today: date
) -> int | None:
    """End some courses: planned (mostly after a job or education) and unplanned; returns the
    last measurement point before the end, or None for an active course."""
    reached = [d for d in due if d <= today]
    if len(reached) < 2:
        return None
    outcome_point = min(p for p in (person.job_from, person.education_from, 99) if p)
    if outcome_point < len(reached) and rng.random() < 0.6:
        status, reason = (
            CourseStatus.ENDED_PLANNED,
            ("employment" if person.job_from == outcome_point else "education"),
        )
        last = outcome_point
    elif rng.random() < 0.17:
        status = CourseStatus.ENDED_UNPLANNED
        reason = rng.choices(STATUS_REASONS[status], weights=[4, 3, 2, 1, 2, 1])[0]
        last = rng.randint(1, len(reached) - 1)
    elif rng.random() < 0.04:
        status, reason, last = CourseStatus.ENDED_PLANNED, "other", len(reached) - 1
    else:
        return None
    end = min(due[last - 1] + timedelta(days=rng.randint(20, 80)), today)
    citizen.status, citizen.status_reason, citizen.ended_on = status, reason, end
    return last


def _add_response(
    session: Session,
    gen: _Generator,
    citizen: Citizen,
    consultant: User,
    person: _Person,
    point: int,
    due_on: date,
    form: InstrumentVersion,
    *,
    draft: bool,
    summary: DemoSummary,
    pending: list[tuple[Response, list[dict]]],
) -> None:
    assert citizen.id is not None
    rng = gen.rng
    # Most forms are filled in their window; some late (a citizen who did not show up), a few
    # early (a meeting moved forward).
    lateness = rng.choices(
        [rng.randint(-10, 20), rng.randint(22, 45), rng.randint(-35, -22)],
        weights=[0.88, 0.09, 0.03],
    )[0]
    administered = min(due_on + timedelta(days=lateness), gen.today)
    administered = max(administered, citizen.enrolled_on)
    if form.respondent == "staff":
        mode = Mode.STAFF
    else:
        mode = Mode.SELF if rng.random() < 0.55 else Mode.ASSISTED
    started = datetime.combine(
        administered, time(9 + rng.randint(0, 6), rng.randint(0, 59)), tzinfo=UTC
    )
    given = gen.answers(form, person, point, skip_rate=0.02 if mode is not Mode.STAFF else 0.01)
    if draft:
        keep = list(given)[: rng.randint(3, max(4, len(given) // 2))]
        given = {code: given[code] for code in keep}
    response = Response(
        citizen_id=citizen.id,
        point=point,
        form_id=form.id,
        form_version=form.version,
        administered_on=administered,
        mode=mode,
        entered_by_id=consultant.id,
        status=ResponseStatus.DRAFT if draft else ResponseStatus.SUBMITTED,
        started_at=started,
        submitted_at=None if draft else started + timedelta(minutes=rng.randint(6, 25)),
        updated_at=started + timedelta(minutes=rng.randint(6, 25)),
    )
    rows = [
        {"item_code": code, "position": position, "value": text}
        for code, value in given.items()
        for position, text in enumerate(answer_values.encode(form.item(code), value))
    ]
    session.add(response)
    pending.append((response, rows))
    summary.answers += len(rows)
    if draft:
        summary.drafts += 1
    else:
        summary.submitted += 1
