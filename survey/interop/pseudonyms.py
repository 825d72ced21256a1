"""Stable random ids that stand in for citizen references and consultants' user names within one
export."""

from __future__ import annotations

import secrets


class Pseudonyms:
    """Maps citizen references to ids like ``P-3F9A1C2E`` and consultants' user names to ids like
    ``K-7B20D4E1``: the same reference or user name gets the same id throughout one export, a new
    export gets new ids, and an id reveals nothing about what it stands for. With ``real=True``
    (an admin's choice) both pass through unchanged. Give every file of one export the same
    instance, so the files join on the ids."""

    def __init__(self, *, real: bool = False) -> None:
        self.real = real
        self._ids: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()

    def __call__(self, reference: str) -> str:
        """The citizen's id in this export."""
        return self._id("P", reference)

    def consultant(self, username: str) -> str:
        """The consultant's id in this export; no consultant (empty) stays empty."""
        return self._id("K", username) if username else ""

    def _id(self, prefix: str, name: str) -> str:
        if self.real:
            return name
        found = self._ids.get((prefix, name))
        if found is None:
            found = self._new(prefix)
            self._ids[(prefix, name)] = found
        return found

    def _new(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}-{secrets.token_hex(4).upper()}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
