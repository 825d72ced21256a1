"""Each chart in words: for screen readers, and to copy into the case file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from survey.trend.data import Event, ItemSeries, Panel, Radar, ScorePoint, ScoreSeries
from survey.trend.figures import describe, short_title


def _day(on: date) -> str:
    return format_date(on, "medium")


def who5(series: ScoreSeries, lang: str) -> list[str]:
    rule = series.rule
    title = rule.title.get(lang)
    scored = series.scored
    if not scored:
        return [
            _(
                "%(score)s could not be computed at any measurement: an item was not answered.",
                score=title,
            )
        ]

    def at(p: ScorePoint) -> str:
        band = f" ({p.band.label.get(lang)})" if p.band is not None else ""
        return _(
            "%(value)s at measurement %(n)d on %(date)s%(band)s",
            value=f"{p.value:g}",
            n=p.point,
            date=_day(p.on),
            band=band,
        )

    lines = [
        _(
            "%(score)s: computed at %(n)d of %(total)d measurements.",
            score=title,
            n=len(scored),
            total=len(series.points),
        ),
        _("First: %(at)s.", at=at(scored[0])),
    ]
    if len(scored) >= 2:
        lines.append(_("Latest: %(at)s.", at=at(scored[-1])))
        change = f"{series.overall_change:+g}"
        lines.append(
            _(
                "Change from first to latest: %(change)s points, a clinically relevant change.",
                change=change,
            )
            if series.overall_relevant
            else _("Change from first to latest: %(change)s points.", change=change)
        )
    relevant = [p for p in series.points if p.relevant]
    if relevant:
        changes = ", ".join(
            _(
                "measurement %(before)d → %(n)d: %(change)s",
                before=p.since,
                n=p.point,
                change=f"{p.change:+g}",
            )
            for p in relevant
        )
        lines.append(
            _(
                "Changes of %(limit)s points or more between measurements: %(list)s.",
                limit=f"{rule.relevant_change:g}",
                list=changes,
            )
        )
    if series.gaps:
        lines.append(
            _(
                "No score at measurement %(points)s: not every item was answered.",
                points=", ".join(str(p.point) for p in series.gaps),
            )
        )
    return lines


def _first_latest(series: ItemSeries) -> str:
    shown = [p for p in series.points if p.label]
    if not shown:
        return _("not answered")
    first, latest = shown[0], shown[-1]
    text = _("“%(answer)s” at measurement %(n)d", answer=first.label, n=first.point)
    if latest is not first:
        text += " → " + _("“%(answer)s” at measurement %(n)d", answer=latest.label, n=latest.point)
    return text


def _values(series: ItemSeries) -> str:
    """Each answer with its measurement, "m1: 2, m3: Ved ikke, m4: –": a reader of the case
    file must see which value belongs to which point, and which points are missing."""
    parts = []
    for p in series.points:
        if p.value is not None:
            shown = f"{p.value}"
        elif p.label:
            shown = p.label
        else:
            shown = "–"
        parts.append(_("m%(n)d: %(answer)s", n=p.point, answer=shown))
    return ", ".join(parts)


def bip(panels: Sequence[Panel], lang: str) -> list[str]:
    lines = []
    for panel in panels:
        if panel.empty:
            continue
        parts = []
        if panel.citizen is not None:
            title = short_title(panel.citizen.item, lang)
            parts.append(_("the citizen: %(values)s", values=_values(panel.citizen)))
        if panel.staff is not None:
            if panel.citizen is None:
                title = short_title(panel.staff.item, lang)
            parts.append(
                _(
                    "the consultant (%(item)s): %(values)s",
                    item=short_title(panel.staff.item, lang),
                    values=_values(panel.staff),
                )
                if panel.citizen is not None
                else _("the consultant: %(values)s", values=_values(panel.staff))
            )
        gap = _latest_gap(panel)
        line = f"{title} (1–5) – " + "; ".join(parts) + "."
        if gap:
            line += " " + gap
        lines.append(line)
    if lines:
        lines.insert(
            0,
            _(
                "Answers per measurement (m1 is measurement 1): 1 is the most negative and "
                "5 the most positive, – not answered."
            ),
        )
    return lines


def _latest_gap(panel: Panel) -> str:
    """Where the citizen and the consultant last both answered on the scale, how far apart."""
    if panel.citizen is None or panel.staff is None:
        return ""
    staff = {p.point: p.value for p in panel.staff.answered if p.value is not None}
    both = [p for p in panel.citizen.answered if p.point in staff and p.value is not None]
    if not both:
        return ""
    last = both[-1]
    assert last.value is not None  # filtered above; the checker does not follow the list
    difference = last.value - staff[last.point]
    if difference == 0:
        return _("At measurement %(n)d they agree.", n=last.point)
    return _(
        "At measurement %(n)d the citizen answers %(difference)s compared with the consultant.",
        n=last.point,
        difference=f"{difference:+d}",
    )


def radar_lines(chart: Radar | None, lang: str) -> list[str]:
    if chart is None:
        return []
    lines = []
    for i, item in enumerate(chart.items):
        first = chart.first.values[i]
        latest = chart.latest.values[i] if chart.latest is not None else None
        lines.append(
            f"{short_title(item, lang)}: {first if first is not None else '–'}"
            + (f" → {latest if latest is not None else '–'}" if chart.latest is not None else "")
        )
    return lines


def health(series: Sequence[ItemSeries], lang: str) -> list[str]:
    return [f"{short_title(s.item, lang)}: {_first_latest(s)}." for s in series if s.points]


def events(found: Sequence[Event], names: dict[int, str]) -> list[str]:
    return [f"{_day(e.on)}: {describe(e, names)}" for e in found]
