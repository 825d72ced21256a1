"""A consultant who signs in through SAML has no password here: their tablet PIN, set just after
signing in, unlocks a tablet they handed to a citizen."""

from __future__ import annotations

from datetime import timedelta

from saml2.s_utils import decode_base64_and_inflate
from sqlalchemy import select, update
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Citizen, Team, User, UserSession, utcnow
from tests.sso.conftest import TEAM_UNITS, is_logged_in, post_answer, start_login
from tests.sso.saml_idp import privilege

POINT = 30
UNITS = {team: unit for unit, team in TEAM_UNITS.items()}


def _their_citizen(app, username: str) -> int:
    """One of demo consultant anne's citizens becomes the single sign-on consultant's."""
    with Session(get_engine(app)) as db:
        citizen = (
            db.execute(
                select(Citizen)
                .join(User, User.id == Citizen.consultant_id)
                .where(User.username == "anne", Citizen.status == "active")
                .order_by(Citizen.id)
            )
            .scalars()
            .first()
        )
        consultant = db.execute(select(User).where(User.username == username)).scalar_one()
        citizen.consultant_id = consultant.id
        db.commit()
        return citizen.id


def _anne_team(app) -> str:
    with Session(get_engine(app)) as db:
        return (
            db.execute(
                select(Team.name)
                .join(Citizen, Citizen.team_id == Team.id)
                .join(User, User.id == Citizen.consultant_id)
                .where(User.username == "anne")
            )
            .scalars()
            .first()
        )


def test_a_single_sign_on_consultant_sets_a_pin_and_unlocks_a_tablet_with_it(
    saml_demo_app, idp_user, saml_login
) -> None:
    user = idp_user("sofie", privilege("consultant", UNITS[_anne_team(saml_demo_app)]))
    tablet = saml_demo_app.test_client()
    assert saml_login(tablet, user).status_code == 302
    citizen_id = _their_citizen(saml_demo_app, user.email)

    page = tablet.get("/account/pin").get_data(as_text=True)
    assert 'name="pin"' in page
    assert 'name="password"' not in page, "no password to ask for"
    assert tablet.post("/account/pin", data={"pin": "472913"}).status_code == 302

    handed = tablet.post(
        f"/citizens/{citizen_id}/points/{POINT}/citizen",
        data={"administered_on": "2026-11-23", "how": "self"},
    )
    assert handed.headers["Location"] == "/kiosk"
    assert tablet.post("/kiosk/lock").headers["Location"] == "/kiosk/locked"
    assert tablet.post("/kiosk/unlock", data={"secret": "!"}).status_code == 422
    back = tablet.post("/kiosk/unlock", data={"secret": "472913"})
    assert back.status_code == 302
    assert back.headers["Location"] == f"/citizens/{citizen_id}"
    assert tablet.get(f"/citizens/{citizen_id}").status_code == 200


def test_an_older_sign_in_must_be_renewed_before_setting_a_pin(
    saml_demo_app, test_idp, idp_user, saml_login
) -> None:
    user = idp_user("older", privilege("consultant", UNITS[_anne_team(saml_demo_app)]))
    client = saml_demo_app.test_client()
    assert saml_login(client, user).status_code == 302
    with Session(get_engine(saml_demo_app)) as db:
        db.execute(update(UserSession).values(created_at=utcnow() - timedelta(minutes=11)))
        db.commit()
    page = client.get("/account/pin").get_data(as_text=True)
    assert "Log ind igen med KOMBIT Context Handler" in page
    assert 'href="/saml/login?next=/account/pin"' in page
    refused = client.post("/account/pin", data={"pin": "472913"})
    assert refused.status_code == 200
    with Session(get_engine(saml_demo_app)) as db:
        assert (
            db.execute(select(User.kiosk_pin_hash).where(User.username == user.email)).scalar_one()
            is None
        )
    # signing in again asks the identity provider to ask again, and opens the PIN form
    query = start_login(client, "/account/pin")
    assert b'ForceAuthn="true"' in decode_base64_and_inflate(query["SAMLRequest"])
    assert not is_logged_in(client), "the old login has ended"
    landed = post_answer(client, test_idp.answer_login(query, user))
    assert landed.headers["Location"] == "/account/pin"
    assert 'name="pin"' in client.get("/account/pin").get_data(as_text=True)
