"""The page flow shared by the consultant's pages and the tablet's: render a page of a draft,
save a posted page, switch language without losing what was typed."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from survey.db import get_session
from survey.forms import field_name
from survey.forms.base import Form
from survey.i18n import LOCALES
from survey.instruments import InstrumentRegistry
from survey.instruments.asking import Page, visible
from survey.instruments.schema import InstrumentVersion
from survey.kiosk.services import can_hand_over
from survey.models import Citizen, Response, User
from survey.responses import pages as page_input
from survey.responses import services


def registry() -> InstrumentRegistry:
    return current_app.extensions["survey.instruments"]


def locale() -> str:
    return str(get_locale())


def render_page(
    response: Response,
    citizen: Citizen,
    definition: InstrumentVersion,
    page: Page,
    every: list[Page],
    form: Form,
    *,
    kiosk: bool,
    status: int = 200,
) -> ResponseReturnValue:
    answers = services.stored_answers(get_session(), response, definition)
    return render_template(
        "responses/page.html",
        response=response,
        citizen=citizen,
        definition=definition,
        page=page,
        pages=every,
        form=form,
        shown=visible(definition, answers, response.point),
        field_name=field_name,
        locale=locale(),
        kiosk=kiosk,
        draft_key=services.draft_key(response),
        can_hand_over=not kiosk and can_hand_over(response),
        tablet_form="questionnaire" if kiosk else None,
        kiosk_state="answering" if kiosk else None,
    ), status


def switch_language(action: str) -> bool:
    """The language buttons inside a questionnaire post the page first: nothing typed is lost."""
    prefix, _sep, chosen = action.partition(":")
    if prefix == "language" and chosen in LOCALES:
        session["locale"] = chosen
        return True
    return False


def read_post(
    page: Page, definition: InstrumentVersion, extra: frozenset[str] = frozenset()
) -> page_input.PageInput:
    """The posted page (or correction), read; a post no page of ours sends is a 400 saying so,
    and nothing of it is saved."""
    try:
        return page_input.read(page, definition, locale(), request.form, extra)
    except page_input.TamperedPost as exc:
        abort(
            400,
            description=_(
                "The page was sent with something it does not contain (%(detail)s). "
                "Nothing was saved from it.",
                detail=str(exc),
            ),
        )


def handle_page_post(
    response: Response, definition: InstrumentVersion, page: Page, actor: User | None
) -> page_input.PageInput:
    """Save a posted page: valid answers are stored even when another field has an error."""
    db = get_session()
    given = read_post(page, definition)
    try:
        services.save_answers(db, response, definition, given.values, actor=actor)
    except services.ResponseError as exc:  # submitted meanwhile (another device, a double tap)
        db.rollback()
        abort(409, description=str(exc))
    db.commit()
    return given
