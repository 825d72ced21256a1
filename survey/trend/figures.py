"""Plotly figures (plain dicts) from the trend data, drawn in the browser by plotly.js.

Plain dicts rather than plotly.graph_objects: the page is built on every view and the objects'
validation costs more than the rest of the page. Every chart is readable in black and white:
the citizen is a solid line with circles, the consultant a dashed line with squares, bands are
grey levels with their names written in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from survey.instruments.schema import Item
from survey.labels import EVENT_LABELS, REASON_LABELS
from survey.trend.data import (
    Event,
    EventKind,
    ItemPoint,
    ItemSeries,
    Panel,
    Profile,
    Radar,
    ScoreSeries,
    VersionChange,
)

CITIZEN = {"color": "#1f4e79", "dash": "solid", "symbol": "circle"}
CONSULTANT = {"color": "#a34700", "dash": "dash", "symbol": "square"}
SECOND = {"color": "#4d4d4d", "dash": "dot", "symbol": "diamond"}
BAND_SHADES = ("rgba(0,0,0,0.18)", "rgba(0,0,0,0.08)", "rgba(0,0,0,0.03)")
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}

# Short names for the small multiples; the full question is in the table and the hover text.
SHORT_TITLES = {
    "bip_c.1": _l("Ideas about a job"),
    "bip_c.2": _l("Energy in everyday life"),
    "bip_c.3": _l("Health and work"),
    "bip_c.4": _l("Competences of use"),
    "bip_c.5": _l("Can manage a job"),
    "bip_c.6": _l("Knows the next steps"),
    "bip_s.1": _l("Realistic job wishes"),
    "bip_s.2": _l("Acts with purpose"),
    "bip_s.3": _l("Concentration"),
    "bip_s.4": _l("Copes with everyday life"),
    "health.mental": _l("Mental health"),
    "health.physical": _l("Physical health"),
    "staff.mental_limits": _l("Mental problems limit everyday life"),
    "staff.physical_limits": _l("Physical problems limit everyday life"),
}

EVENT_NAMES = {
    **{EventKind(kind): name for kind, name in EVENT_LABELS.items()},  # the course history
    EventKind.EMPLOYMENT: _l("Employment"),
    EventKind.EDUCATION: _l("Education"),
    EventKind.INTERNSHIP: _l("Internship"),
    EventKind.NETWORK_MEETING: _l("Network meeting"),
    EventKind.GROUP_COURSE: _l("Group course"),
}
EVENT_SYMBOLS = {
    EventKind.ENROLLED: "star",
    EventKind.EMPLOYMENT: "circle",
    EventKind.EDUCATION: "square",
    EventKind.INTERNSHIP: "diamond",
    EventKind.NETWORK_MEETING: "triangle-up",
    EventKind.GROUP_COURSE: "triangle-down",
    EventKind.TRANSFERRED: "cross",
    EventKind.ENDED: "x",
    EventKind.REOPENED: "star-open",
}


def short_title(item: Item, lang: str) -> str:
    title = SHORT_TITLES.get(item.code)
    return str(title) if title is not None else item.text.get(lang)


def time_range(dates: Sequence[date]) -> list[str] | None:
    """One x range for every chart, so the charts line up under each other."""
    if not dates:
        return None
    first, last = min(dates), max(dates)
    pad = max(14, (last - first).days // 20)
    return [(first - timedelta(days=pad)).isoformat(), (last + timedelta(days=pad)).isoformat()]


def _x_axis(xrange: list[str] | None, lang: str, **extra: object) -> dict:
    return {
        "type": "date",
        "range": xrange,
        "tickformat": "%d.%m.%Y" if lang == "da" else "%d %b %Y",
        "showgrid": True,
        "gridcolor": "#e5e5e5",
        "fixedrange": True,
        "automargin": True,  # slanted dates on a narrow (printed) chart are not cut off
        "nticks": 8,
        **extra,
    }


def _layout(height: int, **extra: object) -> dict:
    return {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.18},
        "hovermode": "closest",
        **extra,
    }


def _line(style: dict, name: str, x: list, y: list, hover: list, **extra: object) -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": y,
        "hovertext": hover,
        "hoverinfo": "text+name",
        "connectgaps": False,
        "line": {"color": style["color"], "dash": style["dash"], "width": 2.5},
        "marker": {"symbol": style["symbol"], "size": 9, "color": style["color"]},
        **extra,
    }


def _with_breaks(points: Sequence[tuple[int, date, float | None, str]]) -> tuple[list, list, list]:
    """x, y and hover text with a None wherever a point is missing or has no value, so the line
    breaks there instead of pretending the values are joined."""
    x: list = []
    y: list = []
    text: list = []
    previous: int | None = None
    for point, on, value, label in points:
        if previous is not None and point > previous + 1:
            x.append(None)
            y.append(None)
            text.append("")
        x.append(on.isoformat())
        y.append(value)
        text.append(label)
        previous = point
    return x, y, text


def who5(series: ScoreSeries, xrange: list[str] | None, lang: str) -> dict:
    rule = series.rule
    low = rule.min if rule.min is not None else 0
    high = rule.max if rule.max is not None else 100
    shapes, annotations = [], []
    bottom = low
    for band, shade in zip(sorted(rule.bands, key=lambda b: b.max), BAND_SHADES, strict=False):
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": bottom,
                "y1": band.max,
                "fillcolor": shade,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 0.005,
                "y": band.max - 2,
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "font": {"size": 11, "color": "#333"},
                "text": f"≤ {band.max:g}: {band.label.get(lang)}",
            }
        )
        bottom = band.max
    x, y, text = _with_breaks(
        [
            (
                p.point,
                p.on,
                p.value,
                _("Measurement %(n)d: %(value)s", n=p.point, value=f"{p.value:g}")
                if p.value is not None
                else _("Measurement %(n)d: no score", n=p.point),
            )
            for p in series.points
        ]
    )
    traces = [
        _line(
            CITIZEN,
            rule.title.get(lang),
            x,
            y,
            text,
            mode="lines+markers+text",
            text=[f"{v:g}" if v is not None else "" for v in y],
            textposition="top center",
        )
    ]
    relevant = [p for p in series.points if p.relevant]
    if relevant:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Change of %(n)s points or more", n=f"{rule.relevant_change:g}"),
                "x": [p.on.isoformat() for p in relevant],
                "y": [p.value for p in relevant],
                "hovertext": [f"{p.change:+g}" for p in relevant],
                "hoverinfo": "text+name",
                "marker": {
                    "symbol": [
                        "triangle-up-open" if (p.change or 0) > 0 else "triangle-down-open"
                        for p in relevant
                    ],
                    "size": 22,
                    "color": "#000",
                    "line": {"width": 2},
                },
            }
        )
        for p in relevant:
            annotations.append(
                {
                    "x": p.on.isoformat(),
                    "y": p.value,
                    "text": f"<b>{p.change:+g}</b>",
                    "showarrow": False,
                    "yshift": -22,
                    "font": {"size": 12},
                }
            )
    for p in series.gaps:
        shapes.append(
            {
                "type": "line",
                "x0": p.on.isoformat(),
                "x1": p.on.isoformat(),
                "y0": low,
                "y1": high,
                "line": {"color": "#555", "width": 1.5, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "x": p.on.isoformat(),
                "y": high,
                "yanchor": "bottom",
                "showarrow": False,
                "text": _("No score (measurement %(n)d)", n=p.point),
                "font": {"size": 11},
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            340,
            xaxis=_x_axis(xrange, lang),
            yaxis={
                "range": [low - 2, high + 8],
                "tickvals": [0, 20, 28, 40, 50, 60, 80, 100],
                "title": {"text": rule.title.get(lang)},
                "fixedrange": True,
                "zeroline": False,
            },
            shapes=shapes,
            annotations=annotations,
        ),
    }


def mark_versions(figure: dict, changes: Sequence[VersionChange], titles: dict[str, str]) -> None:
    """A dash-dotted line on every time axis where a form changed version, named on the first."""
    layout = figure["layout"]
    axes = sorted(k for k in layout if k.startswith("xaxis"))
    for change in changes:
        on = change.on.isoformat()
        for key in axes:
            suffix = key[len("xaxis") :]
            layout.setdefault("shapes", []).append(
                {
                    "type": "line",
                    "xref": f"x{suffix}",
                    "yref": f"y{suffix} domain",
                    "x0": on,
                    "x1": on,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#000", "width": 1.5, "dash": "dashdot"},
                }
            )
        if axes:
            layout.setdefault("annotations", []).append(
                {
                    "xref": "x",
                    "yref": "paper",
                    "x": on,
                    "y": 1,
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11},
                    "text": _(
                        "%(form)s version %(version)d",
                        form=titles.get(change.form_id, change.form_id),
                        version=change.after,
                    ),
                }
            )


def _scale_axis(item: Item, lang: str, *, reverse: bool = False) -> dict:
    """A y axis with the item's answer codes as ticks; "Ved ikke" gets its own row under the
    scale."""
    scored = [o for o in item.answers if o.scored]
    special = [o for o in item.answers if not o.scored]
    vals: list[int] = [o.code for o in scored]
    ticks = [f"{o.code}" if len(o.label.get(lang)) > 18 else o.label.get(lang) for o in scored]
    if special:
        vals = [0, *vals]
        ticks = [special[0].label.get(lang), *ticks]
    low, high = min(vals), max(vals)
    span = [low - 0.5, high + 0.5]
    return {
        "tickvals": vals,
        "ticktext": ticks,
        "range": span[::-1] if reverse else span,
        "fixedrange": True,
        "zeroline": False,
        "gridcolor": "#e5e5e5",
    }


def _item_traces(
    series: ItemSeries, style: dict, name: str, axes: tuple[str, str], *, legend: bool
) -> list[dict]:
    # Translated once, formatted per point: this runs for every point of every series.
    template, unanswered = _("Measurement %(n)d: %(answer)s"), _("not answered")

    def label(p: ItemPoint) -> str:
        return template % {"n": p.point, "answer": p.label or unanswered}

    x, y, text = _with_breaks([(p.point, p.on, p.value, label(p)) for p in series.points])
    traces = [
        _line(
            style,
            name,
            x,
            y,
            text,
            xaxis=axes[0],
            yaxis=axes[1],
            legendgroup=name,
            showlegend=legend,
        )
    ]
    if series.special:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [p.on.isoformat() for p in series.special],
                "y": [0] * len(series.special),
                "hovertext": [label(p) for p in series.special],
                "hoverinfo": "text+name",
                "marker": {
                    "symbol": style["symbol"] + "-open",
                    "size": 11,
                    "color": style["color"],
                    "line": {"width": 2},
                },
                "xaxis": axes[0],
                "yaxis": axes[1],
                "legendgroup": name,
                "showlegend": False,
            }
        )
    return traces


def _grid(count: int, columns: int, gap_x: float = 0.08, gap_y: float = 0.13) -> list[tuple]:
    """Domains (x0, x1, y0, y1) for `count` small multiples, `columns` wide, top to bottom."""
    rows = -(-count // columns)
    width = (1 - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * (rows - 1)) / rows
    cells = []
    for k in range(count):
        r, c = divmod(k, columns)
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        cells.append((x0, x0 + width, y1 - height, y1))
    return cells


def _multiples(
    groups: Sequence[tuple[str, Sequence[tuple[ItemSeries, dict, str]]]],
    xrange: list[str] | None,
    lang: str,
    *,
    columns: int,
    row_height: int,
    reverse: frozenset[str] = frozenset(),
) -> dict:
    """Small multiples sharing one time axis range: one panel per group of series."""
    cells = _grid(len(groups), columns)
    traces: list[dict] = []
    layout = _layout(row_height * -(-len(groups) // columns) + 70, annotations=[])
    layout["margin"] = {"l": 60, "r": 20, "t": 40, "b": 40}
    legend_seen: set[str] = set()
    for k, ((title, members), (x0, x1, y0, y1)) in enumerate(zip(groups, cells, strict=True)):
        suffix = "" if k == 0 else str(k + 1)
        axes = (f"x{suffix}", f"y{suffix}")
        for series, style, name in members:
            traces += _item_traces(series, style, name, axes, legend=name not in legend_seen)
            legend_seen.add(name)
        first = members[0][0].item
        layout[f"xaxis{suffix}"] = _x_axis(xrange, lang, domain=[x0, x1], anchor=axes[1])
        layout[f"yaxis{suffix}"] = {
            **_scale_axis(first, lang, reverse=first.code in reverse),
            "domain": [y0, y1],
            "anchor": axes[0],
        }
        layout["annotations"].append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": x0,
                "y": y1,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"<b>{title}</b>",
            }
        )
    rows = -(-len(groups) // columns)
    layout["legend"] = {"orientation": "h", "y": -0.35 / rows, "yanchor": "top", "x": 0}
    layout["margin"]["t"] = 60  # room for a two-line title over the top row
    layout["margin"]["b"] = 70
    return {"data": traces, "layout": layout}


def bip(panels: Sequence[Panel], xrange: list[str] | None, lang: str) -> dict:
    citizen, consultant = _("Citizen"), _("Consultant")
    groups = []
    for panel in panels:
        members = []
        if panel.citizen is not None:
            members.append((panel.citizen, CITIZEN, citizen))
        if panel.staff is not None:
            members.append((panel.staff, CONSULTANT, consultant))
        if not members:
            continue
        title = short_title(members[0][0].item, lang)
        if panel.citizen is not None and panel.staff is not None:
            # On two lines: side by side they run past a half-width panel on A4.
            title = f"{title} ~<br>{short_title(panel.staff.item, lang)}"
        groups.append((title, members))
    return _multiples(groups, xrange, lang, columns=2, row_height=190)


def health(
    self_rated: Sequence[ItemSeries],
    assessed: Sequence[ItemSeries],
    xrange: list[str] | None,
    lang: str,
    best_low: frozenset[str],
) -> dict:
    groups = []
    styles = (CITIZEN, SECOND)
    if self_rated:
        groups.append(
            (
                _("Self-rated health (the citizen)"),
                [(s, styles[i % 2], short_title(s.item, lang)) for i, s in enumerate(self_rated)],
            )
        )
    if assessed:
        styles = (CONSULTANT, {"color": "#4d4d4d", "dash": "dashdot", "symbol": "triangle-up"})
        groups.append(
            (
                _("Limitations in everyday life (the consultant)"),
                [(s, styles[i % 2], short_title(s.item, lang)) for i, s in enumerate(assessed)],
            )
        )
    figure = _multiples(groups, xrange, lang, columns=1, row_height=230, reverse=best_low)
    figure["layout"]["margin"]["l"] = 150
    return figure


def radar(chart: Radar, lang: str) -> dict:
    theta = [short_title(item, lang) for item in chart.items]

    def trace(profile: Profile, style: dict, name: str) -> dict:
        r = list(profile.values)
        return {
            "type": "scatterpolar",
            "name": name,
            "r": [*r, r[0]],
            "theta": [*theta, theta[0]],
            "mode": "lines+markers",
            "connectgaps": False,
            "line": {"color": style["color"], "dash": style["dash"], "width": 2.5},
            "marker": {"symbol": style["symbol"], "size": 8, "color": style["color"]},
            "fill": "none",
        }

    traces = [
        trace(
            chart.first,
            {**SECOND, "dash": "dash"},
            _("First (measurement %(n)d)", n=chart.first.point),
        )
    ]
    if chart.latest is not None:
        traces.append(
            trace(chart.latest, CITIZEN, _("Latest (measurement %(n)d)", n=chart.latest.point))
        )
    layout = _layout(420)
    layout["polar"] = {
        "radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5], "angle": 90},
        "angularaxis": {"direction": "clockwise"},
    }
    layout["margin"] = {"l": 110, "r": 110, "t": 40, "b": 40}
    return {"data": traces, "layout": layout}


def timeline(
    found: Sequence[Event], xrange: list[str] | None, lang: str, names: dict[int, str]
) -> dict:
    kinds = [k for k in EventKind if any(e.kind is k for e in found)]
    traces = []
    for kind in kinds:
        chosen = [e for e in found if e.kind is kind]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": str(EVENT_NAMES[kind]),
                "x": [e.on.isoformat() for e in chosen],
                "y": [str(EVENT_NAMES[kind])] * len(chosen),
                "text": [_short(e) for e in chosen],
                "textposition": "top center",
                "hovertext": [describe(e, names) for e in chosen],
                "hoverinfo": "text",
                "marker": {"symbol": EVENT_SYMBOLS[kind], "size": 12, "color": "#222"},
                "showlegend": False,
            }
        )
    layout = _layout(
        max(160, 60 + 42 * len(kinds)),
        xaxis=_x_axis(xrange, lang),
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [str(EVENT_NAMES[k]) for k in reversed(kinds)],
            "fixedrange": True,
            "automargin": True,
        },
        showlegend=False,
    )
    layout["margin"] = {"l": 150, "r": 20, "t": 20, "b": 40}
    return {"data": traces, "layout": layout}


def _short(event: Event) -> str:
    if event.kind is EventKind.EMPLOYMENT and event.hours is not None:
        return _("%(hours)d h/week", hours=event.hours)
    return ""


def describe(event: Event, names: dict[int, str]) -> str:
    """One event in words, for the hover text and the text summary."""
    name = str(EVENT_NAMES[event.kind])
    if event.kind is EventKind.EMPLOYMENT and event.hours is not None:
        return _(
            "%(event)s, %(hours)d hours a week (measurement %(n)d)",
            event=name,
            hours=event.hours,
            n=event.point,
        )
    if event.point is not None:
        return _("%(event)s (measurement %(n)d)", event=name, n=event.point)
    if event.kind is EventKind.TRANSFERRED:
        return _(
            "Transferred from %(before)s to %(after)s",
            before=names.get(event.previous_consultant_id or 0, "–"),
            after=names.get(event.consultant_id or 0, "–"),
        )
    if event.kind is EventKind.ENDED and event.reason:
        reason = REASON_LABELS.get(event.reason)
        return f"{name}: {reason}" if reason is not None else name
    return name
