"""A SAML 2.0 identity provider for the tests, made with pysaml2's own IdP (saml2.server.Server):
real signatures, real metadata, keys made on the spot. It answers like KOMBIT's Context Handler
(OIOSAML 3): a signed assertion with a persistent NameID, the privilege list as base64 XML, the
user's name and e-mail.

Used two ways: protocol tests call its methods with what the service provider's redirect
carried; browser tests serve `web_app()` on 127.0.0.1, where the tester picks a user. The hooks
for refused answers (`sign_with="rogue"`, `lifetime_minutes=-10`, `audience=...`) make the
answers a broken or hostile identity provider would give.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, Response, redirect, request
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from survey.sso.mapping import CONTEXT_HANDLER_PRIVILEGES, PrivilegeGroup, encode_privileges

FULL_NAME = "https://data.gov.dk/model/core/eid/fullName"
EMAIL = "https://data.gov.dk/model/core/eid/email"
CVR = "urn:dk:gov:saml:cvrNumberIdentifier:29189846"
ORG_UNIT = "http://sts.kombit.dk/constraints/orgenhed/1"
ROLE = "http://kombit.dk/roles/usersystemrole/survey-{}/1"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def make_keypair(folder: Path, name: str) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"survey test {name}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def privilege(role: str, *units: str) -> PrivilegeGroup:
    """One privilege group as Context Handler sends it: `role` (consultant, project-leader,
    administrator) in the organisation units `units`."""
    return PrivilegeGroup(
        scope=CVR, privileges=(ROLE.format(role),), constraints={ORG_UNIT: units} if units else {}
    )


@dataclass(frozen=True)
class IdpUser:
    name_id: str
    full_name: str
    email: str
    privileges: tuple[PrivilegeGroup, ...] = ()

    def attributes(self) -> dict[str, list[str]]:
        found = {FULL_NAME: [self.full_name], EMAIL: [self.email]}
        if self.privileges:
            found[CONTEXT_HANDLER_PRIVILEGES] = [encode_privileges(self.privileges)]
        return found


@dataclass
class Issued:
    sp: str
    name_id: str
    session_index: str


@dataclass
class TestIdentityProvider:
    __test__ = False  # a fixture's class, not tests
    folder: Path
    base_url: str
    xmlsec_binary: str
    users: dict[str, IdpUser] = field(default_factory=dict)
    issued: list[Issued] = field(default_factory=list)
    logged_out: list[str] = field(default_factory=list)
    """NameIDs of LogoutRequests the service provider sent us (checked)."""
    logout_answers: list[bool] = field(default_factory=list)
    """Our LogoutRequests' answers from the service provider: True if correctly signed."""
    sign_with: str = "idp"
    """What the browser flow signs with: "idp" (in our metadata) or "rogue" (not)."""

    def __post_init__(self) -> None:
        self.key, self.cert = make_keypair(self.folder, "idp")
        self.rogue_key, self.rogue_cert = make_keypair(self.folder, "rogue")
        self.entity_id = f"{self.base_url}/idp/metadata"
        self.sp_metadata: str | None = None
        self.metadata_path = self.folder / "idp-metadata.xml"
        self.metadata_path.write_text(str(entity_descriptor(self._config())), encoding="utf-8")
        self._servers: dict[tuple[str, int], Server] = {}

    # --- configuration ----------------------------------------------------------------------

    def _config(self, key: str = "idp", lifetime_minutes: int = 5) -> IdPConfig:
        key_file, cert_file = (
            (self.key, self.cert) if key == "idp" else (self.rogue_key, self.rogue_cert)
        )
        settings: dict[str, Any] = {
            "entityid": self.entity_id,
            "xmlsec_binary": self.xmlsec_binary,
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
            "accepted_time_diff": 60,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base_url}/idp/sso", BINDING_HTTP_REDIRECT)
                        ],
                        "single_logout_service": [
                            (f"{self.base_url}/idp/slo", BINDING_HTTP_REDIRECT)
                        ],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": True,
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": lifetime_minutes},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                }
            },
        }
        if self.sp_metadata:
            settings["metadata"] = {"inline": [self.sp_metadata]}
        return IdPConfig().load(settings)

    def trust(self, sp_metadata: str) -> None:
        """Know the service provider from its metadata (its endpoints and certificates)."""
        self.sp_metadata = sp_metadata
        self._servers.clear()

    def server(self, key: str = "idp", lifetime_minutes: int = 5) -> Server:
        assert self.sp_metadata, "trust() the service provider's metadata first"
        wanted = (key, lifetime_minutes)
        if wanted not in self._servers:
            self._servers[wanted] = Server(config=self._config(key, lifetime_minutes))
        return self._servers[wanted]

    def add_user(self, user: IdpUser) -> IdpUser:
        self.users[user.name_id] = user
        return user

    # --- single sign-on ---------------------------------------------------------------------

    def answer_login(
        self,
        query: Mapping[str, str],
        user: IdpUser,
        *,
        sign_with: str = "idp",
        lifetime_minutes: int = 5,
        audience: str | None = None,
    ) -> dict[str, str]:
        """Check the service provider's signed AuthnRequest (the Redirect binding's query) and
        answer it for `user`: the form fields to post to the ACS, and its address as
        "action"."""
        server = self.server()
        parsed = server.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        message = parsed.message
        sp = message.issuer.text
        acs = (
            message.assertion_consumer_service_url
            or server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0]["location"]
        )
        signer = self.server(sign_with, lifetime_minutes)
        response = signer.create_authn_response(
            identity=user.attributes(),
            in_response_to=message.id,
            destination=acs,
            sp_entity_id=audience or sp,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user.name_id),
            authn={"class_ref": PASSWORD_PROTECTED, "authn_auth": self.entity_id},
            sign_assertion=True,
            sign_response=False,
        )
        xml = str(response)
        statement = response_from_string(xml).assertion[0].authn_statement[0]
        self.issued.append(
            Issued(sp=sp, name_id=user.name_id, session_index=statement.session_index)
        )
        info = signer.apply_binding(
            BINDING_HTTP_POST, xml, acs, query.get("RelayState", ""), response=True
        )
        fields = {"action": acs, "SAMLResponse": _form_value(info, "SAMLResponse")}
        relay = query.get("RelayState")
        if relay is not None:
            fields["RelayState"] = relay
        return fields

    # --- single logout ----------------------------------------------------------------------

    def answer_logout(self, query: Mapping[str, str]) -> str:
        """Check the service provider's signed LogoutRequest and answer it: the address (the
        SP's logout endpoint with our signed LogoutResponse) to send the browser to."""
        server = self.server()
        parsed = server.parse_logout_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        self.logged_out.append(parsed.message.name_id.text)
        response = server.create_logout_response(
            parsed.message, [BINDING_HTTP_REDIRECT], sign=False
        )
        destination = server.metadata.single_logout_service(
            parsed.message.issuer.text, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination,
            relay_state=query.get("RelayState", ""),
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
        return dict(info["headers"])["Location"]

    def logout_request(
        self, name_id: str, session_index: str | None, sign_with: str = "idp"
    ) -> str:
        """An IdP-initiated LogoutRequest for a login we issued: the address to send the browser
        to (the SP's logout endpoint, the request signed in the query string)."""
        server = self.server(sign_with)
        sp_entity = next(iter(server.metadata.service_providers()))
        destination = server.metadata.single_logout_service(
            sp_entity, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        _id, message = server.create_logout_request(
            destination,
            sp_entity,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            session_indexes=[session_index] if session_index else None,
            sign=False,
        )
        info = server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(message),
            destination,
            relay_state="",
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
        return dict(info["headers"])["Location"]

    def check_logout_response(self, query: Mapping[str, str]) -> bool:
        """The SP's answer to our LogoutRequest: signed with a certificate in its metadata?"""
        server = self.server()
        sp_entity = next(iter(server.metadata.service_providers()))
        message = {
            k: query[k] for k in ("SAMLResponse", "RelayState", "SigAlg", "Signature") if k in query
        }
        certificates = server.metadata.certs(sp_entity, "spsso", "signing")
        signed = any(
            verify_redirect_signature(message, server.sec.sec_backend, cert)
            for _name, cert in certificates
        )
        self.logout_answers.append(signed)
        return signed

    # --- the web pages, for the browser ------------------------------------------------------

    def web_app(self) -> Flask:
        """The identity provider's pages: pick a user, then an auto-submitting POST to the ACS."""
        app = Flask("test_idp")

        @app.get("/idp/metadata")
        def metadata() -> Response:
            return Response(self.metadata_path.read_text(encoding="utf-8"), mimetype="text/xml")

        @app.get("/idp/sso")
        def sso() -> str:
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in request.args.items()
            )
            buttons = "".join(
                f'<p><button name="user" value="{html.escape(u.name_id)}">'
                f"{html.escape(u.full_name)}</button></p>"
                for u in self.users.values()
            )
            return _page(
                "Test identity provider",
                f"<h1>Test identity provider</h1><p>Who signs in?</p>"
                f'<form method="post" action="/idp/sso">{hidden}{buttons}</form>',
            )

        @app.post("/idp/sso")
        def pick() -> str:
            query = {k: v for k, v in request.form.items() if k != "user"}
            fields = self.answer_login(
                query, self.users[request.form["user"]], sign_with=self.sign_with
            )
            action = fields.pop("action")
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in fields.items()
            )
            return _page(
                "Signing in",
                f'<form method="post" action="{html.escape(action)}" id="answer">{hidden}'
                "<noscript><button>Continue</button></noscript></form>"
                "<script>document.getElementById('answer').submit();</script>",
            )

        @app.get("/idp/slo")
        def slo() -> Response:
            if "SAMLResponse" in request.args:
                self.check_logout_response(request.args)
                return Response(_page("Logged out", "<h1>Logged out at the identity provider</h1>"))
            return redirect(self.answer_logout(request.args))

        return app


def _page(title: str, body: str) -> str:
    return f'<!doctype html><html lang="en"><title>{title}</title><body>{body}</body></html>'


def _form_value(info: Mapping[str, Any], name: str) -> str:
    """A hidden field's value in the HTML form pysaml2's POST binding makes."""
    text = info["data"]
    marker = f'name="{name}" value="'
    start = text.index(marker) + len(marker)
    return html.unescape(text[start : text.index('"', start)])


def query_of(url: str) -> dict[str, str]:
    """The query of a redirect's Location, one value per name."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
