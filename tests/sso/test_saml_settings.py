"""SAML's settings: off without them, on with all three files, refused at start when half set."""

from __future__ import annotations

import pytest

from survey.config import ConfigError


def test_without_saml_settings_there_is_no_saml(app) -> None:
    client = app.test_client()
    assert client.get("/saml/metadata").status_code == 404
    assert "Log ind med" not in client.get("/login").get_data(as_text=True)


def test_with_saml_the_login_page_has_its_button(saml_app) -> None:
    page = saml_app.test_client().get("/login?next=/citizens").get_data(as_text=True)
    assert "Log ind med KOMBIT Context Handler" in page
    assert 'href="/saml/login?next=/citizens"' in page


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        ("SAML_SP_KEY", "SURVEY_SAML_SP_KEY"),
        ("SAML_SP_CERT", "SURVEY_SAML_SP_CERT"),
        ("SAML_IDP_METADATA", "SURVEY_SAML_IDP_METADATA"),
        ("SSO_MAPPING", "SURVEY_SSO_MAPPING"),
    ],
)
def test_half_a_configuration_stops_the_start(make_app, saml_config, left_out, named) -> None:
    with pytest.raises(ConfigError, match=named):
        make_app(**{**saml_config, left_out: ""})


def test_the_encryption_pair_comes_whole(make_app, saml_config) -> None:
    with pytest.raises(ConfigError, match="SURVEY_SAML_SP_ENCRYPTION_CERT"):
        make_app(**saml_config, SAML_SP_ENCRYPTION_KEY=saml_config["SAML_SP_KEY"])


def test_a_missing_file_or_binary_is_named(make_app, saml_config, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"SURVEY_SAML_SP_CERT.*not a file"):
        make_app(**{**saml_config, "SAML_SP_CERT": str(tmp_path / "nothing.crt")})
    with pytest.raises(ConfigError, match="SURVEY_XMLSEC_BINARY"):
        make_app(**saml_config, XMLSEC_BINARY=str(tmp_path / "no-xmlsec1"))


def test_metadata_that_is_no_metadata_stops_the_start(make_app, saml_config, tmp_path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<html>not metadata</html>", encoding="utf-8")
    with pytest.raises(ConfigError, match="SURVEY_SAML_IDP_METADATA"):
        make_app(**{**saml_config, "SAML_IDP_METADATA": str(broken)})


def test_the_entity_id_and_the_base_url_are_settings(make_app, saml_config) -> None:
    app = make_app(
        **{**saml_config, "BASE_URL": "https://survey.kommune.example/"},
        SAML_ENTITY_ID="https://survey.kommune.example/sp",
    )
    xml = app.test_client().get("/saml/metadata").get_data(as_text=True)
    assert 'entityID="https://survey.kommune.example/sp"' in xml
    assert 'Location="https://survey.kommune.example/saml/acs"' in xml
    with pytest.raises(ConfigError, match="SURVEY_BASE_URL"):
        make_app(**{**saml_config, "BASE_URL": "survey.kommune.example"})
