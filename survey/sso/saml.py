"""survey as a SAML 2.0 service provider (pysaml2) for KOMBIT's Context Handler (OIOSAML 3) or
any SAML identity provider: our metadata, the signed AuthnRequest, the checked answer, and single
logout in both directions. docs/sign-in.md says what to register at KOMBIT.

What Context Handler asks of a service provider, and what this does: AuthnRequests and logout
messages signed (RSA-SHA256, in the query string of the HTTP-Redirect binding); assertions
signed by the identity provider (the response around them may be unsigned), optionally
encrypted to our encryption certificate; every answer names an AuthnRequest we sent (no
unsolicited responses), once, within REQUEST_LIFETIME. The outstanding requests live in the
database (SsoRequest), so any of several app servers can take the answer.
"""

from __future__ import annotations

import base64
import binascii
import logging
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from flask import Flask, current_app, request
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.response import (
    IncorrectlySigned,
    StatusError,
    UnsolicitedResponse,
    VerificationError,
)
from saml2.s_utils import UnknownPrincipal
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.sigver import SignatureError, security_context, verify_redirect_signature
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from sqlalchemy import select, update
from sqlmodel import Session, col

from survey import audit
from survey.config import ConfigError, saml_configured
from survey.extensions import SINGLE_LOGOUT
from survey.hashing import token_digest
from survey.models import SignInMethod, SsoRequest, User, UserSession, utcnow
from survey.sso.mapping import Mapping as SignInMapping
from survey.sso.mapping import load_mapping

SAML = "survey.saml"
"""app.extensions key: the loaded Settings."""
REQUEST_LIFETIME = timedelta(minutes=10)
"""How long an AuthnRequest may wait for its answer."""
CLOCK_SKEW_SECONDS = 60
"""How far the identity provider's clock may be from ours."""
LOGIN_KIND, LOGOUT_KIND = "saml", "saml_slo"

# pysaml2 logs whole assertions, NameIDs and attribute values (at debug and info, and some in
# its error messages): none of that may reach a log line. Our audit entry says what failed.
logging.getLogger("saml2").setLevel(logging.CRITICAL + 1)


class SamlRefused(Exception):
    """An answer from the identity provider that we do not accept; `reason` is the audit's."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Assertion:
    """What a checked answer says about the user (values only ever go to provisioning)."""

    issuer: str
    name_id: str
    """The NameID as XML (survey.models.UserSession.sso_name_id), for single logout."""
    subject: str
    """The NameID's value: who this is at the identity provider."""
    session_index: str | None
    attributes: dict[str, tuple[str, ...]]
    relay_state: str | None


@dataclass
class Settings:
    """SAML's share of the app: the sign-in mapping and a pysaml2 configuration per base URL
    (with SURVEY_BASE_URL there is one; without it, one per address the app is reached on)."""

    mapping: SignInMapping
    configs: dict[str, SPConfig]


def init_app(app: Flask) -> bool:
    """Load SAML's settings if SAML is configured; False when it is not. A broken metadata
    file, key or mapping stops start-up with a ConfigError naming the setting."""
    if not saml_configured(app.config):
        return False
    mapping = load_mapping(app.config["SSO_MAPPING"])
    settings = Settings(mapping=mapping, configs={})
    base = app.config["BASE_URL"] or "http://localhost"
    config = _sp_config(app.config, base)
    idps = config.metadata.identity_providers()
    if len(idps) != 1:
        raise ConfigError(
            f"SURVEY_SAML_IDP_METADATA ({app.config['SAML_IDP_METADATA']}) describes "
            f"{len(idps)} identity providers; it must describe exactly one"
        )
    if app.config["BASE_URL"]:
        settings.configs[base] = config
    app.extensions[SAML] = settings
    app.extensions[SINGLE_LOGOUT] = single_logout_for
    return True


