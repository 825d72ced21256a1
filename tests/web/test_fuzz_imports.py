"""Both imports fuzzed, through the service (as `survey import` calls it) and through the
administrator's upload page: random and tampered CSV files (headers renamed, doubled or
missing, commas or semicolons, a BOM or none, UTF-16, Windows-1252 and stray bytes, quotes
left open, formula cells, fields past the csv module's limit, NUL bytes, CPR-like references).

Each file starts from a valid one made from the world (new citizens of both teams; answers to
every item of the hand form and the staff form at a point nobody has filled) and is then
changed cell by cell and as a whole. All or nothing, every time: either the import reports
problems and every table holds the rows it held (the audit trail aside: the attempt is
recorded), or it succeeded and every stored row is one the app allows."""

from __future__ import annotations

import csv
import io
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session, col

from survey.instruments import values as answer_values
from survey.instruments.asking import visible
from survey.instruments.types import ITEM_TYPES
from survey.interop.csvio import CITIZEN_COLUMNS, RESPONSE_COLUMNS
from survey.interop.importing import ImportResult, import_citizens, import_responses
from survey.models import STATUS_REASONS, Citizen, CourseStatus, User
from tests.web.fuzzing import (
    ANY_TEXT,
    DATES,
    NUMBERS,
    ODD,
    TODAY,
    Upload,
    World,
    answer_problems,
    budget,
    citizen_problems,
    request,
    row_counts,
    with_token,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

SERVICE, PAGE, POSTGRES = 40, 25, 20
# Past the csv module's field limit (131072 characters).
HUGE_CELL = "x" * 140_000
REFERENCES = st.sampled_from(
    ["010190-1234", "0101901234", " FZ-9 ", "=FZ-9", "'=1+1", "FZ\x00-9", "x" * 41, "", "ÆØÅ-1"]
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"])
LINE_ENDS = st.sampled_from(["\r\n", "\n", "\r"])


def cell(extra: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Another valid cell, or a hostile one."""
    return st.one_of(extra, ODD, NUMBERS, DATES, ANY_TEXT, st.just(HUGE_CELL))


MUTATIONS = st.sampled_from(("keep",) * 12 + ("change", "blank", "spiced"))


@st.composite
def table(
    draw: st.DrawFn,
    columns: tuple[str, ...],
    rows: list[list[str]],
    cells: dict[str, st.SearchStrategy[str]],
) -> bytes:
    """A CSV file of `rows`, tampered: cells changed or blanked, rows dropped, doubled or cut
    short, the header renamed, reordered or doubled, then written with either delimiter, any
    line end, in some encoding, with a stray byte or an open quote now and then."""
    header = list(columns)
    how = draw(st.sampled_from(("as is",) * 6 + ("shuffled", "upper", "renamed", "twice", "short")))
    order = list(range(len(header)))
    if how == "shuffled":
        order = draw(st.permutations(order))
    header = [header[i] for i in order]
    if how == "upper":
        header = [f" {name.upper()} " for name in header]
    elif how == "renamed":
        header[draw(st.integers(0, len(header) - 1))] = draw(ANY_TEXT)
    elif how == "twice":
        header.append(header[0])
    elif how == "short":
        header.pop()
    lines = [header]
    for row in rows:
        if draw(st.integers(0, 9)) == 0:
            continue  # a row left out
        changed = []
        for name, value in zip(columns, row, strict=True):
            mutation = draw(MUTATIONS)
            if mutation == "change":
                value = draw(cell(cells.get(name, st.just(value))))
            elif mutation == "blank":
                value = ""
            elif mutation == "spiced":  # NUL, a control character or a formula in a good value
                at = draw(st.integers(0, len(value)))
                value = value[:at] + draw(ODD) + value[at:]
            changed.append(value)
        changed = [changed[i] for i in order]
        if draw(st.integers(0, 14)) == 0:
            changed = changed[: draw(st.integers(0, len(changed)))]
        lines.append(changed)
        if draw(st.integers(0, 14)) == 0:
            lines.append(changed)  # the same row twice
    delimiter = draw(st.sampled_from([",", ";"]))
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=delimiter,
        lineterminator=draw(LINE_ENDS),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    writer.writerows(lines)
    text = out.getvalue()
    if draw(st.integers(0, 9)) == 0:
        text += '"an open quote' + delimiter
    data = text.encode(draw(ENCODINGS), errors="replace")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


# --- valid files, made from the world -------------------------------------------------------


def citizen_rows(world: World) -> tuple[list[list[str]], dict[str, st.SearchStrategy[str]]]:
    rows = [
        ["FZ-101", "2026-03-02", "Team Nord", "anne", "active", "", ""],
        ["FZ-102", "2026-01-15", "Team Syd", "jonas", "ended_planned", "employment", "2026-10-01"],
        ["FZ-103", "2026-04-01", "Team Nord", "", "ended_unplanned", "moved", "2026-09-30"],
    ]
    with Session(world.engine()) as db:
        existing = sorted(db.execute(select(col(Citizen.reference))).scalars())
    reasons = sorted({reason for group in STATUS_REASONS.values() for reason in group})
    cells = {
        "citizen": st.one_of(st.sampled_from(existing), REFERENCES),
        "team": st.sampled_from(["Team Nord", "Team Syd", "Team Øst", "=Team Nord", " Team Nord "]),
        "consultant": st.sampled_from(
            ["anne", "jonas", "mads", "leder.nord", "admin", "ANNE", "anne\x00", "nobody"]
        ),
        "status": st.sampled_from([s.value for s in CourseStatus] + ["Active", "ended"]),
        "status_reason": st.sampled_from([*reasons, "junk"]),
        "enrolled_on": st.sampled_from(["2026-11-23", "2026-11-24", "2027-01-01"]),
        "ended_on": st.sampled_from(["2026-11-23", "2026-11-24", "2025-01-01"]),
    }
    return rows, cells


def response_rows(world: World) -> tuple[list[list[str]], dict[str, st.SearchStrategy[str]]]:
    """Every item the hand form asks at point 7 (its condition chain holding), and the staff
    form at point 7, for anne's citizen; each cell as the long export writes it."""
    with Session(world.engine()) as db:
        reference = db.execute(
            select(col(Citizen.reference)).where(col(Citizen.id) == world.ids["citizen"])
        ).scalar_one()
        existing = sorted(db.execute(select(col(Citizen.reference))).scalars())
    rows = []
    for form_id, mode in (("hand", "assisted"), ("staff", "staff")):
        definition = world.registry.get(form_id, 1)
        given = {}
        for item in definition.items_at(7):
            value = ITEM_TYPES[item.type].sample(item, random.Random(item.code), TODAY)
            if value is None:  # free text, which the demo leaves empty
                value = "Et svar"
            if item.show_when is not None and item.show_when.item in given:
                given[item.show_when.item] = item.show_when.values[0]
            given[item.code] = value
        shown = visible(definition, given, 7)
        for code, value in given.items():
            if code not in shown:
                continue
            item = definition.item(code)
            texts = answer_values.encode(item, value)
            written = ITEM_TYPES[item.type].write_cell(item, texts)
            rows.append([reference, "7", "2026-11-02", form_id, "1", mode, code, written])
    codes = sorted({item.code for form in world.registry.forms() for item in form.items})
    cells = {
        "citizen": st.one_of(st.sampled_from(existing), REFERENCES),
        "point": st.sampled_from(["1", "01", "+7", "0", "31", "99", "2147483648"]),
        "administered_on": st.sampled_from(["2026-11-24", "2025-01-01", "2026-02-30"]),
        "form": st.sampled_from(["hand", "staff", "citizen", "who5", "bip", "HAND"]),
        "form_version": st.sampled_from(["01", "+1", "2", "0", "99999999999999999999"]),
        "mode": st.sampled_from(["self", "assisted", "staff", "SELF"]),
        "item": st.sampled_from([*codes, "hand.nothing", "HAND.SINGLE"]),
        "value": st.sampled_from(["1", "2", "9", "1;3", "3;1", "1;1", "11", "2026-12-31", "=1+1"]),
    }
    return rows, cells


# --- the check ------------------------------------------------------------------------------


def all_or_nothing(world: World, before: dict[str, int], wrote: bool, kind: str) -> None:
    """A refused import or a dry run leaves every table as it was; one that wrote leaves only
    rows the app allows."""
    after = row_counts(world.app)
    if not wrote:
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"a {kind} import that wrote nothing changed {changed}"
        return
    assert not answer_problems(world.app), f"a {kind} import stored answers the app refuses"
    assert not citizen_problems(world.app), f"a {kind} import stored citizens the app refuses"


def run_service(world: World, kind: str, data: bytes, dry_run: bool) -> ImportResult:
    path = world.folder / "import.csv"
    path.write_bytes(data)
    with world.app.app_context(), Session(world.engine(), expire_on_commit=False) as session:
        admin = session.execute(select(User).where(col(User.username) == "admin")).scalar_one()
        if kind == "citizens":
            result = import_citizens(session, path, actor=admin, today=TODAY, dry_run=dry_run)
        else:
            result = import_responses(
                session, world.registry, path, actor=admin, today=TODAY, dry_run=dry_run
            )
        session.commit()  # the command commits whatever the outcome
    return result


def files(world: World, kind: str) -> st.SearchStrategy[bytes]:
    world.reset("admin")  # the rows are read from the baseline, whatever ran before
    columns = CITIZEN_COLUMNS if kind == "citizens" else RESPONSE_COLUMNS
    rows, cells = (citizen_rows if kind == "citizens" else response_rows)(world)
    return table(columns, rows, cells)


def check_service(world: World, kind: str, examples: int) -> None:
    @budget(examples)
    @given(data=files(world, kind), dry_run=st.booleans())
    def attempt(data: bytes, dry_run: bool) -> None:
        world.reset("admin")
        before = row_counts(world.app)
        result = run_service(world, kind, data, dry_run)
        assert result.ok or result.problems, "refused without saying why"
        all_or_nothing(world, before, result.ok and not dry_run and result.created > 0, kind)
        if result.ok and not dry_run:
            table_name = "citizen" if kind == "citizens" else "response"
            assert row_counts(world.app)[table_name] == before[table_name] + result.created

    attempt()


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture
def world(fuzz_world: World) -> World:
    return fuzz_world  # tests/web/conftest.py: one world for the session


@pytest.mark.parametrize("kind", ["citizens", "responses"])
def test_the_valid_files_import(world: World, kind: str) -> None:
    """The files the fuzzing starts from are right: the fuzz starts where an import writes."""
    world.reset("admin")
    rows, _cells = (citizen_rows if kind == "citizens" else response_rows)(world)
    columns = CITIZEN_COLUMNS if kind == "citizens" else RESPONSE_COLUMNS
    out = io.StringIO()
    csv.writer(out).writerows([columns, *rows])
    result = run_service(world, kind, out.getvalue().encode(), dry_run=False)
    assert result.ok, result.messages()
    assert result.created == (3 if kind == "citizens" else 2)


@pytest.mark.parametrize("kind", ["citizens", "responses"])
def test_imports_through_the_service_are_all_or_nothing(world: World, kind: str) -> None:
    check_service(world, kind, SERVICE)


@pytest.mark.parametrize("kind", ["citizens", "responses"])
def test_imports_through_the_upload_page_are_all_or_nothing(world: World, kind: str) -> None:
    @budget(PAGE)
    @given(
        data=files(world, kind),
        as_kind=st.sampled_from([kind, kind, kind, "citizens", "responses"]),
        dry_run=st.booleans(),
    )
    def upload(data: bytes, as_kind: str, dry_run: bool) -> None:
        world.reset("admin")
        before = row_counts(world.app)
        body = [("kind", as_kind), ("file", Upload(data))] + ([("dry_run", "y")] if dry_run else [])
        pairs = with_token(world, "admin", body, "valid")
        response = request(world.client("admin"), "POST", "/admin/import", pairs)
        assert response.status_code in (200, 422), f"the upload answered {response.status_code}"
        wrote = response.status_code == 200 and not dry_run
        all_or_nothing(world, before, wrote, as_kind)

    upload()


@pytest.fixture
def postgres(fuzz_postgres_world: World) -> World:
    return fuzz_postgres_world


@pytest.mark.postgresql
@pytest.mark.parametrize("kind", ["citizens", "responses"])
def test_imports_on_postgresql_are_all_or_nothing(postgres: World, kind: str) -> None:
    """NUL bytes and numbers past a column's range reach PostgreSQL's own checks."""
    check_service(postgres, kind, POSTGRES)
