"""Fixtures for the instrument tests: tiny instruments written into tmp_path, the real registry,
and the `survey` command run in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from survey.config import PROJECT_ROOT
from survey.instruments import InstrumentError, InstrumentErrors, load_registry
from survey.instruments.registry import InstrumentRegistry

REAL_INSTRUMENTS = PROJECT_ROOT / "instruments"


@pytest.fixture(scope="session")
def real_registry() -> InstrumentRegistry:
    """The repository's own instrument files, loaded and checked against published.lock."""
    return load_registry(REAL_INSTRUMENTS)


@pytest.fixture
def instruments_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "instruments"
    folder.mkdir()
    return folder


WriteInstrument = Callable[..., Path]


@pytest.fixture
def write_instrument(instruments_dir: Path) -> WriteInstrument:
    """write(data) puts `data` at <tmp>/instruments/<id>/<version>.yaml and returns the folder.

    `file="demo/2.yaml"` writes somewhere else (to test mismatches); a `str` is written as is
    (to test broken YAML).
    """

    def write(data: Mapping[str, Any] | str, file: str | None = None) -> Path:
        if file is None:
            assert isinstance(data, Mapping), "raw text needs an explicit file="
            file = f"{data['instrument']}/{data['version']}.yaml"
        path = instruments_dir / file
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            data
            if isinstance(data, str)
            else yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False)
        )
        path.write_text(text, encoding="utf-8")
        return instruments_dir

    return write


class Build:
    """Builders for instrument dicts: small, valid by default, easy to break one field at a time."""

    @staticmethod
    def text(da: str = "Spørgsmål", en: str = "Question") -> dict[str, str]:
        return {"da": da, "en": en}

    @staticmethod
    def options(*codes: int) -> list[dict[str, Any]]:
        return [{"code": c, "da": f"Svar {c}", "en": f"Answer {c}"} for c in codes]

    @classmethod
    def item(cls, code: str, type: str = "single_choice", **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": code,
            "type": type,
            "text": cls.text(f"Spørgsmål {code}", f"Question {code}"),
        }
        if type in ("single_choice", "multiple_choice"):
            data["answers"] = cls.options(1, 2)
        if type == "integer":
            data.update(min=0, max=10)
        data.update(fields)
        return data

    @classmethod
    def instrument(
        cls,
        id: str = "demo",
        version: int = 1,
        items: list[dict[str, Any]] | None = None,
        sections: list[dict[str, Any]] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        if sections is None:
            items = items if items is not None else [cls.item(f"{id}.1"), cls.item(f"{id}.2")]
            sections = [{"id": "main", "title": cls.text("Afsnit", "Section"), "items": items}]
        data: dict[str, Any] = {
            "instrument": id,
            "version": version,
            "kind": "instrument",
            "title": cls.text(f"Titel {id}", f"Title {id}"),
            "source": "Written for the tests",
            "terms": "Free to use",
            "sections": sections,
        }
        data.update(fields)
        return data

    @classmethod
    def form(
        cls, id: str = "myform", version: int = 1, sections: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        data = cls.instrument(id, version, sections=sections or [cls.include("demo", 1)])
        data.update(kind="form", respondent="citizen", modes=["self", "assisted"])
        return data

    @staticmethod
    def include(instrument: str, version: int, section: str | None = None) -> dict[str, Any]:
        inc: dict[str, Any] = {"instrument": instrument, "version": version}
        if section is not None:
            inc["section"] = section
        return {"include": inc}


@pytest.fixture
def build() -> type[Build]:
    return Build


def _refusals(directory: Path, **kwargs: Any) -> list[InstrumentError]:
    with pytest.raises(InstrumentErrors) as caught:
        load_registry(directory, **kwargs)
    return caught.value.errors


@pytest.fixture
def refusals() -> Callable[..., list[InstrumentError]]:
    """refusals(dir) -> the errors load_registry raises for dir; fails the test if it loads."""
    return _refusals


@pytest.fixture
def refused() -> Callable[..., InstrumentError]:
    """refused(dir, code, file, item) -> the single error, checked to name file, item and code."""

    def check(
        directory: Path, code: str, file: str = "instruments/demo/1.yaml", item: str | None = None
    ) -> InstrumentError:
        errors = _refusals(directory)
        assert [(e.code, e.path, e.item) for e in errors] == [(code, file, item)], [
            str(e) for e in errors
        ]
        message = str(errors[0])
        assert message.startswith(f"{file}: ")
        assert message.endswith(f"[{code}]")
        if item is not None:
            assert f"item {item}: " in message
        return errors[0]

    return check


@pytest.fixture(scope="session")
def survey_command() -> str:
    found = shutil.which("survey")
    if found is None:
        pytest.fail("the `survey` console script is not on PATH; run `pip install -e .` first")
    return found


@pytest.fixture
def run_survey(survey_command: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """run_survey("instruments", "list", instruments=<dir>) runs the installed CLI."""

    def run(*args: str, instruments: Path = REAL_INSTRUMENTS) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
        env.update(
            SURVEY_ENV="development",
            SURVEY_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
            SURVEY_INSTRUMENTS_DIR=str(instruments),
            PYTHONIOENCODING="utf-8",
        )
        return subprocess.run(
            [survey_command, *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    return run
