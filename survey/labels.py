"""UI names for the codes stored in the database (statuses, reasons, roles, schedule states).

Each is a lazy label: the page shows it in the request's language, and `in_language` gives it in
a language asked for without a request (the report tables take `lang`, as `survey report
--lang` does). This module is the one source of these names for the app and the reports.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from babel.support import NullTranslations, Translations
from flask_babel import format_decimal, format_percent, gettext
from flask_babel import gettext as _gettext
from flask_babel import pgettext as _pgettext
from flask_babel.speaklater import LazyString

from survey.i18n import TRANSLATIONS

if TYPE_CHECKING:
    from survey.models import Job


class Label(LazyString):
    """A lazy gettext label that remembers its message, so it can also be shown in a language
    chosen by the caller rather than by the request."""

    def __init__(self, msgid: str, context: str | None = None) -> None:
        if context is None:
            super().__init__(_gettext, msgid)
        else:
            super().__init__(_pgettext, context, msgid)
        self.msgid = msgid
        self.context = context

    def in_language(self, lang: str) -> str:
        """The label in `lang` ("da" or "en"), from the same catalogs the app reads."""
        catalog = _catalog(lang)
        if self.context is None:
            return str(catalog.gettext(self.msgid))
        return str(catalog.pgettext(self.context, self.msgid))


@cache
def _catalog(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [lang])


def _l(msgid: str) -> Label:
    """A label (extracted by `survey translations update`, which knows `_l`)."""
    return Label(msgid)


def pgettext(context: str, msgid: str) -> Label:
    """A label with a translation context, for one English text that needs two Danish ones.
    Lazy despite its name: the name is Babel's default keyword, which is how `survey
    translations update` extracts it with its context."""
    return Label(msgid, context)


def in_language(labels: dict[str, Label], lang: str) -> dict[str, str]:
    """Every label of `labels`, keyed as it is, in `lang`."""
    return {code: label.in_language(lang) for code, label in labels.items()}


ROLE_LABELS = {
    "project_leader": _l("Project leader"),
    "consultant": _l("Resource consultant"),
}
STATUS_LABELS = {
    "active": _l("Active"),
    "ended_planned": _l("Ended as planned"),
    "ended_unplanned": _l("Ended unplanned"),
}
REPORT_STATUS_LABELS = {
    "active": pgettext("evaluation report", "Active course"),
    "ended_planned": pgettext("evaluation report", "Ended as planned"),
    "ended_unplanned": pgettext("evaluation report", "Ended unplanned"),
}
"""The statuses as the evaluation report's cohort tables name them (5.1, 5.2): a course that is
"Fortsat igangværende", "Planlagt afsluttet"... (the app's own STATUS_LABELS are shorter)."""
REASON_LABELS = {
    "employment": _l("Employment"),
    "education": _l("Education"),
    "other": _l("Other reason"),
    "too_complex": _l("Needs too complex for the programme"),
    "not_motivated": _l("Not motivated"),
    "moved": _l("Moved away"),
    "parental_leave": _l("Parental leave"),
    "not_target_group": _l("Not in the target group"),
}
STATE_LABELS = {
    "not_yet_due": _l("Not yet due"),
    "due": _l("Due"),
    "overdue": _l("Overdue"),
    "done": _l("Done"),
    "missed": _l("Missed"),
}
TIMING_LABELS = {
    "early": _l("filled before its window"),
    "on_time": _l("in window"),
    "late": _l("filled after its window"),
}
MODE_LABELS = {
    "self": _l("Citizen alone"),
    "assisted": _l("Read aloud by the consultant"),
    "staff": _l("Consultant"),
}
EVENT_LABELS = {
    "enrolled": _l("Enrolled"),
    "transferred": _l("Transferred"),
    "ended": _l("Course ended"),
    "reopened": _l("Course reopened"),
}
JOB_KIND_LABELS = {
    "import.citizens": _l("Citizens file"),
    "import.responses": _l("Answers file"),
}
JOB_STATE_LABELS = {
    "queued": pgettext("job", "Waiting"),
    "running": pgettext("job", "Running"),
    "done": pgettext("job", "Done"),
    "failed": pgettext("job", "Stopped"),
}


def job_phase_text(job: Job) -> str:
    """How far a waiting or running job has come, in the request's language."""
    if job.state == "queued":
        return gettext("Waiting for its turn…")
    done, total = job.done, job.total
    if job.phase == "reading" and total:
        return gettext("Reading the file: %(percent)s", percent=format_percent(done / total))
    if job.phase == "checking" and total:
        return gettext(
            "Checking the file, citizen by citizen: %(done)s of %(total)s",
            done=format_decimal(done),
            total=format_decimal(total),
        )
    if job.phase == "writing":
        return gettext("Writing what was checked…")
    return gettext("Starting…")


def job_state_text(job: Job) -> str:
    """A job's state for a list: for an ended import, whether it was written."""
    if job.state == "done" and job.result is not None and not job.result.get("ok"):
        return gettext("Refused; nothing was written")
    return str(JOB_STATE_LABELS.get(job.state, job.state))
