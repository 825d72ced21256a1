"""Stored answers: the one place where answer rows become typed values, for filling, the trend,
exports and FHIR alike. An answer row whose code its version does not define cannot be written
through the services (codes never change meaning); one found anyway is left out and logged by
response and code, never by value."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from survey.instruments import values
from survey.instruments.schema import AnswerValue, InstrumentVersion
from survey.models import Answer, Response

log = logging.getLogger(__name__)

Texts = dict[str, list[str]]
"""One response's stored texts by item code, in position order (several for multiple choice)."""


def texts_of(session: Session, response_ids: Sequence[int]) -> dict[int, Texts]:
    """The stored texts of these responses, by response id (absent: no answer yet)."""
    if not response_ids:
        return {}
    return _collect(session, _select().where(col(Answer.response_id).in_(response_ids)))


def texts_where(session: Session, condition: ColumnElement[bool]) -> dict[int, Texts]:
    """The stored texts of the responses that `condition` (on Response) selects, by response id."""
    return _collect(
        session,
        _select().join(Response, col(Response.id) == Answer.response_id).where(condition),
    )


def decode(
    definition: InstrumentVersion,
    texts: Mapping[str, Sequence[str]],
    response_id: int | None = None,
) -> dict[str, AnswerValue]:
    """One response's answers as Python values, by item code."""
    answers: dict[str, AnswerValue] = {}
    for code, stored in texts.items():
        if definition.has_item(code):
            answers[code] = values.decode(definition.item(code), stored)
        else:
            log.warning(
                "response %s holds an answer to %s, which %s does not define; left out",
                response_id,
                code,
                definition.key,
            )
    return answers


def _select() -> Any:
    return select(col(Answer.response_id), col(Answer.item_code), col(Answer.value)).order_by(
        col(Answer.response_id), col(Answer.item_code), col(Answer.position)
    )


def _collect(session: Session, statement: Any) -> dict[int, Texts]:
    found: dict[int, Texts] = {}
    for response_id, code, value in session.execute(statement):
        found.setdefault(response_id, {}).setdefault(code, []).append(value)
    return found
