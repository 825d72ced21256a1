"""Single sign-on users: created at the first sign-in, kept up to date, disabled when the
identity provider no longer gives them this system — found by issuer and subject only."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.auth.services import memberships_of, open_session
from survey.models import (
    UNUSABLE_PASSWORD,
    AuditEvent,
    Role,
    SignInMethod,
    User,
    UserSession,
)
from survey.sso.mapping import parse_mapping
from survey.sso.provision import Identity, SignInRefused, sign_in

ISSUER = "https://idp.kommune.dk"
MAPPING = parse_mapping(
    {
        "rules": [
            {"attribute": "roles", "value": "nord.c", "role": "consultant", "team": "Nord"},
            {"attribute": "roles", "value": "syd.l", "role": "project_leader", "team": "Syd"},
            {"attribute": "roles", "value": "ghost", "role": "consultant", "team": "Ghost"},
            {"attribute": "roles", "value": "admin", "role": "admin"},
        ]
    }
)


def identity(*roles: str, subject: str = "s-1", **attributes: tuple[str, ...]) -> Identity:
    return Identity(
        method=SignInMethod.OIDC,
        issuer=ISSUER,
        subject=subject,
        attributes={"roles": roles, **attributes},
    )


@pytest.fixture
def teams(create_team) -> dict[str, int]:
    return {name: create_team(name).id for name in ("Nord", "Syd")}


def actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_the_first_sign_in_creates_the_user_with_roles_per_team(session, teams) -> None:
    user = sign_in(
        session,
        identity("nord.c", "syd.l", preferred_username=("Anna@Kommune.dk",), name=("Anna Holm",)),
        MAPPING,
    )
    session.commit()
    assert (user.username, user.full_name, user.is_admin) == ("anna@kommune.dk", "Anna Holm", False)
    assert user.password_hash == UNUSABLE_PASSWORD
    assert (user.sso_issuer, user.sso_subject) == (ISSUER, "s-1")
    assert memberships_of(session, user.id) == {
        teams["Nord"]: Role.CONSULTANT,
        teams["Syd"]: Role.PROJECT_LEADER,
    }
    entry = session.execute(select(AuditEvent)).scalars().one()
    assert entry.action == "user.provisioned"
    assert entry.details["via"] == "oidc"
    assert entry.details["teams"] == {
        str(teams["Nord"]): "consultant",
        str(teams["Syd"]): "project_leader",
    }


def test_a_later_sign_in_brings_roles_up_to_date_and_audits_only_a_change(session, teams) -> None:
    first = sign_in(session, identity("nord.c"), MAPPING)
    session.commit()
    again = sign_in(session, identity("nord.c"), MAPPING)
    session.commit()
    assert again.id == first.id
    assert actions(session) == ["user.provisioned"]
    sign_in(session, identity("syd.l", "admin"), MAPPING)
    session.commit()
    assert first.is_admin
    assert memberships_of(session, first.id) == {teams["Syd"]: Role.PROJECT_LEADER}
    assert actions(session) == ["user.provisioned", "user.sign_in_update"]


def test_a_team_the_database_lacks_is_skipped_and_named(session, teams) -> None:
    user = sign_in(session, identity("nord.c", "ghost"), MAPPING)
    assert memberships_of(session, user.id) == {teams["Nord"]: Role.CONSULTANT}
    entry = session.execute(select(AuditEvent)).scalars().one()
    assert "team=Ghost" in entry.details["unmapped"]


def test_no_privilege_refuses_and_disables_who_had_access(session, teams) -> None:
    with pytest.raises(SignInRefused) as never:
        sign_in(session, identity("other"), MAPPING)
    assert (never.value.reason, never.value.user) == ("no_privilege", None)
    assert session.execute(select(User)).first() is None

    user = sign_in(session, identity("nord.c"), MAPPING)
    token = open_session(session, user, SignInMethod.OIDC)
    session.commit()
    with pytest.raises(SignInRefused) as lost:
        sign_in(session, identity(), MAPPING)
    session.commit()
    assert lost.value.reason == "no_privilege"
    assert not user.is_active
    row = session.execute(select(UserSession)).scalars().one()
    assert row.revoked_at is not None, token
    disabled = session.execute(
        select(AuditEvent).where(AuditEvent.action == "user.disable")
    ).scalar_one()
    assert disabled.details["reason"] == "no_privilege"
    # Given the privilege again, the account stays disabled until an administrator enables it.
    with pytest.raises(SignInRefused) as still:
        sign_in(session, identity("nord.c"), MAPPING)
    assert still.value.reason == "disabled"


def test_a_local_account_with_the_same_name_is_never_taken_over(
    session, teams, create_user
) -> None:
    local = create_user("anna@kommune.dk")
    user = sign_in(session, identity("nord.c", preferred_username=("anna@kommune.dk",)), MAPPING)
    assert user.id != local.id
    assert user.username == "anna@kommune.dk-2"
    other_issuer = Identity(SignInMethod.SAML, "https://other", "s-1", {"roles": ("nord.c",)})
    assert sign_in(session, other_issuer, MAPPING).id not in (local.id, user.id)


def test_without_a_name_the_user_name_comes_from_the_subject(session, teams) -> None:
    user = sign_in(session, identity("nord.c", name=("\x00\x07",)), MAPPING)
    assert user.username.startswith("sso-")
    assert user.full_name == user.username


def test_an_unreadable_privilege_list_is_refused_as_malformed(session, teams) -> None:
    mapping = parse_mapping({"privileges": {"roles": {"http://x/role": "consultant"}}})
    broken = Identity(
        SignInMethod.SAML,
        ISSUER,
        "s-9",
        {"https://data.gov.dk/model/core/eid/privilegesIntermediate": ("not base64 !!",)},
    )
    with pytest.raises(SignInRefused) as refused:
        sign_in(session, broken, mapping)
    assert refused.value.reason == "malformed"
