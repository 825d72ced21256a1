"""FHIR R4 output: instrument versions as Questionnaires, submitted responses as
QuestionnaireResponses, one collection Bundle per form version (see docs/fhir.md).

The resources are JSON-ready dicts built by pure functions; `write_bundles` validates each one
with fhir.resources (R4B models, which match R4 for every element used here) before writing it,
so an export never holds a resource that does not parse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError
from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from survey import answers as answer_rows
from survey.instruments.registry import InstrumentRegistry
from survey.instruments.schema import (
    AnswerOption,
    AnswerValue,
    InstrumentVersion,
    Item,
    Section,
    Text,
)
from survey.instruments.types import ITEM_TYPES
from survey.interop.pseudonyms import Pseudonyms
from survey.models import Citizen, Response, ResponseStatus

Resource = dict[str, Any]

# Canonical URLs identify our definitions; they need not resolve. example.org is reserved
# (RFC 2606), so no one else's name is used; a deployment that publishes its Questionnaires
# would put its own base here.
CANONICAL_BASE = "https://survey.example.org/fhir"
PSEUDONYM_SYSTEM = f"{CANONICAL_BASE}/NamingSystem/citizen-pseudonym"
REFERENCE_SYSTEM = f"{CANONICAL_BASE}/NamingSystem/citizen-reference"
MODE_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/administration-mode"
POINT_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/measurement-point"
BASELINE_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/baseline-only"

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
SNOMED = "http://snomed.info/sct"

# The SNOMED CT codes of KL's WHO-5 Questionnaire (hl7dk/KL-dk-tools,
# input/fsh/KLToolsCareWHO5.fsh at 0d33c75, 2023-08-11). The source gives the first two items
# the same code, 285854004 |Emotion (observable entity)|. For item 4 KL's Observation profile
# KLToolsWHO5ObservationRested4 uses 363817001 |Sleep related observable| instead of the
# Questionnaire's 404949004; we build no Observations, so only the Questionnaire's code is used.
# docs/fhir.md tells how these codes changed in the source.
WHO5_INSTRUMENT = "who5"
WHO5_QUESTIONNAIRE_CODE = "1144665009"
WHO5_ITEM_CODES = {
    "who5.1": "285854004",
    "who5.2": "285854004",
    "who5.3": "406202006",
    "who5.4": "404949004",
    "who5.5": "247752005",
}

RESPONSES_PER_CHUNK = 500


class ResponseFacts(Protocol):
    """What a QuestionnaireResponse needs of a response: a `Response` or a row of its columns."""

    point: int
    administered_on: date
    mode: str


# --- Questionnaire ----------------------------------------------------------------------------


def canonical_url(definition: InstrumentVersion) -> str:
    """One URL per instrument; versions are told apart by `Questionnaire.version`."""
    return f"{CANONICAL_BASE}/Questionnaire/{definition.id}"


def canonical_reference(definition: InstrumentVersion) -> str:
    """`url|version`: what a QuestionnaireResponse names as its questionnaire."""
    return f"{canonical_url(definition)}|{definition.version}"


def answer_system(item_code: str) -> str:
    """One code system per item code: codes keep their meaning wherever an item code appears
    (the loader checks this), so WHO-5 answers from the citizen form and from the WHO-5
    instrument are in the same system and can be compared."""
    return f"{CANONICAL_BASE}/CodeSystem/{item_code}"


def questionnaire(definition: InstrumentVersion) -> Resource:
    """The instrument or form version as a Questionnaire: one group item per section."""
    scored = {code for rule in definition.scores for code in rule.items}
    resource: Resource = {
        "resourceType": "Questionnaire",
        "id": f"{definition.id}-v{definition.version}",
        "language": "da",
        "url": canonical_url(definition),
        "version": str(definition.version),
        "title": definition.title.da,
        "_title": _translated(definition.title),
        "status": "active" if definition.published else "draft",
        "subjectType": ["Patient"],
        "description": definition.source,
        "copyright": definition.terms,
    }
    if definition.id == WHO5_INSTRUMENT:
        resource["code"] = [{"system": SNOMED, "code": WHO5_QUESTIONNAIRE_CODE}]
    resource["item"] = [_group(definition, section, scored) for section in definition.sections]
    return resource


def _group(definition: InstrumentVersion, section: Section, scored: set[str]) -> Resource:
    group: Resource = {
        "linkId": section.id,
        "type": "group",
        "text": section.title.da,
        "_text": _translated(section.title),
    }
    if set(WHO5_ITEM_CODES) <= {item.code for item in section.items}:
        # The WHO-5 included in a form: the group is the whole index, so it carries its code.
        group["code"] = [{"system": SNOMED, "code": WHO5_QUESTIONNAIRE_CODE}]
    children: list[Resource] = []
    if section.stem is not None:
        children.append(_display(f"{section.id}:stem", section.stem))
    children.extend(_question(definition, item, item.code in scored) for item in section.items)
    group["item"] = children
    return group


def _question(definition: InstrumentVersion, item: Item, scored: bool) -> Resource:
    shape = ITEM_TYPES[item.type].fhir_question(item)
    question: Resource = {
        "linkId": item.code,
        "type": shape.type,
        "text": item.text.da,
        "_text": _translated(item.text),
    }
    extensions: list[Resource] = []
    if item.code in WHO5_ITEM_CODES:
        question["code"] = [{"system": SNOMED, "code": WHO5_ITEM_CODES[item.code]}]
    if item.required:
        question["required"] = True
    if shape.repeats:
        question["repeats"] = True
    if shape.options:
        question["answerOption"] = [_option(item.code, o, scored) for o in item.answers]
    if shape.min is not None:
        extensions.append({"url": MIN_VALUE, "valueInteger": shape.min})
    if shape.max is not None:
        extensions.append({"url": MAX_VALUE, "valueInteger": shape.max})
    if shape.unit is not None:
        extensions.append({"url": UNIT, "valueCoding": {"display": shape.unit.da}})
    if shape.max_length is not None:
        question["maxLength"] = shape.max_length
    if item.baseline:
        extensions.append({"url": BASELINE_EXTENSION, "valueBoolean": True})
    if item.show_when is not None:
        condition = item.show_when
        question["enableWhen"] = [
            {
                "question": condition.item,
                "operator": "=",
                "answerCoding": {"system": answer_system(condition.item), "code": str(value)},
            }
            for value in condition.values
        ]
        if len(condition.values) > 1:
            question["enableBehavior"] = "any"
    if item.help is not None:
        help_item = _display(f"{item.code}:help", item.help)
        help_item["extension"] = [
            {
                "url": ITEM_CONTROL,
                "valueCodeableConcept": {
                    "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help"}]
                },
            }
        ]
        question["item"] = [help_item]
    if extensions:
        question["extension"] = extensions
    return question


def _option(item_code: str, option: AnswerOption, scored: bool) -> Resource:
    """An answer option; in a scored item (one a score rule sums, e.g. WHO-5) the raw weight is
    the answer code itself, before the rule multiplies the sum. "Ved ikke"-like answers never
    enter a score, so they get no weight."""
    entry: Resource = {
        "valueCoding": {
            "system": answer_system(item_code),
            "code": str(option.code),
            "display": option.label.da,
            "_display": _translated(option.label),
        }
    }
    if scored and option.scored:
        entry["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.code}]
    return entry


def _display(link_id: str, text: Text) -> Resource:
    return {"linkId": link_id, "type": "display", "text": text.da, "_text": _translated(text)}


def _translated(text: Text) -> Resource:
    """The English text beside the Danish one, in the standard translation extension."""
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [
                    {"url": "lang", "valueCode": "en"},
                    {"url": "content", "valueString": text.en},
                ],
            }
        ]
    }


# --- QuestionnaireResponse --------------------------------------------------------------------


def questionnaire_response(
    definition: InstrumentVersion,
    response_row: ResponseFacts,
    answers: dict[str, AnswerValue],
    subject: str,
    *,
    subject_system: str = PSEUDONYM_SYSTEM,
) -> Resource:
    """A submitted response: its answers nested under the same groups as the Questionnaire,
    unanswered items and groups left out. `subject` is the citizen's pseudonym (or, with
    `subject_system=REFERENCE_SYSTEM`, the real reference an admin chose to export)."""
    unknown = sorted(code for code in answers if not definition.has_item(code))
    if unknown:
        raise ValueError(f"{definition.key} has no item {', '.join(unknown)}")
    groups: list[Resource] = []
    for section in definition.sections:
        children = [
            {
                "linkId": item.code,
                "text": item.text.da,
                "answer": _answers(item, answers[item.code]),
            }
            for item in section.items
            if item.code in answers
        ]
        if children:
            groups.append({"linkId": section.id, "text": section.title.da, "item": children})
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "language": "da",
        "extension": [
            {"url": MODE_EXTENSION, "valueCode": str(response_row.mode)},
            {"url": POINT_EXTENSION, "valuePositiveInt": response_row.point},
        ],
        "questionnaire": canonical_reference(definition),
        "status": "completed",
        "subject": {
            "type": "Patient",
            "identifier": {"system": subject_system, "value": subject},
        },
        "authored": response_row.administered_on.isoformat(),
    }
    if groups:
        resource["item"] = groups
    return resource


def _answers(item: Item, value: AnswerValue) -> list[Resource]:
    """The answers as the item's type gives them: `value[x]` of its FHIR datatype, a code
    as a Coding of the item's code system."""
    return [
        {"valueCoding": _coding(item, json)} if datatype == "Coding" else {f"value{datatype}": json}
        for datatype, json in ITEM_TYPES[item.type].fhir_answers(item, value)
    ]


