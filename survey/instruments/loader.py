"""Instrument files → typed definitions: read, check, resolve includes, check the publish lock.

A pipeline of small steps (file → dict → checked definitions → registry); every refusal is an
`InstrumentError` naming the file, the item and the problem.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from survey.instruments.errors import InstrumentError, InstrumentErrors
from survey.instruments.registry import InstrumentRegistry
from survey.instruments.schema import (
    CHOICE_TYPES,
    LANGUAGES,
    TEXT_MAX_LENGTH,
    AnswerOption,
    Band,
    Condition,
    InstrumentVersion,
    Item,
    ItemType,
    Kind,
    Meaning,
    ReportGroup,
    ScoreRule,
    Section,
    Special,
    Text,
)
from survey.instruments.scoring import METHODS

LOCK_NAME = "published.lock"
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ITEM_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MODES_BY_RESPONDENT = {"citizen": ("self", "assisted"), "staff": ("staff",)}

TOP_FIELDS = {
    "instrument",
    "version",
    "kind",
    "title",
    "source",
    "terms",
    "answer_sets",
    "sections",
    "scores",
    "respondent",
    "modes",
    "description",
}
SECTION_FIELDS = {"id", "title", "stem", "items"}
INCLUDE_FIELDS = {"instrument", "version", "section"}
ITEM_FIELDS = {
    "code",
    "type",
    "text",
    "answers",
    "min",
    "max",
    "unit",
    "groups",
    "max_length",
    "baseline",
    "show_when",
    "required",
    "project_defined",
    "help",
}
OPTION_FIELDS = {"code", "da", "en", "special"}
SCORE_FIELDS = {
    "code",
    "title",
    "method",
    "items",
    "require",
    "multiply",
    "min",
    "max",
    "bands",
    "relevant_change",
}


@dataclass(frozen=True)
class _Include:
    instrument: str
    version: int
    section: str | None


@dataclass
class _Parsed:
    """One file after its own checks, before its includes are resolved."""

    raw: dict[str, Any]
    path: Path
    id: str
    version: int
    kind: Kind
    parts: list[Section | _Include]
    scores: tuple[ScoreRule, ...]
    digest: str


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def digest_of(raw: Mapping[str, Any]) -> str:
    """A digest of a file's content, blind to YAML layout and comments, not to any text."""
    canonical = json.dumps(
        raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _File:
    """Checks for one file; every error it raises names this file."""

    def __init__(self, path: Path, display: str):
        self.path = path
        self.display = display

    def fail(self, code: str, item: str | None = None, /, **params: object) -> InstrumentError:
        return InstrumentError(code, self.display, item, **params)

    def mapping(self, value: object, what: str, item: str | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail("E_BAD_VALUE", item, field=what, detail="must be a mapping")
        return value

    def fields(
        self,
        data: Mapping[str, Any],
        allowed: set[str],
        required: tuple[str, ...],
        item: str | None = None,
    ) -> None:
        for name in data:
            if name not in allowed:
                raise self.fail(
                    "E_UNKNOWN_FIELD", item, field=name, allowed=", ".join(sorted(allowed))
                )
        for name in required:
            if name not in data:
                raise self.fail("E_MISSING_FIELD", item, field=name)

    def text(self, value: object, what: str, item: str | None = None) -> Text:
        if isinstance(value, str) or not isinstance(value, dict):
            raise self.fail(
                "E_BAD_VALUE", item, field=what, detail="must be a mapping with 'da' and 'en' texts"
            )
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail("E_TEXT_MISSING_LANG", item, field=what, lang=lang)
        extra = set(value) - set(LANGUAGES)
        if extra:
            raise self.fail(
                "E_UNKNOWN_FIELD",
                item,
                field=f"{what}.{sorted(extra)[0]}",
                allowed=", ".join(LANGUAGES),
            )
        return Text(da=value["da"], en=value["en"])

    def integer(
        self, value: object, what: str, item: str | None = None, minimum: int | None = None
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail("E_BAD_VALUE", item, field=what, detail="must be a whole number")
        if minimum is not None and value < minimum:
            raise self.fail("E_BAD_VALUE", item, field=what, detail=f"must be at least {minimum}")
        return value

    def number(self, value: object, what: str, item: str | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail("E_BAD_VALUE", item, field=what, detail="must be a number")
        return value

    def flag(self, value: object, what: str, item: str | None = None) -> bool:
        if not isinstance(value, bool):
            raise self.fail("E_BAD_VALUE", item, field=what, detail="must be true or false")
        return value

    def string(self, value: object, what: str, item: str | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail("E_BAD_VALUE", item, field=what, detail="must be a non-empty text")
        return value


def _parse_options(f: _File, raw: object, what: str, item: str | None) -> tuple[AnswerOption, ...]:
    if not isinstance(raw, list) or not raw:
        raise f.fail("E_BAD_VALUE", item, field=what, detail="must be a non-empty list of answers")
    options: list[AnswerOption] = []
    seen: set[int] = set()
    for entry in raw:
        entry = f.mapping(entry, what, item)
        f.fields(entry, OPTION_FIELDS, ("code", "da", "en"), item)
        code = f.integer(entry["code"], f"{what}.code", item, minimum=0)
        if code in seen:
            raise f.fail("E_DUPLICATE_ANSWER_CODE", item, code=code)
        seen.add(code)
        label = f.text({"da": entry["da"], "en": entry["en"]}, f"answer {code}", item)
        special = None
        if "special" in entry:
            try:
                special = Special(entry["special"])
            except ValueError:
                raise f.fail(
                    "E_BAD_VALUE",
                    item,
                    field=f"answer {code} special",
                    detail=f"must be one of {', '.join(s.value for s in Special)}",
                ) from None
        options.append(AnswerOption(code=code, label=label, special=special))
    return tuple(options)


def _parse_item(
    f: _File,
    raw: object,
    answer_sets: Mapping[str, tuple[AnswerOption, ...]],
    origin: tuple[str, int],
) -> Item:
    data = f.mapping(raw, "item")
    code = data.get("code")
    if not isinstance(code, str) or not ITEM_CODE_RE.match(code):
        raise f.fail("E_BAD_ITEM_CODE", None, code=code)
    f.fields(data, ITEM_FIELDS, ("code", "type", "text"), code)
    try:
        type_ = ItemType(data["type"])
    except ValueError:
        raise f.fail(
            "E_UNKNOWN_TYPE", code, type=data["type"], allowed=", ".join(t.value for t in ItemType)
        ) from None
    text = f.text(data["text"], "text", code)

    answers: tuple[AnswerOption, ...] = ()
    if type_ in CHOICE_TYPES:
        if "answers" not in data:
            raise f.fail("E_ANSWERS_MISSING", code, type=type_.value)
        ref = data["answers"]
        if isinstance(ref, str):
            if ref not in answer_sets:
                raise f.fail("E_UNKNOWN_ANSWER_SET", code, name=ref)
            answers = answer_sets[ref]
        else:
            answers = _parse_options(f, ref, "answers", code)
    elif "answers" in data:
        raise f.fail("E_ANSWERS_NOT_ALLOWED", code, type=type_.value)

    for name in ("min", "max", "unit", "groups"):
        if name in data and type_ is not ItemType.INTEGER:
            raise f.fail("E_BAD_VALUE", code, field=name, detail="applies to integer items only")
    if "max_length" in data and type_ is not ItemType.TEXT:
        raise f.fail("E_BAD_VALUE", code, field="max_length", detail="applies to text items only")

    minimum = maximum = None
    groups: tuple[ReportGroup, ...] = ()
    if type_ is ItemType.INTEGER:
        if "min" not in data or "max" not in data:
            raise f.fail("E_RANGE_MISSING", code)
        minimum, maximum = f.integer(data["min"], "min", code), f.integer(data["max"], "max", code)
        if minimum > maximum:
            raise f.fail("E_RANGE_INVERTED", code, min=minimum, max=maximum)
        groups = tuple(_parse_group(f, g, code) for g in data.get("groups") or ())

    show_when = None
    if "show_when" in data:
        cond = f.mapping(data["show_when"], "show_when", code)
        f.fields(cond, {"item", "in"}, ("item", "in"), code)
        values = cond["in"]
        if not isinstance(values, list) or not values:
            raise f.fail(
                "E_BAD_VALUE",
                code,
                field="show_when.in",
                detail="must be a non-empty list of answer codes",
            )
        show_when = Condition(
            item=f.string(cond["item"], "show_when.item", code),
            values=tuple(f.integer(v, "show_when.in", code) for v in values),
        )

    def optional_text(name: str) -> Text | None:
        return f.text(data[name], name, code) if name in data else None

    return Item(
        code=code,
        type=type_,
        text=text,
        answers=answers,
        min=minimum,
        max=maximum,
        unit=optional_text("unit"),
        groups=groups,
        max_length=f.integer(data["max_length"], "max_length", code, minimum=1)
        if "max_length" in data
        else (TEXT_MAX_LENGTH if type_ is ItemType.TEXT else None),
        baseline=f.flag(data.get("baseline", False), "baseline", code),
        show_when=show_when,
        required=f.flag(data.get("required", False), "required", code),
        project_defined=f.flag(data.get("project_defined", False), "project_defined", code),
        help=optional_text("help"),
        origin=origin,
    )


def _parse_group(f: _File, raw: object, code: str) -> ReportGroup:
    data = f.mapping(raw, "groups", code)
    f.fields(data, {"min", "max", "da", "en"}, ("min", "da", "en"), code)
    low = f.integer(data["min"], "groups.min", code)
    high = f.integer(data["max"], "groups.max", code) if "max" in data else None
    if high is not None and low > high:
        raise f.fail("E_RANGE_INVERTED", code, min=low, max=high)
    return ReportGroup(
        label=f.text({"da": data["da"], "en": data["en"]}, "group", code), min=low, max=high
    )


def _parse_score(f: _File, raw: object, items: Mapping[str, Item]) -> ScoreRule:
    data = f.mapping(raw, "scores")
    code = f.string(data.get("code"), "scores.code")
    f.fields(data, SCORE_FIELDS, ("code", "title", "method", "items"), code)
    if data["method"] not in METHODS:
        raise f.fail(
            "E_SCORE_METHOD",
            code,
            score=code,
            method=data["method"],
            allowed=", ".join(METHODS),
        )
    codes = data["items"]
    if not isinstance(codes, list) or not codes:
        raise f.fail("E_BAD_VALUE", code, field="items", detail="must list the scored items")
    for item_code in codes:
        if item_code not in items:
            raise f.fail("E_SCORE_UNKNOWN_ITEM", code, score=code, item=item_code)
        if items[item_code].type is not ItemType.SINGLE_CHOICE:
            raise f.fail("E_SCORE_NOT_CHOICE", code, score=code, item=item_code)
    if data.get("require", "all") != "all":
        raise f.fail("E_BAD_VALUE", code, field="require", detail="must be 'all'")
    bands = []
    for band in data.get("bands") or ():
        band = f.mapping(band, "bands", code)
        f.fields(band, {"code", "max", "da", "en"}, ("code", "max", "da", "en"), code)
        bands.append(
            Band(
                code=f.string(band["code"], "bands.code", code),
                max=f.number(band["max"], "bands.max", code),
                label=f.text({"da": band["da"], "en": band["en"]}, "band", code),
            )
        )
    bands.sort(key=lambda b: b.max)

    def optional_number(name: str) -> float | None:
        return f.number(data[name], name, code) if name in data else None

    return ScoreRule(
        code=code,
        title=f.text(data["title"], "title", code),
        method=data["method"],
        items=tuple(codes),
        require="all",
        multiply=f.number(data.get("multiply", 1), "multiply", code),
        min=optional_number("min"),
        max=optional_number("max"),
        bands=tuple(bands),
        relevant_change=optional_number("relevant_change"),
    )


def parse_file(path: Path, display: str) -> _Parsed:
    """Step 1: one file on its own — structure, texts, items, answer codes, ranges, scores."""
    f = _File(path, display)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    except UnicodeDecodeError as exc:
        raise f.fail("E_ENCODING", detail=f"byte {exc.start}") from None
    except yaml.YAMLError as exc:
        raise f.fail("E_YAML", detail=str(exc).replace("\n", " ")) from None
    if not isinstance(raw, dict):
        raise f.fail("E_NOT_MAPPING")
    data: dict[str, Any] = raw
    f.fields(
        data, TOP_FIELDS, ("instrument", "version", "kind", "title", "source", "terms", "sections")
    )
    instrument_id = f.string(data["instrument"], "instrument")
    if not ID_RE.match(instrument_id):
        raise f.fail(
            "E_BAD_VALUE", field="instrument", detail="must be lower case letters, digits and _"
        )
    version = f.integer(data["version"], "version", minimum=1)
    if path.parent.name != instrument_id:
        raise f.fail("E_ID_MISMATCH", field="instrument", value=instrument_id, path=display)
    if path.stem != str(version):
        raise f.fail("E_ID_MISMATCH", field="version", value=version, path=display)
    try:
        kind = Kind(data["kind"])
    except ValueError:
        raise f.fail("E_BAD_VALUE", field="kind", detail="must be 'instrument' or 'form'") from None
    f.text(data["title"], "title")
    f.string(data["source"], "source")
    f.string(data["terms"], "terms")
    if kind is Kind.FORM:
        respondent = data.get("respondent")
        if respondent not in MODES_BY_RESPONDENT:
            raise f.fail(
                "E_BAD_VALUE",
                field="respondent",
                detail=f"must be one of {', '.join(MODES_BY_RESPONDENT)}",
            )
        modes = data.get("modes")
        allowed = MODES_BY_RESPONDENT[respondent]
        if not isinstance(modes, list) or not modes or any(m not in allowed for m in modes):
            raise f.fail(
                "E_BAD_VALUE", field="modes", detail=f"must list modes from {', '.join(allowed)}"
            )
    else:
        for name in ("respondent", "modes"):
            if name in data:
                raise f.fail("E_BAD_VALUE", field=name, detail="applies to forms only")

    answer_sets: dict[str, tuple[AnswerOption, ...]] = {}
    for name, options in f.mapping(data.get("answer_sets") or {}, "answer_sets").items():
        answer_sets[name] = _parse_options(f, options, f"answer_sets.{name}", None)

    origin = (instrument_id, version)
    parts: list[Section | _Include] = []
    items: dict[str, Item] = {}
    section_ids: set[str] = set()
    if not isinstance(data["sections"], list) or not data["sections"]:
        raise f.fail("E_BAD_VALUE", field="sections", detail="must be a non-empty list")
    for raw_section in data["sections"]:
        section = f.mapping(raw_section, "sections")
        if "include" in section:
            if kind is not Kind.FORM:
                raise f.fail("E_INCLUDE_IN_INSTRUMENT")
            f.fields(section, {"include"}, ("include",))
            inc = f.mapping(section["include"], "include")
            f.fields(inc, INCLUDE_FIELDS, ("instrument", "version"))
            parts.append(
                _Include(
                    instrument=f.string(inc["instrument"], "include.instrument"),
                    version=f.integer(inc["version"], "include.version", minimum=1),
                    section=f.string(inc["section"], "include.section")
                    if "section" in inc
                    else None,
                )
            )
            continue
        f.fields(section, SECTION_FIELDS, ("id", "title", "items"))
        section_id = f.string(section["id"], "sections.id")
        if section_id in section_ids:
            raise f.fail("E_DUPLICATE_SECTION", section=section_id)
        section_ids.add(section_id)
        if not isinstance(section["items"], list) or not section["items"]:
            raise f.fail(
                "E_BAD_VALUE",
                field=f"section {section_id} items",
                detail="must be a non-empty list",
            )
        section_items = []
        for raw_item in section["items"]:
            item = _parse_item(f, raw_item, answer_sets, origin)
            if item.code in items:
                raise f.fail("E_DUPLICATE_ITEM", item.code, other=display)
            items[item.code] = item
            section_items.append(item)
        parts.append(
            Section(
                id=section_id,
                title=f.text(section["title"], f"section {section_id} title"),
                stem=f.text(section["stem"], f"section {section_id} stem")
                if "stem" in section
                else None,
                items=tuple(section_items),
                origin=origin,
            )
        )
    scores = tuple(_parse_score(f, s, items) for s in data.get("scores") or ())
    return _Parsed(
        raw=data,
        path=path,
        id=instrument_id,
        version=version,
        kind=kind,
        parts=parts,
        scores=scores,
        digest=digest_of(data),
    )


def _check_conditions(f: _File, sections: tuple[Section, ...]) -> None:
    seen: dict[str, Item] = {}
    every = {item.code: item for section in sections for item in section.items}
    for section in sections:
        for item in section.items:
            cond = item.show_when
            if cond is not None:
                if cond.item not in every:
                    raise f.fail("E_CONDITION_UNKNOWN_ITEM", item.code, item=cond.item)
                if cond.item not in seen:
                    raise f.fail("E_CONDITION_NOT_EARLIER", item.code, item=cond.item)
                target = seen[cond.item]
                if not target.is_choice:
                    raise f.fail("E_CONDITION_NOT_CHOICE", item.code, item=cond.item)
                for code in cond.values:
                    if target.option(code) is None:
                        raise f.fail(
                            "E_CONDITION_UNKNOWN_CODE", item.code, code=code, item=cond.item
                        )
            seen[item.code] = item


def _resolve(
    parsed: _Parsed,
    display: str,
    done: Mapping[tuple[str, int], InstrumentVersion],
    published: bool,
) -> InstrumentVersion:
    """Step 2: expand includes into the pinned sections, then check the whole form."""
    f = _File(parsed.path, display)
    sections: list[Section] = []
    scores = list(parsed.scores)
    includes: list[tuple[str, int]] = []
    owner: dict[str, str] = {}
    for part in parsed.parts:
        if isinstance(part, Section):
            chosen = [part]
        else:
            key = (part.instrument, part.version)
            if key not in done:
                raise f.fail("E_INCLUDE_UNKNOWN", instrument=part.instrument, version=part.version)
            target = done[key]
            if target.kind is Kind.FORM:
                raise f.fail("E_INCLUDE_FORM", instrument=part.instrument, version=part.version)
            if published and not target.published:
                raise f.fail("E_INCLUDE_DRAFT", instrument=part.instrument, version=part.version)
            chosen = [s for s in target.sections if part.section in (None, s.id)]
            if not chosen:
                raise f.fail(
                    "E_INCLUDE_UNKNOWN_SECTION",
                    section=part.section,
                    instrument=part.instrument,
                    version=part.version,
                )
            if key not in includes:
                includes.append(key)
                scores.extend(target.scores)
        for section in chosen:
            for item in section.items:
                if item.code in owner:
                    raise f.fail("E_DUPLICATE_ITEM", item.code, other=owner[item.code])
                owner[item.code] = f"{section.origin[0]} v{section.origin[1]}"
            sections.append(section)
    _check_conditions(f, tuple(sections))
    codes = set(owner)
    title = f.text(parsed.raw["title"], "title")
    return InstrumentVersion(
        id=parsed.id,
        version=parsed.version,
        kind=parsed.kind,
        title=title,
        source=parsed.raw["source"],
        terms=parsed.raw["terms"],
        sections=tuple(sections),
        scores=tuple(s for s in scores if set(s.items) <= codes),
        includes=tuple(includes),
        respondent=parsed.raw.get("respondent"),
        modes=tuple(parsed.raw.get("modes") or ()),
        path=display,
        digest=parsed.digest,
        published=published,
    )


def read_lock(directory: Path) -> dict[tuple[str, int], str]:
    """The published versions and their digests, from `published.lock`."""
    path = directory / LOCK_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            (iid, int(v)): d
            for iid, versions in data["published"].items()
            for v, d in versions.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InstrumentError("E_LOCK_INVALID", path, detail=str(exc)) from None


def write_lock(directory: Path, lock: Mapping[tuple[str, int], str]) -> None:
    published: dict[str, dict[str, str]] = {}
    for (iid, version), digest in sorted(lock.items()):
        published.setdefault(iid, {})[str(version)] = digest
    text = json.dumps({"format": 1, "published": published}, indent=2, sort_keys=True)
    (directory / LOCK_NAME).write_text(text + "\n", encoding="utf-8")


def _display(path: Path, directory: Path) -> str:
    return f"{directory.name}/{path.relative_to(directory).as_posix()}"


def load_registry(directory: Path | str, *, check_lock: bool = True) -> InstrumentRegistry:
    """Load and check every instrument file below `directory`; raise with every problem found."""
    directory = Path(directory)
    errors: list[InstrumentError] = []
    parsed: dict[tuple[str, int], _Parsed] = {}
    displays: dict[tuple[str, int], str] = {}
    for path in sorted(directory.glob("*/*.yaml")) + sorted(directory.glob("*/*.yml")):
        display = _display(path, directory)
        try:
            p = parse_file(path, display)
        except InstrumentError as exc:
            errors.append(exc)
            continue
        parsed[(p.id, p.version)] = p
        displays[(p.id, p.version)] = display
    try:
        lock = read_lock(directory)
    except InstrumentError as exc:
        errors.append(exc)
        lock = {}

    if check_lock:
        for key, locked in sorted(lock.items()):
            if key in parsed and parsed[key].digest != locked:
                errors.append(
                    InstrumentError(
                        "E_FROZEN",
                        displays[key],
                        actual=parsed[key].digest[:19],
                        locked=locked[:19],
                    )
                )
            elif key not in parsed and not any(
                e.path.startswith(f"{directory.name}/{key[0]}/") for e in errors
            ):
                errors.append(
                    InstrumentError(
                        "E_LOCKED_MISSING",
                        f"{directory.name}/{key[0]}/{key[1]}.yaml",
                        lock=LOCK_NAME,
                    )
                )

    done: dict[tuple[str, int], InstrumentVersion] = {}
    # Instruments first, then forms: a form may include only instruments.
    order = sorted(parsed, key=lambda k: (parsed[k].kind is Kind.FORM, k))
    for key in order:
        try:
            done[key] = _resolve(parsed[key], displays[key], done, key in lock)
        except InstrumentError as exc:
            errors.append(exc)

    meaning: dict[str, tuple[Meaning, str]] = {}
    for key in sorted(done, key=lambda k: (k[1], k[0])):
        version = done[key]
        for item in version.items:
            if item.origin != (version.id, version.version):
                continue
            sig = item.meaning()
            if item.code in meaning and meaning[item.code][0] != sig:
                errors.append(
                    InstrumentError(
                        "E_CODE_CHANGED_MEANING",
                        version.path,
                        item.code,
                        item=item.code,
                        other=meaning[item.code][1],
                        detail=f"was {_describe(meaning[item.code][0])}, now {_describe(sig)}",
                    )
                )
            meaning.setdefault(item.code, (sig, done[key].path))
    if errors:
        raise InstrumentErrors(errors)
    return InstrumentRegistry(done.values(), directory=directory)


def _describe(sig: Meaning) -> str:
    type_, codes, low, high = sig
    if codes:
        shown = [f"{code} ({special})" if special else code for code, special in codes]
        return f"{type_} with codes {shown}"
    if low is not None:
        return f"{type_} {low}–{high}"
    return str(type_)


def publish(directory: Path | str, instrument_id: str, version: int) -> str:
    """Record a version as published: its digest goes into the lock, and it is frozen from now."""
    directory = Path(directory)
    registry = load_registry(directory)
    definition = registry.get(instrument_id, version)
    lock = read_lock(directory)
    if (instrument_id, version) in lock:
        return lock[(instrument_id, version)]
    for included in definition.includes:
        if included not in lock:
            raise InstrumentError(
                "E_INCLUDE_DRAFT", definition.path, instrument=included[0], version=included[1]
            )
    lock[(instrument_id, version)] = definition.digest
    write_lock(directory, lock)
    return definition.digest
