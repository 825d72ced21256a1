"""Hostile and tampered posts to every route that takes a POST, as every kind of user: never a
500, never an answer stored that its item does not allow.

The routes come from Flask's URL map, so a new one is fuzzed without anyone adding it here
(and `test_every_post_route_has_a_body_to_tamper_with` asks for a valid body to start from).
Each example starts from a valid body and a valid CSRF token, then drops, changes, doubles and
adds fields, swaps the token for none, another session's or a made-up one, and puts other
teams' ids, rows that do not exist and numbers past the database's integer in the path.
Before each example the database is restored to the kind of user's baseline (docs in
tests/web/fuzzing.py); after it, every answer in the database is checked with the
instruments' own rules."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.app import create_app
from survey.citizens.forms import reason_choices
from survey.forms import field_name
from survey.instruments.asking import pages
from survey.interop.exports import DOWNLOADS
from survey.schedule import MAX_POINT
from tests.web.fuzzing import (
    SEGMENTS,
    TOKEN_KINDS,
    VALUES,
    Kit,
    Pair,
    Upload,
    World,
    all_names,
    answer_problems,
    budget,
    item_alternatives,
    iter_post_rules,
    near_values,
    page_answers,
    sample,
    send,
    tampered,
    with_token,
)
from tests.web.test_access_matrix import EXPECTED, LOGIN, ROLES

# A failing example holding a huge value has a huge repr; hypothesis warns, and the suite makes
# warnings errors, which would hide the finding itself.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# Examples per route and kind of user: more where the user gets past the access check to the
# view's own reading of the form, a few where the refusal comes first.
DEEP, SHALLOW = 12, 2
# On PostgreSQL, per kind of user, over every route (NUL and big numbers are what differ).
POSTGRES = 12
# Anonymous users reach these views' own code (the rest send them to the login page).
ANONYMOUS_REACHES = frozenset({"auth.login", "main.language", "responses.page"})
# Routes not fuzzed here, each with the reason. None so far.
SKIPPED: dict[str, str] = {}

# The route's usual row three times in four, so that most bodies reach its view.
USUALLY = st.sampled_from((True, True, True, False))
CITIZENS = ("citizen", "citizen2", "ended", "other_citizen", "other_ended", "gone_citizen")
USERS_TRIED = ("user", "user_anne", "user_admin", "user_leder.nord")
RESPONSES = (
    "draft",
    "submitted",
    "hand_self",
    "hand_draft",
    "hand_submitted",
    "other_draft",
    "citizen_submitted",
    "other_submitted",
    "gone_response",
)


def _url_map_rules() -> list[tuple[str, str]]:
    """The POST rules, read at collection from an app that never opens its database."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"},
            environ={},
            instance_path=folder,
        )
        return [rule for rule in iter_post_rules(app) if rule[0] not in SKIPPED]


RULES = _url_map_rules()
CASES = [(endpoint, rule, role) for endpoint, rule in RULES for role in ROLES]


def reaches(endpoint: str, role: str) -> bool:
    """Whether the access matrix lets `role` past the access check of the route."""
    expected = EXPECTED.get((endpoint, "POST"), (None, {}))[1].get(role)
    if expected in (401, 403, 404):
        return False
    return not (role == "anonymous" and expected == LOGIN and endpoint not in ANONYMOUS_REACHES)


# --- valid bodies to start from, per endpoint -----------------------------------------------

Body = Callable[[World, str, dict[str, str]], list[Pair]]


@dataclass(frozen=True)
class Seed:
    """A valid body for the route (made for the path drawn) and the path's usual arguments:
    a name of the world's rows, or the value itself."""

    body: Body
    path: dict[str, str] = field(default_factory=dict)


def fixed(*pairs: tuple[str, str]) -> Body:
    """A body of fixed fields; "{name}" is the id of the world's row of that name."""

    def body(world: World, role: str, args: dict[str, str]) -> list[Pair]:
        named = {key: str(value) for key, value in world.ids.items()}
        return [(key, value.format(**named)) for key, value in pairs]

    return body


