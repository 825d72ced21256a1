"""The demo: realistic, deterministic, and careful with a database that already has data."""

import hashlib
from collections import Counter, defaultdict
from datetime import date
from statistics import mean

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from survey import answers as answer_rows
from survey import migrate
from survey.db import get_engine
from survey.demo import DemoRefused, build_demo
from survey.instruments import scoring
from survey.models import (
    Answer,
    Citizen,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from survey.reports.filters import Filters
from survey.reports.queries import score_cte
from survey.schedule import add_months

TODAY = date(2026, 11, 23)


def load(app, **options):
    registry = app.extensions["survey.instruments"]
    with Session(get_engine(app)) as session:
        summary = build_demo(session, registry, today=TODAY, hash_passwords=False, **options)
        session.commit()
    return summary


def fingerprint(app) -> str:
    with Session(get_engine(app)) as session:
        rows = session.execute(
            select(
                Citizen.reference,
                Response.point,
                Response.form_id,
                Response.status,
                Response.mode,
                Response.administered_on,
                Answer.item_code,
                Answer.value,
            )
            .join(Response, Response.citizen_id == Citizen.id)
            .join(Answer, Answer.response_id == Response.id)
            .order_by(
                Citizen.reference,
                Response.point,
                Response.form_id,
                Answer.item_code,
                Answer.position,
            )
        ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def demo_app(make_app):
    app = make_app()
    load(app)
    return app


def test_demo_has_the_promised_shape(demo_app) -> None:
    registry = demo_app.extensions["survey.instruments"]
    with Session(get_engine(demo_app)) as session:
        assert session.execute(select(func.count()).select_from(Team)).scalar_one() == 2
        roles = Counter(session.execute(select(TeamMembership.role)).scalars())
        assert roles == {Role.CONSULTANT: 6, Role.PROJECT_LEADER: 2}
        admins = session.execute(select(User.username).where(User.is_admin)).scalars().all()
        assert admins == ["admin"]
        citizens = session.execute(select(Citizen)).scalars().all()
        assert len(citizens) == 150
        enrolled = sorted(c.enrolled_on for c in citizens)
        assert add_months(TODAY, -18) <= enrolled[0]
        assert enrolled[-1] <= TODAY
        statuses = Counter(c.status for c in citizens)
        assert statuses["active"] > 100
        assert statuses["ended_planned"] >= 5
        assert statuses["ended_unplanned"] >= 10
        reasons = {c.status_reason for c in citizens if c.status != "active"}
        assert {"employment", "too_complex"} <= reasons

        responses = session.execute(select(Response)).scalars().all()
        submitted = [r for r in responses if r.status == ResponseStatus.SUBMITTED]
        per_point = Counter((r.form_id, r.point) for r in submitted)
        assert max(point for _form, point in per_point) == 6
        # Attrition as in the evaluation report: every point has fewer forms than the one before.
        for form in ("citizen", "staff"):
            counts = [per_point[(form, p)] for p in range(1, 7)]
            assert counts == sorted(counts, reverse=True), counts
            assert counts[0] >= 140
        assert Counter(r.mode for r in submitted if r.form_id == "citizen").keys() == {
            "self",
            "assisted",
        }
        assert any(r.status == ResponseStatus.DRAFT for r in responses)
        # Nothing is filled after today or after the course ended.
        ended = {c.id: c.ended_on for c in citizens if c.ended_on}
        for r in responses:
            assert r.administered_on <= TODAY
            if r.citizen_id in ended:
                assert r.administered_on <= ended[r.citizen_id]

        # Every stored answer fits its item in the form version it was given in.
        answers = session.execute(
            select(
                Response.form_id,
                Response.form_version,
                Response.point,
                Answer.item_code,
                Answer.value,
            ).join(Answer)
        ).all()
        for form_id, version, point, code, value in answers:
            item = registry.get(form_id, version).item(code)
            assert item.asked_at(point)
            if item.is_choice:
                assert int(value) in item.codes


def test_well_being_improves_on_average_for_those_who_stay(demo_app) -> None:
    registry = demo_app.extensions["survey.instruments"]
    form = registry.get("citizen", 1)
    (rule,) = form.scores
    with Session(get_engine(demo_app)) as session:
        rows = session.execute(
            select(Response.citizen_id, Response.point, Answer.item_code, Answer.value)
            .join(Answer)
            .where(Response.form_id == "citizen", Response.status == ResponseStatus.SUBMITTED)
        ).all()
    answers: dict[tuple[int, int], dict] = defaultdict(dict)
    for citizen, point, code, value in rows:
        answers[(citizen, point)][code] = int(value)
    scores = {key: scoring.compute(rule, form, given) for key, given in answers.items()}
    paired = [
        (scores[(c, 1)].value, scores[(c, 3)].value)
        for (c, p) in scores
        if p == 1 and scores[(c, 1)] and scores.get((c, 3))
    ]
    assert len(paired) > 40
    first, third = mean(a for a, _ in paired), mean(b for _, b in paired)
    assert 25 < first < 55, first  # a group with poor well-being at the start
    assert third > first + 3, (first, third)


def test_demo_is_deterministic(make_app, tmp_path) -> None:
    one = make_app(f"sqlite:///{tmp_path / 'one.db'}")
    two = make_app(f"sqlite:///{tmp_path / 'two.db'}")
    load(one)
    load(two)
    assert fingerprint(one) == fingerprint(two)
    three = make_app(f"sqlite:///{tmp_path / 'three.db'}")
    load(three, seed=7)
    assert fingerprint(three) != fingerprint(one)


def test_demo_refuses_a_database_with_data_unless_reset(demo_app) -> None:
    before = fingerprint(demo_app)
    with pytest.raises(DemoRefused, match="--reset"):
        load(demo_app)
    assert fingerprint(demo_app) == before
    migrate.downgrade(demo_app, "base")
    migrate.upgrade(demo_app)
    load(demo_app)
    assert fingerprint(demo_app) == before  # same seed, same demo


@pytest.mark.postgresql
def test_demo_loads_on_postgresql(make_app, postgres_url: str) -> None:
    app = make_app(postgres_url)
    summary = load(app)
    assert summary.citizens == 150
    with Session(get_engine(app)) as session:
        count = session.execute(select(func.count()).select_from(Answer)).scalar_one()
    assert count == summary.answers > 10_000


def test_the_reports_sql_score_is_the_instruments_score_on_the_whole_demo(demo_app) -> None:
    """The cohort report sums WHO-5 in SQL; the trend and exports use `scoring.compute`. Over
    every submitted response of the demo they must give the same raw score, and leave out the
    same responses (an item unanswered or answered with an unscored code)."""
    registry = demo_app.extensions["survey.instruments"]
    rule = registry.score_rule("who5.score")
    assert rule is not None
    scored = sorted(
        {o.code for code in rule.items for o in registry.find_item(code).answers if o.scored}
    )
    with Session(get_engine(demo_app)) as session:
        points = sorted(set(session.scalars(select(Response.point).distinct())))
        sql = {
            (row.citizen_id, row.point): row.raw
            for row in session.execute(
                select(score_cte(Filters(), rule.items, scored, points))
            ).all()
        }
        responses = session.scalars(
            select(Response).where(
                Response.status == ResponseStatus.SUBMITTED, Response.form_id == "citizen"
            )
        ).all()
        texts = answer_rows.texts_of(session, [r.id for r in responses])
        python = {}
        for r in responses:
            definition = registry.get(r.form_id, r.form_version)
            score = scoring.compute(
                rule, definition, answer_rows.decode(definition, texts.get(r.id, {}))
            )
            if score is not None:
                python[(r.citizen_id, r.point)] = score.raw
    assert len(python) > 300
    assert len(python) < len(responses)  # some responses have no score: the test sees both kinds
    assert sql == python
