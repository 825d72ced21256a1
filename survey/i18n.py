"""Locale selection (Danish by default, English complete) and locale-aware formatting."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

from survey.config import PROJECT_ROOT

LOCALES = ("da", "en")
DEFAULT_LOCALE = "da"
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}
TRANSLATIONS = PROJECT_ROOT / "translations"
"""The message catalogs (translations/<locale>/LC_MESSAGES/messages.mo)."""


def select_locale() -> str:
    """The language the user chose in this session; Danish until they choose."""
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    asked = request.args.get("lang")
    return asked if asked in LOCALES else DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        default_locale=DEFAULT_LOCALE,
        default_timezone="Europe/Copenhagen",
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.globals.update(LANGUAGE_NAMES=LANGUAGE_NAMES, get_locale=get_locale)
