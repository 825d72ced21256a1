"""Each role's start page."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey import audit, clock
from survey.db import get_session
from survey.home import services
from survey.main import services as main_services

bp = Blueprint("home", __name__)


def form_titles() -> dict[str, object]:
    registry = current_app.extensions["survey.instruments"]
    return {f.id: f.title for f in registry.forms()}


def form_ids() -> list[str]:
    return sorted(form_titles(), key=lambda i: (i != "citizen", i))


@bp.get("/")
def index() -> ResponseReturnValue:
    """Who is due, whose form is half done (consultant); are the teams keeping the rhythm
    (project leader); accounts and the audit trail (admin) — each part the user's roles give,
    on one page. The consultant's list of citizens is audited as a view of the caseload; the
    other two show counts only."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    db = get_session()
    today = clock.today()
    home = teams = overview = None
    if current_user.is_consultant:
        home = services.consultant_home(db, current_user, today=today, forms=form_ids())
        audit.record(
            "caseload.view", details={"page": "home", "citizens": services.citizens_shown(home)}
        )
        db.commit()
    if current_user.is_leader:
        teams = services.leader_overview(db, current_user, today=today, forms=form_ids())
    if current_user.is_admin:
        overview = main_services.overview(db)
    return render_template(
        "home/index.html",
        home=home,
        teams=teams,
        overview=overview,
        today=today,
        forms=form_ids(),
        titles=form_titles(),
    )
