"""Flask extensions, created once and bound to the app in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

INSTRUMENTS = "survey.instruments"
"""The key of the app's instrument registry in `app.extensions`."""
LOGIN_THROTTLE = "survey.login_throttle"
"""The key of the app's sign-in throttle (survey.auth.throttle) in `app.extensions`."""

csrf = CSRFProtect()
login_manager = LoginManager()
# The tablet's unlock rate. In-memory by default; several workers share
# SURVEY_RATELIMIT_STORAGE_URI (Redis). Logins are throttled by survey.auth.throttle.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
SINGLE_LOGOUT = "survey.single_logout"
"""app.extensions key: (db, token) -> the identity provider's logout address or None, set by
survey.sso.saml when SAML is configured (so survey.auth needs no import of survey.sso)."""
