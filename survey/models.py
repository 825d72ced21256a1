"""Every table, typed, in one module. Alembic migrations in `migrations/` are written from these."""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import validates
from sqlmodel import Field, Relationship, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime gives it back aware on SQLite and PostgreSQL alike."""
    return datetime.now(UTC)


class Role(StrEnum):
    """The role a membership carries in its team. Administrator is not a role but a capability
    of the user (User.is_admin), which may be combined with roles in teams."""

    PROJECT_LEADER = "project_leader"
    CONSULTANT = "consultant"


class SignInMethod(StrEnum):
    PASSWORD = "password"  # noqa: S105 -- the name of a sign-in method, not a password
    SAML = "saml"
    OIDC = "oidc"
    KIOSK = "kiosk"


class CourseStatus(StrEnum):
    ACTIVE = "active"
    ENDED_PLANNED = "ended_planned"
    ENDED_UNPLANNED = "ended_unplanned"


# The reason codes of ../shared/INSTRUMENTS.md, per status; the CSV import and export use them.
STATUS_REASONS: dict[CourseStatus, tuple[str, ...]] = {
    CourseStatus.ACTIVE: (),
    CourseStatus.ENDED_PLANNED: ("employment", "education", "other"),
    CourseStatus.ENDED_UNPLANNED: (
        "too_complex",
        "not_motivated",
        "moved",
        "parental_leave",
        "not_target_group",
        "other",
    ),
}


class Mode(StrEnum):
    SELF = "self"
    ASSISTED = "assisted"
    STAFF = "staff"


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


def _in(column: str, values: Iterable[object]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# A CPR number is DDMMYY-XXXX, or the same ten digits with a space or nothing between.
CPR_PATTERN = re.compile(r"(?<!\d)\d{6}[-\s]?\d{4}(?!\d)")
REFERENCE_PATTERN = re.compile(r"^[\w\-./ ]{1,40}$")


class InvalidReference(ValueError):
    """A citizen reference that may not be stored; `kind` is empty, cpr or format."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def check_reference(reference: str) -> str:
    """A pseudonymous citizen reference, trimmed; never anything that looks like a CPR number."""
    cleaned = reference.strip() if isinstance(reference, str) else ""
    if not cleaned:
        raise InvalidReference("empty", "the citizen reference is empty")
    if CPR_PATTERN.search(cleaned):
        raise InvalidReference(
            "cpr",
            "the citizen reference looks like a CPR number (DDMMYY-XXXX or ten digits); "
            "use the pseudonymous reference the municipality assigned instead",
        )
    if not REFERENCE_PATTERN.match(cleaned):
        raise InvalidReference(
            "format",
            "the citizen reference may have at most 40 letters, digits, spaces and - _ . /",
        )
    return cleaned


