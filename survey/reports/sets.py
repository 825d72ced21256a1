"""Report sets: a programme's tables as data (`report_sets/*.yaml`), such as the evaluation
report's 19 tables. Each table names its kind, items, points, pairing, row order, layout and
title; `build_entry` builds one with any filters, `build_set` all of them. The page lists a set's
tables, the workbook has one sheet per table, and `survey report set NAME` writes them.

A definition is checked when the app starts, against the instruments: an unknown table kind,
item, layout or option stops the app with a message naming the file, the table and what is
wrong (as a broken instrument file does).

```yaml
id: evaluation
title: {da: ..., en: ...}
tables:
  - id: "4.6"
    title: {da: Omfanget af misbrugsproblemer ved opstarten af indsatsen, en: ...}
    table: distribution            # any table kind of `survey report`
    items: [staff.abuse_alcohol, staff.abuse_cannabis, staff.abuse_hard]
    layout: side                   # several items: side (next to each other) or stacked
    columns: {da: [Alkohol, Hash, Hårde stoffer], en: [Alcohol, Cannabis, Hard drugs]}
    points: [1]
    paired: form                   # form or item (distribution, who5, numeric)
    by: status                     # by and crosstab
    reverse: [health.mental]       # these items' answers in the opposite order
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from survey.instruments.registry import InstrumentRegistry
from survey.reports.filters import Filters, ReportError
from survey.reports.services import TABLES, ReportRequest, build

REPORT_SETS = "survey.report_sets"
"""The app's report sets (`app.extensions[REPORT_SETS]`), by id."""

LAYOUTS = ("stacked", "side")
OPTIONS = {
    "id",
    "title",
    "table",
    "item",
    "items",
    "layout",
    "columns",
    "label",
    "points",
    "paired",
    "by",
    "reverse",
}


class ReportSetError(ValueError):
    """A report set definition that cannot be used; the message names the file and table."""


@dataclass(frozen=True)
class Entry:
    """One table of a set."""

    id: str
    title: Mapping[str, str]
    table: str
    items: tuple[str, ...] = ()
    layout: str = "stacked"
    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    label: Mapping[str, str] = field(default_factory=dict)
    points: tuple[int, ...] | None = None
    paired: str | bool = False
    by: str | None = None
    reverse: frozenset[str] = frozenset()

    def name(self, lang: str) -> str:
        """ "4.6 Omfanget af misbrugsproblemer ved opstarten af indsatsen"."""
        return f"{self.id} {self.title.get(lang) or self.title.get('da', '')}".strip()


