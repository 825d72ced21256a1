"""The upload and export forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField

from survey.forms.base import Form, choices
from survey.interop.exports import DOWNLOADS

IMPORT_KINDS = {
    "citizens": _l("Citizens (citizen,enrolled_on,team,consultant,status,status_reason,ended_on)"),
    "responses": _l(
        "Answers, one row per answer "
        "(citizen,point,administered_on,form,form_version,mode,item,value)"
    ),
}


class ImportForm(Form):
    kind = RadioField(_l("What the file holds"), default="citizens")
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired()],
        description=_l(
            "UTF-8, comma- or semicolon-separated (as Danish Excel saves it); see "
            "docs/data-formats.md. Nothing is written unless every row is right."
        ),
    )
    dry_run = BooleanField(_l("Only check the file, write nothing"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(IMPORT_KINDS.items())  # labels in the user's language


class ExportForm(Form):
    """A POST with a CSRF token, not a GET: an export writes to the audit trail and hands out
    data, so another site must not be able to start one with a link."""

    dataset = SelectField(_l("Data"))
    semicolon = BooleanField(_l("Separate fields with semicolons (Danish Excel)"))
    real_references = BooleanField(
        _l("Real citizen references instead of pseudonyms"),
        description=_l("Administrators only. Otherwise every export gets new random ids."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # labels in the user's language
        self.dataset.choices = choices((d.value, d.label) for d in DOWNLOADS)