def _sp_config(config: Mapping[str, Any], base_url: str) -> SPConfig:
    signing = (config["SAML_SP_KEY"], config["SAML_SP_CERT"])
    encryption = (
        config["SAML_SP_ENCRYPTION_KEY"] or signing[0],
        config["SAML_SP_ENCRYPTION_CERT"] or signing[1],
    )
    endpoints = urls(base_url)
    settings = {
        "entityid": config["SAML_ENTITY_ID"] or endpoints["metadata"],
        "xmlsec_binary": config["XMLSEC_BINARY"],
        "key_file": signing[0],
        "cert_file": signing[1],
        "encryption_keypairs": [{"key_file": encryption[0], "cert_file": encryption[1]}],
        "metadata": {"local": [config["SAML_IDP_METADATA"]]},
        "accepted_time_diff": CLOCK_SKEW_SECONDS,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": "survey",
                "endpoints": {
                    "assertion_consumer_service": [(endpoints["acs"], BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (endpoints["slo"], BINDING_HTTP_REDIRECT),
                        (endpoints["slo"], BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
            }
        },
    }
    try:
        return SPConfig().load(settings)
    except Exception as exc:  # pysaml2 raises what its XML and crypto libraries raise
        raise ConfigError(
            "SURVEY_SAML_IDP_METADATA, SURVEY_SAML_SP_KEY or SURVEY_SAML_SP_CERT cannot be "
            f"read: {type(exc).__name__}"
        ) from None


def urls(base_url: str) -> dict[str, str]:
    """Our endpoints under `base_url`: fixed paths, so the metadata's URL stays stable."""
    return {name: f"{base_url}/saml/{name}" for name in ("metadata", "acs", "slo")}


def base_url() -> str:
    """SURVEY_BASE_URL, else the address this request came to (development, tests)."""
    return current_app.config["BASE_URL"] or request.host_url.rstrip("/")


def settings() -> Settings:
    return current_app.extensions[SAML]


def client() -> Saml2Client:
    """A pysaml2 client for this request (the loaded configuration is shared, the client's
    own caches are not: nothing of one login stays in a process)."""
    configs = settings().configs
    base = base_url()
    if base not in configs:
        configs[base] = _sp_config(current_app.config, base)
    return Saml2Client(config=configs[base])


def idp_entity_id(saml_client: Saml2Client) -> str:
    return next(iter(saml_client.metadata.identity_providers()))


# --- metadata --------------------------------------------------------------------------------


def metadata_xml(saml_client: Saml2Client) -> str:
    """Our metadata, signed with our signing key: what KOMBIT's administration module takes."""
    config = saml_client.config
    descriptor = entity_descriptor(config)
    _id, signed = sign_entity_descriptor(
        descriptor, None, security_context(config), SIG_RSA_SHA256, DIGEST_SHA256
    )
    return str(signed)


# --- outstanding requests --------------------------------------------------------------------


def remember(db: Session, request_id: str, kind: str = LOGIN_KIND) -> None:
    db.add(SsoRequest(id=request_id, kind=kind))


def _check_outstanding(db: Session, request_id: str | None, kind: str) -> None:
    """Refuses an answer to no request of ours, to one answered already, or to one too old."""
    found = db.get(SsoRequest, request_id) if request_id else None
    if found is None or found.kind != kind:
        raise SamlRefused("unknown_request")
    if found.used_at is not None:
        raise SamlRefused("replayed")
    if utcnow() - found.created_at > REQUEST_LIFETIME:
        raise SamlRefused("expired")


def _consume(db: Session, request_id: str) -> None:
    """Mark the request answered, once: of two answers racing, one wins."""
    taken = db.execute(
        update(SsoRequest)
        .where(col(SsoRequest.id) == request_id, col(SsoRequest.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise SamlRefused("replayed")


# --- signing in ------------------------------------------------------------------------------


def login_redirect(db: Session, relay_state: str, *, force: bool = False) -> str:
    """The identity provider's address with our signed AuthnRequest (HTTP-Redirect binding);
    the request is remembered until its answer comes. `force`: the identity provider must ask
    the user again (ForceAuthn), not answer from its own session. The caller commits."""
    saml_client = client()
    extra = {"force_authn": "true"} if force else {}
    request_id, info = saml_client.prepare_for_authenticate(
        entityid=idp_entity_id(saml_client),
        relay_state=relay_state,
        binding=BINDING_HTTP_REDIRECT,
        sign=True,
        sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
        **extra,
    )
    remember(db, request_id)
    return dict(info["headers"])["Location"]


def _decoded(message: str) -> bytes:
    try:
        return base64.b64decode(message, validate=False)
    except (binascii.Error, ValueError):
        raise SamlRefused("malformed") from None


def _in_response_to(xml: bytes) -> str | None:
    """The InResponseTo of a response, read before anything trusts it (defusedxml: no DTD, no
    entities), to tell an unknown request from a replayed one."""
    try:
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except (DefusedXmlException, ElementTree.ParseError):
        raise SamlRefused("malformed") from None
    return root.get("InResponseTo")


def read_response(db: Session, saml_response: str, relay_state: str | None) -> Assertion:
    """The checked answer to one of our AuthnRequests (HTTP-POST binding): the identity
    provider's signature on the assertion (against its metadata), our audience, the time
    conditions, the destination and InResponseTo, once. Raises SamlRefused with the reason.
    The request is used up only by an answer that passed every check. The caller commits."""
    request_id = _in_response_to(_decoded(saml_response))
    _check_outstanding(db, request_id, LOGIN_KIND)
    assert request_id is not None
    saml_client = client()
    try:
        answer = saml_client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: relay_state or ""}
        )
    except (SignatureError, IncorrectlySigned):
        raise SamlRefused("bad_signature") from None
    except (ResponseLifetimeExceed, ToEarly):
        raise SamlRefused("expired") from None
    except UnsolicitedResponse:
        raise SamlRefused("unknown_request") from None
    except VerificationError as exc:
        # pysaml2's word for a validity window that is shut (NotBefore not before NotOnOrAfter)
        if str(exc) == "Condition not OK":
            raise SamlRefused("expired") from None
        raise SamlRefused("malformed") from None
    except StatusError:
        raise SamlRefused("idp_error") from None
    except Exception as exc:  # pysaml2 raises a bare Exception for a wrong audience
        if "AudienceRestrictions" in str(exc):
            raise SamlRefused("wrong_audience") from None
        raise SamlRefused("malformed") from None
    if answer is None or answer.assertion is None:  # pysaml2's "not for us" (destination)
        raise SamlRefused("malformed")
    _consume(db, request_id)
    name_id = answer.name_id
    if name_id is None or not (name_id.text or "").strip():
        raise SamlRefused("malformed")
    statements = answer.assertion.authn_statement or []
    return Assertion(
        issuer=answer.issuer(),
        name_id=name_id_text(name_id),
        subject=name_id.text.strip(),
        session_index=statements[0].session_index if statements else None,
        attributes=_attributes(answer.assertion),
        relay_state=relay_state,
    )


def name_id_text(name_id: saml.NameID) -> str:
    """One spelling of a NameID, the same for the assertion's and a LogoutRequest's."""
    return (
        saml.NameID(
            format=name_id.format,
            name_qualifier=name_id.name_qualifier,
            sp_name_qualifier=name_id.sp_name_qualifier,
            text=(name_id.text or "").strip(),
        )
        .to_string()
        .decode("utf-8")
    )


def _attributes(assertion: saml.Assertion) -> dict[str, tuple[str, ...]]:
    """Attribute name (as the identity provider names it, e.g. Context Handler's URIs) ->
    values. pysaml2's own renaming to friendly names is not used: the mapping file names them."""
    found: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            values = found.setdefault(attribute.name, [])
            values.extend((v.text or "").strip() for v in attribute.attribute_value or [])
    return {name: tuple(v for v in values if v) for name, values in found.items()}


# --- single logout ---------------------------------------------------------------------------


def single_logout_for(db: Session, token: str) -> str | None:
    """Where to send the browser to end a SAML login at the identity provider too (our signed
    LogoutRequest), or None for a login of another kind. The caller commits."""
    login = db.get(UserSession, token_digest(token))
    if login is None or login.method != SignInMethod.SAML or not login.sso_name_id:
        return None
    return logout_redirect(db, login.sso_name_id, login.sso_session_index)


def end_logins(db: Session, name_id: str, session_indexes: Sequence[str]) -> set[str]:
    """End the open logins of this NameID (those of the given SessionIndexes, or all when the
    identity provider names none): the ids of the sessions ended. Each is audited. The caller
    commits."""
    query = select(UserSession).where(
        col(UserSession.method) == SignInMethod.SAML,
        col(UserSession.sso_name_id) == name_id,
        col(UserSession.revoked_at).is_(None),
    )
    if session_indexes:
        query = query.where(col(UserSession.sso_session_index).in_(session_indexes))
    ended = set()
    for login in db.scalars(query):
        login.revoked_at = utcnow()
        ended.add(login.id)
        audit.record(
            "logout", user=db.get(User, login.user_id), details={"via": "saml_slo"}, session=db
        )
    return ended


def button_name() -> str:
    return str(current_app.config["SAML_NAME"])


def logout_redirect(db: Session, name_id: str, session_index: str | None) -> str | None:
    """The identity provider's address with our signed LogoutRequest for this login (None when
    its metadata has no logout endpoint). The caller commits."""
    saml_client = client()
    idp = idp_entity_id(saml_client)
    try:
        destinations = saml_client.metadata.single_logout_service(
            idp, BINDING_HTTP_REDIRECT, "idpsso"
        )
    except UnknownPrincipal:
        return None
    if not destinations:
        return None
    destination = destinations[0]["location"]
    request_id, logout_request = saml_client.create_logout_request(
        destination,
        idp,
        name_id=saml.name_id_from_string(name_id),
        session_indexes=[session_index] if session_index else None,
        sign=False,  # the Redirect binding signs the query string instead
        expire=None,
    )
    info = saml_client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(logout_request),
        destination,
        relay_state="",
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    remember(db, request_id, LOGOUT_KIND)
    return dict(info["headers"])["Location"]


@dataclass(frozen=True)
class LogoutRequest:
    """The identity provider ends a login (IdP-initiated single logout)."""

    message: samlp.LogoutRequest
    name_id: str
    session_indexes: tuple[str, ...]


def _verify_redirect(saml_client: Saml2Client, args: Mapping[str, str], key: str) -> None:
    """A message in the query string is signed there: check SigAlg and Signature against the
    identity provider's certificates (pysaml2 leaves this to the service provider)."""
    if not args.get("SigAlg") or not args.get("Signature"):
        raise SamlRefused("bad_signature")
    message = {
        name: args[name] for name in (key, "RelayState", "SigAlg", "Signature") if name in args
    }
    certificates = saml_client.metadata.certs(idp_entity_id(saml_client), "idpsso", "signing")
    backend = saml_client.sec.sec_backend
    if not any(
        verify_redirect_signature(message, backend, certificate)
        for _name, certificate in certificates
    ):
        raise SamlRefused("bad_signature")


def _verify_posted(saml_client: Saml2Client, message: str, check: str) -> None:
    """A posted message carries its own signature, which must be there and be the IdP's."""
    xml = _decoded(message).decode("utf-8", "replace")
    try:
        getattr(saml_client.sec, check)(xml, must=True)
    except Exception:  # pysaml2 raises several kinds for a missing or wrong signature
        raise SamlRefused("bad_signature") from None


def read_logout_request(args: Mapping[str, str], binding: str) -> LogoutRequest:
    """The identity provider's signed LogoutRequest. Raises SamlRefused."""
    saml_client = client()
    if binding == BINDING_HTTP_REDIRECT:
        _verify_redirect(saml_client, args, "SAMLRequest")
    else:
        _verify_posted(saml_client, args["SAMLRequest"], "correctly_signed_logout_request")
    try:
        parsed = saml_client.parse_logout_request(args["SAMLRequest"], binding)
    except Exception:  # pysaml2 raises what its XML parser and checks raise
        raise SamlRefused("malformed") from None
    if parsed is None or parsed.message.name_id is None:
        raise SamlRefused("malformed")
    if parsed.message.issuer is None or parsed.message.issuer.text != idp_entity_id(saml_client):
        raise SamlRefused("unknown_issuer")
    return LogoutRequest(
        message=parsed.message,
        name_id=name_id_text(parsed.message.name_id),
        session_indexes=tuple(
            (index.text or "").strip() for index in parsed.message.session_index or []
        ),
    )


def logout_response_redirect(logout_request: LogoutRequest, relay_state: str | None) -> str:
    """Our signed LogoutResponse to the identity provider (HTTP-Redirect binding)."""
    saml_client = client()
    response = saml_client.create_logout_response(
        logout_request.message, [BINDING_HTTP_REDIRECT], sign=False
    )
    destination = saml_client.metadata.single_logout_service(
        idp_entity_id(saml_client), BINDING_HTTP_REDIRECT, "idpsso"
    )[0]
    location = destination.get("response_location") or destination["location"]
    info = saml_client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        location,
        relay_state=relay_state or "",
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return dict(info["headers"])["Location"]


def read_logout_response(db: Session, args: Mapping[str, str], binding: str) -> bool:
    """The identity provider's answer to our LogoutRequest: True if it ended the login there.
    Raises SamlRefused for an unsigned or unknown answer. The caller commits."""
    saml_client = client()
    if binding == BINDING_HTTP_REDIRECT:
        _verify_redirect(saml_client, args, "SAMLResponse")
    else:
        _verify_posted(saml_client, args["SAMLResponse"], "correctly_signed_logout_response")
    xml = _decoded(args["SAMLResponse"])
    if binding == BINDING_HTTP_REDIRECT:
        xml = _inflated(xml)
    request_id = _in_response_to(xml)
    _check_outstanding(db, request_id, LOGOUT_KIND)
    assert request_id is not None
    try:
        parsed = saml_client.parse_logout_request_response(args["SAMLResponse"], binding)
    except StatusError:
        parsed = None
        succeeded = False
    except Exception:  # pysaml2 raises what its XML parser and checks raise
        raise SamlRefused("malformed") from None
    else:
        succeeded = parsed is not None and parsed.status_ok()
    _consume(db, request_id)
    return succeeded


def _inflated(data: bytes) -> bytes:
    """A Redirect-binding message is deflated before its base64."""
    try:
        return zlib.decompress(data, -15)
    except zlib.error:
        raise SamlRefused("malformed") from None