def _number(text: str | None, default: int) -> int:
    return int(text) if text and text.isascii() and text.isdigit() else default


def page_body(kiosk: bool, autosave: bool) -> Body:
    """Every question of the drawn draft's page answered, with the page's hidden fields."""

    def body(world: World, role: str, args: dict[str, str]) -> list[Pair]:
        default = world.ids["hand_self" if kiosk else "hand_draft"]
        response = default if kiosk else _number(args.get("response_id"), default)
        number = 1 if autosave else _number(args.get("number"), 1)
        answers = page_answers(world, response, number) or page_answers(world, default, 1)
        hidden: list[Pair] = [("page", str(number))]
        if not autosave:
            hidden.append(("action", "next"))
        if not kiosk:
            hidden.append(("draft_key", world.draft_keys.get(response, "")))
        return answers + hidden

    return body


def own_password(*names: str) -> Body:
    def body(world: World, role: str, args: dict[str, str]) -> list[Pair]:
        return [(name, world.password(role)) for name in names]

    return body


def amend_body(world: World, role: str, args: dict[str, str]) -> list[Pair]:
    response = _number(args.get("response_id"), world.ids["hand_submitted"])
    definition = world.forms.get(response, world.forms[world.ids["hand_submitted"]])[0]
    code = args.get("code", "")
    item = definition.item(code) if definition.has_item(code) else next(definition.items)
    return [(field_name(item.code), value) for value in sample(item)] + [
        ("reason", "Rettet efter samtale")
    ]


def upload_body(world: World, role: str, args: dict[str, str]) -> list[Pair]:
    csv = b"citizen,enrolled_on,team,consultant,status,status_reason,ended_on\r\n"
    csv += b"FZ-0001,2026-11-02,Team Nord,anne,active,,\r\n"
    return [("kind", "citizens"), ("file", Upload(csv)), ("dry_run", "y")]


def both(first: Body, second: Body) -> Body:
    return lambda world, role, args: first(world, role, args) + second(world, role, args)


SEEDS: dict[str, Seed] = {
    "main.language": Seed(fixed(("locale", "en"), ("next", "/"))),
    "auth.login": Seed(fixed(("username", "anne"), ("password", "demo-anne-2026"))),
    "auth.logout": Seed(fixed()),
    "auth.change_password": Seed(
        both(
            own_password("current"),
            fixed(("new", "Fuzz-ny-kode-2026!"), ("repeat", "Fuzz-ny-kode-2026!")),
        )
    ),
    "auth.pin": Seed(both(own_password("password"), fixed(("pin", "246813")))),
    "citizens.enrol": Seed(
        fixed(
            ("reference", "FZ-0001"),
            ("enrolled_on", "2026-11-02"),
            ("team", "{team}"),
            ("consultant", "{user_anne}"),
        )
    ),
    "citizens.transfer": Seed(
        fixed(("consultant", "{user_mads}"), ("on", "2026-11-20")), {"citizen_id": "citizen"}
    ),
    "citizens.end": Seed(
        fixed(("reason", "ended_planned:employment"), ("ended_on", "2026-11-20")),
        {"citizen_id": "citizen"},
    ),
    "citizens.reopen": Seed(fixed(("on", "2026-11-22")), {"citizen_id": "ended"}),
    "responses.start": Seed(
        fixed(("administered_on", "2026-11-20"), ("how", "assisted")),
        {"citizen_id": "citizen2", "point": "5", "form_id": "hand"},
    ),
    "responses.page": Seed(page_body(kiosk=False, autosave=False), {"response_id": "hand_draft"}),
    "responses.autosave": Seed(
        page_body(kiosk=False, autosave=True), {"response_id": "hand_draft"}
    ),
    "responses.to_tablet": Seed(fixed(), {"response_id": "hand_self"}),
    "responses.submit": Seed(fixed(), {"response_id": "hand_draft"}),
    "responses.amend": Seed(amend_body, {"response_id": "hand_submitted", "code": "hand.gate"}),
    "kiosk.page": Seed(page_body(kiosk=True, autosave=False), {"number": "1"}),
    "kiosk.autosave": Seed(page_body(kiosk=True, autosave=True)),
    "kiosk.language": Seed(fixed(("locale", "en"), ("next", "/kiosk/page/1"))),
    "kiosk.lock": Seed(fixed(("reason", "pause"))),
    "kiosk.unlock": Seed(fixed(("secret", "demo-anne-2026"))),
    "kiosk.submit": Seed(fixed()),
    "admin.create_user": Seed(
        fixed(
            ("username", "fuzz.bruger"),
            ("full_name", "Fuzz Bruger"),
            ("role", "consultant"),
            ("teams", "{team}"),
        )
    ),
    "admin.edit_user": Seed(
        fixed(("full_name", "Peter Fuzz"), ("role", "consultant"), ("teams", "{syd}")),
        {"user_id": "user"},
    ),
    "admin.reset_password": Seed(fixed(), {"user_id": "user"}),
    "admin.set_active": Seed(fixed(("active", "0")), {"user_id": "user"}),
    "admin.team": Seed(
        fixed(
            ("name", "Team Fuzz"),
            ("measurement_interval_months", "3"),
            ("window_days", "21"),
            ("suppress_small_cells", "y"),
            ("target_employment", "25"),
            ("target_education", "12,5"),
        ),
        {"team_id": "team"},
    ),
    "interop.upload": Seed(upload_body),
    "interop.download": Seed(fixed(("dataset", "codebook-md"), ("semicolon", "y"))),
}


