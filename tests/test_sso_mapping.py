"""The sign-in mapping: what an identity provider's attributes give, from configuration."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from survey.config import ConfigError
from survey.models import Role
from survey.sso.mapping import (
    CONTEXT_HANDLER_PRIVILEGES,
    ORGANISATION_UNIT,
    MappingError,
    PrivilegeGroup,
    decode_privileges,
    encode_privileges,
    load_mapping,
    parse_mapping,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "sign-in-mapping.toml"
CVR = "urn:dk:gov:saml:cvrNumberIdentifier:29189846"
CONSULTANT = "http://aarhus.dk/roles/usersystemrole/survey-consultant/1"
LEADER = "http://aarhus.dk/roles/usersystemrole/survey-project-leader/1"
ADMIN = "http://aarhus.dk/roles/usersystemrole/survey-administrator/1"
NORD = "5b0b4c4e-8e2a-4c1d-9d1a-3f0e6a2b7c11"
SYD = "a3d9e7f2-1b64-4f0a-8c55-0e9b2d4f6a80"


def privileges(*groups: PrivilegeGroup) -> dict[str, list[str]]:
    return {CONTEXT_HANDLER_PRIVILEGES: [encode_privileges(groups)]}


def test_the_documented_example_loads() -> None:
    mapping = load_mapping(EXAMPLE)
    assert mapping.privilege_attribute == CONTEXT_HANDLER_PRIVILEGES
    assert mapping.team_names() == {"Jobcenter Nord", "Jobcenter Syd"}


def test_context_handler_privileges_give_a_role_per_organisation_unit() -> None:
    mapping = load_mapping(EXAMPLE)
    grant = mapping.grant(
        privileges(
            PrivilegeGroup(CVR, (CONSULTANT,), {ORGANISATION_UNIT: (NORD,)}),
            PrivilegeGroup(CVR, (LEADER,), {ORGANISATION_UNIT: (SYD,)}),
        )
    )
    assert grant.teams == {"Jobcenter Nord": Role.CONSULTANT, "Jobcenter Syd": Role.PROJECT_LEADER}
    assert not grant.admin
    assert not grant.empty
    assert set(grant.matched) == {CONSULTANT, LEADER}


def test_one_privilege_over_two_units_gives_both_teams() -> None:
    grant = load_mapping(EXAMPLE).grant(
        privileges(PrivilegeGroup(CVR, (LEADER,), {ORGANISATION_UNIT: (NORD, SYD)}))
    )
    assert grant.teams == {
        "Jobcenter Nord": Role.PROJECT_LEADER,
        "Jobcenter Syd": Role.PROJECT_LEADER,
    }


def test_project_leader_wins_where_one_team_gets_both_roles() -> None:
    grant = load_mapping(EXAMPLE).grant(
        privileges(
            PrivilegeGroup(CVR, (LEADER,), {ORGANISATION_UNIT: (NORD,)}),
            PrivilegeGroup(CVR, (CONSULTANT,), {ORGANISATION_UNIT: (NORD,)}),
        )
    )
    assert grant.teams == {"Jobcenter Nord": Role.PROJECT_LEADER}


def test_administrator_needs_no_organisation_unit() -> None:
    grant = load_mapping(EXAMPLE).grant(privileges(PrivilegeGroup(CVR, (ADMIN,))))
    assert grant.admin
    assert grant.teams == {}
    assert not grant.empty


def test_another_municipality_s_privileges_give_nothing() -> None:
    other = "urn:dk:gov:saml:cvrNumberIdentifier:11111111"
    grant = load_mapping(EXAMPLE).grant(
        privileges(PrivilegeGroup(other, (LEADER, ADMIN), {ORGANISATION_UNIT: (NORD,)}))
    )
    assert grant.empty


def test_unknown_units_and_missing_constraints_are_named_for_the_audit() -> None:
    grant = load_mapping(EXAMPLE).grant(
        privileges(
            PrivilegeGroup(CVR, (CONSULTANT,), {ORGANISATION_UNIT: ("no-such-unit",)}),
            PrivilegeGroup(CVR, (LEADER,)),
            PrivilegeGroup(CVR, ("http://other/system/role",), {ORGANISATION_UNIT: (NORD,)}),
        )
    )
    assert grant.empty
    assert f"{ORGANISATION_UNIT}=no-such-unit" in grant.unmapped
    assert any(LEADER in entry for entry in grant.unmapped)


def test_rules_map_claims_such_as_entra_app_roles() -> None:
    mapping = load_mapping(EXAMPLE)
    grant = mapping.grant({"roles": ["Survey.Consultant.Nord", "Survey.Administrator", "Other"]})
    assert grant.teams == {"Jobcenter Nord": Role.CONSULTANT}
    assert grant.admin
    assert mapping.grant({"roles": ["Other"], "groups": ["x"]}).empty


def test_user_name_and_full_name_come_from_the_first_attribute_present() -> None:
    mapping = load_mapping(EXAMPLE)
    said = {"preferred_username": ["  anna@aarhus.dk "], "name": ["Anna Holm"]}
    assert mapping.first(said, mapping.username_attributes) == "anna@aarhus.dk"
    assert mapping.first(said, mapping.name_attributes) == "Anna Holm"
    assert mapping.first({}, mapping.name_attributes) == ""


def test_the_privilege_list_round_trips_and_accepts_plain_xml() -> None:
    group = PrivilegeGroup(CVR, (CONSULTANT,), {ORGANISATION_UNIT: (NORD, SYD)})
    encoded = encode_privileges([group])
    assert decode_privileges(encoded) == [group]
    assert decode_privileges(base64.b64decode(encoded).decode()) == [group]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("not base64 !!", "neither base64 nor XML"),
        (base64.b64encode(b"<PrivilegeList><open>").decode(), "not well-formed"),
        ("<Other/>", "root is not PrivilegeList"),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><PrivilegeList>&a;'
            "</PrivilegeList>",
            "DTD",
        ),
    ],
)
def test_a_broken_privilege_list_is_refused_by_name(value: str, named: str) -> None:
    with pytest.raises(MappingError, match=named):
        decode_privileges(value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[team]\n", "unknown section [team]"),
        ('[privileges.roles]\n"x" = "boss"\n', "role must be one of"),
        ('[[rules]]\nattribute = "roles"\nvalue = "x"\nrole = "consultant"\n', "needs a team"),
        ('[[rules]]\nattribute = "roles"\nrole = "admin"\n', "value is missing"),
        ("[user]\nusername = []\n", "username"),
        ('[privileges]\ncolour = "red"\n', "unknown key 'colour'"),
    ],
)
def test_mistakes_in_the_mapping_file_name_the_key(text: str, named: str, tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="SURVEY_SSO_MAPPING") as caught:
        load_mapping(path)
    assert named in str(caught.value)


def test_a_missing_or_broken_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_mapping(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[user\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_mapping(broken)


def test_roles_without_an_attribute_name_default_to_context_handler_s() -> None:
    mapping = parse_mapping({"privileges": {"roles": {CONSULTANT: "consultant"}}})
    assert mapping.privilege_attribute == CONTEXT_HANDLER_PRIVILEGES
