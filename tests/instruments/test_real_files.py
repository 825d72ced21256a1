"""The repository's own instrument files: they load, carry the content of INSTRUMENTS.md, and the
publish lock freezes them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from survey.config import PROJECT_ROOT
from survey.instruments import InstrumentErrors, ItemType, Kind, load_registry
from survey.instruments.schema import Condition, Special

INSTRUMENTS = PROJECT_ROOT / "instruments"
WHO5_TEXT = "... har jeg været glad og i godt humør"


# --- loading ----------------------------------------------------------------------------------


def test_every_real_file_loads_and_all_four_versions_are_published(real_registry):
    keys = sorted((v.id, v.version) for v in real_registry)
    assert keys == [("bip", 1), ("citizen", 1), ("staff", 1), ("who5", 1)]
    assert all(v.published for v in real_registry)
    assert {v.path for v in real_registry} == {
        "instruments/bip/1.yaml",
        "instruments/citizen/1.yaml",
        "instruments/staff/1.yaml",
        "instruments/who5/1.yaml",
    }
    lock = json.loads((INSTRUMENTS / "published.lock").read_text(encoding="utf-8"))
    assert lock["format"] == 1
    for v in real_registry:
        assert lock["published"][v.id][str(v.version)] == v.digest
        assert v.digest.startswith("sha256:")


def test_every_yaml_file_in_the_folder_is_in_the_registry(real_registry):
    on_disk = sorted(p.relative_to(INSTRUMENTS).as_posix() for p in INSTRUMENTS.glob("*/*.y*ml"))
    assert on_disk == ["bip/1.yaml", "citizen/1.yaml", "staff/1.yaml", "who5/1.yaml"]
    assert len(real_registry) == len(on_disk)


@pytest.mark.parametrize(
    ("instrument", "count", "kind"),
    [
        ("who5", 5, Kind.INSTRUMENT),
        ("bip", 10, Kind.INSTRUMENT),
        ("citizen", 18, Kind.FORM),
        ("staff", 26, Kind.FORM),
    ],
)
def test_item_counts(real_registry, instrument, count, kind):
    version = real_registry.get(instrument, 1)
    assert version.kind is kind
    assert len(version.item_codes) == count
    assert len(set(version.item_codes)) == count


def test_citizen_form_items_in_screen_order(real_registry):
    citizen = real_registry.get("citizen", 1)
    assert citizen.item_codes == (
        (
            "health.mental",
            "health.physical",
            *tuple(f"who5.{n}" for n in range(1, 6)),
            *tuple(f"bip_c.{n}" for n in range(1, 7)),
            "use.alcohol",
            "use.cannabis",
            "use.other",
            "network.talk",
            "network.family",
        )
    )
    assert [s.id for s in citizen.sections] == [
        "health",
        "wellbeing",
        "citizen",
        "substance_use",
        "network",
    ]
    assert citizen.includes == (("who5", 1), ("bip", 1))


def test_staff_form_items(real_registry):
    staff = real_registry.get("staff", 1)
    codes = staff.item_codes
    assert codes[:3] == ("person.gender", "person.age", "person.nationality")
    assert codes[-4:] == ("bip_s.1", "bip_s.2", "bip_s.3", "bip_s.4")
    assert not any(code.startswith("bip_c.") for code in codes)
    assert staff.includes == (("bip", 1),)
    assert staff.scores == ()


def test_bip_has_a_citizen_and_a_staff_part(real_registry):
    bip = real_registry.get("bip", 1)
    assert [(s.id, [i.code for i in s.items]) for s in bip.sections] == [
        ("citizen", [f"bip_c.{n}" for n in range(1, 7)]),
        ("staff", [f"bip_s.{n}" for n in range(1, 5)]),
    ]


def test_modes_and_respondents(real_registry):
    citizen, staff = real_registry.get("citizen", 1), real_registry.get("staff", 1)
    assert (citizen.respondent, citizen.modes) == ("citizen", ("self", "assisted"))
    assert (staff.respondent, staff.modes) == ("staff", ("staff",))
    assert [f.id for f in real_registry.forms()] == ["citizen", "staff"]
    assert real_registry.get("who5", 1).modes == ()


# --- content spot checks against /work/shared/INSTRUMENTS.md -----------------------------------


@pytest.mark.parametrize(
    ("code", "da"),
    [
        ("who5.1", WHO5_TEXT),
        ("who5.5", "... har min dagligdag været fyldt med ting der interesserer mig"),
        ("bip_c.1", "Har du en ide om hvilket arbejde, du gerne vil have?"),
        (
            "bip_c.2",
            "Har du overskud i hverdagen til at fokusere på at få et arbejde/følge et "
            "aktiverings- eller uddannelsesforløb?",
        ),
        ("bip_s.2", "I hvor høj grad handler borgeren målrettet ift. at komme i job?"),
        (
            "staff.mental_limits",
            "Har borgeren efter din vurdering psykiske problemer, der begrænser hans/hendes "
            "hverdag?",
        ),
        ("staff.abuse_cannabis", "... af hash?"),
        ("health.mental", "Hvordan synes du, dit psykiske helbred er alt i alt?"),
        ("person.age", "Alder ved opstart (år)"),
    ],
)
def test_exact_danish_question_texts(real_registry, code, da):
    item = real_registry.find_item(code)
    assert item is not None
    assert item.text.da == da


@pytest.mark.parametrize(
    ("code", "answer", "da"),
    [
        (
            "bip_c.3",
            3,
            "Det svinger. Indimellem gør mit helbred det svært at arbejde. Jeg vil måske kunne "
            "varetage et job på deltid/halv tid med den rette form for hjælp og støtte",
        ),
        (
            "bip_c.2",
            3,
            "Det svinger. Nogle gange kan jeg overskue det, andre gange ikke",
        ),
        ("staff.talk_frequency", 4, "Ca. hver 14. dag"),
        ("network.talk", 4, "Nej, aldrig eller næsten aldrig"),
        ("staff.abuse_alcohol", 1, "Ja, i stort omfang"),
        ("person.nationality", 2, "Dansk med grønlandsk baggrund"),
    ],
)
def test_exact_danish_answer_labels_keep_their_punctuation(real_registry, code, answer, da):
    option = real_registry.find_item(code).option(answer)
    assert option is not None
    assert option.label.da == da


def test_english_texts_present_everywhere(real_registry):
    for version in real_registry:
        assert version.title.en.strip()
        for section in version.sections:
            assert section.title.en.strip()
            for item in section.items:
                assert item.text.en.strip(), item.code
                assert item.text.en != item.text.da, item.code
                for option in item.answers:
                    assert option.label.en.strip(), (item.code, option.code)
    assert real_registry.find_item("who5.1").text.en == "I have felt cheerful and in good spirits"
    assert real_registry.find_item("staff.mental_limits").text.en == (
        "In your assessment, does the citizen have mental health problems that limit "
        "his/her everyday life?"
    )


def test_who5_answers_in_order_5_to_0_without_dont_know(real_registry):
    who5 = real_registry.get("who5", 1)
    for item in who5.items:
        assert item.type is ItemType.SINGLE_CHOICE
        assert item.codes == (5, 4, 3, 2, 1, 0)
        assert all(option.scored for option in item.answers)
        assert item.option(5).label.da == "Hele tiden"
        assert item.option(0).label.da == "På intet tidspunkt"
    assert who5.sections[0].stem.da == "I de sidste 2 uger ..."


def test_ved_ikke_is_code_9_and_special_dont_know_everywhere(real_registry):
    seen = 0
    for version in real_registry:
        for item in version.items:
            for option in item.answers:
                if option.label.da == "Ved ikke" or option.special is Special.DONT_KNOW:
                    assert option.code == 9, item.code
                    assert option.special is Special.DONT_KNOW, item.code
                    assert option.label.da == "Ved ikke"
                    assert option.label.en == "Don't know"
                    assert not option.scored
                    seen += 1
    assert seen > 0
    for code in [f"bip_c.{n}" for n in range(1, 7)] + [f"bip_s.{n}" for n in range(1, 5)]:
        item = real_registry.find_item(code)
        assert item.codes == (1, 2, 3, 4, 5, 9), code
        assert item.option(9).special is Special.DONT_KNOW
    assert real_registry.find_item("staff.diagnosis").codes == (1, 2, 9)


@pytest.mark.parametrize("code", ["use.alcohol", "use.cannabis", "use.other"])
def test_use_items_offer_refused_as_code_9(real_registry, code):
    item = real_registry.find_item(code)
    assert item.codes == (1, 2, 3, 4, 5, 9)
    option = item.option(9)
    assert option.special is Special.REFUSED
    assert option.label.da == "Vil ikke svare"
    assert item.project_defined


def test_person_items_are_baseline_and_only_they(real_registry):
    staff = real_registry.get("staff", 1)
    baseline = [item.code for item in staff.items if item.baseline]
    assert baseline == ["person.gender", "person.age", "person.nationality"]
    assert not any(item.baseline for item in real_registry.get("citizen", 1).items)
    assert [i.code for i in staff.items_at(1)][:3] == baseline
    assert not set(baseline) & {i.code for i in staff.items_at(2)}
    assert len(staff.items_at(2)) == 23


def test_person_age_range_and_report_groups(real_registry):
    age = real_registry.find_item("person.age")
    assert (age.type, age.min, age.max) == (ItemType.INTEGER, 15, 80)
    assert [(g.min, g.max) for g in age.groups] == [
        (18, 24),
        (25, 29),
        (30, 39),
        (40, 49),
        (50, 59),
        (60, None),
    ]
    assert age.groups[-1].contains(80)
    assert not age.groups[0].contains(17)


def test_employment_hours_condition_and_range(real_registry):
    staff = real_registry.get("staff", 1)
    hours = staff.item("staff.employment_hours")
    assert hours.type is ItemType.INTEGER
    assert (hours.min, hours.max) == (1, 37)
    assert hours.unit.da == "timer"
    assert hours.show_when == Condition(item="staff.employment", values=(1,))
    assert hours.show_when.holds({"staff.employment": 1})
    assert not hours.show_when.holds({"staff.employment": 2})
    assert staff.item("staff.job_search").show_when == Condition("staff.employment", (1,))
    codes = staff.item_codes
    assert codes.index("staff.employment") < codes.index("staff.employment_hours")


def test_diagnosis_kinds_is_multiple_choice_shown_after_a_yes(real_registry):
    kinds = real_registry.find_item("staff.diagnosis_kinds")
    assert kinds.type is ItemType.MULTIPLE_CHOICE
    assert kinds.text.da == "Hvilke?"
    assert kinds.codes == (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12)
    assert kinds.option(10).label.da == "PTSD"
    assert kinds.show_when == Condition(item="staff.diagnosis", values=(1,))
    assert kinds.show_when.holds({"staff.diagnosis": 1})
    assert not kinds.show_when.holds({"staff.diagnosis": 9})


def test_citizen_form_carries_the_who5_score_rule(real_registry):
    citizen = real_registry.get("citizen", 1)
    assert ("who5", 1) in citizen.includes
    assert ("bip", 1) in citizen.includes
    assert [rule.code for rule in citizen.scores] == ["who5.score"]
    rule = citizen.scores[0]
    assert rule.items == ("who5.1", "who5.2", "who5.3", "who5.4", "who5.5")
    assert (rule.method, rule.multiply, rule.min, rule.max) == ("sum", 4, 0, 100)
    assert [(b.code, b.max) for b in rule.bands] == [
        ("likely_depression", 28),
        ("poor_wellbeing", 50),
    ]
    assert rule.relevant_change == 10
    assert rule is real_registry.get("who5", 1).scores[0]


def test_source_and_terms_name_the_origin(real_registry):
    assert "Psychiatric Research Unit" in real_registry.get("who5", 1).source
    assert "Væksthusets Forskningscenter" in real_registry.get("bip", 1).terms
    for version in real_registry:
        assert version.source.strip()
        assert version.terms.strip()


# --- the publish lock ---------------------------------------------------------------------------


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A copy of the real instruments/ folder, safe to change."""
    target = tmp_path / "instruments"
    shutil.copytree(INSTRUMENTS, target)
    return target


