"""Settings: defaults, then SURVEY_* environment variables, then create_app overrides."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from limits import parse_many
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "testing")
DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the setting and how to fix it."""


DEFAULTS: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # SQLite file in the instance folder
    "INSTRUMENTS_DIR": str(PROJECT_ROOT / "instruments"),
    "MIGRATIONS_DIR": str(PROJECT_ROOT / "migrations"),
    "REPORT_SETS_DIR": "",
    "DATABASE_ECHO": False,
    "SESSION_IDLE_MINUTES": 30,
    "KIOSK_IDLE_SECONDS": 600,
    # Wrong tablet unlocks of one consultant's tablets in an hour before all of them refuse.
    "KIOSK_UNLOCK_FAILURES_PER_CONSULTANT": 10,
    # Unlock posts one tablet may make (each tablet counts alone; 5 wrong ones end it anyway).
    "KIOSK_UNLOCK_RATE": "10 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://host:6379 shares the counts between workers
    # Sign-in throttling (survey.auth.throttle): wrong passwords for one user name before each
    # further attempt waits, the first wait (doubling with each further failure) and the longest.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_DELAY_SECONDS": 30,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    # Failed logins one address may make (logins that succeed do not count): an office behind
    # one address shares it.
    "LOGIN_RATE_PER_ADDRESS": "60 per minute; 600 per hour",
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none).
    "TRUSTED_PROXIES": 0,
    # Background jobs (imports): thread, a redis:// URL (with `survey worker`) or immediate;
    # empty: immediate in tests, else thread. See survey/jobs/queue.py.
    "JOBS": "",
    # A running job whose progress has not moved for this long was interrupted.
    "JOBS_STALE_MINUTES": 30,
    "MAX_UPLOAD_MB": 256,  # an import file; 1,000,000 answer rows are about 60 MB
    # Strict-Transport-Security in production: browsers keep to HTTPS this long (0: no header).
    "HSTS_SECONDS": 31536000,
    # The address users open (https://survey.kommune.dk): single sign-on builds its endpoint
    # URLs from it. Empty: from each request (development and tests).
    "BASE_URL": "",
    # The TOML file that says which attributes or claims give which roles in which teams.
    "SSO_MAPPING": "",
    # SAML 2.0 (KOMBIT Context Handler), survey.sso.saml: on when SAML_IDP_METADATA is set.
    "SAML_IDP_METADATA": "",  # the identity provider's metadata XML file
    "SAML_SP_KEY": "",  # our signing key and certificate (PEM files)
    "SAML_SP_CERT": "",
    "SAML_SP_ENCRYPTION_KEY": "",  # optional: the pair assertions are encrypted to
    "SAML_SP_ENCRYPTION_CERT": "",  # (default: the signing pair)
    "SAML_ENTITY_ID": "",  # default: <BASE_URL>/saml/metadata
    "SAML_NAME": "KOMBIT Context Handler",  # the login page's button
    "XMLSEC_BINARY": "",  # pysaml2 signs and checks with xmlsec1; default: found on PATH
}

SAML_FILES = ("SAML_IDP_METADATA", "SAML_SP_KEY", "SAML_SP_CERT")
SAML_ENCRYPTION = ("SAML_SP_ENCRYPTION_KEY", "SAML_SP_ENCRYPTION_CERT")


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every SURVEY_<NAME> variable that names a known setting."""
    found: dict[str, Any] = {}
    for name in DEFAULTS:
        value = environ.get(f"SURVEY_{name}")
        if value is not None and value != "":
            found[name] = value
    for name in (
        "SESSION_IDLE_MINUTES",
        "KIOSK_IDLE_SECONDS",
        "KIOSK_UNLOCK_FAILURES_PER_CONSULTANT",
        "MAX_UPLOAD_MB",
        "JOBS_STALE_MINUTES",
        "LOGIN_FREE_FAILURES",
        "LOGIN_DELAY_SECONDS",
        "LOGIN_MAX_DELAY_SECONDS",
        "TRUSTED_PROXIES",
        "HSTS_SECONDS",
    ):
        if name in found:
            try:
                found[name] = int(found[name])
            except ValueError:
                raise ConfigError(
                    f"SURVEY_{name} must be a whole number, not {found[name]!r}"
                ) from None
    if "DATABASE_ECHO" in found:
        found["DATABASE_ECHO"] = found["DATABASE_ECHO"].lower() in ("1", "true", "yes")
    return found


def normalise_database_url(value: str) -> URL:
    """Parse SURVEY_DATABASE_URL, naming the setting in every complaint."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(
            f"SURVEY_DATABASE_URL is not a database URL: {value!r}. Use for example "
            "sqlite:///path/to/survey.db or postgresql://user:password@host:5432/survey"
        ) from None
    backend = url.get_backend_name()
    if backend not in DRIVERS:
        raise ConfigError(
            f"SURVEY_DATABASE_URL names the database {backend!r}, which survey does not "
            "support; use sqlite:///... or postgresql://..."
        )
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername=DRIVERS[backend])
    if backend == "sqlite" and url.database and url.database != ":memory:":
        parent = Path(url.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise ConfigError(
                f"SURVEY_DATABASE_URL points at a SQLite file in {parent}, which does not exist"
            )
    return url


def _development_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive a restart."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def build_config(
    instance_path: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The app's settings, checked; raises ConfigError naming the wrong setting."""
    settings = dict(DEFAULTS)
    settings.update(from_environment(os.environ if environ is None else environ))
    settings.update(overrides or {})
    if settings["ENV"] not in ENVIRONMENTS:
        raise ConfigError(
            f"SURVEY_ENV is {settings['ENV']!r}; use one of {', '.join(ENVIRONMENTS)}"
        )
    instance_path.mkdir(parents=True, exist_ok=True)
    if not settings["SECRET_KEY"]:
        if settings["ENV"] == "production":
            raise ConfigError(
                "SURVEY_SECRET_KEY is required when SURVEY_ENV is production; set it to a long "
                "random value, e.g. the output of: python -c 'import secrets; "
                "print(secrets.token_hex(32))'"
            )
        settings["SECRET_KEY"] = _development_secret(instance_path)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'survey.db'}"
    settings["DATABASE_URL"] = normalise_database_url(str(settings["DATABASE_URL"]))
    if not settings["REPORT_SETS_DIR"]:
        # The shipped report sets name the shipped instruments' items: they come with them. A
        # programme with instruments of its own brings its sets (SURVEY_REPORT_SETS_DIR).
        own = (
            Path(settings["INSTRUMENTS_DIR"]).resolve() == (PROJECT_ROOT / "instruments").resolve()
        )
        settings["REPORT_SETS_DIR"] = str(PROJECT_ROOT / "report_sets") if own else ""
    for name in ("INSTRUMENTS_DIR", "MIGRATIONS_DIR", "REPORT_SETS_DIR"):
        if settings[name] and not Path(settings[name]).is_dir():
            raise ConfigError(f"SURVEY_{name} is {settings[name]!r}, which is not a folder")
    _check_throttling(settings)
    _check_saml(settings)
    if not settings["JOBS"]:
        settings["JOBS"] = "immediate" if settings["ENV"] == "testing" else "thread"
    settings["TESTING"] = settings["ENV"] == "testing"
    # Flask refuses larger requests with 413 before reading them.
    settings["MAX_CONTENT_LENGTH"] = int(settings["MAX_UPLOAD_MB"]) * 1024 * 1024
    return settings


