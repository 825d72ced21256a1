"""What an identity provider's attributes or claims give in survey: configuration, not code.

A municipality writes one TOML file (SURVEY_SSO_MAPPING, example in
docs/examples/sign-in-mapping.toml) with two kinds of rules:

- `[privileges]`: KOMBIT's Context Handler sends one attribute whose value is base64 of an
  OIOSAML basic-privilege-profile XML: privilege groups, each with the job-function roles
  (`Privilege`) and data constraints (`Constraint`, e.g. the organisation unit) that hold
  together. A privilege maps to a role; the team constraint's values map to teams.
- `[[rules]]`: any attribute or claim value (an Entra ID app role, a group) gives a role in a
  team, or the administrator capability.

`Mapping.grant(attributes)` is pure: it reads what the provider said and returns the roles per
team; survey.sso.provision applies them to the user.
"""

from __future__ import annotations

import base64
import binascii
import tomllib
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from survey.config import ConfigError
from survey.models import Role

ADMIN = "admin"
"""The role name that gives the administrator capability (needs no team)."""

BPP_NAMESPACE = "http://itst.dk/oiosaml/basic_privilege_profile"
CONTEXT_HANDLER_PRIVILEGES = "https://data.gov.dk/model/core/eid/privilegesIntermediate"
"""OIOSAML 3's attribute for the privilege list (OIOSAML 2 used
dk:gov:saml:attribute:Privileges_intermediate; the mapping file can name either)."""
ORGANISATION_UNIT = "http://sts.kombit.dk/constraints/orgenhed/1"

# Where the user's name comes from when the mapping file does not say.
DEFAULT_USERNAME = ("https://data.gov.dk/model/core/eid/email", "preferred_username", "email")
DEFAULT_NAME = ("https://data.gov.dk/model/core/eid/fullName", "name")

_ROLES = {role.value: role for role in Role}
_MAX_PRIVILEGE_CHARS = 200_000  # a privilege list far beyond any real user's: refused


class MappingError(ValueError):
    """What the identity provider sent cannot be read (not what the mapping file says)."""


