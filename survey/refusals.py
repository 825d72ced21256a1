"""One catalogue of refusals (pyxform's errors.py is the model): every way a service says no has
a code here, with a lazily translated template for people on the pages and, where a command
names its options instead, one for the command line. A refusal carries its code, the field it
concerns and its parameters, and reads in the active language: the request's, else the
command's (English unless `survey --lang da`).

`say()` is the same reading for messages that are not a service's refusal (an import's problem
lines): one way to translate outside a request, instead of one per module."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import click
from flask import has_app_context, has_request_context
from flask_babel import force_locale, gettext, ngettext

COMMAND_LANGUAGES = ("en", "da")
_command_language: ContextVar[str] = ContextVar("command_language", default="en")


def _l(msgid: str) -> str:
    """Marks a template for extraction (the `_l` keyword); it is translated when read."""
    return msgid


@dataclass(frozen=True)
class Template:
    """A refusal's words: `text` for the pages, `command` (when it differs) for the command line;
    `plural` and `count` make `text` an ngettext pair counted by the parameter `count`."""

    text: str
    command: str | None = None
    plural: str | None = None
    count: str | None = None


def _ln(singular: str, plural: str, *, count: str, command: str | None = None) -> Template:
    """A template counted by the parameter `count` (ngettext; the `_ln:1,2` keyword)."""
    return Template(singular, command=command, plural=plural, count=count)


CATALOGUE: Mapping[str, Template] = {
    # any request (survey.inputs)
    "input.control": Template(
        _l(
            'The field "%(field)s" holds a character that cannot be saved (a control '
            "character such as NUL). Remove it and send again."
        )
    ),
    "input.unnamed": Template(
        _l("The form was sent with a field that has no name. Reload the page and send it again.")
    ),
    # the audit trail's filter (survey.admin.forms)
    "audit.period_reversed": Template(_l("The period starts (%(start)s) after it ends (%(end)s).")),
    # accounts (survey.auth.services)
    "account.taken": Template(
        _l("This user name is taken."), command=_l("that user name is taken")
    ),
    "account.username": Template(
        _l("Use 1 to 64 letters, digits and . _ -"),
        command=_l("a user name has 1 to 64 letters, digits and . _ -"),
    ),
    "account.team": Template(_l("Choose existing teams."), command=_l("unknown team")),
    "account.own_role": Template(_l("You cannot take away your own administrator role.")),
    "account.no_access": Template(
        _l("Give the user a role in a team, or make them an administrator."),
        command=_l("no role in any team and not an administrator"),
    ),
    "account.both_roles": Template(
        _l("A user has one role in a team: choose consultant or project leader for %(teams)s."),
        command=_l("both roles in one team"),
    ),
    "account.own_account": Template(_l("You cannot disable your own account.")),
    "account.current_password": Template(_l("The current password is wrong.")),
    "account.password": Template(_l("The password is wrong.")),
    "account.sign_in_again": Template(
        _l("Your sign-in is too old to set a PIN. Log out, log in again and set it then.")
    ),
    "account.weak_password": Template("%(problems)s"),
    "login.wait_name": Template(
        _l("Too many failed logins for this user name. Try again %(when)s.")
    ),
    "login.wait_address": Template(
        _l("Too many failed logins from your network. Try again %(when)s.")
    ),
    "pin.digits": Template(_l("Use digits only.")),
    "pin.length": Template(_l("Use 6 to 12 digits.")),
    "pin.trivial": Template(
        _l(
            "This PIN is too easy to guess (a repeat, a run such as 123456, or a common PIN). "
            "Choose another."
        )
    ),
    # teams (survey.admin.services)
    "team.taken": Template(
        _l("A team with this name exists."), command=_l("a team with this name exists")
    ),
    "team.blank": Template(_l("This field is required."), command=_l("a team needs a name")),
    "team.long": _ln(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        count="max",
        command=_l("a team name has at most %(max)d characters"),
    ),
    "team.range.measurement_interval_months": Template(
        _l("Number must be between %(min)s and %(max)s."),
        command=_l("--interval is %(min)s to %(max)s months"),
    ),
    "team.range.window_days": Template(
        _l("Number must be between %(min)s and %(max)s."),
        command=_l("--window is %(min)s to %(max)s days"),
    ),
    "team.range.target_employment": Template(
        _l("Enter a percent from 0 to 100, or leave the field empty for the programme's target."),
        command=_l("--target-employment is a share from 0 to 1 (0.25 is 25 per cent) or default"),
    ),
    "team.range.target_education": Template(
        _l("Enter a percent from 0 to 100, or leave the field empty for the programme's target."),
        command=_l("--target-education is a share from 0 to 1 (0.25 is 25 per cent) or default"),
    ),
    # citizens and their courses (survey.citizens.services)
    "citizen.no_consultant": Template(_l("Choose a resource consultant.")),
    "citizen.consultant_disabled": Template(_l("%(name)s is disabled and cannot take citizens.")),
    "citizen.consultant_elsewhere": Template(_l("%(name)s is not in this team.")),
    "citizen.reference.cpr": Template(
        _l(
            "This looks like a CPR number (DDMMYY-XXXX or ten digits). CPR numbers are never "
            "stored: use the pseudonymous reference the municipality assigned."
        )
    ),
    "citizen.reference.empty": Template(_l("Enter the citizen's reference.")),
    "citizen.reference.format": Template(
        _l("Use at most 40 letters, digits, spaces and the signs - _ . /")
    ),
    "citizen.reference_taken": Template(_l("A citizen with this reference is already enrolled.")),
    "citizen.other_team": Template(_l("You can only enrol citizens in your own teams.")),
    "citizen.enrolled_in_future": Template(_l("The enrolment date cannot be in the future.")),
    "citizen.same_consultant": Template(_l("The citizen already has this consultant.")),
    "citizen.transfer_date": Template(_l("The date must be between enrolment and today.")),
    "citizen.already_ended": Template(_l("The course has already ended.")),
    "citizen.end_kind": Template(_l("Choose planned or unplanned.")),
    "citizen.end_reason": Template(_l("This reason does not fit the chosen kind of end.")),
    "citizen.ended_before_enrolment": Template(
        _l("The end date is before the enrolment date (%(day)s).")
    ),
    "citizen.ended_in_future": Template(_l("The end date cannot be in the future.")),
    "citizen.not_ended": Template(_l("The course is not ended.")),
    "citizen.reopen_date": Template(
        _l("The date must be between the end of the course and today.")
    ),
    # the tablet (survey.kiosk.services)
    "kiosk.not_a_tablet_draft": Template(_l("This draft cannot be given to the tablet.")),
    "kiosk.busy": Template(_l("This draft cannot be given to the tablet.")),
    "kiosk.ended": Template(_l("This draft cannot be given to the tablet.")),
    "kiosk.wrong": _ln(
        "That was not right. %(num)d more try, then the tablet closes and you log in as usual.",
        "That was not right. %(num)d more tries, then the tablet closes and you log in as usual.",
        count="left",
    ),
    "kiosk.consultant_limit": Template(
        _l(
            "Too many wrong attempts on this contact person's tablets this hour. Log in as usual "
            "on another device to continue the form."
        )
    ),
    # filling a form (survey.responses.services)
    "response.administered_on": Template(_l("The date must be between enrolment and today.")),
    "response.cannot_start": Template(_l("This form cannot be started now.")),
    "response.required": Template(
        _l("Some questions must be answered before the form can be submitted.")
    ),
    "response.already_submitted": Template(
        _l("This form was already submitted for this measurement.")
    ),
    "response.unchanged": Template(_l("The new answer is the same as the old one.")),
    # cohort reports (survey.reports): the page's words. The command line says it with its
    # options in English, as the ReportError was raised.
    "report.unknown": Template(_l("The table cannot be made from these choices.")),
    "report.unknown_table": Template(_l("There is no table called %(table)s.")),
    "report.bad_date": Template(_l("%(date)s is not a date (write YYYY-MM-DD).")),
    "report.bad_point": Template(
        _l(
            "A measurement point must be a whole number of 1 or more, not %(point)s. "
            "Write the points like 1,3."
        )
    ),
    "report.repeated_point": Template(_l("A measurement point is given twice in %(points)s.")),
    "report.paired_one_point": Template(
        _l(
            "Comparing the same citizens (paired) needs at least two measurement points, "
            "for example 1,3."
        )
    ),
    "report.needs_item": Template(_l("This table needs an item: choose one under Item.")),
    "report.needs_by": Template(
        _l("This table needs a second item or a grouping: choose one under By.")
    ),
    "report.unknown_item": Template(_l("There is no item with the code %(code)s.")),
    "report.not_tabulable": Template(
        _l("%(code)s cannot be shown in a table: choose an item with answer options.")
    ),
    "report.several_answers": Template(
        _l(
            "%(code)s allows several answers, so it cannot be cross-tabulated. "
            "Choose an item with one answer."
        )
    ),
    "report.one_point": Template(_l("This table is for one measurement point: give only one.")),
    "report.bad_by": Template(
        _l(
            "Choose course status, employment, education, work placement, the way the form "
            "was completed, team, consultant, gender, age or an item under By."
        )
    ),
    "report.bad_paired": Template(
        _l("Compare the same citizens by form or by item, not %(paired)s.")
    ),
    "report.not_numeric": Template(
        _l(
            "%(code)s is not answered with a whole number: the numeric table is for items "
            "such as hours a week or age."
        )
    ),
    "report.bad_mode": Template(_l("Unknown way of completing the form: %(mode)s.")),
    "report.bad_status": Template(_l("Unknown course status: %(status)s.")),
    "report.period_reversed": Template(
        _l("The enrolment period starts (%(start)s) after it ends (%(end)s).")
    ),
    "report.unknown_form_version": Template(_l("Unknown form version: %(version)s.")),
    "report.as_of_future": Template(
        _l("The date to count by (%(as_of)s) is in the future: choose today or an earlier day.")
    ),
    "report.as_of_before_period": Template(
        _l(
            "The date to count by (%(as_of)s) is before the enrolment period starts "
            "(%(start)s), so no citizen can count."
        )
    ),
    "report.one_item": Template(_l("This table takes one item only.")),
    "report.repeated_item": Template(_l("The item %(code)s is chosen twice.")),
    "report.attrition_baseline": Template(
        _l(
            "The drop-out table compares a later measurement point with the first: choose "
            "point 2 or later."
        )
    ),
    # backups (survey.backup.services): said on the command line only
    "backup.exists": Template(
        _l("%(file)s already exists: give the backup a new name, so no backup is overwritten.")
    ),
    "backup.terminal": Template(
        _l(
            "survey backup - writes the backup to standard output: pipe it into an encryption "
            "program, never to a terminal."
        )
    ),
    "backup.io": Template(_l("Cannot write %(file)s: %(reason)s.")),
    "backup.unreadable": Template(_l("Cannot read %(file)s: %(reason)s.")),
    "backup.memory": Template(
        _l(
            "The database in SURVEY_DATABASE_URL lives in memory only: there is no file to back "
            "up or to restore into."
        )
    ),
    "backup.no_schema": Template(
        _l("The database has no schema yet (run survey db upgrade): there is nothing to back up.")
    ),
    "backup.database_name": Template(
        _l("SURVEY_DATABASE_URL must name the database, with no = in its name.")
    ),
    "backup.no_tool": Template(
        _l(
            "%(tool)s was not found: install PostgreSQL's client programs, of the server's "
            "version or newer (for example apt-get install postgresql-client)."
        )
    ),
    "backup.tool_failed": Template(_l("%(tool)s failed: %(reason)s")),
    "backup.restore_failed": Template(
        _l("%(tool)s failed, and nothing in the database was changed: %(reason)s")
    ),
    "backup.not_a_backup": Template(_l("%(file)s is not a survey backup.")),
    "backup.damaged": Template(
        _l(
            "The backup %(file)s is damaged: its database does not match its checksum. "
            "Nothing was restored; use another backup."
        )
    ),
    "backup.backend": Template(
        _l(
            "The backup holds a %(found)s database, but SURVEY_DATABASE_URL names a %(expected)s "
            "database. Nothing was restored."
        )
    ),
    "backup.revision": Template(
        _l(
            "The backup has schema revision %(found)s, but this version of survey has "
            "%(expected)s. Nothing was restored: restore it with the version of survey that "
            "made it, then run survey db upgrade."
        )
    ),
    "backup.not_empty": Template(
        _l(
            "The database already holds data (%(counts)s). Nothing was restored: restore into "
            "an empty database, or add --force to replace all of it with the backup."
        )
    ),
    "backup.in_use": Template(
        _l(
            "The database file is in use. Nothing was restored: stop the app and every survey "
            "command, then restore again."
        )
    ),
    "response.not_submitted": Template(_l("Only a submitted form can be corrected.")),
    "response.reason": Template(_l("Say why the answer is corrected.")),
    "response.not_asked": Template(
        _l(
            "This question is not asked at this measurement, given the other answers, so it "
            "cannot be answered."
        )
    ),
    "response.submitted_meanwhile": Template(
        _l("The form was submitted meanwhile; nothing more was saved.")
    ),
}


class Refusal(ValueError):
    """A refusal from the catalogue. `field` names what it concerns (a form's field of the same
    name, where there is one); `str()` is the message in the active language."""

    def __init__(self, code: str, field: str | None = None, /, **params: Any) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"no refusal {code!r} in the catalogue")
        super().__init__(code)
        self.code, self.field, self.params = code, field, params

    def message(self, *, command: bool = False) -> str:
        """The words for the pages, or with `command` those for the command line."""
        return read(CATALOGUE[self.code], self.params, command=command)

    def __str__(self) -> str:
        return self.message()


def refused(name: str, refusal: Refusal) -> str:
    """A command's one line for a refused change of `name`, in the command's words."""
    return say(
        "Refused %(name)s: %(reason)s.", name=repr(name), reason=refusal.message(command=True)
    )


def read(template: Template, params: Mapping[str, Any], *, command: bool = False) -> str:
    if command and template.command is not None:
        return say(template.command, **params)
    if template.plural is not None and template.count is not None:
        n = params[template.count]
        counted = {"num": n, **params}
        return _translated(
            lambda: ngettext(template.text, template.plural or "", n, **params),
            (template.plural if n != 1 else template.text) % counted,
        )
    return say(template.text, **params)


def say(msgid: str, /, **params: Any) -> str:
    """A message in the active language: the request's; in a command the command's language;
    with no app at all, the English msgid."""
    return _translated(lambda: gettext(msgid, **params), msgid % params if params else msgid)


def _translated(translate: Any, english: str) -> str:
    if has_request_context():
        return str(translate())
    if has_app_context():
        with force_locale(_command_language.get()):
            return str(translate())
    return english


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Outside a request, messages read in `language` until the block ends (a background job
    speaks the language of the person who started it)."""
    token = _command_language.set(language)
    try:
        yield
    finally:
        _command_language.reset(token)


def set_command_language(ctx: click.Context, _param: object, language: str) -> None:
    """The `survey --lang` option's callback: the command speaks `language` until it ends."""
    token = _command_language.set(language)
    ctx.call_on_close(lambda: _command_language.reset(token))