# --- what to post ---------------------------------------------------------------------------


def path_pools(world: World) -> dict[str, list[str]]:
    """The values each path argument is tried with besides hostile ones: rows of the user's
    own team and of the other, rows that do not exist, edges of the ranges."""
    ids = world.ids
    forms = [form.id for form in world.registry.forms()]
    return {
        "citizen_id": [str(ids[name]) for name in CITIZENS],
        "response_id": [str(ids[name]) for name in RESPONSES],
        "user_id": [
            str(ids[name]) for name in ("user", "user_anne", "user_admin", "user_leder.nord")
        ],
        "team_id": [str(ids["team"]), str(ids["syd"])],
        "point": ["1", "2", "3", "31", "33", str(MAX_POINT), str(MAX_POINT + 1)],
        "number": ["1", "2", "3", "9"],
        "form_id": [*forms, "who5", "bip"],
        "code": sorted({item.code for form in world.registry.forms() for item in form.items}),
    }


def alternatives(world: World) -> dict[str, list[str]]:
    """Other valid (or nearly valid) values of each field, for the 'change' of a field."""
    ids = world.ids
    people = [str(ids[f"user_{name}"]) for name in ("anne", "jonas", "mads", "peter", "admin")]
    return {
        **item_alternatives(world.registry),
        "locale": ["da", "en", "de"],
        "how": ["staff", "assisted", "self"],
        "action": ["next", "previous", "close", "lock", "pause", "language:en", "language:xx"],
        "role": ["consultant", "project_leader", "admin", "evaluator"],
        "reason": [option.value for option in reason_choices()] + ["pause", "idle"],
        "dataset": [download.value for download in DOWNLOADS],
        "kind": ["citizens", "responses"],
        "team": [str(ids["team"]), str(ids["syd"])],
        "teams": [str(ids["team"]), str(ids["syd"])],
        "consultant": people,
        "active": ["0", "1"],
        "draft_key": sorted(world.draft_keys.values()),
        "page": ["0", "1", "2", "3"],
        "next": ["/", "/kiosk/page/1", "//evil.example/", "/%09/evil.example/"],
        "secret": ["demo-anne-2026", "123456", "demo-jonas-2026"],
        "username": ["anne", "jonas", "admin", "ANNE "],
        "real_references": ["y"],
        "dry_run": ["y", ""],
    }


def url_for_rule(rule: str, args: dict[str, str]) -> str:
    path = rule
    for name, value in args.items():
        path = path.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
    return path


