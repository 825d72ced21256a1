"""Request input the database cannot hold is refused at the door, in one place each: a number
past the database's integer (no such row: 404), a control character in a text (400 naming the
field), a form field without a name (400). Past this, views and services only see values both
databases can take, under names that are text."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

from survey.refusals import Refusal

# PostgreSQL's INTEGER, the type of every id and point column; SQLite holds more, so this is
# the bound of both.
DATABASE_INT_MAX = 2**31 - 1

# NUL cannot be stored in PostgreSQL text, and the others break XML (the XLSX exports) and
# terminals. Tab, line feed and carriage return are ordinary text in a free-text answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]+")


class DatabaseInt(IntegerConverter):
    """`<int:...>` bounded to the database's integer: a larger id names no row, so the URL
    matches no route (404) instead of reaching the database with a number it refuses."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(map, *args, **kwargs)


def whole_number(text: str, maximum: int = DATABASE_INT_MAX) -> int | None:
    """`text` as a whole number from 0 to `maximum`, or None: ASCII digits only (str.isdigit
    accepts "²", which int() refuses)."""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= maximum else None


def has_control_character(text: str) -> bool:
    return _CONTROL.search(text) is not None


def refuse_control_characters() -> None:
    """Before every view: a query, form or path value with a control character is a 400 page
    that names the field, before any code can pass it to the database. So is a form field
    without a name (a multipart part with no name: Werkzeug keys it None), which no page of
    ours sends and which the views' code, reading names as text, cannot take."""
    sources: list[Any] = [request.args, request.form]
    for source in sources:
        for name, value in source.items(multi=True):
            if not isinstance(name, str):
                abort(400, description=Refusal("input.unnamed").message())
            if has_control_character(name) or has_control_character(value):
                abort(400, description=Refusal("input.control", name, field=_shown(name)).message())
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and has_control_character(value):
            abort(400, description=Refusal("input.control", name, field=_shown(name)).message())


def _shown(name: str) -> str:
    """A parameter's name as it can be shown on the page (the name itself may be the attack)."""
    return _CONTROL.sub("?", name)[:60]


def init_app(app: Flask) -> None:
    """Before any blueprint is registered, so every `<int:...>` in the app is the bounded one."""
    app.url_map.converters["int"] = DatabaseInt
    app.before_request(refuse_control_characters)
