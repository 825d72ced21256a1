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
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user

from survey import clock
from survey.access import admin_required, export_scope, exporter_required
from survey.db import get_session
from survey.instruments import InstrumentRegistry
from survey.interop import import_jobs
from survey.interop.exports import BINARY, DOWNLOADS_BY_VALUE, FileExport, Options
from survey.interop.forms import ExportForm, ImportForm
from survey.interop.pseudonyms import Pseudonyms
from survey.jobs import services as job_services

bp = Blueprint("interop", __name__)


def _registry() -> InstrumentRegistry:
    return current_app.extensions["survey.instruments"]


@bp.route("/admin/import", methods=["GET", "POST"])
@admin_required
def upload() -> ResponseReturnValue:
    """Upload a citizens or answers file. It is checked in full, then written all at once or
    not at all, by a background job (a national file takes minutes): the page goes on to the
    job's page, which shows its progress and then its result. The file is read from the
    request's own spooled file (memory up to 500 KB, then an unnamed temporary file) into the
    job's rows, so no copy of it has a name on disk."""
    form = ImportForm()
    db = get_session()
    if form.validate_on_submit():
        job = import_jobs.start(
            db,
            form.kind.data,
            form.file.data.stream,
            actor=current_user.user,
            language=str(get_locale() or "da"),
            dry_run=bool(form.dry_run.data),
        )
        return redirect(url_for("interop.import_job", job_id=job.id), code=303)
    jobs = job_services.recent(db, current_user.user)
    status = 422 if form.errors else 200
    return render_template("interop/import.html", form=form, jobs=jobs), status


@bp.get("/admin/import/jobs/<int:job_id>")
@admin_required
def import_job(job_id: int) -> ResponseReturnValue:
    """One import's progress, then its result; the asker's own only."""
    job = job_services.own(get_session(), current_user.user, job_id)
    if job is None or job.kind not in import_jobs.KINDS.values():
        abort(404)
    return render_template("interop/import_job.html", job=job, form=ImportForm())


@bp.get("/exports")
@exporter_required
def exports() -> ResponseReturnValue:
    """The export page; the download itself is /exports/download with the same fields."""
    return render_template("interop/export.html", form=ExportForm())


@bp.post("/exports/download")
@exporter_required
def download() -> ResponseReturnValue:
    """One export as a file: only the citizens the user may see (an administrator: all),
    pseudonymised unless an administrator asks for real references. Audited by the service."""
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("interop/export.html", form=form), 422
    admin = current_user.is_admin
    if form.real_references.data and not admin:
        abort(403)
    db = get_session()
    options = Options(
        citizen_filter=export_scope(current_user),
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
