"""What a report output is: its table, filters, as-of date, pairing, suppression, instrument
versions, and when and by whom it was made. Every CSV and text output starts with this block,
every workbook has it as its first sheet and the JSON has it under "about"
(`survey.reports.writers`). The names of teams and consultants are looked up here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.instruments.registry import InstrumentRegistry
from survey.labels import REPORT_STATUS_LABELS, Label, _l
from survey.models import Team, User

LABELS: dict[str, Label] = {
    "table": _l("Table"),
    "item": _l("Item"),
    "by": _l("By"),
    "points": _l("Measurement points"),
    "paired": _l("Pairing"),
    "paired_form": _l("the same citizens at every point (the whole form)"),
    "paired_item": _l("the same citizens at every point (item by item)"),
    "unpaired": _l("none: every form at each point"),
    "teams": _l("Teams"),
    "consultants": _l("Consultants"),
    "enrolled": _l("Enrolled"),
    "statuses": _l("Course status"),
    "mode": _l("Citizen forms filled"),
    "self": _l("by the citizen alone"),
    "assisted": _l("with the consultant"),
    "any": _l("all"),
    "versions": _l("Instrument versions"),
    "as_of": _l("Status as of"),
    "today": _l("the day it was made"),
    "suppression": _l("Small numbers"),
    "suppressed": _l(
        "counts of 1–4 citizens are hidden, with the cells they could be worked out from"
    ),
    "shown": _l("shown in full"),
    "made": _l("Made"),
    "made_by": _l("Made by"),
    "command": _l("the command line (survey report)"),
}


def _names(session: Session, model: Any, ids: Any, name: Any) -> str:
    return ", ".join(session.scalars(select(name).where(col(model.id).in_(sorted(ids)))).all())


def about(
    session: Session,
    registry: InstrumentRegistry,
    request: Any,
    *,
    made_by: str | None,
    suppressed: bool,
    titles: Sequence[str] = (),
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """The block for `request` (a `ReportRequest`), in its language. `made_by`: a username, or
    None for the command line; `titles`: the tables of a workbook, when there are several."""
    lang = request.lang
    w = {key: label.in_language(lang) for key, label in LABELS.items()}
    f = request.filters
    rows: list[tuple[str, str]] = [(w["table"], ", ".join(titles) or request.table)]
    if request.item:
        rows.append((w["item"], request.item))
    if request.by:
        rows.append((w["by"], request.by))
    if request.points:
        rows.append((w["points"], ", ".join(map(str, request.points))))
    pairing = getattr(request, "paired", False)
    if pairing:
        rows.append((w["paired"], w["paired_item"] if pairing == "item" else w["paired_form"]))
    elif request.points and len(request.points) > 1:
        rows.append((w["paired"], w["unpaired"]))
    rows.append(
        (w["teams"], _names(session, Team, f.team_ids, col(Team.name)) if f.team_ids else w["any"])
    )
    if f.consultant_ids:
        rows.append((w["consultants"], _names(session, User, f.consultant_ids, col(User.username))))
    if f.enrolled_from or f.enrolled_to:
        start = f.enrolled_from.isoformat() if f.enrolled_from else "…"
        end = f.enrolled_to.isoformat() if f.enrolled_to else "…"
        rows.append((w["enrolled"], f"{start} – {end}"))
    if f.statuses:
        rows.append(
            (
                w["statuses"],
                ", ".join(REPORT_STATUS_LABELS[s].in_language(lang) for s in sorted(f.statuses)),
            )
        )
    rows.append((w["mode"], w[f.mode] if f.mode else w["any"]))
    versions = []
    for form in sorted({v.id for v in registry.forms()}):
        chosen = (f.form_versions or {}).get(form)
        known = sorted(v.version for v in registry.forms() if v.id == form)
        versions.append(f"{form} {', '.join(map(str, sorted(chosen) if chosen else known))}")
    rows.append((w["versions"], "; ".join(versions)))
    as_of = getattr(f, "as_of", None)
    rows.append((w["as_of"], as_of.isoformat() if as_of else w["today"]))
    rows.append((w["suppression"], w["suppressed"] if suppressed else w["shown"]))
    made = (now or datetime.now(UTC)).astimezone(UTC)
    rows.append((w["made"], made.strftime("%Y-%m-%d %H:%M UTC")))
    rows.append((w["made_by"], made_by or w["command"]))
    return rows
