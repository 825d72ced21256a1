"""How long work says how far it has come: `progress(phase, done, total)`. A background job
writes it where its page can read it (survey.jobs.services); a command passes `no_progress`."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, phase: str, done: int, total: int | None) -> None: ...


def no_progress(phase: str, done: int, total: int | None) -> None:
    """For callers that show no progress."""
