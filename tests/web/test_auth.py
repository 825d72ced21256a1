"""Logging in and out, session expiry, passwords, and account administration."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from survey.auth.password_policy import generate_password, password_problems
from survey.db import get_engine
from survey.models import AuditEvent, User, UserSession, utcnow
from tests.conftest import login


def actions(app) -> list[tuple[str, str | None]]:
    with Session(get_engine(app)) as db:
        rows = db.execute(select(AuditEvent.action, AuditEvent.username).order_by(AuditEvent.id))
        return [tuple(row) for row in rows]


def test_login_and_wrong_password(demo_app) -> None:
    client = demo_app.test_client()
    page = client.post("/login", data={"username": "anne", "password": "wrong"})
    assert page.status_code == 200
    assert "Forkert brugernavn eller adgangskode" in page.get_data(as_text=True)
    page = client.post("/login", data={"username": "nobody", "password": "wrong"})
    assert "Forkert brugernavn eller adgangskode" in page.get_data(as_text=True)
    login(client, "Anne ", "demo-anne-2026")  # user names are trimmed, case-insensitive
    assert client.get("/").status_code == 200
    logins = [entry for entry in actions(demo_app) if entry[0].startswith("login.")]
    assert logins[-3:] == [
        ("login.failure", "anne"),
        ("login.failure", None),
        ("login.success", "anne"),
    ]
    assert actions(demo_app)[-1] == ("caseload.view", "anne")  # her home page lists citizens


def test_disabled_user_cannot_log_in_and_is_logged_out(demo_app) -> None:
    client = demo_app.test_client()
    login(client, "anne")
    admin = demo_app.test_client()
    login(admin, "admin")
    with Session(get_engine(demo_app)) as db:
        anne_id = db.execute(select(User.id).where(User.username == "anne")).scalar_one()
    assert admin.post(f"/admin/users/{anne_id}/active", data={"active": "0"}).status_code == 302
    assert client.get("/").status_code == 302  # her open session ended
    page = demo_app.test_client().post(
        "/login", data={"username": "anne", "password": "demo-anne-2026"}
    )
    assert page.status_code == 200
    assert ("login.failure", "anne") in actions(demo_app)


def test_a_cookie_copied_before_logout_does_not_work_after(demo_app) -> None:
    client = demo_app.test_client()
    login(client, "anne")
    cookie = client.get_cookie("session")
    assert cookie is not None
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"]
    thief = demo_app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/citizens").status_code == 302
    assert thief.get("/citizens").headers["Location"].startswith("/login")


def test_session_expires_after_inactivity(demo_app) -> None:
    client = demo_app.test_client()
    login(client, "anne")
    assert client.get("/citizens").status_code == 200
    with Session(get_engine(demo_app)) as db:
        db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        db.commit()
    response = client.get("/citizens")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "uden aktivitet" in page  # "logged out after a while without activity"
    assert ("session.expired", "anne") in actions(demo_app)


def test_password_policy() -> None:
    assert password_problems("kort") != []
    assert any("most common" in p or "almindelige" in p for p in password_problems("password1234"))
    assert password_problems("anne-holm-summer", user_inputs=("anne", "Anne", "Holm")) != []
    assert password_problems("aaaaaaaaaaaa") != []  # long but trivially guessable
    assert password_problems("violet otter harbour 17") == []
    generated = generate_password()
    assert len(generated) == 17
    assert password_problems(generated) == []


def test_password_change_ends_other_sessions(demo_app) -> None:
    phone, laptop = demo_app.test_client(), demo_app.test_client()
    login(phone, "anne")
    login(laptop, "anne")
    page = laptop.post(
        "/account/password", data={"current": "demo-anne-2026", "new": "kort", "repeat": "kort"}
    )
    assert "mindst 10 tegn" in page.get_data(as_text=True)
    page = laptop.post("/account/password", data={"current": "wrong", "new": "x", "repeat": "x"})
    assert "forkert" in page.get_data(as_text=True).lower()
    new = "violet otter harbour 17"
    response = laptop.post(
        "/account/password", data={"current": "demo-anne-2026", "new": new, "repeat": new}
    )
    assert response.status_code == 302
    assert laptop.get("/citizens").status_code == 200  # the session that changed it stays
    assert phone.get("/citizens").status_code == 302  # every other one ends
    login(demo_app.test_client(), "anne", new)


def test_admin_creates_a_user_and_sees_the_password_once(demo_app) -> None:
    admin = demo_app.test_client()
    login(admin, "admin")
    with Session(get_engine(demo_app)) as db:
        from survey.models import Team

        nord = db.execute(select(Team.id).where(Team.name == "Team Nord")).scalar_one()
    page = admin.post(
        "/admin/users/new",
        data={"username": "Bo.Ek", "full_name": "Bo Ek", "consultant_in": [nord]},
    )
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    password = html.split('<p class="password-once"><code>')[1].split("</code>")[0]
    login(demo_app.test_client(), "bo.ek", password)
    again = admin.post(
        "/admin/users/new", data={"username": "bo.ek", "full_name": "Bo", "role": "consultant"}
    )
    assert again.status_code == 422
    assert "optaget" in again.get_data(as_text=True)  # "taken"
    assert ("user.create", "admin") in actions(demo_app)
