"""FHIR output: every Questionnaire and QuestionnaireResponse validates with fhir.resources, and
agrees with our definitions in what the models cannot check (codes, conditions, ranges)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from survey.db import get_engine
from survey.instruments.schema import (
    AnswerOption,
    Condition,
    InstrumentVersion,
    Item,
    ItemType,
    Kind,
    Section,
    Text,
)
from survey.interop import fhir
from survey.interop.pseudonyms import Pseudonyms
from survey.models import Answer, Citizen, Mode, Response, ResponseStatus, Team

Resource = dict[str, Any]


# --- helpers ----------------------------------------------------------------------------------


def walk(items: list[Resource], parent: str | None = None) -> Iterator[tuple[Resource, str | None]]:
    """Every item at every depth, with its parent's linkId."""
    for item in items:
        yield item, parent
        yield from walk(item.get("item", []), item["linkId"])


def index(resource: Resource) -> dict[str, Resource]:
    links = [item["linkId"] for item, _ in walk(resource.get("item", []))]
    assert len(links) == len(set(links)), "linkIds must be unique"
    return {item["linkId"]: item for item, _ in walk(resource.get("item", []))}


def extension(element: Resource, url: str) -> Any:
    found = [e for e in element.get("extension", []) if e["url"] == url]
    if not found:
        return None
    (one,) = found
    return next(v for k, v in one.items() if k.startswith("value"))


def check_questionnaire(resource: Resource) -> None:
    """What the R4B model leaves open: codes of required bindings and links between items."""
    fhir.validate(resource)
    assert resource["status"] in {"draft", "active"}
    items = index(resource)
    for item, _ in walk(resource["item"]):
        assert item["type"] in {"group", "display", "choice", "integer", "date", "text"}
        for condition in item.get("enableWhen", []):
            target = items[condition["question"]]
            codes = {o["valueCoding"]["code"] for o in target["answerOption"]}
            assert condition["answerCoding"]["code"] in codes
            assert condition["answerCoding"]["system"] == fhir.answer_system(target["linkId"])


def answers_by_link(response: Resource) -> dict[str, list[Resource]]:
    return {
        item["linkId"]: item["answer"]
        for item, _ in walk(response.get("item", []))
        if "answer" in item
    }


def system_code(answer: Resource) -> Resource:
    return {k: answer["valueCoding"][k] for k in ("system", "code")}


def check_response(response: Resource, questionnaire: Resource) -> None:
    """The response fits its Questionnaire: known items under the same groups, codes among the
    options, numbers in range, one answer unless the item repeats, conditions that hold."""
    fhir.validate(response)
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    assert response["status"] == "completed"
    date.fromisoformat(response["authored"])
    assert extension(response, fhir.MODE_EXTENSION) in {m.value for m in Mode}
    assert extension(response, fhir.POINT_EXTENSION) >= 1
    parents = {item["linkId"]: parent for item, parent in walk(questionnaire["item"])}
    items = index(questionnaire)
    given = answers_by_link(response)
    for item, parent in walk(response["item"]):
        assert parents[item["linkId"]] == parent, f"{item['linkId']} is under the wrong group"
        definition = items[item["linkId"]]
        if definition["type"] == "group":
            assert item["item"], "an empty group is left out"
            continue
        answers = item["answer"]
        assert answers, f"{item['linkId']} has no answer"
        assert len(answers) == 1 or definition.get("repeats")
        for answer in answers:
            (key,) = answer
            if definition["type"] == "choice":
                assert answer["valueCoding"] in [
                    {k: v for k, v in o["valueCoding"].items() if k != "_display"}
                    for o in definition["answerOption"]
                ]
            elif definition["type"] == "integer":
                low = extension(definition, fhir.MIN_VALUE)
                high = extension(definition, fhir.MAX_VALUE)
                assert low <= answer["valueInteger"] <= high
            else:
                assert key == {"date": "valueDate", "text": "valueString"}[definition["type"]]
        conditions = definition.get("enableWhen", [])
        if conditions:
            assert any(
                c["answerCoding"] in [system_code(a) for a in given.get(c["question"], [])]
                for c in conditions
            ), f"{item['linkId']} is answered while its condition does not hold"


def read_bundle(path: Path) -> Resource:
    data = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(data)
    return data