def _check_throttling(settings: Mapping[str, Any]) -> None:
    for name in ("LOGIN_RATE_PER_ADDRESS", "KIOSK_UNLOCK_RATE"):
        try:
            parse_many(str(settings[name]))
        except ValueError:
            raise ConfigError(
                f"SURVEY_{name} is {settings[name]!r}; write rates like '60 per minute; "
                "600 per hour'"
            ) from None
    for name in ("LOGIN_DELAY_SECONDS", "LOGIN_MAX_DELAY_SECONDS", "TRUSTED_PROXIES"):
        if int(settings[name]) < 0:
            raise ConfigError(f"SURVEY_{name} cannot be negative")
    if int(settings["LOGIN_FREE_FAILURES"]) < 1:
        raise ConfigError("SURVEY_LOGIN_FREE_FAILURES must be 1 or more")
    if int(settings["LOGIN_MAX_DELAY_SECONDS"]) < int(settings["LOGIN_DELAY_SECONDS"]):
        raise ConfigError(
            "SURVEY_LOGIN_MAX_DELAY_SECONDS must be at least SURVEY_LOGIN_DELAY_SECONDS"
        )


def saml_configured(settings: Mapping[str, Any]) -> bool:
    return any(settings.get(name) for name in SAML_FILES)


def _check_saml(settings: dict[str, Any]) -> None:
    """SAML is on with its three files, off with none: half a configuration stops start-up,
    naming what is missing; the binary pysaml2 signs with is found here, once."""
    settings["BASE_URL"] = str(settings["BASE_URL"] or "").rstrip("/")
    if settings["BASE_URL"] and not settings["BASE_URL"].startswith(("https://", "http://")):
        raise ConfigError(
            f"SURVEY_BASE_URL is {settings['BASE_URL']!r}; write the address users open, "
            "e.g. https://survey.kommune.dk"
        )
    if not saml_configured(settings):
        return
    for name in SAML_FILES:
        if not settings[name]:
            others = ", ".join(f"SURVEY_{n}" for n in SAML_FILES if n != name)
            raise ConfigError(f"SURVEY_{name} is required for SAML sign-in (with {others})")
    if bool(settings["SAML_SP_ENCRYPTION_KEY"]) != bool(settings["SAML_SP_ENCRYPTION_CERT"]):
        missing = next(name for name in SAML_ENCRYPTION if not settings[name])
        raise ConfigError(
            f"SURVEY_{missing} is missing: the encryption key and certificate come as a pair"
        )
    for name in (*SAML_FILES, *SAML_ENCRYPTION, "SSO_MAPPING"):
        if settings[name] and not Path(settings[name]).is_file():
            raise ConfigError(f"SURVEY_{name} is {settings[name]!r}, which is not a file")
    if not settings["SSO_MAPPING"]:
        raise ConfigError(
            "SURVEY_SSO_MAPPING is required for SAML sign-in: the file that says which "
            "privileges give which roles in which teams (docs/sign-in.md)"
        )
    binary = settings["XMLSEC_BINARY"] or shutil.which("xmlsec1")
    if not binary or not Path(binary).is_file():
        raise ConfigError(
            "SURVEY_XMLSEC_BINARY: xmlsec1 is not found; SAML sign-in needs it "
            "(apt-get install -y xmlsec1), or set the setting to its path"
        )
    settings["XMLSEC_BINARY"] = str(binary)
