"""Administration of users, teams and the audit trail."""

from survey.admin.views import bp

__all__ = ["bp"]
