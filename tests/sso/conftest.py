"""SAML fixtures: a pysaml2 identity provider with keys made here (tests/sso/saml_idp.py), and
the app configured as its service provider, on SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import AuditEvent, Team
from survey.sso.mapping import CONTEXT_HANDLER_PRIVILEGES
from tests.conftest import DEMO_TODAY, missing_system_package
from tests.log_leaks import sensitive
from tests.sso.saml_idp import CVR, ROLE, IdpUser, TestIdentityProvider, make_keypair, query_of

TEAM_UNITS = {"unit-nord": "Team Nord", "unit-syd": "Team Syd"}
"""Organisation units (Context Handler's constraint values) -> teams, as the demo names them."""

MAPPING = f"""
[privileges]
attribute = "{CONTEXT_HANDLER_PRIVILEGES}"
scope = "{CVR}"

[privileges.roles]
"{ROLE.format("consultant")}" = "consultant"
"{ROLE.format("project-leader")}" = "project_leader"
"{ROLE.format("administrator")}" = "admin"

[privileges.teams]
{chr(10).join(f'"{unit}" = "{team}"' for unit, team in TEAM_UNITS.items())}
"""


@pytest.fixture(scope="session")
def xmlsec_binary() -> str:
    binary = shutil.which("xmlsec1")
    if binary is None:
        missing_system_package(
            "xmlsec1 (pysaml2 signs and checks with it)", "apt-get install -y xmlsec1"
        )
    return binary


def saml_settings(folder: Path, idp: TestIdentityProvider, base_url: str) -> dict[str, str]:
    """The SURVEY_SAML_* settings of a service provider of `idp`, its key made here."""
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = make_keypair(folder, "sp")
    mapping = folder / "sign-in-mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return {
        "BASE_URL": base_url,
        "SAML_IDP_METADATA": str(idp.metadata_path),
        "SAML_SP_KEY": str(key),
        "SAML_SP_CERT": str(cert),
        "SSO_MAPPING": str(mapping),
    }


@pytest.fixture
def test_idp(tmp_path: Path, xmlsec_binary: str) -> TestIdentityProvider:
    folder = tmp_path / "idp"
    folder.mkdir()
    return TestIdentityProvider(folder, "http://idp.test", xmlsec_binary)


@pytest.fixture
def saml_config(tmp_path: Path, test_idp: TestIdentityProvider) -> dict[str, str]:
    return saml_settings(tmp_path / "sp", test_idp, "http://localhost")


def _introduce(app: Flask, idp: TestIdentityProvider) -> None:
    """The identity provider learns our metadata from its URL, as KOMBIT's would."""
    metadata = app.test_client().get("/saml/metadata")
    assert metadata.status_code == 200
    idp.trust(metadata.get_data(as_text=True))


@pytest.fixture
def saml_app(make_app, test_idp: TestIdentityProvider, saml_config: dict[str, str]) -> Flask:
    """The app as a service provider of `test_idp`, with the mapping's two teams."""
    app = make_app(**saml_config)
    with Session(get_engine(app)) as db:
        db.add_all(Team(name=name) for name in TEAM_UNITS.values())
        db.commit()
    _introduce(app, test_idp)
    return app


@pytest.fixture
def saml_demo_app(
    make_app, demo_database: Path, tmp_path: Path, test_idp, saml_config: dict[str, str]
) -> Flask:
    """The demo (its teams, citizens and forms) with SAML sign-in."""
    copy = tmp_path / "demo-saml.db"
    shutil.copyfile(demo_database, copy)
    app = make_app(f"sqlite:///{copy}", migrated=False, FIXED_TODAY=DEMO_TODAY, **saml_config)
    _introduce(app, test_idp)
    return app


@pytest.fixture
def idp_user() -> Callable[..., IdpUser]:
    """`idp_user("anne", privilege(...), ...)`: a user at the identity provider; their name,
    e-mail and NameID are marked: no log line may hold them."""

    def make(name: str, *privileges: Any) -> IdpUser:
        user = IdpUser(
            name_id=f"urn:uuid:test-{name}",
            full_name=f"{name.title()} Testesen",
            email=f"{name}@kommune.example",
            privileges=tuple(privileges),
        )
        sensitive(user.full_name, user.email, user.name_id)
        return user

    return make


def start_login(client: FlaskClient, next_url: str = "/") -> dict[str, str]:
    """Click the SAML button: the query of the redirect to the identity provider."""
    started = client.get("/saml/login", query_string={"next": next_url})
    assert started.status_code == 302
    return query_of(started.headers["Location"])


def post_answer(client: FlaskClient, fields: dict[str, str]):
    """The identity provider's auto-submitting form, posted to our ACS."""
    data = {k: v for k, v in fields.items() if k != "action"}
    assert fields["action"] == "http://localhost/saml/acs"
    return client.post("/saml/acs", data=data)


@pytest.fixture
def saml_login(test_idp: TestIdentityProvider) -> Callable[..., Any]:
    """`saml_login(client, user, next_url="/", **hooks)`: the whole round trip; returns the
    ACS's response. The hooks go to the identity provider's answer (sign_with, ...)."""

    def run(client: FlaskClient, user: IdpUser, next_url: str = "/", **hooks: Any):
        return post_answer(
            client, test_idp.answer_login(start_login(client, next_url), user, **hooks)
        )

    return run


def audit_entries(app: Flask, action: str) -> list[AuditEvent]:
    with Session(get_engine(app)) as db:
        return list(
            db.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def refusal_reasons(app: Flask) -> list[str]:
    return [entry.details["reason"] for entry in audit_entries(app, "login.refused")]


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200