def export(app: Flask, tmp_path: Path, **options: Any) -> dict[str, Resource]:
    registry = app.extensions["survey.instruments"]
    options.setdefault("pseudonyms", Pseudonyms())
    with Session(get_engine(app)) as session:
        paths = fhir.write_bundles(session, registry, tmp_path / "fhir", **options)
    return {path.name: read_bundle(path) for path in paths}


def responses_of(data: Resource) -> list[Resource]:
    return [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]


def submitted_count(app: Flask, *where: Any) -> Counter[str]:
    with Session(get_engine(app)) as session:
        rows = session.execute(
            select(Response.form_id, Response.form_version, func.count())
            .join(Citizen, Citizen.id == Response.citizen_id)
            .where(Response.status == ResponseStatus.SUBMITTED, *where)
            .group_by(Response.form_id, Response.form_version)
        ).all()
    return Counter({f"{form}-v{version}.json": n for form, version, n in rows})


def row(point: int = 1, mode: str = "self", on: date = date(2026, 3, 2)) -> SimpleNamespace:
    return SimpleNamespace(point=point, administered_on=on, mode=mode)


def tiny() -> InstrumentVersion:
    """Every item type, a condition on two values, a required and a baseline item."""
    text = Text
    return InstrumentVersion(
        id="tiny",
        version=3,
        kind=Kind.FORM,
        title=text("Lille skema", "Tiny form"),
        source="test",
        terms="test",
        sections=(
            Section(
                id="main",
                title=text("Hoved", "Main"),
                stem=text("Tænk på i dag", "Think of today"),
                items=(
                    Item(
                        code="t.pick",
                        type=ItemType.SINGLE_CHOICE,
                        text=text("Vælg", "Pick"),
                        answers=(
                            AnswerOption(1, text("En", "One")),
                            AnswerOption(2, text("To", "Two")),
                            AnswerOption(3, text("Tre", "Three")),
                        ),
                        required=True,
                    ),
                    Item(
                        code="t.when",
                        type=ItemType.DATE,
                        text=text("Hvornår?", "When?"),
                        show_when=Condition("t.pick", (1, 2)),
                    ),
                    Item(
                        code="t.note",
                        type=ItemType.TEXT,
                        text=text("Note", "Note"),
                        max_length=200,
                        help=text("Skriv kort", "Be brief"),
                    ),
                    Item(
                        code="t.count",
                        type=ItemType.INTEGER,
                        text=text("Antal", "Count"),
                        min=0,
                        max=9,
                        baseline=True,
                    ),
                ),
            ),
        ),
    )


# --- Questionnaire ----------------------------------------------------------------------------


def test_every_questionnaire_of_the_registry_validates(app: Flask) -> None:
    registry = app.extensions["survey.instruments"]
    assert {d.id for d in registry} >= {"who5", "bip", "citizen", "staff"}
    for definition in registry:
        resource = fhir.questionnaire(definition)
        check_questionnaire(resource)
        assert resource["url"] == f"{fhir.CANONICAL_BASE}/Questionnaire/{definition.id}"
        assert resource["version"] == str(definition.version)
        links = index(resource)
        assert set(definition.item_codes) <= set(links)
        assert [g["linkId"] for g in resource["item"]] == [s.id for s in definition.sections]
        for item in definition.items:
            assert links[item.code]["text"] == item.text.da
            translation = links[item.code]["_text"]["extension"][0]
            assert translation["url"] == fhir.TRANSLATION
            assert {"url": "content", "valueString": item.text.en} in translation["extension"]
            if item.is_choice:
                options = links[item.code]["answerOption"]
                assert [o["valueCoding"]["code"] for o in options] == [str(c) for c in item.codes]
                assert [o["valueCoding"]["display"] for o in options] == [
                    o.label.da for o in item.answers
                ]


def test_who5_carries_the_snomed_codes_of_kl_s_profile(app: Flask) -> None:
    registry = app.extensions["survey.instruments"]
    sct = "http://snomed.info/sct"
    expected = {
        "who5.1": "285854004",
        "who5.2": "285854004",
        "who5.3": "406202006",
        "who5.4": "404949004",
        "who5.5": "247752005",
    }
    who5 = fhir.questionnaire(registry.get("who5", 1))
    assert who5["code"] == [{"system": sct, "code": "1144665009"}]
    citizen = fhir.questionnaire(registry.get("citizen", 1))
    assert "code" not in citizen
    for resource in (who5, citizen):
        items = index(resource)
        assert items["wellbeing"]["code"] == [{"system": sct, "code": "1144665009"}]
        for code, snomed in expected.items():
            assert items[code]["code"] == [{"system": sct, "code": snomed}]
    assert "code" not in index(citizen)["health.mental"]
    assert "code" not in index(citizen)["bip_c.1"]


