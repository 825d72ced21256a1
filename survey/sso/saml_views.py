"""The SAML endpoints: our metadata, the login that sends the browser to the identity provider,
the assertion consumer service it posts back to, and single logout. Registered only when SAML is
configured (survey.app). The protocol work is in survey.sso.saml."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from survey import audit
from survey.auth import services as accounts
from survey.auth import signin
from survey.db import get_session
from survey.extensions import csrf
from survey.hashing import token_digest
from survey.models import SignInMethod
from survey.redirects import local_target
from survey.sso import provision, saml

bp = Blueprint("saml", __name__, url_prefix="/saml")

MAX_RELAY_STATE = 80
"""SAML's limit for RelayState (bytes): a longer `next` is dropped, the user lands home."""

REFUSALS = {
    "bad_signature": _l(
        "The answer from the identity provider was not signed by it. You are not logged in."
    ),
    "expired": _l("The sign-in took too long or its answer has expired. Please try again."),
    "wrong_audience": _l("The identity provider's answer was meant for another system."),
    "replayed": _l("This sign-in answer has been used already. Please log in again."),
    "unknown_request": _l(
        "This sign-in was not started here (or was started too long ago). Please log in again."
    ),
    "no_privilege": _l(
        "Your identity provider gives you no access to survey. Ask your administrator for a "
        "role in survey."
    ),
    "disabled": _l("Your account in survey is disabled. Ask your administrator."),
    "idp_error": _l("The identity provider could not sign you in. Please try again."),
    "unknown_issuer": _l("The message did not come from our identity provider."),
    "malformed": _l("The identity provider's answer could not be read. Please try again."),
}
BAD_REQUEST = frozenset({"malformed"})


def _refused(reason: str, *, logout: bool = False) -> ResponseReturnValue:
    """A clear page and an audit entry (the reason, never what the identity provider sent)."""
    db = get_session()
    db.rollback()
    if logout:
        audit.record("logout.refused", details={"reason": reason, "via": "saml"}, session=db)
    else:
        signin.refuse(reason, method=SignInMethod.SAML)
    db.commit()
    status = 400 if reason in BAD_REQUEST else 403
    message = REFUSALS.get(reason, REFUSALS["malformed"])
    return render_template("auth/sso_refused.html", message=message), status


@bp.get("/metadata")
def metadata() -> ResponseReturnValue:
    """Our SAML metadata, signed: its URL is what KOMBIT (or any identity provider) is given."""
    return Response(saml.metadata_xml(saml.client()), mimetype="application/samlmetadata+xml")


@bp.get("/login")
def login() -> ResponseReturnValue:
    """Send the browser to the identity provider with our signed AuthnRequest. Logged in
    already, this signs in again (the PIN page asks for a fresh sign-in): the identity provider
    is asked to ask again, and the login from before ends."""
    target = local_target(request.args.get("next"), url_for("home.index"))
    if len(target.encode("utf-8")) > MAX_RELAY_STATE:
        target = url_for("home.index")
    db = get_session()
    again = current_user.is_authenticated
    if again:
        accounts.close_session(db, current_user.token)
        audit.record("logout", details={"why": "sign_in_again"}, session=db)
    location = saml.login_redirect(db, target, force=again)
    db.commit()
    if again:
        logout_user()
        session.clear()
    return redirect(location)


@bp.post("/acs")
@csrf.exempt  # the identity provider posts here; its signature is the check
def acs() -> ResponseReturnValue:
    """The identity provider's answer: checked, then the user is created or updated from it
    and logged in with the roles per team the mapping gives."""
    answer = request.form.get("SAMLResponse", "")
    if not answer:
        return _refused("malformed")
    db = get_session()
    try:
        assertion = saml.read_response(db, answer, request.form.get("RelayState"))
    except saml.SamlRefused as refused:
        return _refused(refused.reason)
    identity = provision.Identity(
        method=SignInMethod.SAML,
        issuer=assertion.issuer,
        subject=assertion.subject,
        attributes=assertion.attributes,
    )
    try:
        user = provision.sign_in(db, identity, saml.settings().mapping)
    except provision.SignInRefused as refused:
        # What provisioning did (a user disabled, their sessions ended) is kept with the refusal.
        signin.refuse(refused.reason, method=SignInMethod.SAML)
        db.commit()
        message = REFUSALS.get(refused.reason, REFUSALS["no_privilege"])
        return render_template("auth/sso_refused.html", message=message), 403
    return signin.finish(
        user,
        SignInMethod.SAML,
        name_id=assertion.name_id,
        session_index=assertion.session_index,
        next_url=assertion.relay_state,
    )


@bp.route("/slo", methods=["GET", "POST"])
@csrf.exempt  # the identity provider sends here; its signature is the check
def slo() -> ResponseReturnValue:
    """Single logout: the identity provider ends a login (its LogoutRequest: the sessions of
    that login end, and our signed LogoutResponse goes back), or answers our LogoutRequest."""
    args = request.args if request.method == "GET" else request.form
    binding = BINDING_HTTP_REDIRECT if request.method == "GET" else BINDING_HTTP_POST
    db = get_session()
    if "SAMLRequest" in args:
        try:
            logout = saml.read_logout_request(args, binding)
        except saml.SamlRefused as refused:
            return _refused(refused.reason, logout=True)
        ended = saml.end_logins(db, logout.name_id, logout.session_indexes)
        db.commit()
        if current_user.is_authenticated and token_digest(current_user.token) in ended:
            logout_user()
            session.clear()
        return redirect(saml.logout_response_redirect(logout, args.get("RelayState")))
    if "SAMLResponse" in args:
        try:
            ended_there = saml.read_logout_response(db, args, binding)
        except saml.SamlRefused as refused:
            return _refused(refused.reason, logout=True)
        db.commit()
        return render_template("auth/sso_logged_out.html", ended_there=ended_there)
    return _refused("malformed", logout=True)


def logout_location() -> str | None:
    """For the logout view: where the browser goes to end the single sign-on too (our signed
    LogoutRequest at the identity provider), if this login came by SAML. The caller commits."""
    return saml.single_logout_for(get_session(), current_user.token)


def login_button_label() -> str:
    return _("Log in with %(name)s", name=saml.button_name())
