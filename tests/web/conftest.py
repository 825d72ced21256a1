"""The fuzz tests' world (tests/web/fuzzing.py), built once for the session and shared by the
three fuzz modules: each example restores it to a baseline, so no module sees another's. The
fuzzing machinery is imported when a fuzz test asks for it, not for every web test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.web.fuzzing import World


@pytest.fixture(scope="session")
def fuzz_world(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    from tests.web.fuzzing import build_world

    return build_world(demo_database, tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="session")
def fuzz_postgres_world(fuzz_world: World, postgres_server: str) -> Iterator[World]:
    from tests.web.fuzzing import postgres_world

    twin, store = postgres_world(fuzz_world, postgres_server)
    yield twin
    store.drop_all()
