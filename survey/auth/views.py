"""Log in, log out, change password."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey import audit
from survey.auth import services
from survey.auth.forms import LoginForm, PasswordChangeForm, PinForm
from survey.auth.principal import Principal
from survey.db import get_session
from survey.extensions import limiter
from survey.forms.base import add_error
from survey.redirects import local_target

bp = Blueprint("auth", __name__)


def _username_key() -> str:
    return "user:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_PER_USER"], methods=["POST"], key_func=_username_key
)
def login() -> ResponseReturnValue:
    """Log in with user name and password; failures are audited and throttled."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        # InputRequired: never None here
        username, password = cast(str, form.username.data), cast(str, form.password.data)
        user = services.authenticate(db, username, password)
        if user is None:
            db.commit()
            add_error(form.password, _("Wrong user name or password."))
        else:
            token = services.open_session(db, user)
            db.commit()
            session.clear()
            login_user(Principal(user=user, token=token, team_ids=frozenset()))
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _safe_next(target: str | None) -> str:
    return local_target(target, url_for("home.index"))


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session on the server too, so a copied cookie no longer works."""
    db = get_session()
    services.close_session(db, current_user.token)
    audit.record("logout")
    db.commit()
    logout_user()
    session.clear()
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    flash(_("You are logged out."), "info")
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
    """A short PIN that unlocks a tablet handed to a citizen (instead of the full password)."""
    form = PinForm()
    if form.validate_on_submit():
        db = get_session()
        user = db.merge(current_user.user)
        try:
            # InputRequired: never None here
            password, new_pin = cast(str, form.password.data), cast(str, form.pin.data)
            services.set_kiosk_pin(db, user, password, new_pin)
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
