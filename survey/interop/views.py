"""Import (administrators) and export (project leaders for their teams, administrators for all)
pages, on the same services as `survey import` and `survey export`."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    send_file,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey import clock
from survey.access import citizen_scope, roles_required
from survey.db import get_session
from survey.instruments import InstrumentRegistry
from survey.interop import importing
from survey.interop.exports import BINARY, DOWNLOADS_BY_VALUE, FileExport, Options
from survey.interop.forms import ExportForm, ImportForm
from survey.interop.pseudonyms import Pseudonyms
from survey.models import Role

bp = Blueprint("interop", __name__)

EXPORTERS = (Role.PROJECT_LEADER, Role.ADMIN)


def _registry() -> InstrumentRegistry:
    return current_app.extensions["survey.instruments"]


@bp.route("/admin/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def upload() -> ResponseReturnValue:
    """Upload a citizens or answers file: checked in full, then written all at once or not at
    all. It is read from the request's own spooled file (memory up to 500 KB, then an unnamed
    temporary file), so no copy of it has a name on disk, not even when the worker is killed."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        db = get_session()
        text = io.TextIOWrapper(form.file.data.stream, encoding="utf-8-sig", newline="")
        try:
            if form.kind.data == "citizens":
                result = importing.import_citizens(
                    db,
                    text,
                    actor=current_user.user,
                    today=clock.today(),
                    dry_run=form.dry_run.data,
                )
            else:
                result = importing.import_responses(
                    db,
                    _registry(),
                    text,
                    actor=current_user.user,
                    today=clock.today(),
                    dry_run=form.dry_run.data,
                )
        finally:
            text.detach()  # the request closes its file
        # Always commit: on success the rows and their audit entry, on refusal or a dry run
        # only the audit entry (the service has already rolled its writes back).
        db.commit()
    status = 422 if form.errors or (result is not None and not result.ok) else 200
    return render_template("interop/import.html", form=form, result=result), status


@bp.get("/exports")
@roles_required(*EXPORTERS)
def exports() -> ResponseReturnValue:
    """The export page; the download itself is /exports/download with the same fields."""
    return render_template("interop/export.html", form=ExportForm())


@bp.post("/exports/download")
@roles_required(*EXPORTERS)
def download() -> ResponseReturnValue:
    """One export as a file: only the citizens the user may see (an administrator: all),
    pseudonymised unless an administrator asks for real references. Audited by the service."""
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("interop/export.html", form=form), 422
    admin = current_user.role is Role.ADMIN
    if form.real_references.data and not admin:
        abort(403)
    db = get_session()
    options = Options(
        citizen_filter=None if admin else citizen_scope(current_user),
        pseudonyms=Pseudonyms(real=bool(form.real_references.data)),
        actor=current_user.user,
        delimiter=";" if form.semicolon.data else ",",
    )
    chosen = DOWNLOADS_BY_VALUE[form.dataset.data]  # the form only takes its choices
    ext, export = chosen.ext, chosen.export
    stamp = clock.today().isoformat()
    # Written to a temporary file, not memory: a national export can be large. CSV gets a BOM so
    # that Excel reads the Danish letters right (our import accepts it).
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- send_file closes it after the response
    text = io.TextIOWrapper(out, encoding="utf-8-sig" if ext == "csv" else "utf-8", newline="")
    if isinstance(export, FileExport):
        export.write(db, _registry(), out if ext in BINARY else text, ext, options)
    else:  # the package and FHIR: files written to a folder, handed out as one ZIP
        with tempfile.TemporaryDirectory() as folder:
            written = export.write(db, _registry(), Path(folder), options)
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in written:
                    archive.write(path, path.name)
    db.commit()  # the audit row
    text.flush()
    text.detach()
    out.seek(0)
    response = send_file(
        out,
        mimetype=chosen.mimetype,
        as_attachment=True,
        download_name=chosen.file_name(stamp),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