def _coding(item: Item, code: object) -> Resource:
    option = item.option(code) if isinstance(code, int) else None
    if option is None:
        raise ValueError(f"{item.code}: an answer code is not among the item's answers")
    return {"system": answer_system(item.code), "code": str(code), "display": option.label.da}


# --- Bundle -----------------------------------------------------------------------------------


def bundle_entry(resource: Resource) -> Resource:
    """An entry with a fullUrl, which a collection needs to tell its entries apart. The
    Questionnaire's is derived from its canonical so it is the same in every export; a
    response's is random, so nothing links it to an earlier export or our database ids."""
    if resource["resourceType"] == "Questionnaire":
        key = f"{resource['url']}|{resource['version']}"
        full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"
    else:
        full_url = f"urn:uuid:{uuid.uuid4()}"
    return {"fullUrl": full_url, "resource": resource}


def bundle(entries: Iterable[Resource]) -> Resource:
    """A collection Bundle of the given resources."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [bundle_entry(resource) for resource in entries],
    }


class InvalidResource(ValueError):
    """fhir.resources refused a resource we built: a bug here, not in the data."""


def validate(resource: Resource) -> None:
    """Raise InvalidResource if fhir.resources' R4B model refuses the resource. The message
    names where and why but not the input, which may be an answer."""
    model = Questionnaire if resource["resourceType"] == "Questionnaire" else QuestionnaireResponse
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise InvalidResource(f"invalid {resource['resourceType']}: {problems}") from None


def write_bundles(
    session: Session,
    registry: InstrumentRegistry,
    directory: Path,
    *,
    citizen_filter: ColumnElement[bool] | None = None,
    pseudonyms: Pseudonyms,
) -> list[Path]:
    """Write `<form>-v<version>.json` for every form version: a collection Bundle with the
    Questionnaire and the submitted responses of the citizens `citizen_filter` keeps (None: all).
    Responses are read and written a chunk at a time, so memory does not grow with the data."""
    directory.mkdir(parents=True, exist_ok=True)
    subject_system = REFERENCE_SYSTEM if pseudonyms.real else PSEUDONYM_SYSTEM
    written: list[Path] = []
    for definition in registry.forms():
        path = directory / f"{definition.id}-v{definition.version}.json"
        with path.open("w", encoding="utf-8") as out:
            # The Bundle is written piece by piece; its shape is that of `bundle()`.
            out.write('{"resourceType": "Bundle", "type": "collection", "entry": [\n')
            _write_entry(out, questionnaire(definition), first=True)
            for row, reference, answers in _submitted(session, definition, citizen_filter):
                resource = questionnaire_response(
                    definition, row, answers, pseudonyms(reference), subject_system=subject_system
                )
                _write_entry(out, resource, first=False)
            out.write("\n]}\n")
        written.append(path)
    return written


def _write_entry(out: Any, resource: Resource, *, first: bool) -> None:
    validate(resource)
    if not first:
        out.write(",\n")
    out.write(json.dumps(bundle_entry(resource), ensure_ascii=False))


def _submitted(
    session: Session, definition: InstrumentVersion, citizen_filter: ColumnElement[bool] | None
) -> Iterator[tuple[ResponseFacts, str, dict[str, AnswerValue]]]:
    """The version's submitted responses with the citizen's reference and decoded answers,
    in id order, read by keyset pages so no cursor stays open between chunks."""
    last_id = 0
    while True:
        stmt = (
            select(
                col(Response.id),
                col(Response.point),
                col(Response.administered_on),
                col(Response.mode),
                col(Citizen.reference),
            )
            .join(Citizen, col(Citizen.id) == Response.citizen_id)
            .where(
                col(Response.form_id) == definition.id,
                col(Response.form_version) == definition.version,
                col(Response.status) == ResponseStatus.SUBMITTED,
                col(Response.id) > last_id,
            )
            .order_by(col(Response.id))
            .limit(RESPONSES_PER_CHUNK)
        )
        if citizen_filter is not None:
            stmt = stmt.where(citizen_filter)
        chunk = session.execute(stmt).all()
        if not chunk:
            return
        texts = answer_rows.texts_of(session, [row.id for row in chunk])
        for row in chunk:
            yield row, row.reference, answer_rows.decode(definition, texts.get(row.id, {}), row.id)
        last_id = chunk[-1].id
