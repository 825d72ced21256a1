"""The app factory: a list of small named steps, each subsystem with its own init_app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from survey import auth, db, i18n, inputs, labels, logs, outage
from survey.admin import bp as admin_bp
from survey.citizens import bp as citizens_bp
from survey.config import build_config
from survey.extensions import INSTRUMENTS, csrf, login_manager
from survey.forms import field_name
from survey.forms.fields import check_registry
from survey.home import bp as home_bp
from survey.instruments import load_registry
from survey.instruments.asking import describe, describe_condition
from survey.instruments.types import check_item_types
from survey.interop.views import bp as interop_bp
from survey.jobs import queue as jobs_queue
from survey.kiosk import handover
from survey.kiosk.guard import guard as kiosk_guard
from survey.kiosk.views import bp as kiosk_bp
from survey.main import bp as main_bp
from survey.reports.sets import REPORT_SETS, load_sets
from survey.reports.views import bp as reports_bp
from survey.responses import bp as responses_bp
from survey.sso import saml
from survey.sso.saml_views import bp as saml_bp
from survey.trend import bp as trend_bp


class SurveyApp(Flask):
    """Flask, with a failed request logged without its exception's message (survey.logs)."""

    def log_exception(self, exc_info: logs.ExcInfo) -> None:
        logs.log_exception(exc_info)


def create_app(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the app. Raises ConfigError or InstrumentErrors with a message naming the problem."""
    app = SurveyApp("survey", instance_path=instance_path, instance_relative_config=True)
    _configure(app, overrides, environ)
    _behind_proxies(app)
    _load_instruments(app)
    db.init_app(app)
    jobs_queue.init_app(app)
    inputs.init_app(app)
    logs.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    _single_sign_on(app)
    login_manager.unauthorized_handler(_unauthorized)
    _register_blueprints(app)
    _error_pages(app)
    _template_globals(app)
    _secure_headers(app)
    return app


def _configure(
    app: Flask, overrides: Mapping[str, Any] | None, environ: Mapping[str, str] | None
) -> None:
    app.config.update(build_config(Path(app.instance_path), environ, overrides))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["ENV"] == "production",
    )


def _behind_proxies(app: Flask) -> None:
    """Behind SURVEY_TRUSTED_PROXIES reverse proxies, the client's address (for throttling and
    the audit) and scheme come from their X-Forwarded-For and -Proto; with none trusted, those
    headers are ignored, so nobody can claim another address by sending them."""
    trusted = int(app.config["TRUSTED_PROXIES"])
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)  # type: ignore[method-assign]


def _load_instruments(app: Flask) -> None:
    """Every instrument file is checked at start-up: a broken or edited one stops the app; so
    does an item type without a form field factory or without one of its facets."""
    app.extensions[INSTRUMENTS] = load_registry(app.config["INSTRUMENTS_DIR"])
    check_registry()
    check_item_types()
    # the report sets name items: checked against the instruments just loaded
    app.extensions[REPORT_SETS] = load_sets(
        app.config["REPORT_SETS_DIR"], app.extensions[INSTRUMENTS]
    )


def _single_sign_on(app: Flask) -> None:
    """SAML's endpoints exist only when it is configured (SURVEY_SAML_IDP_METADATA ...)."""
    if saml.init_app(app):
        app.register_blueprint(saml_bp)


def _register_blueprints(app: Flask) -> None:
    for blueprint in (
        main_bp,
        home_bp,
        citizens_bp,
        responses_bp,
        kiosk_bp,
        admin_bp,
        reports_bp,
        trend_bp,
        interop_bp,
    ):
        app.register_blueprint(blueprint)
    # First of all before-request steps (CSRF, rate limits): a tablet reaches nothing else.
    app.before_request_funcs.setdefault(None, []).insert(0, kiosk_guard)


def _unauthorized() -> ResponseReturnValue:
    """Not logged in (or the session ran out): to the login page, then back here. The second
    tap of a hand-over goes to the tablet the first one made (survey.kiosk.handover)."""
    tablet = handover.second_tap()
    if tablet is not None:
        return tablet
    if g.get("session_expired"):
        flash(_("You were logged out after a while without activity. Please log in again."), "info")
    else:
        flash(_("Please log in to see this page."), "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def _template_globals(app: Flask) -> None:
    app.jinja_env.globals.update(
        ROLE_LABELS=labels.ROLE_LABELS,
        STATUS_LABELS=labels.STATUS_LABELS,
        REASON_LABELS=labels.REASON_LABELS,
        STATE_LABELS=labels.STATE_LABELS,
        TIMING_LABELS=labels.TIMING_LABELS,
        MODE_LABELS=labels.MODE_LABELS,
        EVENT_LABELS=labels.EVENT_LABELS,
        import_kind_label=lambda kind: labels.JOB_KIND_LABELS.get(kind, kind),
        job_state_label=labels.job_state_text,
        job_phase_text=labels.job_phase_text,
        FORM_TITLES={f.id: f.title for f in app.extensions[INSTRUMENTS].forms()},
        describe=describe,
        describe_condition=describe_condition,
        field_name=field_name,
    )


def _error_pages(app: Flask) -> None:
    """Errors in the user's language, without details an attacker could use."""

    def page(status: int) -> Callable[[Exception], ResponseReturnValue]:
        def handler(error: Exception) -> ResponseReturnValue:
            # A description we gave (abort(400, description=...)) says what went wrong;
            # Werkzeug's own English defaults are left out.
            detail = getattr(error, "description", None)
            if detail == getattr(type(error), "description", None):
                detail = None
            if status == 500 and outage.is_database_down(error):
                return outage.unavailable(error)
            try:
                if status == 500:  # the failed transaction must not break the error page too
                    db.get_session().rollback()
                return render_template("errors/error.html", status=status, detail=detail), status
            except outage.DATABASE_DOWN as down:  # the page's menu asks who is logged in
                return outage.unavailable(down)

        return handler

    for status in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(status, page(status))
    outage.init_app(app)


def _secure_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Our own address to our own pages only: over HTTPS the CSRF check needs a same-site
        # Referer (no-referrer refused every form in production), and no other site ever gets
        # one (a URL may hold a citizen's reference).
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        # Production is served over HTTPS only (SESSION_COOKIE_SECURE): browsers keep to it.
        if app.config["ENV"] == "production" and app.config["HSTS_SECONDS"]:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={int(app.config['HSTS_SECONDS'])}"
            )
        return response
