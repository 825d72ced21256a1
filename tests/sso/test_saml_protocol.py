"""SAML sign-in with the Flask test client against the pysaml2 identity provider: the metadata,
the signed AuthnRequest, a login with roles per team, every refused answer with its audit entry,
and single logout both ways."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from defusedxml import ElementTree
from sqlalchemy import select, update
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Role, SsoRequest, Team, TeamMembership, User, UserSession, utcnow
from tests.sso.conftest import (
    audit_entries,
    is_logged_in,
    post_answer,
    refusal_reasons,
    start_login,
)
from tests.sso.saml_idp import privilege, query_of

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def memberships(app, username: str) -> dict[str, Role]:
    with Session(get_engine(app)) as db:
        rows = db.execute(
            select(Team.name, TeamMembership.role)
            .join(TeamMembership, TeamMembership.team_id == Team.id)
            .join(User, User.id == TeamMembership.user_id)
            .where(User.username == username)
        )
        return {name: Role(role) for name, role in rows}


def user_named(app, username: str) -> User:
    with Session(get_engine(app)) as db:
        return db.execute(select(User).where(User.username == username)).scalar_one()


def test_the_metadata_says_what_kombit_needs(saml_app, saml_config) -> None:
    reply = saml_app.test_client().get("/saml/metadata")
    assert reply.mimetype == "application/samlmetadata+xml"
    root = ElementTree.fromstring(reply.data)
    assert root.get("entityID") == "http://localhost/saml/metadata"
    assert root.find(f"{DS}Signature") is not None, "the metadata is signed"
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{MD}AssertionConsumerService")
    assert acs.get("Location") == "http://localhost/saml/acs"
    assert acs.get("Binding").endswith("HTTP-POST")
    slo = {s.get("Binding").rsplit(":", 1)[-1] for s in sp.findall(f"{MD}SingleLogoutService")}
    assert slo == {"HTTP-Redirect", "HTTP-POST"}
    certificate = "".join(Path(saml_config["SAML_SP_CERT"]).read_text().splitlines()[1:-1])
    published = sp.find(f"{MD}KeyDescriptor/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert "".join(published.text.split()) == certificate


def test_the_login_sends_a_signed_authn_request_that_is_remembered(saml_app, test_idp) -> None:
    query = start_login(saml_app.test_client(), "/citizens")
    assert query["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert query["Signature"]
    assert query["RelayState"] == "/citizens"
    # the identity provider checks the signature against our metadata (want_authn_requests_signed)
    parsed = test_idp.server().parse_authn_request(
        query["SAMLRequest"],
        relay_state=query["RelayState"],
        sigalg=query["SigAlg"],
        signature=query["Signature"],
    )
    with Session(get_engine(saml_app)) as db:
        stored = db.get(SsoRequest, parsed.message.id)
    assert stored is not None
    assert stored.used_at is None
    assert stored.kind == "saml"


def test_a_consultant_in_one_team_and_leader_in_another_logs_in(
    saml_app, test_idp, idp_user, saml_login
) -> None:
    user = idp_user(
        "mette", privilege("consultant", "unit-nord"), privilege("project-leader", "unit-syd")
    )
    client = saml_app.test_client()
    landed = saml_login(client, user, next_url="/citizens")
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/citizens"
    assert is_logged_in(client)
    account = user_named(saml_app, user.email)
    assert account.full_name == user.full_name
    assert account.password_hash == "!"
    assert memberships(saml_app, user.email) == {
        "Team Nord": Role.CONSULTANT,
        "Team Syd": Role.PROJECT_LEADER,
    }
    with Session(get_engine(saml_app)) as db:
        login = db.execute(
            select(UserSession).where(UserSession.user_id == account.id)
        ).scalar_one()
    assert login.method == "saml"
    assert user.name_id in login.sso_name_id
    assert login.sso_session_index == test_idp.issued[-1].session_index
    assert [e.details["via"] for e in audit_entries(saml_app, "login.success")] == ["saml"]


def _refused(app, client, reply, reason: str, status: int = 403) -> None:
    assert reply.status_code == status
    assert "Login afvist" in reply.get_data(as_text=True)  # a page that says so, in Danish
    assert refusal_reasons(app)[-1] == reason
    assert not is_logged_in(client)


def test_an_assertion_signed_with_a_key_not_in_the_metadata_is_refused(
    saml_app, idp_user, saml_login
) -> None:
    client = saml_app.test_client()
    reply = saml_login(
        client, idp_user("eve", privilege("consultant", "unit-nord")), sign_with="rogue"
    )
    _refused(saml_app, client, reply, "bad_signature")
    assert "ikke underskrevet" in reply.get_data(as_text=True)


def test_an_expired_assertion_is_refused(saml_app, idp_user, saml_login) -> None:
    client = saml_app.test_client()
    reply = saml_login(
        client, idp_user("late", privilege("consultant", "unit-nord")), lifetime_minutes=-10
    )
    _refused(saml_app, client, reply, "expired")


def test_an_answer_to_a_request_older_than_ten_minutes_is_refused(
    saml_app, test_idp, idp_user
) -> None:
    client = saml_app.test_client()
    fields = test_idp.answer_login(
        start_login(client), idp_user("slow", privilege("consultant", "unit-nord"))
    )
    with Session(get_engine(saml_app)) as db:
        db.execute(update(SsoRequest).values(created_at=utcnow() - timedelta(minutes=11)))
        db.commit()
    _refused(saml_app, client, post_answer(client, fields), "expired")


def test_an_assertion_for_another_service_provider_is_refused(
    saml_app, idp_user, saml_login
) -> None:
    client = saml_app.test_client()
    reply = saml_login(
        client,
        idp_user("other", privilege("consultant", "unit-nord")),
        audience="https://another-system.example/saml",
    )
    _refused(saml_app, client, reply, "wrong_audience")


def test_a_replayed_answer_is_refused(saml_app, test_idp, idp_user) -> None:
    first = saml_app.test_client()
    fields = test_idp.answer_login(
        start_login(first), idp_user("once", privilege("consultant", "unit-nord"))
    )
    assert post_answer(first, fields).status_code == 302
    thief = saml_app.test_client()
    _refused(saml_app, thief, post_answer(thief, fields), "replayed")


def test_an_answer_to_no_request_of_ours_is_refused(saml_app, test_idp, idp_user) -> None:
    client = saml_app.test_client()
    fields = test_idp.answer_login(
        start_login(client), idp_user("stray", privilege("consultant", "unit-nord"))
    )
    with Session(get_engine(saml_app)) as db:
        db.execute(SsoRequest.__table__.delete())
        db.commit()
    _refused(saml_app, client, post_answer(client, fields), "unknown_request")


def test_an_unreadable_answer_is_refused(saml_app) -> None:
    client = saml_app.test_client()
    for junk in ("not base64 at all!", "PG5vdCB4bWw=", ""):
        reply = client.post("/saml/acs", data={"SAMLResponse": junk})
        _refused(saml_app, client, reply, "malformed", status=400)


def test_a_user_without_the_privilege_gets_no_account(saml_app, idp_user, saml_login) -> None:
    client = saml_app.test_client()
    other_system = privilege("consultant", "unit-nord")
    other_system = type(other_system)(
        scope=other_system.scope,
        privileges=("http://kombit.dk/roles/usersystemrole/another-system/1",),
        constraints=other_system.constraints,
    )
    reply = saml_login(client, idp_user("nobody", other_system))
    _refused(saml_app, client, reply, "no_privilege")
    with Session(get_engine(saml_app)) as db:
        assert db.scalars(select(User).where(User.is_active)).all() == []


def test_a_user_who_lost_the_privilege_is_disabled(saml_app, idp_user, saml_login) -> None:
    client = saml_app.test_client()
    before = idp_user("gone", privilege("consultant", "unit-nord"))
    assert saml_login(client, before).status_code == 302
    later = saml_app.test_client()
    after = type(before)(before.name_id, before.full_name, before.email, privileges=())
    _refused(saml_app, later, saml_login(later, after), "no_privilege")
    account = user_named(saml_app, before.email)
    assert not account.is_active
    assert not is_logged_in(client), "the login they had ends too"
    assert audit_entries(saml_app, "user.disable") or any(
        "no_privilege" in str(e.details) for e in audit_entries(saml_app, "user.updated_by_sign_in")
    )


def test_the_identity_provider_ends_a_login(saml_app, test_idp, idp_user, saml_login) -> None:
    user = idp_user("slo", privilege("consultant", "unit-nord"))
    client = saml_app.test_client()
    assert saml_login(client, user).status_code == 302
    issued = test_idp.issued[-1]
    answered = client.get(test_idp.logout_request(user.name_id, issued.session_index))
    assert answered.status_code == 302
    assert answered.headers["Location"].startswith("http://idp.test/idp/slo?SAMLResponse=")
    assert test_idp.check_logout_response(query_of(answered.headers["Location"]))
    assert not is_logged_in(client)
    assert [e.details for e in audit_entries(saml_app, "logout")] == [{"via": "saml_slo"}]


def test_a_logout_request_not_signed_by_the_identity_provider_ends_nothing(
    saml_app, test_idp, idp_user, saml_login
) -> None:
    user = idp_user("kept", privilege("consultant", "unit-nord"))
    client = saml_app.test_client()
    assert saml_login(client, user).status_code == 302
    forged = test_idp.logout_request(user.name_id, None, sign_with="rogue")
    reply = client.get(forged)
    assert reply.status_code == 403
    assert is_logged_in(client)
    assert [e.details["reason"] for e in audit_entries(saml_app, "logout.refused")] == [
        "bad_signature"
    ]


def test_logging_out_here_ends_the_sign_on_at_the_identity_provider(
    saml_app, test_idp, idp_user, saml_login
) -> None:
    user = idp_user("bye", privilege("consultant", "unit-nord"))
    client = saml_app.test_client()
    assert saml_login(client, user).status_code == 302
    out = client.post("/logout")
    assert out.status_code == 200  # a page that goes on by itself (form-action 'self')
    location = html.unescape(
        re.search(
            r'id="single-logout" href="([^"]+)"|href="([^"]+)" id="single-logout"',
            out.get_data(as_text=True),
        ).group(2)
    )
    assert location.startswith("http://idp.test/idp/slo?SAMLRequest=")
    assert f'content="0;url={html.escape(location)}"' in out.get_data(as_text=True)
    assert not is_logged_in(client), "the local login ends at once"
    back = test_idp.answer_logout(query_of(location))
    assert test_idp.logged_out == [user.name_id]
    page = client.get(back)
    assert page.status_code == 200
    assert "også afsluttet" in page.get_data(as_text=True)
    with Session(get_engine(saml_app)) as db:
        logouts = db.scalars(select(SsoRequest).where(SsoRequest.kind == "saml_slo")).all()
    assert [r.used_at is not None for r in logouts] == [True]
    assert client.get(back).status_code == 403, "the same answer twice is a replay"