def _change_one_letter(folder: Path) -> None:
    path = folder / "who5" / "1.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("glad og i godt") == 1
    path.write_text(text.replace("glad og i godt", "glaad og i godt"), encoding="utf-8")


def test_copy_of_real_folder_loads_unchanged(copied, real_registry):
    registry = load_registry(copied)
    assert {(v.id, v.digest) for v in registry} == {(v.id, v.digest) for v in real_registry}


def test_one_changed_letter_trips_the_lock(copied):
    _change_one_letter(copied)
    with pytest.raises(InstrumentErrors) as caught:
        load_registry(copied)
    assert [(e.code, e.path) for e in caught.value.errors] == [
        ("E_FROZEN", "instruments/who5/1.yaml")
    ]
    message = str(caught.value)
    assert "who5/1.yaml" in message
    assert "E_FROZEN" in message
    assert "new version" in message
    # without the lock check the edited text is what loads: the lock is the only guard
    unchecked = load_registry(copied, check_lock=False)
    assert unchecked.find_item("who5.1").text.da == "... har jeg været glaad og i godt humør"


def test_the_documented_error_example(copied):
    """docs/instruments.md shows this message for a typo in a show_when."""
    path = copied / "staff" / "1.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("show_when: {item: staff.employment, in: [1]}") == 2
    path.write_text(
        text.replace("{item: staff.employment, in", "{item: staff.employmnt, in", 1),
        encoding="utf-8",
    )
    with pytest.raises(InstrumentErrors) as caught:
        load_registry(copied, check_lock=False)
    assert str(caught.value) == (
        "instruments/staff/1.yaml: item staff.employment_hours: show_when refers to unknown item "
        "'staff.employmnt' [E_CONDITION_UNKNOWN_ITEM]"
    )
    with pytest.raises(InstrumentErrors) as caught:
        load_registry(copied)
    assert sorted(e.code for e in caught.value.errors) == ["E_CONDITION_UNKNOWN_ITEM", "E_FROZEN"]


