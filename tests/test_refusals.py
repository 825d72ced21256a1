"""The one catalogue of refusals: every code a service raises is in it, and a refusal reads in
the active language, on a page and on the command line (English unless --lang da)."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from survey.cli import cli
from survey.config import PROJECT_ROOT
from survey.refusals import CATALOGUE, Refusal, say

RAISED = re.compile(r"\b(?:AccountError|TeamError|ResponseError|Refusal)\(\s*(f?)\"([^\"]+)\"")


def test_every_code_a_service_raises_is_in_the_catalogue() -> None:
    raised = []
    for path in sorted((PROJECT_ROOT / "survey").rglob("*.py")):
        for formatted, code in RAISED.findall(path.read_text(encoding="utf-8")):
            raised.append(code)
            if formatted:  # e.g. f"pin.{problems[0]}": some code must start with the fixed part
                prefix = code.split("{")[0]
                assert any(known.startswith(prefix) for known in CATALOGUE), code
            else:
                assert code in CATALOGUE, f"{path.name}: {code}"
    assert len(raised) > 20


def test_an_unknown_code_is_refused_at_once() -> None:
    with pytest.raises(KeyError, match=r"no refusal 'account\.nope'"):
        Refusal("account.nope")


def test_a_refusal_reads_in_the_requests_language(app) -> None:
    refusal = Refusal("team.range.window_days", "window_days", min=0, max=60)
    with app.test_request_context(), force_locale("da"):
        assert str(refusal) == "Tallet skal være mellem 0 og 60."
        assert refusal.message(command=True) == "--window er 0 til 60 dage"
    with app.test_request_context(), force_locale("en"):
        assert str(refusal) == "Number must be between 0 and 60."
    long = Refusal("team.long", "name", max=100)
    with app.test_request_context(), force_locale("en"):
        assert str(long) == "Field cannot be longer than 100 characters."


def test_outside_a_request_a_refusal_reads_in_english(app) -> None:
    with app.app_context():
        assert str(Refusal("account.taken", "username")) == "This user name is taken."
        assert say("Refused %(name)s: %(reason)s.", name="'x'", reason="no") == "Refused 'x': no."
    assert str(Refusal("account.taken")) == "This user name is taken."  # no app at all


def test_a_command_refuses_in_english_or_with_lang_da_in_danish(demo_app) -> None:
    runner = demo_app.test_cli_runner()
    args = ["users", "create", "anne", "--name", "A", "--consultant", "Team Nord"]
    english = runner.invoke(cli, args)
    assert english.exit_code == 2
    assert "Refused 'anne': that user name is taken." in english.output
    danish = runner.invoke(cli, ["--lang", "da", *args])
    assert danish.exit_code == 2
    assert "Afvist 'anne': brugernavnet er optaget." in danish.output
    # the language ends with the command: the next one speaks English again
    with demo_app.app_context():
        assert str(Refusal("account.taken")) == "This user name is taken."
    teams = runner.invoke(cli, ["--lang", "da", "teams", "create", "Team Nord"])
    assert "der findes allerede et team med dette navn" in teams.output
