"""The citizen's tablet: one citizen form, nothing else, until the consultant unlocks it.

The tablet holds no login. Handing over ends the consultant's login in that browser and leaves
a kiosk credential for one draft; unlocking ends the kiosk and starts a fresh login. The states
and what each allows are in docs/kiosk.md.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from survey import audit
from survey.auth import services as accounts
from survey.db import rowcount
from survey.hashing import token_digest, verify_password
from survey.models import (
    AuditEvent,
    KioskEnd,
    KioskLock,
    KioskSession,
    Mode,
    Response,
    ResponseStatus,
    User,
    UserSession,
    utcnow,
)
from survey.refusals import Refusal

SESSION_KEY = "kiosk"
# How long after a hand-over its second tap still finds the tablet (see `handed_from`).
SECOND_TAP = timedelta(seconds=60)
# Wrong unlocks a tablet takes before it ends; then only a full login continues the draft.
MAX_UNLOCK_ATTEMPTS = 5


class KioskError(Refusal):
    """A refused step of the tablet (a code of survey.refusals)."""


@dataclass(frozen=True)
class Handed:
    kiosk: KioskSession
    token: str


def _token_for(response: Response, login_token: str) -> str:
    """The kiosk token one login derives for one draft: two taps on "hand over" (two requests
    with the same login) give the same tablet, never two."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"kiosk:{response.id}:{token_digest(login_token)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def handed_from(db: Session, login_token: str, within: timedelta = SECOND_TAP) -> Handed | None:
    """The tablet a login became in the last `within`: the second of two taps on "hand over"
    reaches the server after the first ended the login. It is the same tablet (the token is
    derived from the login and the draft), so that request gets it too, instead of the login
    page whose cookie would replace the tablet's. None for any other ended login."""
    login = db.get(UserSession, token_digest(login_token))
    now = utcnow()
    if login is None or login.revoked_at is None or login.revoked_at < now - within:
        return None
    recent = db.execute(
        select(KioskSession).where(
            col(KioskSession.consultant_id) == login.user_id,
            col(KioskSession.ended_at).is_(None),
            col(KioskSession.created_at) >= now - within,
        )
    ).scalars()
    for kiosk in recent:
        response = db.get(Response, kiosk.response_id)
        if response is None:
            continue
        token = _token_for(response, login_token)
        if hmac.compare_digest(token_digest(token), kiosk.id):
            return Handed(kiosk, token)
    return None


def can_hand_over(response: Response) -> bool:
    return response.status == ResponseStatus.DRAFT and response.mode == Mode.SELF


def hand_over(
    db: Session,
    response: Response,
    consultant: User,
    *,
    login_token: str,
    locale: str,
    page: int | None = None,
) -> Handed:
    """Give `response` to the citizen on this browser; the login `login_token` ends.

    Any other tablet still open on the draft (an abandoned one) stops working. The tablet
    starts at `page`, by default where the citizen last was."""
    if not can_hand_over(response):
        raise KioskError("kiosk.not_a_tablet_draft")
    token = _token_for(response, login_token)
    digest = token_digest(token)
    # Hand-overs of one draft take turns on its row (two at once could otherwise deadlock on
    # the one-active-kiosk index in PostgreSQL).
    try:
        db.execute(
            update(Response)
            .where(col(Response.id) == response.id)
            .values(updated_at=Response.updated_at)
        )
    except OperationalError:
        db.rollback()
        raise KioskError("kiosk.busy") from None
    existing = db.get(KioskSession, digest)
    if existing is not None:
        if existing.ended_at is not None:
            raise KioskError("kiosk.ended")
        return Handed(existing, token)
    start_page = page or resume_page(db, response)
    assert response.id is not None
    assert consultant.id is not None
    for _attempt in range(2):
        _end_active(db, response, KioskEnd.REPLACED)
        kiosk = KioskSession(
            id=digest,
            response_id=response.id,
            consultant_id=consultant.id,
            page=start_page,
            consultant_locale=locale,
        )
        db.add(kiosk)
        try:
            db.flush()
        except IntegrityError:  # another hand-over of this draft won the race
            db.rollback()
            won = db.get(KioskSession, digest)
            if won is not None and won.ended_at is None:
                return Handed(won, token)
            continue
        accounts.close_session(db, login_token)
        audit.record(
            "kiosk.hand_over",
            citizen_id=response.citizen_id,
            response_id=response.id,
            user=consultant,
            session=db,
            details={"page": start_page},
        )
        return Handed(kiosk, token)
    raise KioskError("kiosk.busy")


def _end_active(db: Session, response: Response, reason: KioskEnd) -> None:
    db.execute(
        update(KioskSession)
        .where(
            col(KioskSession.response_id) == response.id,
            col(KioskSession.ended_at).is_(None),
        )
        .values(ended_at=utcnow(), ended_reason=reason.value)
    )


def find(db: Session, token: str | None) -> KioskSession | None:
    """The kiosk behind a tablet's token, whatever its state; None for no or an unknown token."""
    if not token:
        return None
    return db.get(KioskSession, token_digest(token))


def resume_page(db: Session, response: Response) -> int:
    """The page the citizen was last on, on any tablet, for this draft (1 if never)."""
    page = db.execute(
        select(col(KioskSession.page))
        .where(col(KioskSession.response_id) == response.id)
        .order_by(col(KioskSession.last_activity_at).desc())
        .limit(1)
    ).scalar_one_or_none()
    return page or 1


def idle_limit() -> timedelta:
    return timedelta(seconds=int(current_app.config["KIOSK_IDLE_SECONDS"]))


def is_locked(db: Session, kiosk: KioskSession) -> bool:
    """Locked by a button, a pause, or now by having lain idle too long (checked on the server,
    so a tablet whose page script was stopped locks all the same)."""
    if kiosk.locked_at is None and utcnow() - kiosk.last_activity_at > idle_limit():
        lock(db, kiosk, KioskLock.IDLE if kiosk.submitted_at is None else KioskLock.DONE)
        db.commit()
    return kiosk.locked_at is not None


def lock(db: Session, kiosk: KioskSession, reason: KioskLock) -> None:
    """Lock the tablet (once: a second lock changes nothing). A save already under way commits
    before this does, one started after it finds the tablet locked (see `claim`)."""
    locked = db.execute(
        update(KioskSession)
        .where(col(KioskSession.id) == kiosk.id, col(KioskSession.locked_at).is_(None))
        .values(locked_at=utcnow(), locked_reason=reason.value)
    )
    db.refresh(kiosk)
    if rowcount(locked) != 1:
        return
    response = db.get(Response, kiosk.response_id)
    audit.record(
        "kiosk.lock",
        citizen_id=response.citizen_id if response else None,
        response_id=kiosk.response_id,
        session=db,
        details={"reason": reason.value, "page": kiosk.page},
    )


def claim(db: Session, kiosk: KioskSession, page: int) -> bool:
    """Take the tablet for one answering request, in the caller's transaction: only while it
    is unlocked, not idle too long, not sent and not ended — checked by the database as the
    activity is recorded, so a save and a lock at the same moment never both happen after the
    lock. The caller writes nothing when this says False."""
    now = utcnow()
    taken = db.execute(
        update(KioskSession)
        .where(
            col(KioskSession.id) == kiosk.id,
            col(KioskSession.locked_at).is_(None),
            col(KioskSession.ended_at).is_(None),
            col(KioskSession.submitted_at).is_(None),
            col(KioskSession.last_activity_at) >= now - idle_limit(),
        )
        .values(last_activity_at=now, page=page)
    )
    if rowcount(taken) != 1:
        db.rollback()
        db.refresh(kiosk)
        return False
    db.refresh(kiosk)
    return True


def consultant_failures(db: Session, consultant_id: int) -> int:
    """Unlock attempts on this consultant's tablets within the last hour that did not open one
    (wrong, or still being checked), on any tablet."""
    since = utcnow() - timedelta(hours=1)

    def count(action: str) -> int:
        return db.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                col(AuditEvent.action) == action,
                col(AuditEvent.user_id) == consultant_id,
                col(AuditEvent.at) >= since,
            )
        ).scalar_one()

    return count("kiosk.unlock_attempt") - count("kiosk.unlock")