def test_cli_check_refuses_a_changed_published_file(copied, run_survey):
    ok = run_survey("instruments", "check", instruments=copied)
    assert ok.returncode == 0, ok.stderr
    assert "OK: 4 instrument versions load" in ok.stdout

    _change_one_letter(copied)
    result = run_survey("instruments", "check", instruments=copied)
    assert result.returncode != 0
    assert "instruments/who5/1.yaml: is published and was changed after publishing" in (
        result.stderr
    )
    assert "E_FROZEN" in result.stderr
    assert "new version" in result.stderr
    assert "OK" not in result.stdout


# BUG (survey/cli.py): the `instruments` group is a Flask AppGroup, so every instruments command
# is wrapped in with_appcontext and builds the app first; create_app loads the registry with the
# lock check, fails, and the failure becomes a click usage error (exit 2, "Usage: ..." banner)
# before the command itself runs. docs/instruments.md promises "check ... exit 1 on any problem",
# and `show` (which loads with check_lock=False on purpose) cannot run on such a folder at all.


def test_cli_check_exits_1_on_a_changed_published_file(copied, run_survey):
    _change_one_letter(copied)
    result = run_survey("instruments", "check", instruments=copied)
    assert "E_FROZEN" in result.stderr
    assert not result.stderr.startswith("Usage:")
    assert result.returncode == 1


