"""The tablet's guard: before every request, a browser holding a kiosk credential reaches only
the kiosk's pages, and a kiosk's answering pages only while its citizen is answering."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from survey.db import get_session
from survey.i18n import LOCALES
from survey.kiosk import services
from survey.models import KioskSession, Response, ResponseStatus

# Endpoints a kiosk browser may use besides the kiosk's own; every other URL shows the calm page.
ALLOWED = frozenset({"static"})


def guard() -> ResponseReturnValue | None:
    """Before every request. A tablet's cookie holds a kiosk credential and nothing else: an
    ended or unknown one clears the whole session (so a copied cookie is worth nothing), and a
    live one reaches only the kiosk's own pages."""
    token = session.get(services.SESSION_KEY)
    if not token:
        return None
    kiosk = services.find(get_session(), token)
    endpoint = request.endpoint or ""  # an unknown URL too: the calm page, not 404
    if kiosk is None or kiosk.ended_at is not None:
        forget_kiosk()
        return None
    session.pop("_user_id", None)  # never a login beside the kiosk
    g.kiosk = kiosk
    if endpoint in ALLOWED or endpoint.startswith("kiosk."):
        return None
    return calm(403)


def forget_kiosk() -> None:
    """Clear the whole session of an ended tablet; only its language stays, so the calm page
    is still in the citizen's language."""
    chosen = session.get("locale")
    session.clear()
    if chosen in LOCALES:
        session["locale"] = chosen
    g.kiosk = None


def calm(status: int = 200) -> ResponseReturnValue:
    """One calm message in the citizen's language, for every page that is not theirs now."""
    kiosk: KioskSession | None = g.get("kiosk")
    return render_template("kiosk/calm.html", live=kiosk is not None), status


def current() -> tuple[KioskSession, Response] | None:
    """This browser's live kiosk and its draft, or None (the caller shows the calm page)."""
    kiosk: KioskSession | None = g.get("kiosk")
    if kiosk is None:
        return None
    response = get_session().get(Response, kiosk.response_id)
    return (kiosk, response) if response is not None else None


def is_answering(kiosk: KioskSession, response: Response) -> bool:
    return kiosk.submitted_at is None and response.status == ResponseStatus.DRAFT


def answering(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    """For the pages of a tablet whose citizen is answering: the calm page without a live
    kiosk, the lock screen when locked (nothing is read from the request, nothing written),
    and where the tablet belongs once the form is sent. The view gets the kiosk and its draft."""

    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> ResponseReturnValue:
        found = current()
        if found is None:
            return calm(403)
        kiosk, response = found
        if services.is_locked(get_session(), kiosk):
            return redirect(url_for("kiosk.locked"))
        if not is_answering(kiosk, response):
            return redirect(url_for("kiosk.index"))
        return view(kiosk, response, *args, **kwargs)

    return wrapper