def requests(
    world: World, endpoint: str, rule: str, role: str
) -> st.SearchStrategy[tuple[str, list[Pair], bool]]:
    """(url, body, multipart): the path's arguments (first the route's usual row, then rows of
    both teams and hostile segments), then a body tampered from the valid one for that path,
    with a CSRF token of some kind."""
    seed = SEEDS.get(endpoint, Seed(fixed()))
    pools, kit = _cached(world)
    arguments = []
    for name in (part.split(":")[-1] for part in _arguments(rule)):
        usual = seed.path.get(name)
        first = str(world.ids[usual]) if usual in world.ids else usual
        arguments.append((name, first, pools.get(name, SEGMENTS)))

    @st.composite
    def one(draw: st.DrawFn) -> tuple[str, list[Pair], bool]:
        args = {
            name: first if first and draw(USUALLY) else draw(others)
            for name, first, others in arguments
        }
        body = draw(tampered(seed.body(world, role, args), kit))
        body = with_token(world, role, body, draw(TOKEN_KINDS))
        return url_for_rule(rule, args), body, draw(st.booleans())

    return one()


_CACHE: dict[int, tuple[dict[str, st.SearchStrategy[str]], Kit]] = {}


def _cached(world: World) -> tuple[dict[str, st.SearchStrategy[str]], Kit]:
    """Per world, made once: each path argument's strategy, and the bodies' kit."""
    if id(world.registry) not in _CACHE:
        pools = {
            name: st.one_of(st.sampled_from(values), SEGMENTS)
            for name, values in path_pools(world).items()
        }
        _CACHE[id(world.registry)] = pools, Kit(all_names(world.registry), alternatives(world))
    return _CACHE[id(world.registry)]


def _arguments(rule: str) -> list[str]:
    return [part[1:-1] for part in rule.replace(">", ">/").split("/") if part.startswith("<")]


def fuzz(world: World, endpoint: str, rule: str, role: str, examples: int) -> None:
    @budget(examples)
    @given(request=requests(world, endpoint, rule, role))
    def post(request: tuple[str, list[Pair], bool]) -> None:
        url, body, multipart = request
        world.reset(role)
        failure = send(world.client(role), "POST", url, body, multipart=multipart)
        assert not failure, f"POST {rule} as {role}: {failure}"
        problems = answer_problems(world.app)
        assert not problems, f"POST {rule} as {role} stored answers:\n" + "\n".join(problems)

    post()


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture
def world(fuzz_world: World) -> World:
    return fuzz_world  # tests/web/conftest.py: one world for the session


def test_every_post_route_has_a_body_to_tamper_with(world: World) -> None:
    """A new POST route is fuzzed anyway (from an empty body); give it a valid one to start
    from, or a reason it is not fuzzed."""
    live = {endpoint for endpoint, _rule in iter_post_rules(world.app)}
    missing = live - set(SEEDS) - set(SKIPPED)
    assert not missing, f"add a valid body to SEEDS (or a reason to SKIPPED) for {sorted(missing)}"
    stale = (set(SEEDS) | set(SKIPPED)) - live
    assert not stale, f"these routes are gone; remove them: {sorted(stale)}"
    assert not set(SEEDS) & set(SKIPPED)
    assert set(RULES) == {r for r in iter_post_rules(world.app) if r[0] not in SKIPPED}


def test_every_kind_of_user_is_fuzzed() -> None:
    assert {role for _endpoint, _rule, role in CASES} == set(ROLES)


@pytest.mark.parametrize(
    ("endpoint", "rule", "role"), CASES, ids=[f"{rule}-{role}" for _e, rule, role in CASES]
)
def test_hostile_posts_never_fail_nor_store_a_wrong_answer(
    world: World, endpoint: str, rule: str, role: str
) -> None:
    fuzz(world, endpoint, rule, role, DEEP if reaches(endpoint, role) else SHALLOW)