def test_who5_options_carry_their_weight_as_ordinal_value(app: Flask) -> None:
    registry = app.extensions["survey.instruments"]
    citizen = index(fhir.questionnaire(registry.get("citizen", 1)))
    for code in ("who5.1", "who5.5"):
        options = citizen[code]["answerOption"]
        weights = [extension(o, fhir.ORDINAL_VALUE) for o in options]
        assert weights == [5, 4, 3, 2, 1, 0]
        assert weights == [int(o["valueCoding"]["code"]) for o in options]
    # Items no score rule sums carry no weights.
    assert all("extension" not in o for o in citizen["health.mental"]["answerOption"])
    assert all("extension" not in o for o in citizen["use.alcohol"]["answerOption"])


def test_diagnosis_kinds_repeat_and_are_enabled_by_a_diagnosis(app: Flask) -> None:
    staff = index(fhir.questionnaire(app.extensions["survey.instruments"].get("staff", 1)))
    kinds = staff["staff.diagnosis_kinds"]
    assert kinds["type"] == "choice"
    assert kinds["repeats"] is True
    assert kinds["enableWhen"] == [
        {
            "question": "staff.diagnosis",
            "operator": "=",
            "answerCoding": {"system": fhir.answer_system("staff.diagnosis"), "code": "1"},
        }
    ]
    assert "enableBehavior" not in kinds
    assert "repeats" not in staff["staff.diagnosis"]
    age = staff["person.age"]
    assert age["type"] == "integer"
    assert extension(age, fhir.MIN_VALUE) == 15
    assert extension(age, fhir.MAX_VALUE) == 80
    assert extension(age, fhir.UNIT) == {"display": "år"}
    assert extension(age, fhir.BASELINE_EXTENSION) is True


def test_a_tiny_form_maps_every_item_type() -> None:
    resource = fhir.questionnaire(tiny())
    check_questionnaire(resource)
    assert resource["status"] == "draft"
    items = index(resource)
    assert [i["linkId"] for i in resource["item"][0]["item"]] == [
        "main:stem",
        "t.pick",
        "t.when",
        "t.note",
        "t.count",
    ]
    assert items["main:stem"]["type"] == "display"
    assert items["t.pick"]["required"] is True
    assert "required" not in items["t.when"]
    assert items["t.when"]["type"] == "date"
    assert items["t.when"]["enableBehavior"] == "any"
    assert [c["answerCoding"]["code"] for c in items["t.when"]["enableWhen"]] == ["1", "2"]
    assert items["t.note"]["type"] == "text"
    assert items["t.note"]["maxLength"] == 200
    assert items["t.note:help"]["type"] == "display"
    assert items["t.note:help"]["text"] == "Skriv kort"
    assert extension(items["t.count"], fhir.MIN_VALUE) == 0


# --- QuestionnaireResponse --------------------------------------------------------------------


def test_a_response_gives_each_type_its_value_and_leaves_out_the_unanswered() -> None:
    definition = tiny()
    answers = {"t.pick": 2, "t.when": date(2026, 2, 1), "t.note": "kort"}
    response = fhir.questionnaire_response(definition, row(point=2), answers, "P-00000001")
    check_response(response, fhir.questionnaire(definition))
    assert response["questionnaire"] == f"{fhir.CANONICAL_BASE}/Questionnaire/tiny|3"
    assert response["subject"]["identifier"] == {
        "system": fhir.PSEUDONYM_SYSTEM,
        "value": "P-00000001",
    }
    assert response["authored"] == "2026-03-02"
    assert extension(response, fhir.MODE_EXTENSION) == "self"
    assert extension(response, fhir.POINT_EXTENSION) == 2
    given = answers_by_link(response)
    assert given == {
        "t.pick": [
            {
                "valueCoding": {
                    "system": fhir.answer_system("t.pick"),
                    "code": "2",
                    "display": "To",
                }
            }
        ],
        "t.when": [{"valueDate": "2026-02-01"}],
        "t.note": [{"valueString": "kort"}],
    }
    assert "t.count" not in index(response)


