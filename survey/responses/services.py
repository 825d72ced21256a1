"""Responses: start a draft, save answers page by page, submit once, amend with history."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from survey import answers as answer_rows
from survey import audit
from survey.db import rowcount
from survey.instruments import InstrumentRegistry
from survey.instruments import values as answer_values
from survey.instruments.asking import pages, visible
from survey.instruments.schema import AnswerValue, InstrumentVersion, Item
from survey.models import (
    Answer,
    Citizen,
    CourseStatus,
    Mode,
    Response,
    ResponseChange,
    ResponseStatus,
    User,
    utcnow,
)
from survey.refusals import Refusal
from survey.schedule import MAX_POINT


class ResponseError(Refusal):
    """A refused step of filling a form (a code of survey.refusals); `field` is the start or
    correction form's field it concerns."""


def definition_of(registry: InstrumentRegistry, response: Response) -> InstrumentVersion:
    return registry.get(response.form_id, response.form_version)


def stored_answers(
    db: Session, response: Response, definition: InstrumentVersion
) -> dict[str, AnswerValue]:
    """The response's answers as Python values, by item code."""
    assert response.id is not None
    texts = answer_rows.texts_of(db, [response.id]).get(response.id, {})
    return answer_rows.decode(definition, texts, response.id)


def find(db: Session, citizen_id: int, point: int, form_id: str) -> Response | None:
    """The submitted response for this citizen, point and form, else the draft, else None."""
    rows = (
        db.execute(
            select(Response).where(
                col(Response.citizen_id) == citizen_id,
                col(Response.point) == point,
                col(Response.form_id) == form_id,
            )
        )
        .scalars()
        .all()
    )
    submitted = [r for r in rows if r.status == ResponseStatus.SUBMITTED]
    drafts = [r for r in rows if r.status == ResponseStatus.DRAFT]
    return (submitted or drafts or [None])[0]


def start(
    db: Session,
    *,
    citizen: Citizen,
    point: int,
    definition: InstrumentVersion,
    mode: Mode,
    administered_on: date,
    entered_by: User,
    today: date,
) -> Response:
    """The draft for this citizen, point and form: the existing one, or a new one.

    Starting twice (a double tap, two devices) gives the same draft, never two.
    """
    assert citizen.id is not None
    existing = find(db, citizen.id, point, definition.id)
    if existing is not None:
        return existing
    if mode.value not in definition.modes:
        raise ResponseError("response.cannot_start", "how")
    if citizen.status != CourseStatus.ACTIVE:
        raise ResponseError("response.cannot_start", "how")
    if point < 1 or point > MAX_POINT:
        raise ResponseError("response.cannot_start", "how")
    if administered_on > today or administered_on < citizen.enrolled_on:
        raise ResponseError("response.administered_on", "administered_on")
    response = Response(
        citizen_id=citizen.id,
        point=point,
        form_id=definition.id,
        form_version=definition.version,
        administered_on=administered_on,
        mode=mode,
        entered_by_id=entered_by.id,
    )
    db.add(response)
    try:
        db.flush()
    except IntegrityError:  # the other tap won the race: use its draft
        db.rollback()
        found = find(db, citizen.id, point, definition.id)
        assert found is not None
        return found
    audit.record(
        "response.create",
        citizen_id=citizen.id,
        response_id=response.id,
        session=db,
        details={
            "form": definition.id,
            "version": definition.version,
            "point": point,
            "mode": mode.value,
        },
    )
    return response


def save_answers(
    db: Session,
    response: Response,
    definition: InstrumentVersion,
    given: Mapping[str, AnswerValue | None],
    *,
    actor: User | None,
    audit_action: str | None = "response.update",
) -> bool:
    """Replace the answers to the items in `given` (None: unanswered), drop answers to items a
    condition now hides, and say whether anything changed."""
    _take_draft(db, response)
    current = stored_answers(db, response, definition)
    merged = {**current, **{c: v for c, v in given.items() if v is not None}}
    for code, value in given.items():
        if value is None:
            merged.pop(code, None)
    shown = visible(definition, merged, response.point)
    final = {code: value for code, value in merged.items() if code in shown}
    if final == current:
        return False
    changed = sorted(set(final) ^ set(current) | {c for c in final if final[c] != current.get(c)})
    assert response.id is not None
    db.execute(
        delete(Answer).where(
            col(Answer.response_id) == response.id, col(Answer.item_code).in_(changed)
        )
    )
    for code in changed:
        if code in final:
            for position, text in enumerate(
                answer_values.encode(definition.item(code), final[code])
            ):
                db.add(
                    Answer(response_id=response.id, item_code=code, position=position, value=text)
                )
    response.updated_at = utcnow()
    db.add(response)
    if audit_action:
        # Which items changed, never what they were changed to.
        audit.record(
            audit_action,
            citizen_id=response.citizen_id,
            response_id=response.id,
            user=actor,
            session=db,
            details={"items": changed},
        )
    return True


