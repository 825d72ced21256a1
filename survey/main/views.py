"""Thin views: parse the request, call a service, render."""

from __future__ import annotations

from importlib import resources

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user, login_required

from survey.access import staff_required
from survey.i18n import LOCALES
from survey.instruments import InstrumentRegistry, UnknownInstrument
from survey.main import services
from survey.redirects import local_target

bp = Blueprint("main", __name__)


def _registry() -> InstrumentRegistry:
    return current_app.extensions["survey.instruments"]


@bp.get("/instruments")
@login_required
def instruments() -> ResponseReturnValue:
    """Every instrument and form version, with its status."""
    return render_template("main/instruments.html", registry=_registry())


@bp.get("/instruments/<instrument_id>/<int:version>")
@login_required
def instrument(instrument_id: str, version: int) -> ResponseReturnValue:
    """One version's full content, includes expanded, in the user's language."""
    try:
        definition = _registry().get(instrument_id, version)
    except UnknownInstrument:
        abort(404)
    return render_template("main/instrument.html", definition=definition, locale=str(get_locale()))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the interface language for this session, back to the page the user was on."""
    chosen = request.form.get("locale")
    if chosen in LOCALES:
        session["locale"] = chosen
    return redirect(local_target(request.form.get("next"), "/"))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """For load balancers and monitoring: ok when the database is reachable and its schema is the
    newest, else 503. Which schema it is only an administrator is told (it dates the code)."""
    state = services.health(current_app)
    body: dict[str, object] = {"status": "ok" if state.ok else "unavailable"}
    if current_user.is_authenticated and current_user.is_admin:
        body.update(database=state.database, schema=state.revision, expected_schema=state.head)
    return jsonify(body), 200 if state.ok else 503


@bp.get("/vendor/plotly.min.js")
@staff_required
def plotly_js() -> ResponseReturnValue:
    """plotly.js from the installed plotly package: served by us, never from a CDN, so charts
    draw on a tablet without internet and no request leaves the server."""
    folder = resources.files("plotly") / "package_data"
    response = send_from_directory(str(folder), "plotly.min.js", max_age=31536000)
    response.headers["Cache-Control"] = "private, max-age=31536000"
    return response
