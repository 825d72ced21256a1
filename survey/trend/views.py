"""The trend page and its print view, for the citizen's consultant and the team's leaders."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user

from survey import audit, clock
from survey.access import staff_required
from survey.citizens import services as citizens
from survey.db import get_session
from survey.models import Team, User
from survey.trend import services

bp = Blueprint("trend", __name__, url_prefix="/citizens")


def _page(citizen_id: int, template: str, printed: bool) -> ResponseReturnValue:
    db = get_session()
    try:
        citizen = citizens.get_visible(db, current_user, citizen_id)
    except citizens.NotVisible:
        abort(404)
    audit.record("citizen.trend", citizen_id=citizen.id, details={"print": printed})
    db.commit()
    lang = str(get_locale() or "da")
    page = services.build(db, current_app.extensions["survey.instruments"], citizen, lang)
    consultant = db.get(User, citizen.consultant_id) if citizen.consultant_id else None
    return render_template(
        template,
        page=page,
        citizen=citizen,
        team=db.get(Team, citizen.team_id),
        consultant=consultant,
        lang=lang,
        today=clock.today(),
    )


@bp.get("/<int:citizen_id>/trend")
@staff_required
def view(citizen_id: int) -> ResponseReturnValue:
    """The citizen's trend: charts, their text summaries and every answer by point. Audited."""
    return _page(citizen_id, "trend/view.html", printed=False)


@bp.get("/<int:citizen_id>/trend/print")
@staff_required
def print_view(citizen_id: int) -> ResponseReturnValue:
    """The same on A4, black-and-white safe, for the conversation and the case file. Audited."""
    return _page(citizen_id, "trend/print.html", printed=True)