def _take_draft(db: Session, response: Response) -> None:
    """Lock the draft's row for this transaction, so saves of one draft take turns (two at once
    would rewrite the same answers), and check it is still a draft now, not when it was read."""
    still_draft = db.execute(
        update(Response)
        .where(col(Response.id) == response.id, col(Response.status) == ResponseStatus.DRAFT)
        .values(updated_at=utcnow())
    )
    if rowcount(still_draft) != 1:
        raise ResponseError("response.submitted_meanwhile")


def missing_required(
    definition: InstrumentVersion, answers: Mapping[str, AnswerValue], point: int
) -> list[str]:
    shown = visible(definition, answers, point)
    return [
        item.code
        for item in definition.items_at(point)
        if item.required and item.code in shown and item.code not in answers
    ]


@dataclass(frozen=True)
class Unanswered:
    """A question the respondent was asked and left without an answer, and its page."""

    item: Item
    page: int


def unanswered(
    definition: InstrumentVersion, answers: Mapping[str, AnswerValue], point: int
) -> list[Unanswered]:
    """Every question shown at this point (conditions applied) that has no answer, in order."""
    shown = visible(definition, answers, point)
    return [
        Unanswered(item, page.number)
        for page in pages(definition, point)
        for item in page.items
        if item.code in shown and item.code not in answers
    ]


def submit(
    db: Session, response: Response, definition: InstrumentVersion, *, actor: User | None
) -> bool:
    """Submit once: say whether this call submitted the draft. A second submit (a double tap, a
    retry, another device at the same moment) waits for the first, finds it submitted, writes
    nothing and says False, so one form has one submit and one audit entry."""
    try:
        _take_draft(db, response)
    except ResponseError:  # nothing was written: see what the other submit left
        db.refresh(response)
        if response.status == ResponseStatus.SUBMITTED:
            return False
        raise
    answers = stored_answers(db, response, definition)
    missing = missing_required(definition, answers, response.point)
    if missing:
        raise ResponseError("response.required", missing=", ".join(missing))
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = utcnow()
    db.add(response)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise ResponseError("response.already_submitted") from None
    audit.record(
        "response.submit",
        citizen_id=response.citizen_id,
        response_id=response.id,
        user=actor,
        session=db,
    )
    return True


def amend(
    db: Session,
    response: Response,
    definition: InstrumentVersion,
    *,
    item_code: str,
    value: AnswerValue | None,
    reason: str,
    actor: User,
) -> None:
    """Correct a submitted answer; the old value, who changed it and why go to the history.

    What is asked follows the answers, as on the form's pages (`asking.visible`): a question
    the respondent is not asked at this point, given the other answers, cannot be answered, and
    a correction that makes another question no longer asked removes its answer, with its own
    entry in the history."""
    if response.status != ResponseStatus.SUBMITTED:
        raise ResponseError("response.not_submitted", "reason")
    if not reason.strip():
        raise ResponseError("response.reason", "reason")
    assert response.id is not None
    texts = answer_rows.texts_of(db, [response.id]).get(response.id, {})
    after = answer_rows.decode(definition, texts, response.id)
    after.pop(item_code, None)
    if value is not None:
        after[item_code] = value
    shown = visible(definition, after, response.point)
    if value is not None and item_code not in shown:
        raise ResponseError("response.not_asked", "reason")
    new = answer_values.encode(definition.item(item_code), value) if value is not None else []
    if texts.get(item_code, []) == new:
        raise ResponseError("response.unchanged", "reason")
    no_longer_asked = sorted(code for code in after if code not in shown)
    changed = [item_code, *no_longer_asked]
    db.execute(
        delete(Answer).where(
            col(Answer.response_id) == response.id, col(Answer.item_code).in_(changed)
        )
    )
    for position, text in enumerate(new):
        db.add(Answer(response_id=response.id, item_code=item_code, position=position, value=text))
    for code in changed:
        db.add(
            ResponseChange(
                response_id=response.id,
                item_code=code,
                old_value=texts.get(code, []),
                new_value=new if code == item_code else [],
                reason=reason.strip(),
                changed_by_id=actor.id,
            )
        )
    audit.record(
        "response.amend",
        citizen_id=response.citizen_id,
        response_id=response.id,
        user=actor,
        session=db,
        details={"items": changed},
    )


def history(db: Session, response: Response) -> list[tuple[ResponseChange, str | None]]:
    return [
        tuple(row)
        for row in db.execute(
            select(ResponseChange, col(User.full_name))
            .outerjoin(User, col(User.id) == col(ResponseChange.changed_by_id))
            .where(col(ResponseChange.response_id) == response.id)
            .order_by(col(ResponseChange.changed_at), col(ResponseChange.id))
        )
    ]


def draft_key(response: Response) -> str:
    """A secret per draft, put in its pages: a page posted after the login expired can still be
    saved (never lose an answer) by whoever legitimately had the page open."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"draft:{response.id}:{response.started_at.isoformat()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def check_draft_key(response: Response, key: str | None) -> bool:
    # Bytes: compare_digest refuses a str with non-ASCII characters, and the key is the browser's.
    given = (key or "").encode()
    return bool(given) and hmac.compare_digest(draft_key(response).encode(), given)