class Team(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (
        CheckConstraint("measurement_interval_months >= 1", name="interval_positive"),
        CheckConstraint("window_days >= 0", name="window_not_negative"),
        CheckConstraint(
            "target_employment IS NULL OR (target_employment >= 0 AND target_employment <= 1)",
            name="target_employment_share",
        ),
        CheckConstraint(
            "target_education IS NULL OR (target_education >= 0 AND target_education <= 1)",
            name="target_education_share",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    measurement_interval_months: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    window_days: int = Field(default=21, sa_column_kwargs={"server_default": "21"})
    # Report cells with 1–4 citizens are shown to project leaders as "<5" unless an admin
    # turns this off for the team.
    suppress_small_cells: bool = Field(
        default=True, sa_column_kwargs={"server_default": text("true")}
    )
    # The team's outcome targets as shares (0.25 = 25 %); None keeps the programme's (20 % in
    # employment, 15 % in education: survey.reports.builders.DEFAULT_TARGETS).
    target_employment: float | None = None
    target_education: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class TeamMembership(SQLModel, table=True):
    """A user belongs to one or more teams, with one role in each."""

    __tablename__ = "team_membership"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role_known"),)

    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
        )
    )
    team_id: int = Field(
        sa_column=Column(Integer, ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    )
    role: Role = Field(sa_column=Column(String(20), nullable=False))


UNUSABLE_PASSWORD = "!"  # noqa: S105 -- a hash that matches no password
"""The password hash of an account that has no password (single sign-on): never verifies."""


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    full_name: str = Field(sa_column=Column(String(200), nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    # Users, teams, the audit trail, import and export of all teams; combinable with team roles.
    is_admin: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    # Who the municipality's identity provider says this is (None for a local account).
    sso_issuer: str | None = Field(default=None, sa_column=Column(String(255)))
    sso_subject: str | None = Field(default=None, sa_column=Column(String(255)))
    kiosk_pin_hash: str | None = Field(default=None, sa_column=Column(String(255)))
    created_at: datetime = Field(default_factory=utcnow)


class Citizen(SQLModel, table=True):
    __tablename__ = "citizen"
    __table_args__ = (
        CheckConstraint(_in("status", CourseStatus), name="status_known"),
        CheckConstraint(
            "(status = 'active' AND status_reason IS NULL AND ended_on IS NULL) OR "
            "(status <> 'active' AND status_reason IS NOT NULL AND ended_on IS NOT NULL)",
            name="ended_has_reason_and_date",
        ),
        CheckConstraint(
            "status = 'active' OR "
            f"(status = 'ended_planned' AND "
            f"{_in('status_reason', STATUS_REASONS[CourseStatus.ENDED_PLANNED])}) OR "
            f"(status = 'ended_unplanned' AND "
            f"{_in('status_reason', STATUS_REASONS[CourseStatus.ENDED_UNPLANNED])})",
            name="reason_fits_status",
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= enrolled_on", name="ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    enrolled_on: date
    team_id: int = Field(foreign_key="team.id", index=True)
    consultant_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    status: CourseStatus = Field(
        default=CourseStatus.ACTIVE,
        sa_column=Column(String(20), nullable=False, server_default=CourseStatus.ACTIVE.value),
    )
    status_reason: str | None = Field(default=None, sa_column=Column(String(30)))
    ended_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)

    responses: list["Response"] = Relationship(back_populates="citizen")

    @validates("reference")
    def _validate_reference(self, _key: str, value: str) -> str:
        return check_reference(value)


class Response(SQLModel, table=True):
    """One filling of one form version for one citizen at one measurement point."""

    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("point >= 1", name="point_positive"),
        CheckConstraint("form_version >= 1", name="form_version_positive"),
        CheckConstraint(_in("mode", Mode), name="mode_known"),
        CheckConstraint(_in("status", ResponseStatus), name="status_known"),
        CheckConstraint(
            "(status = 'draft' AND submitted_at IS NULL) OR "
            "(status = 'submitted' AND submitted_at IS NOT NULL)",
            name="submitted_has_time",
        ),
        # At most one submitted response per citizen, point and form ...
        Index(
            "uq_response_one_submitted",
            "citizen_id",
            "point",
            "form_id",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
        # ... and one draft, so two devices resume the same draft instead of starting two.
        Index(
            "uq_response_one_draft",
            "citizen_id",
            "point",
            "form_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        # Reports: forms per point, answers by point.
        Index("ix_response_form_point_status", "form_id", "point", "status"),
        Index("ix_response_citizen_point", "citizen_id", "point"),
    )

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id")
    point: int
    form_id: str = Field(sa_column=Column(String(40), nullable=False))
    form_version: int
    administered_on: date
    mode: Mode = Field(sa_column=Column(String(10), nullable=False))
    entered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    status: ResponseStatus = Field(
        default=ResponseStatus.DRAFT,
        sa_column=Column(String(10), nullable=False, server_default=ResponseStatus.DRAFT.value),
    )
    started_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    citizen: "Citizen" = Relationship(back_populates="responses")
    answers: list["Answer"] = Relationship(
        back_populates="response",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Answer.id"},
    )


class Answer(SQLModel, table=True):
    """One answer value: codes and numbers as decimal text, dates as ISO text, free text as is.

    A multiple-choice item has one row per chosen code (`position` 0, 1, ...), so reports count
    codes with GROUP BY.
    """

    __tablename__ = "answer"
    __table_args__ = (
        Index(
            "uq_answer_response_item_position", "response_id", "item_code", "position", unique=True
        ),
        # Reports read answers by item, then join the response for the point.
        Index("ix_answer_item_response", "item_code", "response_id"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(
        sa_column=Column(Integer, ForeignKey("response.id", ondelete="CASCADE"), nullable=False)
    )
    item_code: str = Field(sa_column=Column(String(64), nullable=False))
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    value: str = Field(sa_column=Column(Text, nullable=False))

    response: "Response" = Relationship(back_populates="answers")


class CitizenEventKind(StrEnum):
    ENROLLED = "enrolled"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    REOPENED = "reopened"


class CitizenEvent(SQLModel, table=True):
    """A citizen's course history: enrolment, transfers between consultants, ends, reopenings."""

    __tablename__ = "citizen_event"
    __table_args__ = (
        CheckConstraint(_in("kind", CitizenEventKind), name="kind_known"),
        Index("ix_citizen_event_citizen", "citizen_id", "occurred_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id")
    kind: CitizenEventKind = Field(sa_column=Column(String(20), nullable=False))
    occurred_on: date
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    consultant_id: int | None = Field(default=None, foreign_key="user_account.id")
    previous_consultant_id: int | None = Field(default=None, foreign_key="user_account.id")
    status: str | None = Field(default=None, sa_column=Column(String(20)))
    reason: str | None = Field(default=None, sa_column=Column(String(30)))


class UserSession(SQLModel, table=True):
    """A login on the server side: logout or a password change revokes it, so a copied cookie
    stops working. Only a digest of the token is stored."""

    __tablename__ = "user_session"
    __table_args__ = (CheckConstraint(_in("method", SignInMethod), name="method_known"),)

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    method: SignInMethod = Field(
        default=SignInMethod.PASSWORD,
        sa_column=Column(String(10), nullable=False, server_default="password"),
    )
    # Single logout: the SAML NameID and SessionIndex the identity provider gave this login.
    sso_name_id: str | None = Field(default=None, sa_column=Column(Text))
    sso_session_index: str | None = Field(default=None, sa_column=Column(String(255)))


class SsoRequest(SQLModel, table=True):
    """An AuthnRequest sent to the identity provider and not yet answered: the answer must name
    it (InResponseTo), once, within minutes — a replayed or unsolicited response is refused.
    In the database, so that several app servers share it."""

    __tablename__ = "sso_request"

    id: str = Field(sa_column=Column(String(200), primary_key=True))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """Append-only (database triggers refuse UPDATE and DELETE): who did what, when, to whom.

    `details` holds identifiers and field names only, never an answer value.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_citizen", "citizen_id", "at"),
        Index("ix_audit_event_user", "user_id", "at"),
        Index("ix_audit_event_action", "action", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    username: str | None = Field(default=None, sa_column=Column(String(64)))
    action: str = Field(sa_column=Column(String(40), nullable=False))
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id")
    response_id: int | None = Field(default=None, foreign_key="response.id")
    target: str | None = Field(default=None, sa_column=Column(String(200)))
    ip: str | None = Field(default=None, sa_column=Column(String(45)))
    details: dict | None = Field(default=None, sa_column=Column(JSON))


class ResponseChange(SQLModel, table=True):
    """An amendment of a submitted response: the old and new value, who changed it and why.

    The answer rows always hold the current value; this table is the response's history.
    """

    __tablename__ = "response_change"
    __table_args__ = (Index("ix_response_change_response", "response_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(
        sa_column=Column(Integer, ForeignKey("response.id", ondelete="CASCADE"), nullable=False)
    )
    item_code: str = Field(sa_column=Column(String(64), nullable=False))
    old_value: list[str] = Field(sa_column=Column(JSON, nullable=False))
    new_value: list[str] = Field(sa_column=Column(JSON, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class KioskLock(StrEnum):
    """Why a tablet is locked: the citizen paused, it lay idle, or the citizen was done."""

    PAUSE = "pause"
    IDLE = "idle"
    DONE = "done"


class KioskEnd(StrEnum):
    """Why a tablet's credential ended."""

    UNLOCKED = "unlocked"
    REPLACED = "replaced"
    UNLOCK_FAILURES = "unlock_failures"


class KioskSession(SQLModel, table=True):
    """A tablet handed to a citizen for one citizen form: only that form, until unlocked.

    Only a digest of the token is stored; the token is the tablet's only credential (the
    consultant's login in that browser ends at hand-over). One active kiosk per draft.
    """

    __tablename__ = "kiosk_session"
    __table_args__ = (
        CheckConstraint(_in("locked_reason", KioskLock), name="locked_reason_known"),
        CheckConstraint(_in("ended_reason", KioskEnd), name="ended_reason_known"),
        CheckConstraint("page >= 1", name="page_positive"),
        CheckConstraint("unlock_attempts >= 0", name="unlock_attempts_positive"),
        Index(
            "uq_kiosk_session_one_active",
            "response_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_kiosk_session_consultant", "consultant_id", "created_at"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    response_id: int = Field(
        sa_column=Column(Integer, ForeignKey("response.id", ondelete="CASCADE"), nullable=False)
    )
    consultant_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow)
    # The page the citizen is on: a tablet given back resumes there.
    page: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    # The consultant's language at hand-over, given back to them at unlock.
    consultant_locale: str | None = Field(default=None, sa_column=Column(String(8)))
    locked_at: datetime | None = None
    locked_reason: str | None = Field(default=None, sa_column=Column(String(10)))
    unlock_attempts: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    submitted_at: datetime | None = None
    ended_at: datetime | None = None
    ended_reason: str | None = Field(default=None, sa_column=Column(String(20)))


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(SQLModel, table=True):
    """Long work done outside the request that asked for it (an import): its state, progress
    and result. The file it works on is in `job_chunk` until the job ends, so any worker of any
    app server can run it; the chunks are deleted when it ends, whatever the outcome."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(_in("state", JobState), name="state_known"),
        CheckConstraint("done >= 0", name="done_positive"),
        Index("ix_job_created_by", "created_by_id", "created_at"),
        Index("ix_job_state", "state", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    state: str = Field(default=JobState.QUEUED, sa_column=Column(String(10), nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Every progress report moves it: a running job that has not moved for
    # SURVEY_JOBS_STALE_MINUTES was interrupted (its worker died).
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    # The asker's language: the messages of the result are made in it.
    language: str = Field(default="da", sa_column=Column(String(8), nullable=False))
    options: dict | None = Field(default=None, sa_column=Column(JSON))
    size: int = 0  # bytes of the file
    phase: str | None = Field(default=None, sa_column=Column(String(20)))
    done: int = 0
    total: int | None = None
    result: dict | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(String(40)))


class JobChunk(SQLModel, table=True):
    """One piece (JOB_CHUNK_BYTES) of a job's file, read back in order by the worker."""

    __tablename__ = "job_chunk"

    job_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("job.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    seq: int = Field(sa_column=Column(Integer, primary_key=True, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
