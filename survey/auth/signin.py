"""The one place a login completes, whichever way the user proved who they are (a password and
its second factor, a SAML assertion, an OpenID Connect ID token, a tablet's PIN), and the one
place a refused sign-in is recorded."""

from __future__ import annotations

from flask import redirect, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from survey import audit
from survey.auth import services
from survey.auth.principal import Principal
from survey.db import get_session
from survey.models import SignInMethod, User
from survey.redirects import local_target


def finish(
    user: User,
    method: SignInMethod,
    *,
    name_id: str | None = None,
    session_index: str | None = None,
    next_url: str | None = None,
) -> Response:
    """Open the server-side session, audit the login, put the session's token in a fresh
    cookie (nothing of the Flask session from before survives: no fixation) and go on to
    `next_url` if it is a page of ours, else home. The caller has checked every factor."""
    open_login(user, method, name_id=name_id, session_index=session_index)
    get_session().commit()
    return redirect(local_target(next_url, url_for("home.index")))


def open_login(
    user: User,
    method: SignInMethod,
    *,
    name_id: str | None = None,
    session_index: str | None = None,
) -> str:
    """The part of `finish` that does not answer: for callers that answer themselves (the
    tablet's unlock). The caller commits."""
    db = get_session()
    token = services.open_session(db, user, method, name_id=name_id, session_index=session_index)
    audit.record("login.success", user=user, session=db, details={"via": method.value})
    session.clear()
    login_user(Principal(user=user, token=token))
    session.permanent = True
    return token


def refuse(
    reason: str,
    *,
    method: SignInMethod,
    user: User | None = None,
    username: str | None = None,
    details: dict | None = None,
) -> None:
    """Audit a refused sign-in: the reason and how it was tried, never what the identity
    provider or the user sent beyond a user name. The caller commits."""
    audit.record(
        "login.refused",
        user=user,
        username=username,
        details={"reason": reason, "via": method.value, **(details or {})},
        session=get_session(),
    )