def test_cli_show_works_on_a_folder_with_a_changed_published_file(copied, run_survey):
    _change_one_letter(copied)
    result = run_survey("instruments", "show", "who5", "--version", "1", instruments=copied)
    assert result.returncode == 0, result.stderr
    assert "... har jeg været glaad og i godt humør" in result.stdout


def test_reformatting_a_published_file_does_not_trip_the_lock(copied, real_registry):
    for path in sorted(copied.glob("*/*.yaml")):
        original = path.read_text(encoding="utf-8")
        content = yaml.safe_load(original)
        reformatted = (
            "# re-formatted: block style, sorted keys, escaped letters\n"
            + yaml.safe_dump(
                content,
                default_flow_style=False,
                indent=4,
                width=60,
                allow_unicode=False,
                sort_keys=True,
            )
        )
        assert reformatted != original
        assert yaml.safe_load(reformatted) == content
        path.write_text(reformatted, encoding="utf-8")
    assert "\\xE6" in (copied / "who5" / "1.yaml").read_text(encoding="utf-8")  # "æ" escaped

    registry = load_registry(copied)
    assert all(v.published for v in registry)
    assert {(v.id, v.digest) for v in registry} == {(v.id, v.digest) for v in real_registry}
    assert registry.find_item("who5.1").text.da == WHO5_TEXT


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_list_shows_every_version(run_survey):
    result = run_survey("instruments", "list")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.strip().splitlines()
    assert header.split() == ["id", "version", "kind", "items", "status", "title"]
    rows = {}
    for line in lines:
        iid, version, kind, items, status, title = line.split(maxsplit=5)
        rows[iid] = (version, kind, int(items), status, title)
    assert rows == {
        "who5": ("v1", "instrument", 5, "published", "WHO-5 Well-Being Index"),
        "bip": (
            "v1",
            "instrument",
            10,
            "published",
            "BIP employability indicators (Employment Indicator Project)",
        ),
        "citizen": ("v1", "form", 18, "published", "Citizen form"),
        "staff": ("v1", "form", 26, "published", "Staff form"),
    }