def test_a_response_without_answers_has_no_items() -> None:
    response = fhir.questionnaire_response(tiny(), row(), {}, "P-1")
    fhir.validate(response)
    assert "item" not in response


def test_multiple_choice_gives_one_answer_per_chosen_code(app: Flask) -> None:
    definition = app.extensions["survey.instruments"].get("staff", 1)
    answers = {"staff.diagnosis": 1, "staff.diagnosis_kinds": (1, 2, 7), "person.age": 40}
    response = fhir.questionnaire_response(definition, row(mode="staff"), answers, "P-1")
    check_response(response, fhir.questionnaire(definition))
    kinds = answers_by_link(response)["staff.diagnosis_kinds"]
    assert [a["valueCoding"]["code"] for a in kinds] == ["1", "2", "7"]
    assert [a["valueCoding"]["display"] for a in kinds] == ["Angst", "Depression", "ADHD"]
    assert [g["linkId"] for g in response["item"]] == ["person", "health"]


def test_answers_that_do_not_fit_the_definition_are_refused() -> None:
    with pytest.raises(ValueError, match=r"no item t\.unknown"):
        fhir.questionnaire_response(tiny(), row(), {"t.unknown": 1}, "P-1")
    with pytest.raises(ValueError, match=r"t\.pick"):
        fhir.questionnaire_response(tiny(), row(), {"t.pick": 7}, "P-1")


def test_a_refused_resource_is_named_without_its_values() -> None:
    response = fhir.questionnaire_response(tiny(), row(), {"t.note": "hemmelig"}, "P-1")
    response["item"][0]["item"][0]["answer"][0] = {"valueString": "hemmelig", "valueSecret": 1}
    with pytest.raises(
        fhir.InvalidResource, match=r"item\.0\.item\.0\.answer\.0\.valueSecret"
    ) as info:
        fhir.validate(response)
    assert "hemmelig" not in str(info.value)


def test_a_condition_that_does_not_hold_is_caught_by_the_check() -> None:
    """The checker the demo test relies on does catch a conditional answer out of place."""
    definition = tiny()
    response = fhir.questionnaire_response(
        definition, row(), {"t.pick": 3, "t.when": date(2026, 1, 1)}, "P-1"
    )
    with pytest.raises(AssertionError, match="condition does not hold"):
        check_response(response, fhir.questionnaire(definition))


# --- write_bundles on the demo ----------------------------------------------------------------


def test_the_demo_exports_one_valid_bundle_per_form_version(
    demo_app: Flask, tmp_path: Path
) -> None:
    bundles = export(demo_app, tmp_path)
    registry = demo_app.extensions["survey.instruments"]
    assert sorted(bundles) == sorted(f"{d.id}-v{d.version}.json" for d in registry.forms())
    expected = submitted_count(demo_app)
    assert sum(expected.values()) == 825
    with Session(get_engine(demo_app)) as session:
        references = set(session.scalars(select(Citizen.reference)))
    subjects: set[str] = set()
    several_kinds = 0
    for name, data in bundles.items():
        assert data["type"] == "collection"
        first = data["entry"][0]["resource"]
        assert first["resourceType"] == "Questionnaire"
        check_questionnaire(first)
        responses = responses_of(data)
        assert len(responses) == expected[name]
        for response in responses:
            check_response(response, first)
            subjects.add(response["subject"]["identifier"]["value"])
            several_kinds += len(answers_by_link(response).get("staff.diagnosis_kinds", [])) > 1
        text = (tmp_path / "fhir" / name).read_text(encoding="utf-8")
        assert not any(reference in text for reference in references)
    # One export, one pseudonym per citizen, shared by the citizen and staff bundles.
    with Session(get_engine(demo_app)) as session:
        citizens = session.scalar(
            select(func.count(func.distinct(Response.citizen_id))).where(
                Response.status == ResponseStatus.SUBMITTED
            )
        )
    assert len(subjects) == citizens
    assert all(s.startswith("P-") for s in subjects)
    assert several_kinds > 0, "the demo has multiple-choice answers with several codes"


