"""Stable random ids that stand in for citizen references within one export."""

from __future__ import annotations

import secrets


class Pseudonyms:
    """Maps citizen references to ids like ``P-3F9A1C2E``: the same reference gets the same id
    throughout one export, a new export gets new ids, and an id reveals nothing about the
    reference. With ``real=True`` (an admin's choice) references pass through unchanged."""

    def __init__(self, *, real: bool = False) -> None:
        self.real = real
        self._ids: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, reference: str) -> str:
        if self.real:
            return reference
        found = self._ids.get(reference)
        if found is None:
            found = self._new()
            self._ids[reference] = found
        return found

    def _new(self) -> str:
        while True:
            candidate = f"P-{secrets.token_hex(4).upper()}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