@dataclass(frozen=True)
class ReportSet:
    id: str
    title: Mapping[str, str]
    entries: tuple[Entry, ...]

    def entry(self, entry_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        known = ", ".join(e.id for e in self.entries)
        raise ReportError(
            f"the report set {self.id!r} has no table {entry_id!r} (known: {known})",
            "unknown_set_table",
            table=entry_id,
        )


def _texts(value: Any, where: str, what: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"da": value, "en": value}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ReportSetError(f"{where}: {what} must be a text or {{da: ..., en: ...}}")
    return dict(value)


def _entry(raw: Any, where: str, registry: InstrumentRegistry) -> Entry:
    if not isinstance(raw, dict):
        raise ReportSetError(f"{where}: a table must be a mapping with id, title and table")
    unknown = sorted(set(raw) - OPTIONS)
    if unknown:
        raise ReportSetError(f"{where}: unknown option {', '.join(unknown)}")
    entry_id = str(raw.get("id", "")).strip()
    if not entry_id:
        raise ReportSetError(f"{where}: a table needs an id")
    where = f"{where} (table {entry_id})"
    table = raw.get("table")
    if table not in TABLES:
        raise ReportSetError(f"{where}: table must be one of {', '.join(TABLES)}, not {table!r}")
    items = raw.get("items", [raw["item"]] if "item" in raw else [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ReportSetError(f"{where}: items must be a list of item codes")
    for code in items:
        if registry.find_item(code) is None:
            raise ReportSetError(f"{where}: unknown item code {code!r}")
    layout = raw.get("layout", "stacked")
    if layout not in LAYOUTS:
        raise ReportSetError(f"{where}: layout must be stacked or side, not {layout!r}")
    points = raw.get("points")
    if points is not None and (
        not isinstance(points, list)
        or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 1 for p in points)
    ):
        raise ReportSetError(f"{where}: points must be a list of whole numbers from 1")
    paired = raw.get("paired", False)
    if paired not in (False, "form", "item"):
        raise ReportSetError(f"{where}: paired must be form or item, not {paired!r}")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict) or any(
        not isinstance(v, list) or len(v) != len(items) for v in columns.values()
    ):
        raise ReportSetError(f"{where}: columns must give one name per item in each language")
    reverse = raw.get("reverse", [])
    if not isinstance(reverse, list) or not set(reverse) <= set(items):
        raise ReportSetError(f"{where}: reverse must list some of the table's items")
    return Entry(
        id=entry_id,
        title=_texts(raw.get("title", ""), where, "title"),
        table=table,
        items=tuple(items),
        layout=layout,
        columns={lang: tuple(names) for lang, names in columns.items()},
        label=_texts(raw["label"], where, "label") if "label" in raw else {},
        points=tuple(points) if points is not None else None,
        paired=paired,
        by=raw.get("by"),
        reverse=frozenset(reverse),
    )


def load_set(path: Path, registry: InstrumentRegistry) -> ReportSet:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ReportSetError(f"{path.name}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), list):
        raise ReportSetError(f"{path.name}: a report set needs an id, a title and tables")
    set_id = str(raw.get("id") or path.stem)
    entries = tuple(
        _entry(t, f"{path.name}, table {n}", registry) for n, t in enumerate(raw["tables"], 1)
    )
    ids = [e.id for e in entries]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ReportSetError(f"{path.name}: table id {', '.join(twice)} is used twice")
    return ReportSet(set_id, _texts(raw.get("title", set_id), path.name, "title"), entries)


def load_sets(directory: Path | str, registry: InstrumentRegistry) -> dict[str, ReportSet]:
    """Every report set below `directory` (`*.yaml`), by id; none without a folder ("")."""
    if not directory:
        return {}
    folder = Path(directory)
    sets: dict[str, ReportSet] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        report_set = load_set(path, registry)
        if report_set.id in sets:
            raise ReportSetError(f"{path.name}: the report set id {report_set.id!r} is used twice")
        sets[report_set.id] = report_set
    return sets


# --- building -----------------------------------------------------------------------------------


def _request(entry: Entry, item: str | None, filters: Filters, lang: str) -> ReportRequest:
    return ReportRequest(
        entry.table,
        item=item,
        by=entry.by,
        points=entry.points,
        paired=entry.paired,
        filters=filters,
        lang=lang,
    )


def _reversed(d: dict[str, Any]) -> dict[str, Any]:
    """A table's answers in the opposite order (the report lists "Dårligt" first in 4.2)."""
    if d["table"] == "distribution":
        return {**d, "rows": list(reversed(d["rows"]))}
    return d


def build_entry(
    session: Session,
    registry: InstrumentRegistry,
    entry: Entry,
    filters: Filters,
    lang: str = "da",
) -> dict[str, Any]:
    """The entry's table as a dict: the table itself for one item (or none), else a table of
    several items (`"table": "items"`) holding each item's table as a part."""
    if len(entry.items) <= 1:
        item = entry.items[0] if entry.items else None
        d = build(session, registry, _request(entry, item, filters, lang)).to_dict()
        return _reversed(d) if item in entry.reverse else d
    parts = []
    for code in entry.items:
        d = build(session, registry, _request(entry, code, filters, lang)).to_dict()
        parts.append(_reversed(d) if code in entry.reverse else d)
    names = entry.columns.get(lang) or entry.columns.get("da")
    return {
        "table": "items",
        "layout": entry.layout,
        "label": entry.label.get(lang, ""),
        "names": list(names) if names else None,
        "items": list(entry.items),
        "parts": parts,
    }


def build_set(
    session: Session,
    registry: InstrumentRegistry,
    report_set: ReportSet,
    filters: Filters,
    lang: str = "da",
) -> list[tuple[Entry, dict[str, Any]]]:
    """Every table of the set with `filters`."""
    return [(e, build_entry(session, registry, e, filters, lang)) for e in report_set.entries]
