"""The trend page's content for one citizen: charts with their summaries, and the item table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session, col

from survey.instruments import InstrumentRegistry
from survey.models import Citizen, User
from survey.trend import data, figures, summary
from survey.trend.data import LAYOUT, FormTable, Layout, Measurement


@dataclass
class Chart:
    id: str
    title: str
    figure: dict | None  # None: nothing to draw, `empty` says why
    summary: list[str] = field(default_factory=list)
    empty: str = ""

    @property
    def figure_json(self) -> str:
        return json.dumps(self.figure, separators=(",", ":"), ensure_ascii=False)


@dataclass
class TrendPage:
    citizen: Citizen
    measurements: list[Measurement]
    charts: list[Chart]
    tables: list[FormTable]

    @property
    def points(self) -> list[int]:
        return sorted({m.point for m in self.measurements})


def build(
    db: Session,
    registry: InstrumentRegistry,
    citizen: Citizen,
    lang: str,
    layout: Layout = LAYOUT,
) -> TrendPage:
    assert citizen.id is not None  # a citizen read from the database
    measurements = data.load(db, registry, citizen.id)
    history = data.load_events(db, citizen.id)
    found = data.events(measurements, history, layout)
    ids = {e.consultant_id for e in found} | {e.previous_consultant_id for e in found}
    names = dict(
        db.execute(
            select(col(User.id), col(User.full_name)).where(col(User.id).in_(ids - {None}))
        ).all()
    )
    xrange = figures.time_range([m.administered_on for m in measurements] + [e.on for e in found])
    charts = [
        _who5(measurements, registry, layout, xrange, lang),
        *_bip(measurements, registry, layout, xrange, lang),
        _health(measurements, registry, layout, xrange, lang),
        Chart(
            "events",
            _("Events"),
            figures.timeline(found, xrange, lang, names) if found else None,
            summary.events(found, names),
            _("Nothing has happened yet."),
        ),
    ]
    changes = data.version_changes(measurements)
    if changes:
        titles = {c.form_id: registry.get(c.form_id, c.after).title.get(lang) for c in changes}
        for chart in charts:
            if chart.figure is not None:
                figures.mark_versions(chart.figure, changes, titles)
    return TrendPage(citizen, measurements, charts, data.form_tables(measurements, registry, lang))


def _who5(
    measurements: list[Measurement],
    registry: InstrumentRegistry,
    layout: Layout,
    xrange: list[str] | None,
    lang: str,
) -> Chart:
    series = data.score_series(measurements, registry, layout.score)
    rule = series.rule if series else registry.score_rule(layout.score)
    title = rule.title.get(lang) if rule else layout.score
    if series is None or not series.points:
        return Chart("who5", title, None, empty=_("No citizen form has been submitted yet."))
    return Chart("who5", title, figures.who5(series, xrange, lang), summary.who5(series, lang))


def _bip(
    measurements: list[Measurement],
    registry: InstrumentRegistry,
    layout: Layout,
    xrange: list[str] | None,
    lang: str,
) -> list[Chart]:
    citizen_codes, staff_codes = layout.bip_codes(registry)
    found = data.panels(measurements, registry, lang, citizen_codes, staff_codes, layout.pairs)
    title = _("Employability (BIP): the citizen's and the consultant's view")
    radar_title = _("Employability (BIP): the citizen's first and latest measurement")
    if all(p.empty for p in found):
        nothing = _("No BIP question has been answered yet.")
        return [
            Chart("bip", title, None, empty=nothing),
            Chart("radar", radar_title, None, empty=nothing),
        ]
    chart = Chart("bip", title, figures.bip(found, xrange, lang), summary.bip(found, lang))
    shape = data.radar([p for p in found if p.citizen is not None])
    if shape is None:
        radar = Chart(
            "radar",
            radar_title,
            None,
            empty=_(
                "The citizen has not answered any BIP question on the 1–5 scale "
                "(only “Ved ikke” or nothing)."
            ),
        )
    else:
        lines = summary.radar_lines(shape, lang)
        if shape.latest is None:
            lines.insert(
                0,
                _(
                    "Only one measurement has answers on the scale; "
                    "there is nothing to compare yet."
                ),
            )
        radar = Chart("radar", radar_title, figures.radar(shape, lang), lines)
    return [chart, radar]


def _health(
    measurements: list[Measurement],
    registry: InstrumentRegistry,
    layout: Layout,
    xrange: list[str] | None,
    lang: str,
) -> Chart:
    def series(codes: tuple[str, ...]) -> list[data.ItemSeries]:
        found = (data.item_series(measurements, registry, code, lang) for code in codes)
        return [s for s in found if s is not None and s.points]

    self_rated, assessed = series(layout.self_rated), series(layout.assessed)
    title = _("Health")
    if not self_rated and not assessed:
        return Chart("health", title, None, empty=_("No health question has been answered yet."))
    return Chart(
        "health",
        title,
        figures.health(self_rated, assessed, xrange, lang, layout.best_low),
        summary.health([*self_rated, *assessed], lang),
    )
