"""Settings: every wrong value is refused with a message naming the setting."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from survey.app import create_app
from survey.config import ConfigError, build_config
from survey.db import check_connection


def config(tmp_path: Path, **environ: str) -> dict:
    return build_config(tmp_path / "instance", environ=environ)


def test_development_defaults_to_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    settings = config(tmp_path, SURVEY_ENV="development")
    assert settings["DATABASE_URL"].get_backend_name() == "sqlite"
    assert settings["DATABASE_URL"].database == str(tmp_path / "instance" / "survey.db")
    # A development secret is generated once and kept, so sessions survive a restart.
    assert len(settings["SECRET_KEY"]) == 64
    assert config(tmp_path, SURVEY_ENV="development")["SECRET_KEY"] == settings["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SURVEY_SECRET_KEY is required"):
        config(tmp_path)  # SURVEY_ENV defaults to production
    assert config(tmp_path, SURVEY_SECRET_KEY="k" * 40)["SECRET_KEY"] == "k" * 40


def test_unknown_environment_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SURVEY_ENV is 'staging'"):
        config(tmp_path, SURVEY_ENV="staging")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "SURVEY_DATABASE_URL is not a database URL"),
        ("mysql://u:p@localhost/db", "SURVEY_DATABASE_URL names the database 'mysql'"),
        ("sqlite:////no/such/folder/survey.db", "SURVEY_DATABASE_URL points at a SQLite file"),
    ],
)
def test_wrong_database_url_names_the_setting(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(tmp_path, SURVEY_ENV="development", SURVEY_DATABASE_URL=url)


def test_postgresql_urls_use_psycopg(tmp_path: Path) -> None:
    for url in ("postgresql://u@h/db", "postgres://u@h/db"):
        settings = config(tmp_path, SURVEY_ENV="development", SURVEY_DATABASE_URL=url)
        assert settings["DATABASE_URL"].drivername == "postgresql+psycopg"


def test_unreachable_database_names_the_setting_and_hides_the_password() -> None:
    engine = create_engine("postgresql+psycopg://user:hunter2@127.0.0.1:1/survey")
    with pytest.raises(ConfigError) as excinfo:
        check_connection(engine)
    message = str(excinfo.value)
    assert "cannot connect to the database in SURVEY_DATABASE_URL" in message
    assert "hunter2" not in message
    assert "127.0.0.1:1" in message


def test_instruments_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SURVEY_INSTRUMENTS_DIR is .* not a folder"):
        config(tmp_path, SURVEY_ENV="development", SURVEY_INSTRUMENTS_DIR=str(tmp_path / "x"))


def test_overrides_win_over_environment(tmp_path: Path) -> None:
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "s", "DATABASE_URL": "sqlite://"},
        environ={"SURVEY_ENV": "production"},
        instance_path=str(tmp_path / "instance"),
    )
    assert app.config["TESTING"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