def unlock(db: Session, kiosk: KioskSession, secret: str) -> User:
    """The consultant's password or PIN ends the kiosk and returns the consultant.

    Raises KioskError: kiosk.wrong (counted and audited), kiosk.ended (5 wrong: the kiosk is
    over) or kiosk.consultant_limit (too many wrong unlocks of this consultant's tablets this
    hour, audited as a refusal). The attempt is taken and committed before the secret is
    checked, so attempts made at once are each counted and never pass either limit, and no
    write lock is held during the slow hash check. The caller commits the outcome in every case."""
    consultant = db.get(User, kiosk.consultant_id)
    if consultant is None or not consultant.is_active:
        raise KioskError("kiosk.ended")
    assert consultant.id is not None
    response = db.get(Response, kiosk.response_id)

    def record(action: str, **details: object) -> None:
        """An audit entry about this tablet and its consultant; never the secret."""
        audit.record(
            action,
            citizen_id=response.citizen_id if response else None,
            response_id=kiosk.response_id,
            user=consultant,
            session=db,
            details=details or None,
        )

    # One consultant's unlocks take turns here: their user row stays locked for this short
    # transaction, so the count sees every attempt already under way on their other tablets.
    db.execute(update(User).where(col(User.id) == consultant.id).values(is_active=User.is_active))
    limit = int(current_app.config["KIOSK_UNLOCK_FAILURES_PER_CONSULTANT"])
    if consultant_failures(db, consultant.id) >= limit:
        record("kiosk.unlock_refused", reason="consultant_limit")
        db.commit()
        raise KioskError("kiosk.consultant_limit")
    taken = db.execute(
        update(KioskSession)
        .where(
            col(KioskSession.id) == kiosk.id,
            col(KioskSession.ended_at).is_(None),
            col(KioskSession.unlock_attempts) < MAX_UNLOCK_ATTEMPTS,
        )
        .values(unlock_attempts=KioskSession.unlock_attempts + 1)
        .returning(col(KioskSession.unlock_attempts))
    ).scalar_one_or_none()
    if taken is None:
        db.commit()
        raise KioskError("kiosk.ended")
    record("kiosk.unlock_attempt", attempt=taken)
    db.commit()
    ok = verify_password(consultant.password_hash, secret) or (
        consultant.kiosk_pin_hash is not None and verify_password(consultant.kiosk_pin_hash, secret)
    )
    if ok:
        if not _end(db, kiosk, KioskEnd.UNLOCKED):
            raise KioskError("kiosk.ended")  # five wrong attempts ended it meanwhile
        record("kiosk.unlock")
        return consultant
    record("kiosk.unlock_failure", attempt=taken)
    if taken >= MAX_UNLOCK_ATTEMPTS:
        if _end(db, kiosk, KioskEnd.UNLOCK_FAILURES):
            record("kiosk.end", reason=KioskEnd.UNLOCK_FAILURES.value)
        raise KioskError("kiosk.ended")
    raise KioskError("kiosk.wrong", left=MAX_UNLOCK_ATTEMPTS - taken)


def _end(db: Session, kiosk: KioskSession, reason: KioskEnd) -> bool:
    """End the kiosk if it is still active; say whether this call ended it."""
    ended = db.execute(
        update(KioskSession)
        .where(col(KioskSession.id) == kiosk.id, col(KioskSession.ended_at).is_(None))
        .values(ended_at=utcnow(), ended_reason=reason.value)
    )
    db.refresh(kiosk)
    return rowcount(ended) == 1


def tablet_drafts(db: Session, citizen_id: int) -> list[Response]:
    """The citizen's drafts that the citizen answers alone, which may go (back) to a tablet."""
    return list(
        db.execute(
            select(Response)
            .where(
                col(Response.citizen_id) == citizen_id,
                col(Response.status) == ResponseStatus.DRAFT,
                col(Response.mode) == Mode.SELF,
            )
            .order_by(col(Response.point), col(Response.form_id))
        ).scalars()
    )
