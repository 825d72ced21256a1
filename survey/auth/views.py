"""Log in, log out, change password."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import cast

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from survey import audit
from survey.auth import services, signin
from survey.auth.devices import remember_device, trusted_device
from survey.auth.forms import LoginForm, NewPinForm, PasswordChangeForm, PinForm
from survey.auth.throttle import LoginThrottle, Wait
from survey.db import get_session
from survey.extensions import LOGIN_THROTTLE, SINGLE_LOGOUT
from survey.forms.base import add_error
from survey.models import SignInMethod
from survey.redirects import local_target
from survey.refusals import Refusal

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with user name and password; failures are audited and slow the next attempts
    (survey.auth.throttle), the right password after the wait logs in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # InputRequired: never None here
        username, password = cast(str, form.username.data), cast(str, form.password.data)
        throttle: LoginThrottle = current_app.extensions[LOGIN_THROTTLE]
        device = trusted_device(request, username)
        wait = throttle.admit(username, request.remote_addr, device)
        if wait is not None:
            add_error(form.password, str(_wait_refusal(wait)))
            page = make_response(render_template("auth/login.html", form=form), 429)
            page.headers["Retry-After"] = str(wait.seconds)
            return page
        db = get_session()
        user = services.authenticate(db, username, password)
        if user is None:
            db.commit()
            throttle.failed(username, request.remote_addr, device)
            add_error(form.password, _("Wrong user name or password."))
        else:
            throttle.succeeded(username, device)
            response = signin.finish(user, SignInMethod.PASSWORD, next_url=request.args.get("next"))
            remember_device(request, response, username)
            return response
    return render_template("auth/login.html", form=form)


def _wait_refusal(wait: Wait) -> Refusal:
    """When to try again: whole seconds under a minute, else whole minutes rounded up, so the
    user is never told to come back too early."""
    seconds = wait.seconds if wait.seconds < 60 else 60 * math.ceil(wait.seconds / 60)
    when = format_timedelta(timedelta(seconds=seconds), threshold=1, add_direction=True)
    return Refusal(f"login.wait_{wait.of}", "password", when=when)


def _safe_next(target: str | None) -> str:
    return local_target(target, url_for("home.index"))


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session on the server too, so a copied cookie no longer works; a login that came
    by SAML then goes on to the identity provider to end there too (single logout)."""
    db = get_session()
    # survey.sso.saml, when configured: where to end a SAML login at the identity provider
    single_logout_for = current_app.extensions.get(SINGLE_LOGOUT)
    single_logout = single_logout_for(db, current_user.token) if single_logout_for else None
    services.close_session(db, current_user.token)
    audit.record("logout")
    db.commit()
    logout_user()
    session.clear()
    if single_logout is None:
        response = redirect(url_for("auth.login"))
        flash(_("You are logged out."), "info")
    else:
        # A page that goes on by itself, not a redirect: our CSP's form-action 'self' stops a
        # form's redirect to the identity provider.
        response = make_response(render_template("auth/single_logout.html", url=single_logout))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change your own password; your other logins end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            services.change_password(
                db,
                current_user.user,
                cast(str, form.current.data),  # InputRequired: never None here
                cast(str, form.new.data),
                keep_token=current_user.token,
            )
        except services.AccountError as exc:
            db.rollback()
            add_error(getattr(form, exc.field or "new"), str(exc))
        else:
            db.commit()
            flash(_("Your password is changed. Your other logins have been ended."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/account/pin", methods=["GET", "POST"])
@login_required
def pin() -> ResponseReturnValue:
    """A short PIN that unlocks a tablet handed to a citizen (instead of the full password). A
    user of single sign-on has no password here: a sign-in of the last minutes stands for it,
    an older one signs in again first."""
    db = get_session()
    single_sign_on = not services.has_password(current_user.user)
    opened = services.login_opened_at(db, current_user.token)
    if single_sign_on and not services.login_is_recent(opened):
        return render_template("auth/pin_sign_in_again.html")
    form = NewPinForm() if single_sign_on else PinForm()
    if form.validate_on_submit():
        user = db.merge(current_user.user)
        try:
            password = None if single_sign_on else cast(str, form.password.data)
            new_pin = cast(str, form.pin.data)  # InputRequired: never None here
            services.set_kiosk_pin(db, user, password, new_pin, login_opened_at=opened)
        except services.AccountError as exc:
            db.rollback()
            add_error(getattr(form, exc.field or "pin"), str(exc))
        else:
            db.commit()
            flash(
                _("Your PIN is set. Use it to unlock a tablet after a citizen has answered."),
                "success",
            )
            return redirect(url_for("home.index"))
    return render_template("auth/pin.html", form=form), 422 if form.errors else 200
