"""The import page (administrators) and the export page (project leaders for their own teams,
administrators for all), on the same services as the command line."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session

from survey.cli import cli
from survey.db import get_engine
from survey.interop import exports
from survey.models import AuditEvent, Citizen, Response, Team
from tests.conftest import login


def client_for(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def count(app, model) -> int:
    with Session(get_engine(app)) as db:
        return db.execute(select(func.count()).select_from(model)).scalar_one()


def audit_details(app, action: str) -> list[dict]:
    with Session(get_engine(app)) as db:
        return list(
            db.execute(
                select(AuditEvent.details)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            ).scalars()
        )


def upload(client, kind: str, content: bytes, dry_run: bool = False):
    data = {"kind": kind, "file": (io.BytesIO(content), "data.csv")}
    if dry_run:
        data["dry_run"] = "y"
    return client.post(
        "/admin/import", data=data, content_type="multipart/form-data", follow_redirects=True
    )


CITIZENS = (
    "\ufeffcitizen;enrolled_on;team;consultant;status;status_reason;ended_on\r\n"
    "IMP-001;2026-02-02;Team Nord;anne;active;;\r\n"
    "IMP-002;2026-03-02;Team Nord;;ended_planned;employment;2026-09-30\r\n"
).encode()


def test_an_administrator_imports_a_danish_excel_citizens_file(demo_app) -> None:
    admin = client_for(demo_app, "admin")
    before = count(demo_app, Citizen)
    response = upload(admin, "citizens", CITIZENS)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert count(demo_app, Citizen) == before + 2
    assert 'id="import-result"' in page
    # Again: nothing changes, and the page says so.
    again = upload(admin, "citizens", CITIZENS).get_data(as_text=True)
    assert "Intet ændret" in again
    assert count(demo_app, Citizen) == before + 2
    imports = audit_details(demo_app, "data.import")
    assert len(imports) == 2
    assert [(d["created"], d["present"]) for d in imports] == [(2, 0), (0, 2)]


def test_a_bad_file_is_refused_with_line_numbers_and_nothing_is_written(demo_app) -> None:
    admin = client_for(demo_app, "admin")
    before = count(demo_app, Response)
    bad = (
        b"citizen,point,administered_on,form,form_version,mode,item,value\n"
        b"NORD-2025-001,9,2026-02-30,citizen,1,self,health.mental,3\n"
        b"NORD-2025-001,9,2026-02-30,citizen,1,self,who5.1,7\n"
    )
    response = upload(admin, "responses", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nothing was written" in page or "intet blev gemt" in page.lower()
    assert "Linje 2" in page
    assert count(demo_app, Response) == before


def test_a_dry_run_checks_and_writes_nothing(demo_app) -> None:
    admin = client_for(demo_app, "admin")
    before = count(demo_app, Citizen)
    response = upload(admin, "citizens", CITIZENS, dry_run=True)
    assert response.status_code == 200
    assert "Intet blev gemt" in response.get_data(as_text=True)
    assert count(demo_app, Citizen) == before


def test_an_upload_without_a_file_names_the_field(demo_app) -> None:
    admin = client_for(demo_app, "admin")
    response = admin.post("/admin/import", data={"kind": "citizens"})
    assert response.status_code == 422
    assert "CSV-fil" in response.get_data(as_text=True)


def test_a_project_leader_exports_their_own_teams_pseudonymised(demo_app) -> None:
    leader = client_for(demo_app, "leder.nord")
    response = leader.post("/exports/download", data={"dataset": "citizens"}, buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    with Session(get_engine(demo_app)) as db:
        nord = db.execute(select(Team.id).where(Team.name == "Team Nord")).scalar_one()
        references = set(db.execute(select(Citizen.reference)).scalars())
        own = db.execute(
            select(func.count()).select_from(Citizen).where(Citizen.team_id == nord)
        ).scalar_one()
    assert len(rows) == own
    assert {row["team"] for row in rows} == {"Team Nord"}
    assert not references & {row["citizen"] for row in rows}
    assert all(row["citizen"].startswith("P-") for row in rows)
    assert audit_details(demo_app, "data.export")[-1]["pseudonymised"] is True
    assert (
        leader.post(
            "/exports/download", data={"dataset": "citizens", "real_references": "y"}, buffered=True
        ).status_code
        == 403
    )


def test_long_export_in_semicolons_holds_only_the_leaders_teams(demo_app) -> None:
    leader = client_for(demo_app, "leder.nord")
    comma = (
        leader.post("/exports/download", data={"dataset": "long"}, buffered=True)
        .get_data()
        .decode("utf-8-sig")
    )
    semi = (
        leader.post("/exports/download", data={"dataset": "long", "semicolon": "y"}, buffered=True)
        .get_data()
        .decode("utf-8-sig")
    )
    assert semi.splitlines()[0] == "citizen;point;administered_on;form;form_version;mode;item;value"
    assert len(comma.splitlines()) == len(semi.splitlines()) > 1000
    rows = list(csv.DictReader(io.StringIO(comma)))
    with Session(get_engine(demo_app)) as db:
        nord = db.execute(select(Team.id).where(Team.name == "Team Nord")).scalar_one()
        answered = db.execute(
            select(func.count(func.distinct(Response.citizen_id)))
            .join(Citizen, Citizen.id == Response.citizen_id)
            .where(Citizen.team_id == nord, Response.status == "submitted")
        ).scalar_one()
        responses = db.execute(
            select(func.count())
            .select_from(Response)
            .join(Citizen, Citizen.id == Response.citizen_id)
            .where(Citizen.team_id == nord, Response.status == "submitted")
        ).scalar_one()
    assert len({row["citizen"] for row in rows}) == answered
    keys = {(row["citizen"], row["point"], row["form"]) for row in rows}
    assert len(keys) == responses


def test_an_administrator_may_export_real_references_as_excel(demo_app) -> None:
    admin = client_for(demo_app, "admin")
    response = admin.post(
        "/exports/download", data={"dataset": "wide-xlsx", "real_references": "y"}, buffered=True
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    column = header.index("citizen")
    with Session(get_engine(demo_app)) as db:
        references = set(db.execute(select(Citizen.reference)).scalars())
    exported = {row[column] for row in rows[1:]}
    assert len(rows) > 100
    assert exported <= references
    assert len(exported) > 100
    assert audit_details(demo_app, "data.export")[-1]["pseudonymised"] is False


def test_the_fhir_download_is_a_zip_of_bundles(demo_app) -> None:
    leader = client_for(demo_app, "leder.nord")
    response = leader.post("/exports/download", data={"dataset": "fhir"}, buffered=True)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = sorted(archive.namelist())
        assert names == ["citizen-v1.json", "staff-v1.json"]
        bundle = json.loads(archive.read("citizen-v1.json"))
        raw = b"".join(archive.read(name) for name in names).decode()
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert kinds == {"Questionnaire", "QuestionnaireResponse"}
    subjects = [
        entry["resource"]["subject"]["identifier"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert subjects
    assert all(s["value"].startswith("P-") for s in subjects)
    with Session(get_engine(demo_app)) as db:
        references = set(db.execute(select(Citizen.reference)).scalars())
    assert not [r for r in references if r in raw]


def test_consultants_cannot_export(demo_app) -> None:
    anne = client_for(demo_app, "anne")
    assert anne.get("/exports").status_code == 403
    assert (
        anne.post("/exports/download", data={"dataset": "long"}, buffered=True).status_code == 403
    )


def test_an_unknown_dataset_is_refused_on_the_page(demo_app) -> None:
    leader = client_for(demo_app, "leder.nord")
    response = leader.post("/exports/download", data={"dataset": "everything"}, buffered=True)
    assert response.status_code == 422
    assert "Eksportér data" in response.get_data(as_text=True)


def test_posts_without_a_csrf_token_are_refused(make_app, demo_database, tmp_path) -> None:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = make_app(f"sqlite:///{copy}", migrated=False, WTF_CSRF_ENABLED=True)
    admin = app.test_client()
    page = admin.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    admin.post(
        "/login",
        data={"username": "admin", "password": "demo-admin-2026", "csrf_token": token.group(1)},
    )
    before = count(app, Citizen)
    refused = upload(admin, "citizens", CITIZENS)
    assert refused.status_code == 400
    assert count(app, Citizen) == before
    assert admin.post("/exports/download", data={"dataset": "long"}).status_code == 400


def test_an_upload_over_the_limit_is_refused_with_413(make_app, demo_database, tmp_path) -> None:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = make_app(f"sqlite:///{copy}", migrated=False, MAX_UPLOAD_MB=3)
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024  # SURVEY_MAX_UPLOAD_MB
    app.config["MAX_CONTENT_LENGTH"] = 2000  # small, so the test's upload stays in memory
    admin = client_for(app, "admin")
    before = count(app, Citizen)
    response = upload(admin, "citizens", CITIZENS + b"X" * 4000)
    assert response.status_code == 413
    assert count(app, Citizen) == before


def test_the_evaluator_package_joins_by_the_same_pseudonyms(demo_app) -> None:
    leader = client_for(demo_app, "leder.nord")
    response = leader.post("/exports/download", data={"dataset": "package"}, buffered=True)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = set(archive.namelist())
        citizens = archive.read("citizens.csv").decode("utf-8-sig")
        answers = archive.read("answers-long.csv").decode("utf-8-sig")
    assert {"citizens.csv", "answers-long.csv", "answers-wide.csv", "codebook.md"} <= names
    ids = {row["citizen"] for row in csv.DictReader(io.StringIO(citizens))}
    answered = {row["citizen"] for row in csv.DictReader(io.StringIO(answers))}
    assert answered
    assert answered <= ids
    assert all(i.startswith("P-") for i in ids)
    assert audit_details(demo_app, "data.export")[-1]["format"] == "package"


def test_refused_and_dry_run_imports_are_audited(demo_app) -> None:
    admin = client_for(demo_app, "admin")
    upload(admin, "citizens", CITIZENS, dry_run=True)
    upload(admin, "responses", b"citizen,point\nX,1\n")
    details = audit_details(demo_app, "data.import")
    assert [d.get("dry_run", False) for d in details] == [True, False]
    assert [d.get("refused", False) for d in details] == [False, True]


def test_the_page_and_the_commands_are_made_from_one_export_registry(demo_app) -> None:
    """The form values, file names and types the page had before the registry, in its order."""
    before = {
        "package": ("evaluator-package", "zip", "application/zip"),
        "citizens": ("citizens", "csv", "text/csv; charset=utf-8"),
        "long": ("answers-long", "csv", "text/csv; charset=utf-8"),
        "wide-csv": ("answers-wide", "csv", "text/csv; charset=utf-8"),
        "wide-xlsx": (
            "answers-wide",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "codebook-xlsx": (
            "codebook",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "codebook-csv": ("codebook", "csv", "text/csv; charset=utf-8"),
        "codebook-md": ("codebook", "md", "text/markdown; charset=utf-8"),
        "fhir": ("fhir", "zip", "application/zip"),
    }
    page = client_for(demo_app, "leder.nord").get("/exports").get_data(as_text=True)
    assert re.findall(r'<option[^>]* value="([^"]+)"', page) == list(before)
    assert {d.value: (d.file_name("2026-11-23"), d.mimetype) for d in exports.DOWNLOADS} == {
        value: (f"{stem}-2026-11-23.{ext}", mimetype)
        for value, (stem, ext, mimetype) in before.items()
    }
    commands = cli.commands["export"].commands
    assert sorted(commands) == sorted(e.name for e in exports.EXPORTS)
    assert {d.export.name for d in exports.DOWNLOADS} == set(commands)


def test_a_header_of_many_columns_gets_a_short_page(demo_app) -> None:
    """The probe uploaded a 1,000,000-column header and got the header back as a 7.9 MB page.
    (40,000 columns here: over 500 KB the test client spools its request to a file it never
    closes; the service test reads the whole million.)"""
    admin = client_for(demo_app, "admin")
    header = ",".join(f"column{n}" for n in range(40_000)).encode()
    response = upload(admin, "responses", header + b"\r\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "longer than 10000 characters" in page or "længere end 10000 tegn" in page
    assert "column9999" not in page
    assert len(page) < 50_000


def test_an_upload_has_no_named_copy_on_disk_while_it_is_imported(demo_app, monkeypatch) -> None:
    """The probe killed a worker mid-import and found the uploaded rows in a named file in the
    temporary folder. The import reads the request's own unnamed file instead."""
    import os
    from pathlib import Path

    from survey.interop import importing

    def named_files() -> set[str]:
        paths = set()
        for fd in Path("/proc/self/fd").iterdir():
            try:
                path = os.readlink(fd)
            except OSError:
                continue
            if path.startswith("/") and not path.endswith("(deleted)") and Path(path).is_file():
                paths.add(path)
        return paths

    seen: list[set[str]] = []
    real = importing.import_citizens

    def watched(db, source, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(named_files() - before)
        if isinstance(source, str | Path):
            seen.append({str(source)})
        return real(db, source, **kwargs)

    monkeypatch.setattr(importing, "import_citizens", watched)
    admin = client_for(demo_app, "admin")
    before = named_files()
    response = upload(admin, "citizens", CITIZENS)
    assert response.status_code == 200
    assert seen
    assert all(not paths for paths in seen), seen