def test_cli_show_prints_the_items_in_both_languages(run_survey):
    result = run_survey("instruments", "show", "who5", "--version", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("who5 v1 (instrument, published): WHO-5 Trivselsindeks / WHO-5")
    assert "file: instruments/who5/1.yaml" in out
    assert (
        "who5.1 (single_choice): ... har jeg været glad og i godt humør / "
        "I have felt cheerful and in good spirits"
    ) in out
    for n in range(1, 6):
        assert f"  who5.{n} (single_choice): " in out
    assert "5 Hele tiden / All of the time" in out
    assert "0 På intet tidspunkt / At no time" in out
    assert "score who5.score: sum of who5.1, who5.2, who5.3, who5.4, who5.5 × 4" in out
    assert "≤28 likely_depression, ≤50 poor_wellbeing" in out


def test_cli_show_form_expands_includes(run_survey):
    result = run_survey("instruments", "show", "staff", "--version", "1", "--lang", "da")
    assert result.returncode == 0, result.stderr
    assert "includes: bip v1" in result.stdout
    assert "bip_s.4 (single_choice): I hvor høj grad kan borgeren mestre" in result.stdout
    assert "staff.employment_hours (integer, when staff.employment in [1], 1–37)" in result.stdout
    assert "person.gender (single_choice, baseline): Køn" in result.stdout


def test_cli_show_unknown_instrument_exits_2(run_survey):
    result = run_survey("instruments", "show", "nope")
    assert result.returncode == 2
    assert "no instrument 'nope'" in result.stderr
    assert "Known: bip, citizen, staff, who5" in result.stderr
    assert result.stdout == ""


def test_cli_show_unknown_version_exits_2(run_survey):
    result = run_survey("instruments", "show", "who5", "--version", "7")
    assert result.returncode == 2
    assert "who5 has no version 7 (known: v1)" in result.stderr
