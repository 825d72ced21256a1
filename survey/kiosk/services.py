"""The citizen's tablet: one citizen form, nothing else, until the consultant unlocks it."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, redirect, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import update
from sqlmodel import Session

from survey.db import get_session
from survey.models import KioskSession, Response, User, utcnow
from survey.passwords import hash_password, token_digest, verify_password

SESSION_KEY = "kiosk"


def hand_over(response: Response) -> ResponseReturnValue:
    """Turn this browser into a kiosk for `response` (mode self); the consultant's pages are
    closed to it until they unlock it with their password or PIN."""
    db = get_session()
    token = secrets.token_urlsafe(32)
    # One kiosk per response: an earlier tablet for the same form stops working.
    db.execute(
        update(KioskSession)
        .where(KioskSession.response_id == response.id, KioskSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    assert response.entered_by_id is not None
    db.add(
        KioskSession(
            id=token_digest(token), response_id=response.id, consultant_id=response.entered_by_id
        )
    )
    db.commit()
    session[SESSION_KEY] = token
    return redirect(url_for("kiosk.index"))


def current(db: Session) -> KioskSession | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    return db.get(KioskSession, token_digest(token))


def idle_limit() -> timedelta:
    return timedelta(seconds=int(current_app.config["KIOSK_IDLE_SECONDS"]))


def lock_if_idle(db: Session, kiosk: KioskSession) -> bool:
    """Lock a kiosk left alone too long (the draft stays); say whether it is locked."""
    if kiosk.locked_at is None and utcnow() - kiosk.last_activity_at > idle_limit():
        kiosk.locked_at = utcnow()
        db.add(kiosk)
        db.commit()
    return kiosk.locked_at is not None


def touch(db: Session, kiosk: KioskSession) -> None:
    kiosk.last_activity_at = utcnow()
    db.add(kiosk)


def unlock(db: Session, kiosk: KioskSession, secret: str) -> User | None:
    """The consultant's password or PIN ends the kiosk; returns the consultant, or None."""
    consultant = db.get(User, kiosk.consultant_id)
    if consultant is None or not consultant.is_active:
        return None
    ok = verify_password(consultant.password_hash, secret) or (
        consultant.kiosk_pin_hash is not None and verify_password(consultant.kiosk_pin_hash, secret)
    )
    if not ok:
        return None
    kiosk.ended_at = utcnow()
    db.add(kiosk)
    return consultant


def set_pin(user: User, pin: str) -> None:
    user.kiosk_pin_hash = hash_password(pin)
