"""The columns of the wide export and the codebook that explains them, from one list, so the two
always agree: every column's meaning, codes with Danish and English labels, missing values and
scoring rules, written as CSV, XLSX or Markdown."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from openpyxl import Workbook

from survey.instruments import InstrumentRegistry
from survey.instruments.schema import Item, ScoreRule, Text
from survey.instruments.types import ITEM_TYPES
from survey.interop.csvio import guard, spreadsheet_row
from survey.models import STATUS_REASONS, CourseStatus, Mode

CODEBOOK_COLUMNS = (
    "variable",
    "form",
    "versions",
    "type",
    "question_da",
    "question_en",
    "code",
    "label_da",
    "label_en",
    "special",
    "min",
    "max",
    "unit_da",
    "unit_en",
    "asked_when",
    "baseline_only",
    "scoring",
)
UNANSWERED = Text("(tom celle: ikke besvaret)", "(empty cell: not answered)")
MISSING_NOTE = Text(
    "Ikke besvaret er en tom celle. »Ved ikke« (special dont_know) og »Vil ikke svare« (special "
    "refused) er svar med deres egen kode; de indgår aldrig i scorer eller gennemsnit.",
    "Not answered is an empty cell. 'Ved ikke' (don't know, special dont_know) and 'prefer not to "
    "say' (special refused) are answers with their own code; they never enter scores or means.",
)


@dataclass(frozen=True)
class Code:
    code: str
    label: Text
    special: str = ""


@dataclass(frozen=True)
class Variable:
    """One column of the wide export."""

    name: str
    type: str
    text: Text
    form: str = ""
    versions: tuple[int, ...] = ()
    item: Item | None = None
    rule: ScoreRule | None = None
    codes: tuple[Code, ...] = ()


def _status_codes() -> tuple[Code, ...]:
    names = {
        "active": Text("Aktiv", "Active"),
        "ended_planned": Text("Afsluttet som planlagt", "Ended as planned"),
        "ended_unplanned": Text("Afsluttet uplanlagt", "Ended unplanned"),
    }
    return tuple(Code(s.value, names[s.value]) for s in CourseStatus)


def _reason_codes() -> tuple[Code, ...]:
    reasons = {code for codes in STATUS_REASONS.values() for code in codes}
    return tuple(Code(code, Text(code, code)) for code in sorted(reasons))


MODE_NAMES = {
    "self": Text("Borgeren alene", "Citizen alone"),
    "assisted": Text("Læst op af konsulenten", "Read aloud by the consultant"),
    "staff": Text("Konsulenten", "Consultant"),
}

CITIZEN_VARIABLES = (
    Variable("citizen", "reference", Text("Borgerens (pseudonyme) reference", "Citizen reference")),
    Variable("point", "integer", Text("Målepunkt (1 = start)", "Measurement point (1 = start)")),
    Variable("enrolled_on", "date", Text("Indskrevet", "Enrolled on")),
    Variable("team", "text", Text("Team", "Team")),
    Variable("status", "code", Text("Forløbsstatus", "Course status"), codes=_status_codes()),
    Variable(
        "status_reason",
        "code",
        Text("Årsag til afslutning", "Reason the course ended"),
        codes=_reason_codes(),
    ),
    Variable("ended_on", "date", Text("Afsluttet", "Ended on")),
)


def wide_variables(registry: InstrumentRegistry) -> list[Variable]:
    """The wide export's columns in order: the citizen's, then per form its version, mode and
    date, its items (named by item code, prefixed `form:` only when two forms share a code)
    and its scores."""
    forms = sorted({v.id for v in registry.forms() if v.published})
    item_forms: dict[str, set[str]] = {}
    for definition in registry.forms():
        for code in definition.item_codes:
            item_forms.setdefault(code, set()).add(definition.id)
    variables = list(CITIZEN_VARIABLES)
    for form in forms:
        versions = [v for v in registry.versions(form) if v.published]
        numbers = tuple(v.version for v in versions)
        variables += [
            Variable(
                f"{form}.version", "integer", Text("Skemaversion", "Form version"), form, numbers
            ),
            Variable(
                f"{form}.mode",
                "code",
                Text("Udfyldt af", "Filled in by"),
                form,
                numbers,
                codes=tuple(
                    Code(m.value, MODE_NAMES[m.value])
                    for m in Mode
                    if any(m.value in v.modes for v in versions)
                ),
            ),
            Variable(
                f"{form}.administered_on",
                "date",
                Text("Udfyldt dato", "Date filled in"),
                form,
                numbers,
            ),
        ]
        seen: dict[str, Variable] = {}
        rules: dict[str, Variable] = {}
        for definition in versions:
            for item in definition.items:
                name = item.code if len(item_forms[item.code]) == 1 else f"{form}:{item.code}"
                had = seen.get(name)
                seen[name] = _item_variable(
                    name, form, item, (had.versions if had else ()) + (definition.version,)
                )
            for rule in definition.scores:
                had = rules.get(rule.code)
                rules[rule.code] = Variable(
                    rule.code,
                    "score",
                    rule.title,
                    form,
                    (had.versions if had else ()) + (definition.version,),
                    rule=rule,
                )
        variables += [*seen.values(), *rules.values()]
    return variables


def _item_variable(name: str, form: str, item: Item, versions: tuple[int, ...]) -> Variable:
    codes = tuple(
        Code(str(o.code), o.label, o.special.value if o.special else "") for o in item.answers
    )
    return Variable(name, item.type.value, item.text, form, versions, item=item, codes=codes)


def describe_rule(rule: ScoreRule) -> str:
    """A scoring rule in words (English, as the rest of the technical columns)."""
    scale = f" × {rule.multiply:g}" if rule.multiply != 1 else ""
    bounds = (
        f" ({rule.min:g}–{rule.max:g})" if rule.min is not None and rule.max is not None else ""
    )
    text = (
        f"{rule.method} of {', '.join(rule.items)}{scale}{bounds}; needs {rule.require} items "
        "answered with a scored code: empty when one is unanswered, 'Ved ikke' or refused"
    )
    if rule.bands:
        text += "; bands: " + ", ".join(f"≤ {b.max:g} {b.code}" for b in rule.bands)
    if rule.relevant_change is not None:
        text += f"; a change of {rule.relevant_change:g} or more is clinically relevant"
    return text


def rows(registry: InstrumentRegistry) -> Iterator[dict[str, object]]:
    """One row per variable and answer code, plus an "unanswered" row per item; a variable
    without codes has one row."""
    for variable in wide_variables(registry):
        item = variable.item
        base: dict[str, object] = {
            "variable": variable.name,
            "form": variable.form,
            "versions": ",".join(str(v) for v in variable.versions),
            "type": variable.type,
            "question_da": variable.text.da,
            "question_en": variable.text.en,
        }
        if item is not None:
            base.update(
                min=item.min if item.min is not None else "",
                max=item.max if item.max is not None else "",
                unit_da=item.unit.da if item.unit else "",
                unit_en=item.unit.en if item.unit else "",
                asked_when=(
                    f"{item.show_when.item} in {' or '.join(str(v) for v in item.show_when.values)}"
                    if item.show_when
                    else ""
                ),
                baseline_only="yes" if item.baseline else "",
            )
            separator = ITEM_TYPES[item.type].codebook(item).separator
            if separator is not None:
                base["scoring"] = f"several codes separated by '{separator}'"
        if variable.rule is not None:
            base["scoring"] = describe_rule(variable.rule)
        for code in variable.codes:
            yield {
                **base,
                "code": code.code,
                "label_da": code.label.da,
                "label_en": code.label.en,
                "special": code.special,
            }
        if not variable.codes:
            yield base
        if item is not None:
            yield {
                **base,
                "label_da": UNANSWERED.da,
                "label_en": UNANSWERED.en,
                "special": "unanswered",
            }


def write_csv(registry: InstrumentRegistry, out: IO[str], delimiter: str = ",") -> int:
    """The codebook rows as CSV, every text guarded against being run as a formula."""
    writer = csv.DictWriter(
        out, CODEBOOK_COLUMNS, restval="", delimiter=delimiter, lineterminator="\r\n"
    )
    writer.writeheader()
    count = 0
    for row in rows(registry):
        writer.writerow({k: guard(v) if isinstance(v, str) else v for k, v in row.items()})
        count += 1
    return count


def write_xlsx(registry: InstrumentRegistry, out: IO[bytes]) -> int:
    """A "codebook" sheet (the CSV's rows) and a "notes" sheet on missing values; texts are
    text cells, never formulas."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("codebook")
    sheet.append(list(CODEBOOK_COLUMNS))
    count = 0
    for row in rows(registry):
        sheet.append(spreadsheet_row(sheet, [row.get(column, "") for column in CODEBOOK_COLUMNS]))
        count += 1
    notes = book.create_sheet("notes")
    notes.append(spreadsheet_row(notes, ["da", MISSING_NOTE.da]))
    notes.append(spreadsheet_row(notes, ["en", MISSING_NOTE.en]))
    book.save(out)
    return count


def write_markdown(registry: InstrumentRegistry, out: IO[str]) -> int:
    """A readable codebook: one block per variable with its codes as a table."""
    out.write("# Codebook / Kodebog\n\n")
    out.write(f"{MISSING_NOTE.en}\n\n{MISSING_NOTE.da}\n")
    count = 0
    form = None
    for variable in wide_variables(registry):
        if variable.form != form:
            form = variable.form
            out.write(f"\n## {form or 'citizen record'}\n")
        count += 1
        versions = ", ".join(str(v) for v in variable.versions)
        out.write(f"\n### `{variable.name}` ({variable.type})\n\n")
        out.write(f"- da: {variable.text.da}\n- en: {variable.text.en}\n")
        if versions:
            out.write(f"- versions: {versions}\n")
        item = variable.item
        if item is not None:
            facts = ITEM_TYPES[item.type].codebook(item)
            if facts.ranged:
                unit = f" {item.unit.en}" if item.unit else ""
                out.write(f"- range: {item.min}–{item.max}{unit}\n")
            if item.show_when:
                values = " or ".join(str(v) for v in item.show_when.values)
                out.write(f"- asked when: `{item.show_when.item}` is {values}\n")
            if item.baseline:
                out.write("- asked only at point 1 (baseline)\n")
            if facts.separator is not None:
                out.write(f"- several codes separated by `{facts.separator}`\n")
            out.write("- not answered: empty cell\n")
        if variable.rule is not None:
            out.write(f"- scoring: {describe_rule(variable.rule)}\n")
        if variable.codes:
            out.write("\n| code | da | en | special |\n|---|---|---|---|\n")
            for code in variable.codes:
                out.write(f"| {code.code} | {code.label.da} | {code.label.en} | {code.special} |\n")
    return count