# The pages that store answers, and who posts them: every answer on the page drawn from its
# item's right and nearly right values (and hostile ones), the rest of the post as the page
# sends it, so that each example reaches the reading and saving of answers.
ANSWER_POSTS = [
    ("responses.page", "/responses/{response}/page/{number}", "consultant"),
    ("responses.page", "/responses/{response}/page/{number}", "anonymous"),  # login ran out
    ("responses.autosave", "/responses/{response}/autosave", "consultant"),
    ("kiosk.page", "/kiosk/page/{number}", "kiosk"),
    ("kiosk.autosave", "/kiosk/autosave", "kiosk"),
]
ANSWERS, POSTGRES_ANSWERS = 20, 8


@st.composite
def answer_posts(draw: st.DrawFn, world: World, url: str, role: str) -> tuple[str, list[Pair]]:
    kiosk = url.startswith("/kiosk")
    drafts = ["hand_self"] if kiosk else ["hand_draft", "draft", "hand_self"]
    response = world.ids[draw(st.sampled_from(drafts))]
    definition, point = world.forms[response]
    every = pages(definition, point)
    number = draw(st.integers(1, len(every)))
    pairs: list[Pair] = []
    for item in every[number - 1].items:
        choices = st.one_of(st.sampled_from(near_values(item)), VALUES)
        for value in draw(st.lists(choices, max_size=3 if item.is_choice else 1)):
            pairs.append((field_name(item.code), value))
    hidden: list[Pair] = [("page", str(number)), ("draft_key", world.draft_keys[response])]
    if "autosave" not in url:
        hidden.append(("action", draw(st.sampled_from(["next", "previous", "close", "pause"]))))
    body = with_token(world, role, pairs + hidden, "valid")
    return url.format(response=response, number=number), body


@pytest.mark.parametrize(
    ("endpoint", "url", "role"), ANSWER_POSTS, ids=[f"{e}-{r}" for e, _u, r in ANSWER_POSTS]
)
def test_answers_are_stored_only_as_their_items_allow(
    world: World, endpoint: str, url: str, role: str
) -> None:
    """Every answer of a page drawn from its item's right, nearly right and hostile values:
    what the page stores is what its items allow, whatever the form's fields let through."""
    check_answers(world, url, role, ANSWERS)


def check_answers(world: World, url: str, role: str, examples: int) -> None:
    @budget(examples)
    @given(request=answer_posts(world, url, role), multipart=st.booleans())
    def post(request: tuple[str, list[Pair]], multipart: bool) -> None:
        target, body = request
        world.reset(role)
        failure = send(world.client(role), "POST", target, body, multipart=multipart)
        assert not failure, f"POST {url} as {role}: {failure}"
        problems = answer_problems(world.app)
        assert not problems, f"POST {url} as {role} stored answers:\n" + "\n".join(problems)

    post()


@pytest.fixture
def postgres(fuzz_postgres_world: World) -> World:
    return fuzz_postgres_world


@pytest.mark.postgresql
@pytest.mark.parametrize("role", ROLES)
def test_hostile_posts_on_postgresql(postgres: World, role: str) -> None:
    """NUL bytes and integers past the column's range fail differently on PostgreSQL: every
    route, as each kind of user, drawn together."""

    @budget(POSTGRES)
    @given(data=st.data())
    def post(data: st.DataObject) -> None:
        endpoint, rule = data.draw(st.sampled_from(RULES))
        url, body, multipart = data.draw(requests(postgres, endpoint, rule, role))
        postgres.reset(role)
        failure = send(postgres.client(role), "POST", url, body, multipart=multipart)
        assert not failure, f"POST {rule} as {role}: {failure}"
        problems = answer_problems(postgres.app)
        assert not problems, f"POST {rule} as {role} stored answers:\n" + "\n".join(problems)

    post()


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("endpoint", "url", "role"), ANSWER_POSTS, ids=[f"{e}-{r}" for e, _u, r in ANSWER_POSTS]
)
def test_answers_on_postgresql_are_stored_only_as_their_items_allow(
    postgres: World, endpoint: str, url: str, role: str
) -> None:
    check_answers(postgres, url, role, POSTGRES_ANSWERS)
