"""Every UI message is in the catalog and translated to Danish; compiled catalogs are current."""

import re
import subprocess
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from survey.cli import BABEL, EXTRACT_OPTIONS
from survey.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"


def extract(tmp_path: Path) -> set[str]:
    out = tmp_path / "messages.pot"
    subprocess.run(
        [*BABEL, "extract", *EXTRACT_OPTIONS, "-o", str(out), "."],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_catalog_template_is_up_to_date(tmp_path: Path) -> None:
    in_code = extract(tmp_path)
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert in_code - in_template == set(), "run: survey translations update"
    assert in_template - in_code == set(), "run: survey translations update"


def test_every_message_has_a_danish_translation(tmp_path: Path) -> None:
    danish = catalog("da")
    missing = [m.id for m in danish if m.id and (not m.string or m.fuzzy)]
    assert missing == [], f"translate these in translations/da/LC_MESSAGES/messages.po: {missing}"
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in danish if m.id}
    assert extract(tmp_path) <= translated, "run: survey translations update, then translate"


def test_placeholders_survive_translation() -> None:
    for message in catalog("da"):
        if message.id and isinstance(message.id, str):
            assert sorted(_placeholders(message.id)) == sorted(_placeholders(message.string)), (
                message.id
            )


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\(\w+\)s", text)


def test_compiled_catalogs_match_their_sources() -> None:
    for locale in ("da", "en"):
        source = {
            _key(m.id): _key(m.string)
            for m in catalog(locale)
            if m.id and any(_key(m.string)) and not m.fuzzy
        }
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
        # Untranslated plurals compile to themselves; they are not translations.
        compiled = {k: v for k, v in compiled.items() if k in source or v != k}
        assert compiled == source, f"run: survey translations compile ({locale})"


def _key(value: str | list | tuple) -> tuple:
    return tuple(value) if isinstance(value, list | tuple) else (value,)