def test_write_bundles_keeps_to_the_citizen_filter(demo_app: Flask, tmp_path: Path) -> None:
    with Session(get_engine(demo_app)) as session:
        team_id = session.scalars(select(Team.id).order_by(Team.name)).first()
    scope = Citizen.team_id == team_id
    bundles = export(demo_app, tmp_path, citizen_filter=scope)
    expected = submitted_count(demo_app, scope)
    everyone = submitted_count(demo_app)
    assert 0 < sum(expected.values()) < sum(everyone.values())
    assert {name: len(responses_of(data)) for name, data in bundles.items()} == dict(expected)


def test_real_references_only_when_asked(demo_app: Flask, tmp_path: Path) -> None:
    with Session(get_engine(demo_app)) as session:
        citizen = session.scalars(
            select(Citizen)
            .join(Response, Response.citizen_id == Citizen.id)
            .where(Response.form_id == "staff", Response.status == ResponseStatus.SUBMITTED)
        ).first()
    bundles = export(
        demo_app,
        tmp_path,
        citizen_filter=Citizen.id == citizen.id,
        pseudonyms=Pseudonyms(real=True),
    )
    subjects = {r["subject"]["identifier"]["value"] for r in responses_of(bundles["staff-v1.json"])}
    systems = {r["subject"]["identifier"]["system"] for r in responses_of(bundles["staff-v1.json"])}
    assert subjects == {citizen.reference}
    assert systems == {fhir.REFERENCE_SYSTEM}


def test_an_empty_database_gives_bundles_with_only_the_questionnaire(
    app: Flask, tmp_path: Path
) -> None:
    bundles = export(app, tmp_path)
    assert bundles
    for data in bundles.values():
        assert [e["resource"]["resourceType"] for e in data["entry"]] == ["Questionnaire"]
        assert data["entry"][0]["fullUrl"].startswith("urn:uuid:")


def add_response(
    session: Session,
    citizen: Citizen,
    form: str,
    stored: list[tuple[str, str]],
    *,
    on: date,
    status: ResponseStatus = ResponseStatus.SUBMITTED,
) -> None:
    """A response with its answer rows as stored (a code repeated for multiple choice)."""
    submitted = status is ResponseStatus.SUBMITTED
    response = Response(
        citizen_id=citizen.id,
        point=1 if submitted else 2,
        form_id=form,
        form_version=1,
        administered_on=on,
        mode=Mode.STAFF if form == "staff" else Mode.SELF,
        status=status,
        submitted_at=datetime(2026, 2, 1, tzinfo=UTC) if submitted else None,
    )
    session.add(response)
    session.flush()
    positions: Counter[str] = Counter()
    for code, value in stored:
        session.add(
            Answer(response_id=response.id, item_code=code, position=positions[code], value=value)
        )
        positions[code] += 1


def test_write_bundles_reads_in_chunks_on_both_databases(
    make_app, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Responses read one at a time: each is written once, with its own answers; a draft is
    left out."""
    monkeypatch.setattr(fhir, "RESPONSES_PER_CHUNK", 1)
    app = make_app(database_url)
    with Session(get_engine(app)) as session:
        team = Team(name="Nord")
        session.add(team)
        session.flush()
        for n, kinds in enumerate([("2",), ("2", "7"), ("1", "7", "12")]):
            citizen = Citizen(reference=f"R-{n}", team_id=team.id, enrolled_on=date(2026, 1, 5))
            session.add(citizen)
            session.flush()
            on = date(2026, 2, 1 + n)
            diagnosis = [("staff.diagnosis_kinds", kind) for kind in kinds]
            stored = [("person.age", str(30 + n)), ("staff.diagnosis", "1"), *diagnosis]
            add_response(session, citizen, "staff", stored, on=on)
            add_response(session, citizen, "citizen", [("who5.1", "3")], on=on)
        add_response(
            session, citizen, "staff", [("person.age", "50")], on=on, status=ResponseStatus.DRAFT
        )
        session.commit()
    bundles = export(app, tmp_path)
    staff = {r["authored"]: answers_by_link(r) for r in responses_of(bundles["staff-v1.json"])}
    assert sorted(staff) == ["2026-02-01", "2026-02-02", "2026-02-03"]
    assert [staff[day]["person.age"] for day in sorted(staff)] == [
        [{"valueInteger": 30}],
        [{"valueInteger": 31}],
        [{"valueInteger": 32}],
    ]
    assert [a["valueCoding"]["code"] for a in staff["2026-02-03"]["staff.diagnosis_kinds"]] == [
        "1",
        "7",
        "12",
    ]
    assert len(responses_of(bundles["citizen-v1.json"])) == 3
