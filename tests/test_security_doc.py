"""docs/SECURITY.md names the test that proves each threat is stopped: each name must be a test
that exists, and each threat of the model has its row, so the page cannot quietly go stale."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
THREATS = (
    "A curious citizen with the tablet",
    "A consultant of another team",
    "A stolen cookie",
    "A lost tablet",
    "A malicious file",
    "Injection",
    "CSRF",
    "Guessing passwords or PINs",
    "A database administrator",
    "A crash mid-write",
)


def test_every_threat_of_the_model_has_its_row() -> None:
    table = TEXT[TEXT.index("## The threats at a glance") :]
    for threat in THREATS:
        assert f"| **{threat}" in table, threat


def test_every_test_the_page_names_exists() -> None:
    files = set(re.findall(r"\b(tests/[\w/]+\.py)", TEXT))
    assert files, "the page names test files"
    missing = [name for name in sorted(files) if not (ROOT / name).is_file()]
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    for name in sorted(set(re.findall(r"\b(test_[a-z0-9_]+)\b", TEXT))):
        if f"def {name}(" not in source and not list((ROOT / "tests").rglob(f"{name}.py")):
            missing.append(name)
    assert not missing, f"docs/SECURITY.md names tests that do not exist: {missing}"
