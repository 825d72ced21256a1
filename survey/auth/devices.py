"""Trusted devices: a browser that logged in as a name gets a signed cookie saying so, and its
attempts for that name are throttled in a bucket of their own (survey.auth.throttle). An
attacker who knows only the name cannot slow its owner's usual browser; the cookie holds no
secret beyond the signature and unlocks nothing else."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Request, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from survey.hashing import token_digest

COOKIE = "survey_device"
MAX_AGE = timedelta(days=180)
MAX_NAMES = 10  # a shared office computer remembers its last ten users


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey.login-device")


def _name(username: str) -> str:
    return token_digest("device:" + username.strip().lower())[:16]


@dataclass(frozen=True)
class Device:
    id: str
    names: tuple[str, ...]  # digests of the names it logged in as, newest first


def _read(request: Request) -> Device | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    device_id, names = data.get("id"), data.get("names")
    if not isinstance(device_id, str) or not isinstance(names, list):
        return None
    return Device(device_id, tuple(str(n) for n in names))


def trusted_device(request: Request, username: str) -> str | None:
    """This browser's device id when it logged in as `username` before, else None."""
    device = _read(request)
    return device.id if device is not None and _name(username) in device.names else None


def remember_device(request: Request, response: Response, username: str) -> None:
    """After a login: this browser is trusted for `username` (and the names it had)."""
    device = _read(request) or Device(secrets.token_urlsafe(16), ())
    names = [_name(username), *(n for n in device.names if n != _name(username))]
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"id": device.id, "names": names[:MAX_NAMES]}),
        max_age=MAX_AGE,
        path="/login",  # sent to the login page only
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