@dataclass(frozen=True)
class PrivilegeGroup:
    scope: str
    privileges: tuple[str, ...]
    constraints: MappingType[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Grant:
    """What one sign-in gives: the administrator capability and a role per team (by name)."""

    admin: bool = False
    teams: MappingType[str, Role] = field(default_factory=dict)
    matched: tuple[str, ...] = ()
    """The privileges and rule values that gave something (for the audit)."""
    unmapped: tuple[str, ...] = ()
    """Constraint values or rules that named no known team (for the audit)."""

    @property
    def empty(self) -> bool:
        return not self.admin and not self.teams


@dataclass(frozen=True)
class Rule:
    attribute: str
    value: str
    role: str
    team: str | None


@dataclass(frozen=True)
class Mapping:
    username_attributes: tuple[str, ...] = DEFAULT_USERNAME
    name_attributes: tuple[str, ...] = DEFAULT_NAME
    privilege_attribute: str | None = None
    privilege_scope: str | None = None
    team_constraint: str = ORGANISATION_UNIT
    privilege_roles: MappingType[str, str] = field(default_factory=dict)
    constraint_teams: MappingType[str, str] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()

    def grant(self, attributes: MappingType[str, Sequence[str]]) -> Grant:
        """The roles per team `attributes` give. Where one team gets both roles, project
        leader wins (a membership holds one role)."""
        admin = False
        teams: dict[str, Role] = {}
        matched: list[str] = []
        unmapped: list[str] = []

        def give(role_name: str, team: str | None, why: str) -> None:
            nonlocal admin
            if role_name == ADMIN:
                admin = True
                matched.append(why)
                return
            if team is None:
                unmapped.append(why)
                return
            role = _ROLES[role_name]
            if teams.get(team) is not Role.PROJECT_LEADER:
                teams[team] = role
            matched.append(why)

        if self.privilege_attribute:
            for encoded in attributes.get(self.privilege_attribute, ()):
                for group in decode_privileges(encoded):
                    if self.privilege_scope and group.scope != self.privilege_scope:
                        continue
                    units = group.constraints.get(self.team_constraint, ())
                    for privilege in group.privileges:
                        role_name = self.privilege_roles.get(privilege)
                        if role_name is None:
                            continue
                        if role_name == ADMIN:
                            give(ADMIN, None, privilege)
                            continue
                        if not units:
                            unmapped.append(f"{privilege} (no {self.team_constraint})")
                        for unit in units:
                            team = self.constraint_teams.get(unit)
                            if team is None:
                                unmapped.append(f"{self.team_constraint}={unit}")
                            else:
                                give(role_name, team, privilege)
        for rule in self.rules:
            if rule.value in attributes.get(rule.attribute, ()):
                give(rule.role, rule.team, f"{rule.attribute}={rule.value}")
        return Grant(
            admin=admin,
            teams=dict(sorted(teams.items())),
            matched=tuple(dict.fromkeys(matched)),
            unmapped=tuple(dict.fromkeys(unmapped)),
        )

    def first(self, attributes: MappingType[str, Sequence[str]], names: Sequence[str]) -> str:
        """The first non-empty value of the first of `names` the provider sent, or ""."""
        for name in names:
            for value in attributes.get(name, ()):
                if value.strip():
                    return value.strip()
        return ""

    def team_names(self) -> set[str]:
        """Every team the file names (checked against the database by `survey sso check`)."""
        names = set(self.constraint_teams.values())
        names.update(rule.team for rule in self.rules if rule.team)
        return names


# --- the privilege list (OIOSAML basic privilege profile) ------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def decode_privileges(encoded: str) -> list[PrivilegeGroup]:
    """The privilege groups in Context Handler's attribute value (base64 of the XML; plain XML
    is accepted too). Raises MappingError when it is neither."""
    text = encoded.strip()
    if len(text) > _MAX_PRIVILEGE_CHARS:
        raise MappingError("the privilege list is too long")
    if not text.startswith("<"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise MappingError("the privilege list is neither base64 nor XML") from None
    try:
        root = ElementTree.fromstring(text, forbid_dtd=True)
    except DefusedXmlException:
        raise MappingError("the privilege list may not declare a DTD or entities") from None
    except ElementTree.ParseError as exc:
        raise MappingError(f"the privilege list is not well-formed XML ({exc})") from None
    if _local(root.tag) != "PrivilegeList":
        raise MappingError("the privilege list's root is not PrivilegeList")
    groups = []
    for node in root:
        if _local(node.tag) != "PrivilegeGroup":
            continue
        privileges = tuple(
            (child.text or "").strip() for child in node if _local(child.tag) == "Privilege"
        )
        constraints: dict[str, list[str]] = {}
        for child in node:
            if _local(child.tag) == "Constraint":
                constraints.setdefault(child.get("Name", ""), []).append((child.text or "").strip())
        groups.append(
            PrivilegeGroup(
                scope=node.get("Scope", ""),
                privileges=tuple(p for p in privileges if p),
                constraints={name: tuple(values) for name, values in constraints.items()},
            )
        )
    return groups


def privilege_list_xml(groups: Sequence[PrivilegeGroup]) -> str:
    """The XML Context Handler sends for `groups` (for test identity providers and examples)."""
    parts = [f'<bpp:PrivilegeList xmlns:bpp="{BPP_NAMESPACE}">']
    for group in groups:
        parts.append(f"<PrivilegeGroup Scope={quoteattr(group.scope)}>")
        parts.extend(f"<Privilege>{escape(p)}</Privilege>" for p in group.privileges)
        for name, values in group.constraints.items():
            parts.extend(
                f"<Constraint Name={quoteattr(name)}>{escape(v)}</Constraint>" for v in values
            )
        parts.append("</PrivilegeGroup>")
    parts.append("</bpp:PrivilegeList>")
    return "".join(parts)


def encode_privileges(groups: Sequence[PrivilegeGroup]) -> str:
    return base64.b64encode(privilege_list_xml(groups).encode("utf-8")).decode("ascii")


# --- the mapping file -------------------------------------------------------------------------


def load_mapping(path: str | Path) -> Mapping:
    """Read the mapping file; every mistake raises ConfigError naming the file and the key."""
    where = f"SURVEY_SSO_MAPPING ({path})"
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: the file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    return parse_mapping(data, where)


def parse_mapping(data: MappingType[str, Any], where: str = "the sign-in mapping") -> Mapping:
    known = {"user", "privileges", "rules"}
    for key in data:
        if key not in known:
            raise ConfigError(f"{where}: unknown section [{key}]; use {', '.join(sorted(known))}")
    user = _table(data, "user", where)
    _only(user, {"username", "name"}, f"{where} [user]")
    privileges = _table(data, "privileges", where)
    _only(
        privileges,
        {"attribute", "scope", "team_constraint", "roles", "teams"},
        f"{where} [privileges]",
    )
    roles = _table(privileges, "roles", f"{where} [privileges]")
    for privilege, role in roles.items():
        _role(role, f"{where} [privileges.roles] {privilege!r}")
    teams = _table(privileges, "teams", f"{where} [privileges]")
    for unit, team in teams.items():
        _text(team, f"{where} [privileges.teams] {unit!r}")
    if roles and not privileges.get("attribute"):
        privileges = {**privileges, "attribute": CONTEXT_HANDLER_PRIVILEGES}
    rules = []
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{where}: rules must be a list of [[rules]] tables")
    for number, raw in enumerate(raw_rules, start=1):
        here = f"{where} [[rules]] number {number}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{here}: must be a table")
        _only(raw, {"attribute", "value", "role", "team"}, here)
        for key in ("attribute", "value", "role"):
            if key not in raw:
                raise ConfigError(f"{here}: {key} is missing")
        role = _role(raw["role"], f"{here} role")
        team = raw.get("team")
        if role != ADMIN and not team:
            raise ConfigError(f"{here}: the role {role} needs a team")
        rules.append(
            Rule(
                attribute=_text(raw["attribute"], f"{here} attribute"),
                value=_text(raw["value"], f"{here} value"),
                role=role,
                team=_text(team, f"{here} team") if team else None,
            )
        )
    return Mapping(
        username_attributes=_names(user.get("username"), DEFAULT_USERNAME, f"{where} username"),
        name_attributes=_names(user.get("name"), DEFAULT_NAME, f"{where} name"),
        privilege_attribute=_optional(privileges.get("attribute"), f"{where} attribute"),
        privilege_scope=_optional(privileges.get("scope"), f"{where} scope"),
        team_constraint=_optional(privileges.get("team_constraint"), f"{where} team_constraint")
        or ORGANISATION_UNIT,
        privilege_roles=dict(roles),
        constraint_teams=dict(teams),
        rules=tuple(rules),
    )


def _table(data: MappingType[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a table")
    return value


def _only(table: MappingType[str, Any], keys: set[str], where: str) -> None:
    for key in table:
        if key not in keys:
            raise ConfigError(f"{where}: unknown key {key!r}; use {', '.join(sorted(keys))}")


def _role(value: object, where: str) -> str:
    names = [*_ROLES, ADMIN]
    if value not in names:
        raise ConfigError(f"{where}: the role must be one of {', '.join(names)}, not {value!r}")
    return str(value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be a non-empty text")
    return value.strip()


def _optional(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _names(value: object, default: tuple[str, ...], where: str) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: must be an attribute name or a list of them")
    return tuple(_text(v, where) for v in value)
