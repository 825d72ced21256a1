"""The app factory: a list of small named steps, each subsystem with its own init_app."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect

from survey import db, i18n
from survey.config import build_config
from survey.instruments import load_registry

INSTRUMENTS = "survey.instruments"


def create_app(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the app. Raises ConfigError or InstrumentErrors with a message naming the problem."""
    app = Flask("survey", instance_path=instance_path, instance_relative_config=True)
    _configure(app, overrides, environ)
    _load_instruments(app)
    db.init_app(app)
    i18n.init_app(app)
    CSRFProtect(app)
    _register_blueprints(app)
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


def _load_instruments(app: Flask) -> None:
    """Every instrument file is checked at start-up: a broken or edited one stops the app."""
    app.extensions[INSTRUMENTS] = load_registry(app.config["INSTRUMENTS_DIR"])


def _register_blueprints(app: Flask) -> None:
    from survey.main import bp as main_bp

    app.register_blueprint(main_bp)


def _secure_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
