"""What the `survey` command modules share. Free of Flask, so that commands that must run
when the app cannot start (survey instruments) can use it too."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click

from survey.config import ConfigError

_T = TypeVar("_T")


def fail(message: str, code: int = 1) -> NoReturn:
    """A refusal: the message in red on stderr, then exit with `code`."""
    click.secho(message, err=True, fg="red")
    sys.exit(code)


def run(action: Callable[[], _T]) -> _T:
    """`action()`, with a wrong setting (such as the database URL) as a one-line refusal."""
    try:
        return action()
    except ConfigError as exc:
        fail(str(exc))
