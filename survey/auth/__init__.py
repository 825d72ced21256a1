"""Accounts: login with server-side sessions, throttling, password policy."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g
from flask_babel import lazy_gettext as _l

from survey.auth.principal import Principal
from survey.auth.services import load_principal
from survey.auth.throttle import LoginThrottle
from survey.auth.views import bp
from survey.db import get_session
from survey.extensions import LOGIN_THROTTLE, limiter, login_manager

__all__ = ["Principal", "bp", "init_app"]


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # our own server-side sessions do this job
    login_manager.user_loader(_load_user)
    limiter.init_app(app)
    app.extensions[LOGIN_THROTTLE] = LoginThrottle.from_config(app.config)
    if app.config["ENV"] == "production" and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.logger.warning(
            "SURVEY_RATELIMIT_STORAGE_URI is memory://: each worker counts failed logins on "
            "its own; with more than one worker set it to redis://... (docs/SECURITY.md)"
        )
    app.register_blueprint(bp)


def _load_user(token: str) -> Principal | None:
    idle = timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))
    loaded = load_principal(get_session(), token, idle)
    if loaded.expired:
        g.session_expired = True
    return loaded.principal
