"""UI names for the codes stored in the database (statuses, reasons, roles, schedule states)."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "project_leader": _l("Project leader"),
    "consultant": _l("Resource consultant"),
}
STATUS_LABELS = {
    "active": _l("Active"),
    "ended_planned": _l("Ended as planned"),
    "ended_unplanned": _l("Ended unplanned"),
}
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
