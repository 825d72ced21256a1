"""The audit trail: who did what, when, to which citizen. Entries are appended, never changed."""

from survey.audit.services import record

__all__ = ["record"]
