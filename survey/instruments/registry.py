"""The loaded instrument versions, looked up by id and version."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from survey.instruments.schema import InstrumentVersion, Item, Kind, ScoreRule


class UnknownInstrument(LookupError):
    """Asked for an instrument or version that no file defines."""


class InstrumentRegistry:
    def __init__(self, versions: Iterable[InstrumentVersion], directory: Path | None = None):
        self.directory = directory
        self._versions = {(v.id, v.version): v for v in versions}

    def __iter__(self) -> Iterator[InstrumentVersion]:
        return iter(
            sorted(self._versions.values(), key=lambda v: (v.kind is Kind.FORM, v.id, v.version))
        )

    def __len__(self) -> int:
        return len(self._versions)

    def __contains__(self, key: object) -> bool:
        return key in self._versions

    def ids(self) -> list[str]:
        return sorted({v.id for v in self._versions.values()})

    def versions(self, instrument_id: str) -> list[InstrumentVersion]:
        found = sorted(
            (v for v in self._versions.values() if v.id == instrument_id), key=lambda v: v.version
        )
        if not found:
            raise UnknownInstrument(f"no instrument {instrument_id!r}")
        return found

    def get(self, instrument_id: str, version: int) -> InstrumentVersion:
        try:
            return self._versions[(instrument_id, version)]
        except KeyError:
            known = ", ".join(f"v{v.version}" for v in self.versions(instrument_id))
            raise UnknownInstrument(
                f"{instrument_id} has no version {version} (known: {known})"
            ) from None

    def latest(self, instrument_id: str, *, published_only: bool = True) -> InstrumentVersion:
        """The newest version, by default the newest published one: what new responses use."""
        candidates = [v for v in self.versions(instrument_id) if v.published or not published_only]
        if not candidates:
            raise UnknownInstrument(f"{instrument_id} has no published version")
        return candidates[-1]

    def forms(self) -> list[InstrumentVersion]:
        return [v for v in self if v.kind is Kind.FORM]

    def score_rule(self, code: str) -> ScoreRule | None:
        """A score rule's newest definition across every version (codes keep their meaning)."""
        for version in sorted(self._versions.values(), key=lambda v: -v.version):
            for rule in version.scores:
                if rule.code == code:
                    return rule
        return None

    def find_item(self, code: str) -> Item | None:
        """An item's newest definition across every version (codes keep their meaning)."""
        for version in sorted(self._versions.values(), key=lambda v: -v.version):
            if version.has_item(code):
                return version.item(code)
        return None
